// mbed-tsdb setup: Validate → Ask → Plan → Apply (./setup/), each a function of its own.

import { readState, recordsNothingMade, writeState, type StackState } from '../stack/state.js';
import { smallestMysqlClass } from '../stack/steps/database.js';
import { plannedEstimate } from '../stack/cost.js';
import { describeEstimate } from '../cost/estimate.js';
import { UserFacingError } from '../errors.js';
import { callerIdentity, describeIdentity, type CallerIdentity } from '../aws/identity.js';
import type { CommandContext } from './context.js';
import { askSetup, type SavedAnswers } from './setup/ask.js';
import { databaseCa } from './setup/database-ca.js';
import { applySetup, describeSummary } from './setup/apply.js';
import { describePlan, planSetup } from './setup/plan.js';
import { checkDbPassword, validateSetupFlags, type SetupFlags } from './setup/validate.js';
import { awsClientsFor, connectorApiKey, netOf, promptsFor, stackContext, stateNotices } from './stack-context.js';

const kept = (early: StackState | null) => (early ? ' Your answers are kept for the next run (a flag such as --engine changes one).' : '');

export async function run(context: CommandContext): Promise<number> {
  const { settings, out } = context;
  const flags = context.options as SetupFlags;
  const checked = validateSetupFlags(flags);
  const dbPassword = flags.dbPassword ?? checkDbPassword(context.env.MBED_TSDB_DB_PASSWORD || undefined, 'MBED_TSDB_DB_PASSWORD');
  if (flags.dbPassword !== undefined) {
    out.warn('--db-password on the command line is visible to other users of this computer (ps) and stays in your shell history: set MBED_TSDB_DB_PASSWORD instead, or let setup generate one');
  }

  const saved = readState(context.env, settings.stack, stateNotices(context));
  const prompter = promptsFor(context);
  const mode = { interactive: context.terminal.interactive, prompter };
  // Until the stack has anything, answers are kept as they are given (never secrets), so a run
  // that stops before its first change (a failed lookup, a declined plan, Ctrl+C) loses none.
  let early: StackState | null = !saved ? { version: 1, stack: settings.stack } : recordsNothingMade(saved) ? saved : null;
  const remember = (given: SavedAnswers) => {
    if (!early) return;
    early = { ...early, ...(given.region ? { region: given.region } : {}), answers: { ...(early.answers ?? {}), ...given } };
    writeState(context.env, early, stateNotices(context));
  };
  let identity: CallerIdentity | undefined;
  const { region, answers } = await askSetup({
    flags,
    checked,
    settings,
    saved: (saved?.answers ?? {}) as SavedAnswers,
    mode,
    ipEchoUrl: context.env.MBED_TSDB_IP_ECHO_URL || undefined,
    mysqlClass: (where) => smallestMysqlClass(awsClientsFor(context, where)),
    remember,
    say: (text) => out.info(text),
    fetch: netOf(context).fetch,
    identify: async (where) => {
      identity = await callerIdentity(awsClientsFor(context, where));
      out.info(`AWS: ${describeIdentity(identity)}`);
    },
  });
  const ca = await databaseCa(region, answers, context.env.MBED_TSDB_RDS_TRUSTSTORE_URL || undefined, netOf(context).fetch);
  answers.dbCaPem = ca.pem;
  answers.dbCaSource = ca.source;
  remember({ dbCaPem: ca.pem, dbCaSource: ca.source });
  // A dry run calls nothing at the Connector, so it needs no key.
  const apiKey = flags.dryRun ? settings.apiKey : await connectorApiKey(context, prompter);
  const ctx = stackContext(context, { region, state: early ?? saved ?? { version: 1, stack: settings.stack }, answers, apiKey });

  out.info(`Plan for stack ${settings.stack} in ${region}, ${describeIdentity(identity!)}:`);
  const plan = await planSetup(ctx);
  out.info(describePlan(plan));
  out.info(`  Database certificates are checked against ${ca.description}.`);
  const estimate = await plannedEstimate({ aws: ctx.aws, env: context.env, now: ctx.now, progress: ctx.progress }, answers);
  out.info(describeEstimate(estimate));
  if (flags.dryRun) {
    out.result({ stack: settings.stack, region, account: identity!.account, identity: identity!.arn, dryRun: true, plan, estimate }, 'dry run: nothing was changed');
    return 0;
  }
  // Replacing a callback another application receives would cut it off: only with consent.
  const replaces = plan.find((item) => item.replaces)?.replaces;
  if (replaces && !flags.replaceCallback) {
    if (!mode.interactive) {
      throw new UserFacingError(
        `the Connector's callback points at ${replaces}, which another application receives: pass --replace-callback to replace it (that application then gets nothing), or use another API key`,
        { code: 'CALLBACK_ELSEWHERE' },
      );
    }
    const replace = await prompter.confirm({ message: `The Connector sends this key's notifications to ${replaces}. Replace that with this stack's webhook (it then gets nothing)?`, default: false });
    if (!replace) throw new UserFacingError(`Nothing was changed: the callback stays as it is.${kept(early)}`, { code: 'DECLINED' });
  }
  answers.replaceCallback = Boolean(replaces);
  if (mode.interactive && !(await prompter.confirm({ message: 'Create and change these?', default: true }))) {
    throw new UserFacingError(`Nothing was changed.${kept(early)}`, { code: 'DECLINED' });
  }

  const summary = await applySetup(context, ctx, { region, dbPassword });
  if (summary.replacedCallback) out.warn(`the Connector's callback pointed at ${summary.replacedCallback}; it now points here`);
  out.result(summary, describeSummary(summary, answers));
  return 0;
}
