// API Gateway (REST API, Lambda proxy integration) → rows in the events table.
// Status codes matter: the Connector redelivers on any non-2xx, so a 2xx means
// "stored or deliberately not storable", and a 5xx means "try again later".

import { createHash, timingSafeEqual } from 'node:crypto';
import type { ConfigResult, DbConfig, FunctionConfig } from './config.js';
import { parseWebhookBody, readingParser, type Reading } from './payload.js';
import { DatabaseUnavailableError, describe, type Store } from './store.js';

/** The fields of API Gateway's proxy event that the function reads. */
export interface ProxyEvent {
  httpMethod?: string;
  /** A direct invocation by mbed-tsdb itself (never through API Gateway): "migrate". */
  'mbed-tsdb'?: string;
  headers?: Record<string, string | undefined> | null;
  body?: string | null;
  isBase64Encoded?: boolean;
  requestContext?: { requestId?: string } | null;
}

export interface ProxyResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export interface WebhookCounts {
  stored: number;
  rejected: number;
  ignored: number;
}

export type LogLine = Record<string, unknown> & { level: 'info' | 'warn' | 'error'; msg: string };
export type Log = (line: LogLine) => void;

/** One JSON object per line on stdout: CloudWatch keeps each as one event. */
export const jsonLineLog: Log = (line) => {
  process.stdout.write(`${JSON.stringify(line)}\n`);
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
    const requestId = event.requestContext?.requestId;
    if (!deps.config.ok) {
      log({ level: 'error', msg: 'function is misconfigured', errors: deps.config.errors, requestId });
      return reply(500, { error: 'webhook function is misconfigured; see its logs' });
    }
    const config = deps.config.config;
    const storeFor = (db: DbConfig) => (store ??= deps.store(db, config));

    if (event.httpMethod === undefined) {
      // Invoked directly with IAM credentials (private mode: the desktop cannot reach the database).
      // A ping wakes an idle (Inactive) function without touching the database.
      if (event['mbed-tsdb'] === 'ping') return reply(200, { pong: true });
      if (event['mbed-tsdb'] !== 'migrate') return reply(400, { error: 'unknown direct invocation' });
      if (!config.db) return reply(503, { error: 'the database is not configured yet (DB_HOST)' });
      try {
        await storeFor(config.db).migrate();
        log({ level: 'info', msg: 'table ready', table: config.db.table, requestId });
        return reply(200, { table: config.db.table });
      } catch (error) {
        log({ level: 'error', msg: 'migrate failed', error: describe(error), requestId });
        return reply(error instanceof DatabaseUnavailableError ? 503 : 500, { error: describe(error) });
      }
    }
    if (event.httpMethod.toUpperCase() !== 'PUT') {
      return reply(405, { error: 'use PUT' }, { allow: 'PUT' });
    }
    if (config.secret && !hasSecret(event.headers, config.secret)) {
      log({ level: 'warn', msg: 'request without the webhook secret refused', requestId });
      return reply(401, { error: 'missing or wrong secret header' });
    }

    const body = event.isBase64Encoded && event.body ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
    const parsed = parseWebhookBody(body);
    if (!parsed.ok) {
      log({ level: 'warn', msg: 'bad request body', error: parsed.error, requestId });
      return reply(400, { error: parsed.error });
    }
    if (parsed.notifications.length === 0) {
      return reply(200, { stored: 0, rejected: 0, ignored: parsed.ignored } satisfies WebhookCounts);
    }

    if (!config.db) {
      // Setup registers the webhook while the database still boots; the Connector retries 5xx.
      log({ level: 'warn', msg: 'database not configured yet', notifications: parsed.notifications.length, requestId });
      return reply(503, { error: 'database not configured yet; retry later' });
    }
    const db = storeFor(config.db);
    try {
      const columns = await db.columns();
      const parse = readingParser(columns);
      const readings: Reading[] = [];
      let rejected = 0;
      for (const notification of parsed.notifications) {
        const result = parse(notification);
        if (result.ok) readings.push(result.reading);
        else {
          rejected++;
          log({ level: 'warn', msg: 'notification not stored', reason: result.reason, notification, requestId });
        }
      }
      await db.insert(readings, receivedAt);
      const counts: WebhookCounts = { stored: readings.length, rejected, ignored: parsed.ignored };
      log({ level: 'info', msg: 'stored', ...counts, requestId });
      return reply(200, counts);
    } catch (error) {
      const unavailable = error instanceof DatabaseUnavailableError;
      log({
        level: 'error',
        msg: unavailable ? 'database unavailable' : 'storing failed',
        error: describe(error),
        notifications: parsed.notifications.length,
        requestId,
      });
      return reply(unavailable ? 503 : 500, {
        error: unavailable ? 'database unavailable; retry later' : 'storing failed; retry later',
      });
    }
  };
}

function hasSecret(headers: ProxyEvent['headers'], secret: { header: string; value: string }): boolean {
  let given: string | undefined;
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (name.toLowerCase() === secret.header) given = value;
  }
  if (given === undefined) return false;
  // Hash both sides so the comparison is constant-time whatever the lengths.
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(secret.value));
}

function reply(statusCode: number, body: object, headers: Record<string, string> = {}): ProxyResult {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}
