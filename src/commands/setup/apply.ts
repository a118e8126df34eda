// Apply: secrets and answers saved before the first change, then every step as the graph
// allows, the state saved after each; the summary of what now exists.

import { applyStack } from '../../stack/engine.js';
import { stackNames } from '../../stack/naming.js';
import { generateDbPassword, generateWebhookSecret } from '../../stack/secrets.js';
import { statePath, writeState, type StackState } from '../../stack/state.js';
import type { SetupAnswers } from '../../stack/step.js';
import type { ApiOutput } from '../../stack/steps/api.js';
import type { ConnectorOutput, EndpointResult } from '../../stack/steps/connector.js';
import type { DatabaseEndpoint } from '../../stack/steps/database.js';
import { SETUP_STEPS } from '../../stack/steps/index.js';
import { InterruptedError } from '../../ui/prompts.js';
import type { CommandContext } from '../context.js';
import { stateNotices, untilInterrupted, type StackContext } from '../stack-context.js';

export interface SetupSummary {
  stack: string;
  region: string;
  webhookUrl: string;
  database: { host: string; port: number; name: string; table: string; user: string; engine: SetupAnswers['engine']; access: SetupAnswers['access'] };
  endpoints: EndpointResult[];
  state: string;
  /** The Connector's callback pointed here before, and was replaced. */
  replacedCallback: string | null;
}

/**
 * Secrets and answers are saved before the first change, so no resource is ever made with a
 * password or secret that is not on record.
 */
export function prepareState(state: StackState, input: { region: string; answers: SetupAnswers; dbPassword: string | undefined }): StackState {
  state.region = input.region;
  // Consent to replace another application's callback, or to reshape the table, is for this run only.
  const { replaceCallback: _once, reshapeTable: _now, ...answers } = input.answers;
  state.answers = { ...answers, region: input.region };
  state.webhookSecret ??= generateWebhookSecret();
  const password = input.dbPassword ?? state.database?.password ?? generateDbPassword();
  state.database = { ...(state.database ?? ({} as NonNullable<StackState['database']>)), password };
  if (input.dbPassword !== undefined) state.database.passwordApplied = false;
  return state;
}

export async function applySetup(context: CommandContext, ctx: StackContext, input: { region: string; dbPassword: string | undefined }): Promise<SetupSummary> {
  const { settings } = context;
  const state = prepareState(ctx.state, { region: input.region, answers: ctx.answers, dbPassword: input.dbPassword });
  // Every save says when this run last acted: teardown gives AWS time to list what it made.
  const save = (s: StackState) => writeState(context.env, { ...s, actedAt: ctx.now() }, stateNotices(context));
  save(state);

  const run = applyStack(SETUP_STEPS, ctx, save).catch((error: unknown) => {
    save(state);
    throw error;
  });
  const outcome = await untilInterrupted(context, ctx, run);
  if (!outcome.done) {
    save(state);
    throw new InterruptedError();
  }
  const names = stackNames(settings.stack);
  const outputs = state.outputs as { api: ApiOutput; 'database-ready': DatabaseEndpoint; connector: ConnectorOutput };
  return {
    stack: settings.stack,
    region: input.region,
    webhookUrl: outputs.api.url,
    database: {
      host: outputs['database-ready'].host,
      port: outputs['database-ready'].port,
      name: names.dbName,
      table: names.table,
      user: names.dbUser,
      engine: ctx.answers.engine,
      access: ctx.answers.access,
    },
    endpoints: outputs.connector.endpoints,
    state: statePath(context.env, settings.stack),
    replacedCallback: outputs.connector.replaced,
  };
}

export function describeSummary(summary: SetupSummary, answers: SetupAnswers): string {
  const db = summary.database;
  return [
    `Stack ${summary.stack} is ready in ${summary.region}.`,
    `  Webhook URL:  ${summary.webhookUrl}`,
    `  Database:     ${db.host}:${db.port} (${db.name}.${db.table}, user ${db.user}; password in ${summary.state})`,
    `  Access:       ${answers.access === 'my-ip' ? `from ${answers.cidr} and the function` : 'from inside the VPC only'}`,
    ...(summary.endpoints.length
      ? summary.endpoints.map((e) => `  Device:       ${e.endpoint}${e.name ? ` (${e.name})` : ''} ${e.resource}: ${e.state.replace(/-/g, ' ')}${e.note ? ` (${e.note})` : ''}`)
      : ['  Devices:      none yet: mbed-tsdb subscribe <device>']),
    `See the data:  mbed-tsdb chart  ·  mbed-tsdb dashboard${answers.access === 'private' ? '  (from inside the VPC)' : ''}`,
  ].join('\n');
}
