// API Gateway (REST API, Lambda proxy integration) → rows in the stack's tables.
// The service redelivers a batch until it is answered 2xx and sends nothing newer meanwhile,
// so the status code decides whether data keeps flowing: 2xx for everything retrying could
// never fix (a body that is not a message, an item that cannot be stored: logged, counted),
// 5xx only for what may heal by itself (the database unreachable, a deadlock, a failover, a
// table setup is still creating).

import { createHash, timingSafeEqual } from 'node:crypto';
import { ENV, SELFTEST_HEADER, type ConfigResult, type DbConfig, type FunctionConfig } from './config.js';
import { boundedJson, rejectedLog } from './log.js';
import { metricMembers, QUIET_DEVICES, READINGS_STORED } from './metrics.js';
import { asyncOutcome, deviceFact, fitsText, parseWebhookBody, readingParser, type AsyncOutcome, type DeviceFact, type Message, type Reading } from './payload.js';
import { DatabaseUnavailableError, describe, ShapeChangedError, type Store, type TableShape } from './store.js';

/**
 * The fields the function reads of API Gateway's proxy event: a REST API's (payload format
 * 1.0, `httpMethod`), or an HTTP API's or Function URL's (2.0, `requestContext.http.method`).
 */
export interface ProxyEvent {
  httpMethod?: string;
  version?: string;
  /** A direct invocation by mbed-tsdb itself or its schedule (never through API Gateway): "migrate", "rollup", "reshape", "maintain", "scheduled-maintenance" or "ping". */
  'mbed-tsdb'?: string;
  /**
   * migrate: the master user's login, for this invocation only (private mode: the desktop
   * cannot reach the database, and the function keeps no password), and the webhook's user to make.
   */
  admin?: unknown;
  webhookUser?: unknown;
  maintenanceUser?: unknown;
  /** maintain: days raw readings are kept, or null (forever). */
  keepRawDays?: unknown;
  headers?: Record<string, string | undefined> | null;
  body?: string | null;
  isBase64Encoded?: boolean;
  requestContext?: { requestId?: string; http?: { method?: string } } | null;
}

export interface ProxyResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export interface WebhookCounts {
  stored: number;
  /** Readings already stored: the service delivered them again (their answer was lost). */
  duplicates: number;
  rejected: number;
  ignored: number;
  /** Devices whose name or last sighting was noted, and subscription outcomes recorded. */
  devices: number;
  outcomes: number;
}

export type LogLine = Record<string, unknown> & { level: 'info' | 'warn' | 'error'; msg: string };
export type Log = (line: LogLine) => void;

/** One JSON object per line on stdout: CloudWatch keeps each as one event. */
export const jsonLineLog: Log = (line) => {
  process.stdout.write(`${boundedJson(line)}\n`);
};

export interface HandlerDeps {
  config: ConfigResult;
  store: (db: DbConfig, config: FunctionConfig) => Store;
  log?: Log;
  now?: () => Date;
}

export function createHandler(deps: HandlerDeps): (event: ProxyEvent) => Promise<ProxyResult> {
  const log = deps.log ?? jsonLineLog;
  const now = deps.now ?? (() => new Date());
  let store: Store | null = null;

  return async (event) => {
    const receivedAt = now();
    // How long the request took, in its log line (`mbed-tsdb logs` shows it per delivery).
    const started = Date.now();
    const requestId = event.requestContext?.requestId;
    if (!deps.config.ok) {
      log({ level: 'error', msg: 'function is misconfigured', errors: deps.config.errors, requestId });
      return reply(500, { error: 'webhook function is misconfigured; see its logs' });
    }
    const config = deps.config.config;
    const storeFor = (db: DbConfig) => (store ??= deps.store(db, config));

    const method = event.httpMethod ?? event.requestContext?.http?.method;
    if (method === undefined) {
      // Invoked directly with IAM credentials (private mode: the desktop cannot reach the database).
      // A ping wakes an idle (Inactive) function without touching the database.
      if (event['mbed-tsdb'] === 'ping') return reply(200, { pong: true });
      if (event['mbed-tsdb'] === 'rollup') return fillRollupAs(event, config, deps, log, requestId);
      if (event['mbed-tsdb'] === 'maintain') return maintainAs(event, config, deps, log, requestId);
      if (event['mbed-tsdb'] === 'reshape') return reshapeAs(event, config, deps, log, requestId);
      if (event['mbed-tsdb'] === 'scheduled-maintenance') return scheduledMaintenance(config, deps, log, requestId);
      if (event['mbed-tsdb'] === 'scheduled-watch') return scheduledWatch(config, deps, log, requestId, now());
      if (event['mbed-tsdb'] !== 'migrate') {
        return reply(400, { error: 'not an HTTP request of API Gateway (REST or HTTP API) or a Function URL, nor a direct invocation this function knows' });
      }
      return migrateAs(event, config, deps, log, requestId, config.db ? () => storeFor(config.db!) : null);
    }
    if (method.toUpperCase() !== 'PUT') {
      return reply(405, { error: 'use PUT' }, { allow: 'PUT' });
    }
    if (config.secret && !hasSecret(event.headers, config.secret)) {
      log({ level: 'warn', msg: 'request without the webhook secret refused', requestId });
      return reply(401, { error: 'missing or wrong secret header' });
    }

    const body = event.isBase64Encoded && event.body ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
    const parsed = parseWebhookBody(body);
    if (!parsed.ok) {
      // Not a message of the service: retrying can never store it, and a non-2xx would hold
      // back everything queued behind it for a day. Kept whole in the log instead.
      log({ level: 'warn', msg: 'body not stored', reason: parsed.error, body: body ?? '', requestId });
      return reply(200, { ...counts({}), malformed: true });
    }
    const { message } = parsed;
    const pending = message.notifications.length + message.registrations.length + message.asyncResponses.length;
    if (pending === 0) return reply(200, counts({ ignored: message.ignored }));
    if (!config.db) {
      // Setup registers the webhook while the database still boots; the service retries 5xx.
      log({ level: 'warn', msg: 'database not configured yet', items: pending, requestId });
      return reply(503, { error: 'database not configured yet; retry later' });
    }
    const db = storeFor(config.db);
    const selftest = headerValue(event.headers, SELFTEST_HEADER) !== undefined;
    try {
      for (let attempt = 1; ; attempt++) {
        const shape = await db.shape();
        const batch = sortOut(message, shape, receivedAt, (rejected) => rejectedLog(log, rejected, requestId));
        try {
          // A second attempt (the table changed under the first) writes piece by piece if it must.
          const written = await db.write(batch, receivedAt, { rollback: selftest, isolate: attempt > 1 });
          if (written.refused.length > 0) rejectedLog(log, written.refused.map((r) => ({ item: r.item, reason: `the database refused it: ${r.reason}` })), requestId);
          const refused = (list: readonly unknown[]) => written.refused.filter((r) => list.includes(r.item)).length;
          const result = counts({
            stored: written.stored,
            duplicates: written.duplicates,
            rejected: batch.rejected + written.refused.length,
            // Without their tables (a tutorial-made table), device facts and outcomes are not kept.
            ignored: message.ignored + (shape.devices ? 0 : message.registrations.length) + (shape.asyncResponses ? 0 : batch.outcomes.length),
            devices: shape.devices ? batch.devices.length - refused(batch.devices) : 0,
            outcomes: shape.asyncResponses ? batch.outcomes.length - refused(batch.outcomes) : 0,
          });
          const metrics = selftest ? {} : metricMembers(config.functionName, receivedAt.getTime(), { [READINGS_STORED]: result.stored });
          log({ level: 'info', msg: selftest ? 'self-test stored and rolled back' : 'stored', ...result, ms: Date.now() - started, requestId, ...metrics });
          return reply(200, selftest ? { ...result, selftest: true } : result);
        } catch (error) {
          // The table was altered since its shape was read: check the readings against it once more.
          if (!(error instanceof ShapeChangedError) || attempt > 1) throw error;
          log({ level: 'warn', msg: 'table changed; reading its shape again', error: error.message, requestId });
        }
      }
    } catch (error) {
      const unavailable = error instanceof DatabaseUnavailableError;
      log({ level: 'error', msg: unavailable ? 'database unavailable' : 'storing failed', error: describe(error), items: pending, ms: Date.now() - started, requestId });
      return reply(unavailable ? 503 : 500, { error: unavailable ? 'database unavailable; retry later' : 'storing failed; retry later' });
    }
  };
}

/** The master user's login a migrate invocation carries; never logged, never kept. */
function adminLogin(raw: unknown): Pick<DbConfig, 'host' | 'port' | 'user' | 'password'> | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const { host, port, user, password } = raw as Record<string, unknown>;
  if (typeof host !== 'string' || typeof user !== 'string' || typeof password !== 'string' || !Number.isInteger(port)) return null;
  return { host, port: port as number, user, password };
}

/**
 * Creates or updates the tables (and the webhook's user) as the master user whose login the
 * invocation carries, on a connection of its own closed straight after. Without one (an older
 * mbed-tsdb), as the function's own user.
 */
async function migrateAs(event: ProxyEvent, config: FunctionConfig, deps: HandlerDeps, log: Log, requestId: string | undefined, own: (() => Store) | null): Promise<ProxyResult> {
  const admin = adminLogin(event.admin);
  const webhookUser = typeof event.webhookUser === 'string' ? event.webhookUser : undefined;
  const maintenanceUser = typeof event.maintenanceUser === 'string' ? event.maintenanceUser : undefined;
  if (!admin && !own) return reply(503, { error: 'the database is not configured yet (DB_HOST), and no login was given' });
  const store = admin ? deps.store({ ...config.database, ...admin }, config) : own!();
  try {
    await store.migrate(admin ? webhookUser : undefined, admin ? maintenanceUser : undefined);
    log({ level: 'info', msg: 'tables ready', table: config.database.table, ...(admin && webhookUser ? { user: webhookUser } : {}), requestId });
    return reply(200, { table: config.database.table });
  } catch (error) {
    log({ level: 'error', msg: 'migrate failed', error: describe(error), requestId });
    return reply(error instanceof DatabaseUnavailableError ? 503 : 500, { error: describe(error) });
  } finally {
    if (admin) await store.close();
  }
}

/** How long one invocation fills the rollup: well inside the function's 30 s. */
const FILL_SECONDS = 20;

/**
 * One piece of work on a store opened for this invocation alone: its result answered (200) and
 * logged as `done` names it, a failure answered 503 when it may pass (500 otherwise) and logged
 * as `failed`; the store closed either way.
 */
async function onOwnStore<T extends object>(
  store: Store,
  work: (store: Store) => Promise<T>,
  said: { done: (result: T) => string; failed: string; metrics?: (result: T) => Record<string, unknown> },
  log: Log,
  requestId: string | undefined,
): Promise<ProxyResult> {
  try {
    const result = await work(store);
    log({ level: 'info', msg: said.done(result), ...result, requestId, ...said.metrics?.(result) });
    return reply(200, result);
  } catch (error) {
    log({ level: 'error', msg: said.failed, error: describe(error), requestId });
    return reply(error instanceof DatabaseUnavailableError ? 503 : 500, { error: describe(error) });
  } finally {
    await store.close();
  }
}

/** Fills the chart rollup as the master user whose login the invocation carries; says how far it got. */
async function fillRollupAs(event: ProxyEvent, config: FunctionConfig, deps: HandlerDeps, log: Log, requestId: string | undefined): Promise<ProxyResult> {
  const admin = adminLogin(event.admin);
  if (!admin) return reply(400, { error: 'filling the rollup needs the master user\'s login (admin)' });
  const said = { done: (p: { complete: boolean }) => (p.complete ? 'rollup complete' : 'rollup filling'), failed: 'filling the rollup failed' };
  return onOwnStore(deps.store({ ...config.database, ...admin }, config), (store) => store.fillRollup(FILL_SECONDS * 1000), said, log, requestId);
}

const DAY_MS = 86_400_000;

/**
 * The daily maintenance a schedule invokes (it carries no login): as the maintenance user, with
 * IAM authentication as the webhook's user logs in, the hours settled, the months made ahead and
 * raw months older than KEEP_RAW_DAYS dropped.
 */
async function scheduledMaintenance(config: FunctionConfig, deps: HandlerDeps, log: Log, requestId: string | undefined): Promise<ProxyResult> {
  const { db, maintenance } = config;
  if (!db || !maintenance) return reply(503, { error: `the database or its maintenance user is not configured yet (${ENV.host}, ${ENV.maintenanceUser})` });
  const keepRawMs = maintenance.keepRawDays === null ? null : maintenance.keepRawDays * DAY_MS;
  const said = { done: () => 'maintenance done', failed: 'maintenance failed' };
  return onOwnStore(deps.store({ ...db, user: maintenance.user }, config), (store) => store.maintain(keepRawMs), said, log, requestId);
}

/**
 * The watch a schedule invokes every few minutes when alerts are on: as the maintenance user, how
 * many known devices sent nothing for QUIET_AFTER_MINUTES — one metric for the whole fleet
 * (QuietDevices, in the log line: embedded metric format), so an alarm costs the same for ten
 * devices or ten thousand. `mbed-tsdb status` names them.
 */
async function scheduledWatch(config: FunctionConfig, deps: HandlerDeps, log: Log, requestId: string | undefined, at: Date): Promise<ProxyResult> {
  const { db, maintenance } = config;
  if (!db || !maintenance?.quietAfterMinutes) return reply(503, { error: `the database or the watch is not configured yet (${ENV.host}, ${ENV.maintenanceUser}, ${ENV.quietAfterMinutes})` });
  const before = at.getTime() - maintenance.quietAfterMinutes * 60_000;
  const said = {
    done: () => 'quiet devices counted',
    failed: 'counting quiet devices failed',
    metrics: (result: { quietDevices: number }) => metricMembers(config.functionName, at.getTime(), { [QUIET_DEVICES]: result.quietDevices }),
  };
  const count = async (store: Store) => ({ quietDevices: await store.quietDevices(before), quietAfterMinutes: maintenance.quietAfterMinutes });
  return onOwnStore(deps.store({ ...db, user: maintenance.user }, config), count, said, log, requestId);
}

/** Reshapes the table as the master user whose login the invocation carries, for a bounded stretch; says how far it got. */
async function reshapeAs(event: ProxyEvent, config: FunctionConfig, deps: HandlerDeps, log: Log, requestId: string | undefined): Promise<ProxyResult> {
  const admin = adminLogin(event.admin);
  if (!admin) return reply(400, { error: "reshaping the table needs the master user's login (admin)" });
  const said = { done: (p: { complete: boolean }) => (p.complete ? 'table reshaped' : 'table reshaping'), failed: 'reshaping the table failed' };
  return onOwnStore(deps.store({ ...config.database, ...admin }, config), (store) => store.reshape(FILL_SECONDS * 1000), said, log, requestId);
}

/**
 * Keeps the partitions as the master user whose login the invocation carries: months made ahead,
 * and with `keepRawDays` (a whole number of days) older raw months dropped.
 */
async function maintainAs(event: ProxyEvent, config: FunctionConfig, deps: HandlerDeps, log: Log, requestId: string | undefined): Promise<ProxyResult> {
  const admin = adminLogin(event.admin);
  if (!admin) return reply(400, { error: "keeping the partitions needs the master user's login (admin)" });
  const keep = event.keepRawDays ?? null;
  if (keep !== null && !(Number.isSafeInteger(keep) && (keep as number) > 0)) return reply(400, { error: 'keepRawDays must be a whole number of days, or null (forever)' });
  const keepRawMs = keep === null ? null : (keep as number) * DAY_MS;
  const said = { done: () => 'partitions kept', failed: 'keeping the partitions failed' };
  return onOwnStore(deps.store({ ...config.database, ...admin }, config), (store) => store.maintain(keepRawMs), said, log, requestId);
}

/** What of a message goes into which table; rejected items are reported (bounded) as they are met. */
function sortOut(message: Message, shape: TableShape, receivedAt: Date, reject: (items: Array<{ item: unknown; reason: string }>) => void) {
  const received = receivedAt.getTime();
  const parse = readingParser(shape, receivedAt);
  const readings: Reading[] = [];
  const rejected: Array<{ item: unknown; reason: string }> = [];
  // One fact per device, merged in place: a batch names the same few boards thousands of times.
  const devices = new Map<string, DeviceFact>();
  const note = (id: string, seenAt: number, fact?: Omit<DeviceFact, 'id' | 'seenAt'>) => {
    let known = devices.get(id);
    if (!known) devices.set(id, (known = { id, seenAt }));
    else if (seenAt > known.seenAt) known.seenAt = seenAt;
    if (fact?.name) known.name = fact.name;
    if (fact?.type) known.type = fact.type;
    if (fact?.registeredAt !== undefined) known.registeredAt = Math.max(fact.registeredAt, known.registeredAt ?? 0);
  };
  for (const notification of message.notifications) {
    const result = parse(notification);
    if (!result.ok) {
      rejected.push({ item: notification, reason: result.reason });
      continue;
    }
    readings.push(result.reading);
    const name = (notification as Record<string, unknown>)['original-ep'];
    note(result.reading.board, result.reading.at ?? received, fitsText(name, shape.deviceColumns.name) ? { name } : undefined);
  }
  for (const item of message.registrations) {
    const fact = deviceFact(item, received, shape.deviceColumns);
    if (fact) note(fact.id, fact.seenAt, fact);
    else rejected.push({ item, reason: 'registration without a device ID the devices table can hold' });
  }
  const outcomes: AsyncOutcome[] = [];
  for (const item of message.asyncResponses) {
    const outcome = asyncOutcome(item, received);
    if (outcome.ok) outcomes.push(outcome.outcome);
    else rejected.push({ item, reason: outcome.reason });
  }
  if (rejected.length > 0) reject(rejected);
  return { readings, devices: [...devices.values()], outcomes, rejected: rejected.length };
}

function counts(partial: Partial<WebhookCounts>): WebhookCounts {
  return { stored: 0, duplicates: 0, rejected: 0, ignored: 0, devices: 0, outcomes: 0, ...partial };
}

function headerValue(headers: ProxyEvent['headers'], name: string): string | undefined {
  let given: string | undefined;
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (key.toLowerCase() === name) given = value;
  }
  return given;
}

function hasSecret(headers: ProxyEvent['headers'], secret: { header: string; value: string }): boolean {
  const given = headerValue(headers, secret.header);
  if (given === undefined) return false;
  // Hash both sides so the comparison is constant-time whatever the lengths.
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(secret.value));
}

function reply(statusCode: number, body: object, headers: Record<string, string> = {}): ProxyResult {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}
