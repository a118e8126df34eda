// mbed-tsdb teardown: find the stack (state file or tags), show what will go, have the user
// type the stack's name (or --yes), delete in dependency order, then check nothing is left.

import { rmSync } from 'node:fs';
import { UsageError, UserFacingError } from '../errors.js';
import { callerIdentity, describeIdentity } from '../aws/identity.js';
import { describeItem, inventory } from '../stack/inventory.js';
import { readState, recordsNothingMade, statePath, writeState } from '../stack/state.js';
import { connectorRecord, teardownStack } from '../stack/teardown.js';
import { finalSnapshotCost, type KeepsCosting } from '../stack/cost.js';
import { InterruptedError } from '../ui/prompts.js';
import type { CommandContext } from './context.js';
import { promptsFor, savedAnswers, stackContext, stackRegion, stateNotices, untilInterrupted } from './stack-context.js';

interface Flags {
  dryRun?: boolean;
  finalSnapshot?: string;
  waitMinutes?: string;
}

const SNAPSHOT = /^[A-Za-z](?:-?[A-Za-z0-9])*$/;
/** How long AWS may take to list what was just made (EC2's eventual consistency, generously). */
export const LISTING_DELAY_MS = 60_000;

export async function run(context: CommandContext): Promise<number> {
  const { settings, out } = context;
  const flags = context.options as Flags;
  if (flags.finalSnapshot !== undefined && (!SNAPSHOT.test(flags.finalSnapshot) || flags.finalSnapshot.length > 255)) {
    throw new UsageError('--final-snapshot takes a snapshot name: letters, digits and single hyphens, starting with a letter');
  }
  const waitMinutes = flags.waitMinutes === undefined ? 60 : Number(flags.waitMinutes);
  if (!Number.isInteger(waitMinutes) || waitMinutes < 1 || waitMinutes > 24 * 60) throw new UsageError('--wait-minutes must be a whole number from 1 to 1440');

  const state = readState(context.env, settings.stack, stateNotices(context));
  const region = stackRegion(context, state);
  const prompter = promptsFor(context);
  let apiKey = settings.apiKey;
  const ctx = stackContext(context, { region, state: state ?? { version: 1, stack: settings.stack }, answers: savedAnswers(state, settings.connectorHost), apiKey });
  ctx.waitLimitMs = waitMinutes * 60_000;
  ctx.finalSnapshot = flags.finalSnapshot;

  // Whose account this is, said before anything is deleted (and credentials that fail, at once).
  const identity = await callerIdentity(ctx.aws);
  // AWS lists a new resource only some moments after making it (EC2 most of all): right after
  // a setup that stopped, wait that long so teardown sees what it made.
  const settling = (state?.actedAt ?? -Infinity) + LISTING_DELAY_MS - ctx.now();
  if (settling > 0) {
    const task = ctx.progress.task('AWS', `waiting ${Math.ceil(settling / 1000)}s for AWS to list what setup just made`);
    await ctx.sleep(settling);
    task.done('ready');
  }
  const found = await inventory(ctx);
  // Answers kept by a setup that stopped before changing anything: nothing was made with them.
  const answersOnly = state !== null && recordsNothingMade(state);
  const hasConnector = !answersOnly && (Boolean(state?.outputs?.connector) || ctx.answers.endpoints.length > 0);
  if (found.length === 0 && (!state || answersOnly)) {
    if (answersOnly && !flags.dryRun) rmSync(statePath(context.env, settings.stack), { force: true });
    out.result({ stack: settings.stack, region, account: identity.account, deleted: [], remaining: [] }, `Nothing of stack ${settings.stack} exists in ${region} of account ${identity.account}.`);
    return 0;
  }
  out.info(`Teardown of stack ${settings.stack} in ${region}, ${describeIdentity(identity)}, deletes:`);
  if (hasConnector) out.info('  - Connector: its subscriptions and pre-subscription rules, and the webhook if it still points here');
  for (const item of found) out.info(`  - ${describeItem(item)}`);
  // What is left behind on purpose keeps costing: said before, and again after.
  const hasDatabase = found.some((item) => item.kind === 'db-instance' || item.kind === 'db-cluster');
  const keepsCosting: KeepsCosting[] =
    flags.finalSnapshot && hasDatabase
      ? [await finalSnapshotCost({ aws: ctx.aws, env: context.env, now: ctx.now, progress: ctx.progress }, ctx, flags.finalSnapshot, found.some((item) => item.kind === 'db-cluster'))]
      : [];
  out.info(keepsCosting.length ? `  The database is kept, and keeps costing:\n${keepsCosting.map((k) => `    ${k.text}`).join('\n')}` : '  Nothing of it keeps costing afterwards (--final-snapshot <name> keeps the data, as a snapshot that does).');
  if (flags.dryRun) {
    out.result({ stack: settings.stack, region, dryRun: true, resources: found, keepsCosting }, 'dry run: nothing was deleted');
    return 0;
  }

  if (!settings.yes) {
    if (!context.terminal.interactive) throw new UsageError('teardown deletes everything of the stack: pass --yes to do it without typing the stack name');
    const typed = await prompter.input({ message: `Type the stack name (${settings.stack}) to delete it` });
    if (typed !== settings.stack) {
      out.info('The name did not match; nothing was deleted.');
      return 1;
    }
  }
  if (hasConnector && !apiKey) {
    if (context.terminal.interactive && !settings.yes) apiKey = await prompter.password({ message: 'Connector API key (to remove the subscriptions; not saved)' });
    else out.warn('no Connector API key (MBED_CLOUD_SDK_API_KEY): the Connector subscriptions and webhook are left as they are');
  }
  ctx.apiKey = apiKey;

  const attempt = teardownStack(ctx, { connector: hasConnector && Boolean(apiKey) }).then(
    (result) => ({ ...result, error: null }),
    // Whatever stopped it, say exactly what is still there.
    async (error: unknown) => ({ remaining: await inventory(ctx).catch(() => null), connectorLeft: [], removed: ctx.removed ?? [], error }),
  );
  const outcome = await untilInterrupted(context, ctx, attempt);
  if (!outcome.done) throw new InterruptedError();
  const { remaining, connectorLeft, removed, error } = outcome.value;
  if (remaining && remaining.length > 0) {
    out.result({ stack: settings.stack, region, deleted: removed, remaining }, `Still there:\n${remaining.map((r) => `  - ${describeItem(r)}`).join('\n')}`);
  }
  if (error) throw error;
  if (remaining!.length > 0) throw new UserFacingError('some resources are left: run teardown again to finish', { code: 'RESOURCES_LEFT' });
  // The AWS side is gone; what the busy Connector kept stays on record for the next run.
  if (connectorLeft.length > 0) writeState(context.env, connectorRecord(ctx.state), stateNotices(context));
  else rmSync(statePath(context.env, settings.stack), { force: true });
  out.result(
    { stack: settings.stack, region, deleted: removed, remaining: [], keepsCosting, ...(connectorLeft.length ? { connectorLeft } : {}) },
    `Nothing of stack ${settings.stack} remains in ${region} (checked by tag).` +
      (keepsCosting.length ? `\nStill costing: ${keepsCosting.map((k) => k.text).join('; ')}` : '') +
      (connectorLeft.length ? `\nThe Connector still has ${connectorLeft.length} item(s) of it (the service was busy): run mbed-tsdb teardown again later.` : ''),
  );
  return 0;
}
