// API Gateway (REST API, Lambda proxy integration) → rows in the events table.
// Status codes matter: the Connector redelivers on any non-2xx, so a 2xx means
// "stored or deliberately not storable", and a 5xx means "try again later".

import { createHash, timingSafeEqual } from 'node:crypto';
import type { ConfigResult, FunctionConfig } from './config.js';
import { parseWebhookBody, readingParser, type Reading } from './payload.js';
import { DatabaseUnavailableError, describe, type Store } from './store.js';

/** The fields of API Gateway's proxy event that the function reads. */
export interface ProxyEvent {
  httpMethod?: string;
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
  store: (config: FunctionConfig) => Store;
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

    if (event.httpMethod !== undefined && event.httpMethod.toUpperCase() !== 'PUT') {
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

    store ??= deps.store(config);
    try {
      const columns = await store.columns();
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
      await store.insert(readings, receivedAt);
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
