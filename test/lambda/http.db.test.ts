// The function behind a real HTTP request, turned into the API Gateway proxy event.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { serveFunction } from '../support/apigw.js';
import { events, freshDatabase, hasDatabase } from '../support/db.js';
import { b64, functionTarget, notification, webhookFor, type TestWebhook } from '../support/function.js';
import { counts } from '../support/function.js';
import type { TestDatabase } from '../support/mariadb.js';

const SECRET = 'a-long-random-secret';

describe.skipIf(!hasDatabase)(`webhook function (${functionTarget}) over HTTP`, () => {
  let db: TestDatabase;
  let webhook: TestWebhook;
  let served: Awaited<ReturnType<typeof serveFunction>>;

  beforeEach(async () => {
    db = await freshDatabase();
    webhook = await webhookFor(db, { WEBHOOK_SECRET: SECRET });
    served = await serveFunction(webhook.handler);
  });
  afterEach(async () => {
    await served.close();
    await webhook.close();
    await db.drop();
  });

  const put = (body: string | undefined, headers: Record<string, string>) =>
    fetch(served.url, { method: 'PUT', body, headers });

  it('stores what the Connector PUTs with the registered header', async () => {
    const body = JSON.stringify({
      notifications: [notification('cccdb1b6-9502-4001-9a5a-69621147ac87', '/3200/0/5501', b64('2270'))],
      'reg-updates': [{ ep: 'cccdb1b6-9502-4001-9a5a-69621147ac87', resources: [] }],
    });
    const response = await put(body, { 'Content-Type': 'application/json', 'X-Mbed-Tsdb-Secret': SECRET });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual(counts({ stored: 1, devices: 1 }));
    expect((await events(db)).map((r) => r.value)).toEqual([2270]);
  });

  it('answers the registration check (an empty PUT, then {}) with 2xx', async () => {
    expect((await put(undefined, { 'x-mbed-tsdb-secret': SECRET })).status).toBe(200);
    expect((await put('{}', { 'Content-Type': 'application/json', 'x-mbed-tsdb-secret': SECRET })).status).toBe(200);
  });

  it('refuses a request without the secret with 401', async () => {
    const body = JSON.stringify({ notifications: [notification('dev', '/3200/0/5501', b64('1'))] });
    const response = await put(body, { 'Content-Type': 'application/json' });
    expect(response.status).toBe(401);
    expect(await events(db)).toEqual([]);
  });

  it('answers malformed JSON with 200 (no retry could store it) and marks it malformed', async () => {
    const response = await put('{"notifications":', { 'Content-Type': 'application/json', 'x-mbed-tsdb-secret': SECRET });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ...counts({}), malformed: true });
  });
});
