// mbed-tsdb alerts: what the stack's alerts are (the address, whether its subscription is
// confirmed, each alarm's state); --email adds or changes the address (or `none` removes the
// alerts) for a stack already set up — the same steps setup runs for them, on what it recorded;
// --test sends one message through the topic.

import { UserFacingError } from '../errors.js';
import { applyStack } from '../stack/engine.js';
import { readState, writeState } from '../stack/state.js';
import { alertRows } from '../stack/status-alerts.js';
import { alertsStep, sendTestAlert } from '../stack/steps/alerts.js';
import { configureStep } from '../stack/steps/configure.js';
import { scheduleStep } from '../stack/steps/schedule.js';
import { printable } from '../ui/printable.js';
import type { CommandContext } from './context.js';
import { parseAlertEmail, parseQuietAfter } from './setup/validate.js';
import { savedAnswers, stackContext, stackRegion, stateNotices, untilInterrupted } from './stack-context.js';

interface Flags {
  email?: string;
  quietAfter?: string;
  test?: boolean;
}

export async function run(context: CommandContext): Promise<number> {
  const { settings, out } = context;
  const flags = context.options as Flags;
  // Validate before anything is read or asked.
  const email = flags.email === undefined ? undefined : parseAlertEmail(flags.email, '--email');
  const quietAfterMinutes = flags.quietAfter === undefined ? undefined : parseQuietAfter(flags.quietAfter);
  const state = readState(context.env, settings.stack, stateNotices(context));
  if (!state?.outputs?.function || !state.outputs['database-ready']) {
    throw new UserFacingError(`no stack ${settings.stack} is set up from this machine: run mbed-tsdb setup --alert-email <address>`, { code: 'NO_STACK' });
  }
  const region = stackRegion(context, state);
  const answers = savedAnswers(state, settings.connectorHost);
  // Given again while still pending: its confirmation link is mailed again.
  if (email !== undefined) Object.assign(answers, { alertEmail: email, resendConfirmation: true });
  if (quietAfterMinutes !== undefined) answers.quietAfterMinutes = quietAfterMinutes;
  const ctx = stackContext(context, { region, state, answers, apiKey: undefined });

  if (email !== undefined || quietAfterMinutes !== undefined) {
    const steps = [configureStep, scheduleStep, alertsStep];
    const unrecorded = steps.flatMap((step) => step.after).filter((id) => !steps.some((s) => s.id === id) && state.outputs?.[id] === undefined);
    if (unrecorded.length > 0) {
      throw new UserFacingError(`stack ${settings.stack} was set up by an earlier mbed-tsdb (no ${[...new Set(unrecorded)].join(', ')} recorded): run mbed-tsdb setup --alert-email <address>`, { code: 'NO_STACK' });
    }
    const save = (s: typeof state) => writeState(context.env, { ...s, answers: { ...(s.answers ?? {}), alertEmail: answers.alertEmail, quietAfterMinutes: answers.quietAfterMinutes }, actedAt: ctx.now() }, stateNotices(context));
    const work = (async () => {
      // The function's quiet period, the watch schedule, then the topic and alarms (or their removal).
      await applyStack(steps, ctx, save);
      if (!answers.alertEmail) {
        await alertsStep.remove(ctx);
        delete ctx.state.outputs!.alerts;
        save(ctx.state);
      }
    })();
    const outcome = await untilInterrupted(context, ctx, work);
    if (!outcome.done) return 130;
  }

  if (flags.test) {
    const sent = await sendTestAlert(ctx);
    const note =
      sent.subscription === 'confirmed'
        ? `sent to ${printable(sent.email)}`
        : sent.subscription === 'pending'
          ? `published, but ${printable(sent.email)} gets nothing until the link in the mail from AWS Notifications is clicked`
          : `published, but ${printable(sent.email)} is no longer subscribed: mbed-tsdb alerts --email ${printable(sent.email)} subscribes it again`;
    out.result({ test: sent }, `Test alert ${note}.`);
    return sent.subscription === 'confirmed' ? 0 : 1;
  }

  const rows = await alertRows(ctx);
  if (rows.length === 0) {
    out.result({ alerts: null }, `Stack ${settings.stack} has no alerts: mbed-tsdb alerts --email <address> makes them.`);
    return 0;
  }
  const width = Math.max(...rows.map((r) => r.resource.length));
  const text = rows.map((r) => `${r.resource.padEnd(width)}  ${r.state}${r.ok ? '' : ' !'}${r.note ? `  ${printable(r.note)}` : ''}`).join('\n');
  out.result({ alerts: rows }, text);
  return rows.every((r) => r.ok) ? 0 : 1;
}
