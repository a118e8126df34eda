// mbed-tsdb logs: what the webhook function did, from its CloudWatch log group — one line per
// delivery, each rejected notification whole — found by the stack's names (no state file
// needed), once or following (--follow) until Ctrl+C.

import { UsageError, UserFacingError } from '../errors.js';
import { describeEntry, keep, parseSince, toEntry, type LogFilter } from '../logs/entries.js';
import { follow, readRange } from '../logs/read.js';
import { findLogGroup } from '../stack/steps/function.js';
import { readState } from '../stack/state.js';
import { realSleep } from '../util/wait.js';
import type { CommandContext } from './context.js';
import { savedAnswers, stackContext, stackRegion, stateNotices } from './stack-context.js';

interface Flags {
  since: string;
  follow?: boolean;
  filter: LogFilter;
}

export async function run(context: CommandContext): Promise<number> {
  const { settings, out, hooks } = context;
  const flags = context.options as unknown as Flags;
  const now = hooks.now ?? Date.now;
  const since = parseSince(flags.since, now());
  if (since === null) throw new UsageError('--since takes a duration back from now (10m, 2h, 1d) or a time such as 2026-11-28T08:00Z');
  const state = readState(context.env, settings.stack, stateNotices(context));
  const region = stackRegion(context, state);
  const ctx = stackContext(context, { region, state: state ?? { version: 1, stack: settings.stack }, answers: savedAnswers(state, settings.connectorHost), apiKey: undefined });
  const group = ctx.names.logGroup;
  const client = await ctx.aws.logs();

  const found = await findLogGroup(client, group);
  if (!found) throw new UserFacingError(`no log group ${group} in ${region}: the stack ${settings.stack} has no function there (run mbed-tsdb setup, or pass --region)`, { code: 'NO_WEBHOOK' });

  const show = (event: { timestamp: number; message: string }) => {
    const entry = toEntry(event);
    if (!keep(entry, flags.filter)) return;
    out.record(entry.fields ? { time: entry.time, ...entry.fields } : { time: entry.time, message: entry.raw }, describeEntry(entry));
  };
  if (!flags.follow) {
    for (const event of await readRange(client, group, since, now())) show(event);
    return 0;
  }
  const stop = new AbortController();
  void context.interrupted.then(() => stop.abort());
  await follow(client, group, found.logGroupArn, {
    since,
    signal: stop.signal,
    now,
    sleep: async (ms) => {
      if (!stop.signal.aborted) await (hooks.sleep ?? realSleep)(ms);
    },
    emit: show,
    onMode: (mode) => out.info(`Following ${group} (${mode}); Ctrl+C to stop.`),
  });
  return 0;
}
