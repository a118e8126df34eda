// Tells the function where the database is and to log in as its own user with IAM
// authentication, once that user exists and the role may log in as it. Until then the
// function already answers the Connector's URL check, so registration need not wait.

import { GetFunctionConfigurationCommand, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { DEFAULT_QUIET_AFTER_MINUTES } from '../alarms.js';
import type { Step, StepContext } from '../step.js';
import { databaseEndpoint, type DatabaseEndpoint } from './database.js';
import { baseEnvironment, checkEnvironmentSize, FUNCTION_TIMEOUT_SECONDS, waitUntilReady } from './function.js';

export function fullEnvironment(ctx: StepContext, database: DatabaseEndpoint): Record<string, string> {
  return {
    ...baseEnvironment(ctx),
    DB_HOST: database.host,
    DB_PORT: String(database.port),
    // No password: each connection signs a short-lived token with the function's role.
    DB_AUTH: 'iam',
    // Keep the chart rollup with every request (setup fills it with what came before).
    DB_ROLLUP: 'on',
    // The daily maintenance logs in as its own user, and keeps raw readings this long.
    DB_MAINTENANCE_USER: ctx.names.dbMaintenanceUser,
    KEEP_RAW_DAYS: ctx.answers.keepRawDays ? String(ctx.answers.keepRawDays) : 'forever',
    // With alerts, the watch counts the devices that sent nothing this long.
    ...(ctx.answers.alertEmail ? { QUIET_AFTER_MINUTES: String(ctx.answers.quietAfterMinutes ?? DEFAULT_QUIET_AFTER_MINUTES) } : {}),
  };
}

function same(a: Record<string, string> | undefined, b: Record<string, string>): boolean {
  const keys = new Set([...Object.keys(a ?? {}), ...Object.keys(b)]);
  return [...keys].every((k) => a?.[k] === b[k]);
}

export const configureStep: Step<{ environment: 'database' }> = {
  id: 'configure',
  title: '§5 function ← database settings',
  after: ['function', 'database-ready', 'table', 'db-access'],

  async plan(ctx) {
    const resource = `environment of ${ctx.names.function}`;
    const detail = `database host; logs in as ${ctx.names.dbWebhookUser} with IAM authentication, no password`;
    // Kept only when the function already has what apply would give it.
    const [current, endpoint] = await Promise.all([
      (await ctx.aws.lambda()).send(new GetFunctionConfigurationCommand({ FunctionName: ctx.names.function })).catch(() => null),
      databaseEndpoint(ctx),
    ]);
    const wanted = endpoint && ctx.state.webhookSecret ? fullEnvironment(ctx, endpoint) : null;
    return [wanted && same(current?.Environment?.Variables, wanted) ? { step: 'configure', resource, action: 'keep', detail } : { step: 'configure', resource, action: 'update', detail }];
  },

  async apply(ctx) {
    const lambda = await ctx.aws.lambda();
    const wanted = checkEnvironmentSize(fullEnvironment(ctx, ctx.state.outputs!['database-ready'] as DatabaseEndpoint));
    const current = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: ctx.names.function }));
    if (!same(current.Environment?.Variables, wanted)) {
      const task = ctx.progress.task(`function ${ctx.names.function}`, 'connecting it to the database');
      await waitUntilReady(lambda, ctx, (s) => task.update(s));
      await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: ctx.names.function, Environment: { Variables: wanted } }));
      await waitUntilReady(lambda, ctx, (s) => task.update(s));
      // Copies of the function that stored readings without keeping the rollup may still be
      // finishing one: the rollup is filled only once they are done.
      const before = current.Environment?.Variables;
      if (before?.DB_HOST && before.DB_ROLLUP !== 'on') ctx.state.rollupWritersUntil = ctx.now() + (FUNCTION_TIMEOUT_SECONDS + 5) * 1000;
      task.done('connected to the database');
    }
    return { environment: 'database' };
  },

  async remove() {
    // Goes with the function.
  },
};
