// Loads the webhook function either from its TypeScript sources (default) or, with
// MBED_TSDB_FUNCTION=bundle, from the built bundle that ships in the zip.

import { createRequire } from 'node:module';
import type * as FunctionModule from '../../templates/lambda/index.js';
import type { Log, LogLine, ProxyResult } from '../../templates/lambda/handler.js';
import { proxyEvent } from './apigw.js';
import type { ServerAddress, TestDatabase } from './mariadb.js';

export type WebhookFunction = typeof FunctionModule;

export const functionTarget = process.env.MBED_TSDB_FUNCTION === 'bundle' ? 'bundle' : 'source';

export async function loadFunction(): Promise<WebhookFunction> {
  if (functionTarget === 'bundle') {
    return createRequire(import.meta.url)('../../dist/lambda/index.js') as WebhookFunction;
  }
  return import('../../templates/lambda/index.js');
}

export function functionEnv(login: ServerAddress, database: string, extra: Record<string, string> = {}) {
  return {
    DB_HOST: login.host,
    DB_PORT: String(login.port),
    DB_USER: login.user,
    DB_PASSWORD: login.password,
    DB_NAME: database,
    DB_TLS: 'off',
    ...extra,
  };
}

export interface TestWebhook {
  handler: (event: ReturnType<typeof proxyEvent>) => Promise<ProxyResult>;
  logs: LogLine[];
  put(body: unknown, headers?: Record<string, string>): Promise<{ status: number; json: Record<string, unknown> }>;
  close(): Promise<void>;
}

/** A handler wired to a test database, logging into an array. */
export async function webhookFor(
  db: TestDatabase,
  extraEnv: Record<string, string> = {},
  now: () => Date = () => new Date(),
): Promise<TestWebhook> {
  const fn = await loadFunction();
  const logs: LogLine[] = [];
  const log: Log = (line) => logs.push(line);
  const stores: ReturnType<WebhookFunction['createStore']>[] = [];
  const handler = fn.createHandler({
    config: fn.readConfig(functionEnv(db.login, db.name, extraEnv)),
    store: (db, config) => {
      const store = fn.createStore(db, config.chunkRows, () => now().getTime());
      stores.push(store);
      return store;
    },
    log,
    now,
  });
  return {
    handler,
    logs,
    async put(body, headers = { 'Content-Type': 'application/json' }) {
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      const result = await handler(proxyEvent({ headers, body: text }));
      return { status: result.statusCode, json: JSON.parse(result.body) as Record<string, unknown> };
    },
    async close() {
      await Promise.all(stores.map((store) => store.close()));
    },
  };
}

export const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

/** The function's answer to a request it accepted: every count, zero unless given. */
export function counts(partial: Partial<Record<'stored' | 'duplicates' | 'rejected' | 'ignored' | 'devices' | 'outcomes', number>>) {
  return { stored: 0, duplicates: 0, rejected: 0, ignored: 0, devices: 0, outcomes: 0, ...partial };
}

export function notification(ep: string, path: string, payload: string, extra: Record<string, unknown> = {}) {
  return { ep, path, ct: 'text/plain', payload, 'max-age': 0, ...extra };
}
