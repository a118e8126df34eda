// Tutorial §4: the `events` table, CREATE TABLE IF NOT EXISTS (a user's existing table is
// kept as it is), and the webhook's own database user (IAM authentication, INSERT on the
// readings only). As the master user: from this desktop over verified TLS in my-ip mode; in
// private mode the desktop cannot reach the database, so the function does it when invoked,
// with the master login in that one invocation (never in its configuration).

import { InvokeCommand, ResourceConflictException, ResourceNotReadyException } from '@aws-sdk/client-lambda';
import { createConnection, type Connection } from 'mysql2/promise';
import { ensureMaintenanceUser, ensureWebhookUser, migrate } from '../../../templates/lambda/schema.js';
import { connectionOptions, describe } from '../../../templates/lambda/store.js';
import { UserFacingError } from '../../errors.js';
import { retry } from '../../util/wait.js';
import { databaseConfig } from '../state.js';
import type { Step, StepContext } from '../step.js';
import type { Task } from '../../ui/progress.js';
import { READY_LIMIT_MS, waitUntilReady } from './function.js';

export interface TableOutput {
  table: string;
  via: 'desktop' | 'function';
}

/** How long RDS may take to load AWSAuthenticationPlugin after IAM authentication is turned on. */
export const PLUGIN_LOAD_LIMIT_MS = 5 * 60_000;

/** ER_PLUGIN_IS_NOT_LOADED (1524) for RDS's IAM plugin: from the server, or in the function's answer. */
export function pluginNotLoaded(error: unknown): boolean {
  const e = error as { errno?: number; message?: string } | null;
  return e?.errno === 1524 || /AWSAuthenticationPlugin'? is not loaded/i.test(e?.message ?? '');
}

const TRANSIENT = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ETIMEDOUT', 'ECONNRESET', 'PROTOCOL_CONNECTION_LOST']);
/** After RDS reports a new master password applied, the server may refuse it for a little while. */
export const AFTER_RESET_MS = 5 * 60_000;

/** Runs SQL on the database from this computer, retrying while a new database settles. */
export async function withDesktopConnection<T>(
  ctx: StepContext,
  work: (query: (sql: string, values?: unknown[]) => Promise<unknown>, connection: Connection, another: () => Promise<Connection>) => Promise<T>,
  options: { patient?: boolean } = {},
): Promise<T> {
  const db = ctx.state.database!;
  const connectOptions = connectionOptions(
    databaseConfig(db, { caPem: ctx.answers.dbCaPem, connectTimeoutMs: options.patient === false ? 5_000 : 10_000 }),
  );
  const connection = await retry(() => createConnection(connectOptions), {
    what: `the database at ${db.host}:${db.port} to answer`,
    delay: { baseMs: 2_000, maxMs: 15_000, random: ctx.random },
    attempts: options.patient === false ? 1 : 20,
    timeoutMs: AFTER_RESET_MS,
    sleep: ctx.sleep,
    now: ctx.now,
    shouldRetry: (error) => {
      const code = (error as { code?: string }).code ?? '';
      if (TRANSIENT.has(code)) return true;
      const justReset = db.passwordResetAt !== undefined && ctx.now() - db.passwordResetAt < AFTER_RESET_MS;
      return code === 'ER_ACCESS_DENIED_ERROR' && justReset && 'the new master password is not in effect yet';
    },
  }).catch((error: unknown) => {
    throw new UserFacingError(
      `cannot reach the database at ${db.host}:${db.port} from here (${describe(error)})` +
        (db.cidr ? `; its security group admits ${db.cidr}: if that is no longer your address, pass --cidr` : '') +
        (ctx.net?.proxy ? `; a MySQL connection does not go through the HTTP proxy (${ctx.net.proxy}): the database must be reachable directly from this network, or use --access private` : ''),
      { code: 'DB_UNREACHABLE', cause: error },
    );
  });
  try {
    return await work(async (sql, values) => (await connection.query(sql, values))[0], connection, () => createConnection(connectOptions));
  } finally {
    await connection.end().catch(() => undefined);
  }
}

/**
 * Private mode: the function does what needs the master user inside the VPC, given the master
 * login in this one invocation (never in its configuration). Returns its answer's body.
 */
export async function invokeAsMaster(ctx: StepContext, task: Task, command: 'migrate' | 'rollup' | 'reshape' | 'maintain', extra: Record<string, unknown>, doing: string): Promise<Record<string, unknown>> {
  const db = ctx.state.database!;
  const payload = { 'mbed-tsdb': command, admin: { host: db.host, port: db.port, user: db.user, password: db.password }, ...extra };
  const lambda = await ctx.aws.lambda();
  // Weeks after setup the function may have gone Inactive: woken and waited for first.
  await waitUntilReady(lambda, ctx, (status) => task.update(status));
  const result = await retry(() => lambda.send(new InvokeCommand({ FunctionName: ctx.names.function, Payload: Buffer.from(JSON.stringify(payload)) })), {
    what: `${ctx.names.function} to run`,
    delay: { everyMs: 5_000 },
    timeoutMs: READY_LIMIT_MS,
    sleep: ctx.sleep,
    now: ctx.now,
    shouldRetry: (error) => (error instanceof ResourceNotReadyException || error instanceof ResourceConflictException) && 'waiting for the function to be Active',
    onWait: ({ status }) => task.update(status),
  });
  const reply = JSON.parse(Buffer.from(result.Payload ?? new Uint8Array()).toString() || '{}') as { statusCode?: number; body?: string };
  if (result.FunctionError || reply.statusCode !== 200) {
    throw new UserFacingError(`the function could not ${doing}: ${reply.body ?? result.FunctionError ?? 'no answer'}`, { code: 'FUNCTION_FAILED' });
  }
  return JSON.parse(reply.body ?? '{}') as Record<string, unknown>;
}

export const tableStep: Step<TableOutput> = {
  id: 'table',
  title: '§4 events table',
  after: ['function', 'database-ready', 'access-rules'],

  async plan(ctx) {
    return [
      {
        step: 'table',
        resource: `table ${ctx.names.dbName}.${ctx.names.table}`,
        action: 'create',
        detail: `if it does not exist (an existing one is kept; it gets a uid column so a redelivered reading is stored once), with ${ctx.names.table}_devices and ${ctx.names.table}_async_responses`,
      },
      { step: 'table', resource: `database user ${ctx.names.dbWebhookUser}`, action: 'update', detail: 'for the function: IAM authentication over TLS, may add readings and nothing else' },
      { step: 'table', resource: `database user ${ctx.names.dbMaintenanceUser}`, action: 'update', detail: "for the function's daily maintenance: keeps the partitions and the hourly sums, nothing else" },
    ];
  },

  async apply(ctx) {
    const task = ctx.progress.task(`table ${ctx.names.table}`, 'creating if missing');
    // Right after IAM authentication is turned on, RDS may not have loaded its plugin yet: the
    // webhook's user (IDENTIFIED WITH AWSAuthenticationPlugin) is asked for again until it has.
    const whilePluginLoads = {
      what: `RDS to load its IAM authentication plugin`,
      delay: { everyMs: 10_000 },
      timeoutMs: PLUGIN_LOAD_LIMIT_MS,
      sleep: ctx.sleep,
      now: ctx.now,
      shouldRetry: (error: unknown) => pluginNotLoaded(error) && 'RDS is still loading its IAM authentication plugin',
      onWait: ({ status }: { status: string }) => task.update(status),
    };
    if (ctx.answers.access === 'my-ip') {
      await withDesktopConnection(ctx, async (query) => {
        await migrate(query, ctx.names.table);
        await retry(() => ensureWebhookUser(query, ctx.names.dbWebhookUser, ctx.names.table), whilePluginLoads);
        await ensureMaintenanceUser(query, ctx.names.dbMaintenanceUser, ctx.names.table);
      });
      task.done(`ready, with user ${ctx.names.dbWebhookUser} (from this computer, over TLS)`);
      return { table: ctx.names.table, via: 'desktop' };
    }
    await retry(() => invokeAsMaster(ctx, task, 'migrate', { webhookUser: ctx.names.dbWebhookUser, maintenanceUser: ctx.names.dbMaintenanceUser }, 'create the table'), whilePluginLoads);
    task.done(`ready, with user ${ctx.names.dbWebhookUser} (made by the function inside the VPC)`);
    return { table: ctx.names.table, via: 'function' };
  },

  async remove() {
    // The table goes with the database.
  },
};
