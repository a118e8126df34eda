// The Connector client against the strict local fake, with the real webhook function
// behind the callback URL (so the service's verification PUT really reaches it).
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { maxChunkSize } from '../../src/connector/batch.js';
import { normalizedSerialization, ConnectorClient, IZUMA_SERIALIZATION, isLegacyConnector } from '../../src/connector/client.js';
import { explainAsyncStatus, explainStatus } from '../../src/connector/statuses.js';
import { checkEndpoint, checkResource } from '../../src/connector/names.js';
import { withRule, withoutRule } from '../../src/connector/presubscriptions.js';
import { UsageError } from '../../src/errors.js';
import { serveFunction } from '../support/apigw.js';
import { startConnectorFake, type ConnectorFake } from '../support/connector-fake.js';
import { runCli } from '../support/cli.js';
import { events, freshDatabase, hasDatabase } from '../support/db.js';
import { webhookFor, type TestWebhook } from '../support/function.js';
import type { TestDatabase } from '../support/mariadb.js';

const KEY = 'ak_1234567890abcdef';
const SECRET = 'webhook-secret-0123456789';
const noWait = async () => undefined;

describe('endpoint names and resource paths', () => {
  it.each(['015f3850a657000000000001001002ab', 'cccdb1b6-9502-4001-9a5a-69621147ac87', 'node-001@test.domain.com'])('accepts %s', (name) => {
    expect(checkEndpoint(name)).toBe(name);
  });
  it.each(['', 'a/b', 'has space', 'x'.repeat(65), 'q?x', 'tab\there'])('refuses %j', (name) => {
    expect(() => checkEndpoint(name)).toThrow(UsageError);
  });
  it('normalises a trailing slash and refuses odd paths', () => {
    expect(checkResource('/3200/0/5501/')).toBe('/3200/0/5501');
    expect(checkResource('/dev/temp')).toBe('/dev/temp');
    for (const bad of ['3200/0/5501', '/3200//5501', '/a/../b', '/with space', `/${'x'.repeat(128)}`]) {
      expect(() => checkResource(bad), bad).toThrow(UsageError);
    }
  });
});

describe('pre-subscription rules', () => {
  const ours = { endpoint: 'dev-1', resource: '/3200/0/5501' };
  const theirs = [{ 'endpoint-name': 'node*', 'resource-path': ['/3303/0/5700'] }, { 'endpoint-type': 'light' }];

  it('adds ours once and keeps everyone else’s', () => {
    const merged = withRule(theirs, ours);
    expect(merged).toEqual([...theirs, { 'endpoint-name': 'dev-1', 'resource-path': ['/3200/0/5501'] }]);
    expect(withRule(merged!, ours)).toBeNull();
  });

  it('removes only ours, not a wider rule that mentions the same endpoint', () => {
    const wider = { 'endpoint-name': 'dev-1', 'resource-path': ['/3200/0/5501', '/3303/0/5700'] };
    expect(withoutRule([...theirs, wider, { 'endpoint-name': 'dev-1', 'resource-path': ['/3200/0/5501'] }], ours)).toEqual([...theirs, wider]);
    expect(withoutRule(theirs, ours)).toBeNull();
  });

  it('keeps a rule on our endpoint and path that says more than ours (another key)', () => {
    const typed = { 'endpoint-name': 'dev-1', 'endpoint-type': 'sensor', 'resource-path': ['/3200/0/5501'] };
    expect(withoutRule([typed, { 'endpoint-name': 'dev-1', 'resource-path': ['/3200/0/5501'] }], ours)).toEqual([typed]);
    expect(withoutRule([typed], ours)).toBeNull();
    // …and does not take it for ours when adding.
    expect(withRule([typed], ours)).toEqual([typed, { 'endpoint-name': 'dev-1', 'resource-path': ['/3200/0/5501'] }]);
  });
});

// Izuma (formerly Pelion) as its OpenAPI spec describes it: the client, the fake, and the real
// webhook function behind the callback storing into MariaDB.
describe.skipIf(!hasDatabase)('Izuma Device Management client and delivery', () => {
  const DEVICE = '015f3850a657000000000001001002ab';
  let fake: ConnectorFake;
  let db: TestDatabase;
  let webhook: TestWebhook;
  let served: Awaited<ReturnType<typeof serveFunction>>;
  let client: ConnectorClient;
  let slept: number[];
  let failing = false;

  beforeAll(async () => {
    fake = await startConnectorFake({ keys: [KEY, 'ak_session_token'], chunkSize: 2 });
    fake.account('ak_session_token').forbidden = true;
    db = await freshDatabase();
    webhook = await webhookFor(db, { WEBHOOK_SECRET: SECRET }, () => new Date(fake.clock.now));
    // A webhook that can be made to fail (an outage) without touching the function.
    served = await serveFunction(async (event) => (failing ? { statusCode: 503, headers: {}, body: '{"error":"down"}' } : webhook.handler(event)));
    client = new ConnectorClient({ host: fake.url, apiKey: KEY, sleep: async (ms) => void slept.push(ms) });
    fake.addEndpoint(DEVICE, { name: 'kitchen-button' });
    fake.addEndpoint('015f3850a657000000000001001002cd', { name: 'plain', resources: { '/3200/0/5501': { observable: false } } });
    fake.addEndpoint('015f3850a657000000000001001002ee', { name: 'sleepy', state: 'sleeping' });
    fake.addEndpoint('015f3850a657000000000001001002bb', { name: 'busy', state: 'busy' });
    fake.addEndpoint('015f3850a657000000000001001002ff', { name: 'gone', state: 'offline' });
  });
  beforeEach(async () => {
    slept = [];
    failing = false;
    const account = fake.account(KEY);
    account.otherChannel = null;
    account.queue.length = 0;
    account.deliveries.length = 0;
    account.failingSince = null;
    delete account.deleted;
    await client.registerCallback({ url: served.url, headers: { 'x-mbed-tsdb-secret': SECRET }, serialization: IZUMA_SERIALIZATION });
    await db.query('DELETE FROM events');
    await db.query('DELETE FROM events_async_responses');
    await db.query('DELETE FROM events_devices');
  });
  afterEach(() => {
    fake.requests.length = 0;
  });
  afterAll(async () => {
    await fake?.close();
    await served?.close();
    await webhook?.close();
    await db?.drop();
  });

  it('registers the callback with the serialization that adds uid, timestamp and original-ep, and reads it back', async () => {
    const callback = await client.getCallback();
    expect(callback).toMatchObject({ url: served.url, headers: { 'x-mbed-tsdb-secret': SECRET } });
    // Izuma echoes the spec's defaults (deregistrations_as_object: false): equal once normalised.
    expect(callback!.serialization).not.toEqual(IZUMA_SERIALIZATION);
    expect(normalizedSerialization(callback!.serialization)).toEqual(normalizedSerialization(IZUMA_SERIALIZATION));
    expect(callback!.serialization!.max_chunk_size).toBe(maxChunkSize());
    expect(await client.channel()).toBe('CALLBACK');
  });

  it('says which other channel the key has, and what to do, when registering is refused (one channel per key)', async () => {
    await client.deleteCallback();
    fake.account(KEY).otherChannel = 'WEB_SOCKET';
    const error = await client.registerCallback({ url: served.url, headers: {} }).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 400, code: 'CONNECTOR' });
    expect((error as Error).message).toContain('already has a websocket notification channel');
    expect((error as Error).message).toContain(`curl -X DELETE ${fake.url}/v2/notification/websocket`);
  });

  it('says that the access key may not do it (403), not only that it is no API key', async () => {
    const session = new ConnectorClient({ host: fake.url, apiKey: 'ak_session_token', sleep: async () => undefined });
    await expect(session.subscribe(DEVICE, '/3200/0/5501')).rejects.toThrow('this access key may not subscribe to device resources (403)');
    await expect(session.getCallback()).rejects.toThrow('this access key may not read the notification callback (403)');
  });

  it('answers a subscription 202 (pending); its outcome arrives at the webhook as an async response, which the function records', async () => {
    const result = await client.subscribe(DEVICE, '/3200/0/5501');
    expect(result).toEqual({ state: 'pending', asyncId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    const refused = await client.subscribe('015f3850a657000000000001001002cd', '/3200/0/5501');
    // No synchronous 412 for a resource that is not observable: the device's refusal comes later.
    expect(refused.state).toBe('pending');
    await fake.deliver(KEY);
    const outcomes = await db.query<{ id: string; status: number; error: string | null }>('SELECT id, status, error FROM events_async_responses');
    expect(outcomes).toEqual(
      expect.arrayContaining([
        { id: (result as { asyncId: string }).asyncId, status: 200, error: null },
        { id: (refused as { asyncId: string }).asyncId, status: 412, error: 'PRECONDITION_FAILED' },
      ]),
    );
    expect(await client.subscriptions(DEVICE)).toEqual(['/3200/0/5501']);
  });

  it('does not need a channel to accept a subscription (no 412 as the old Connector had)', async () => {
    await client.deleteCallback();
    expect((await client.subscribe(DEVICE, '/3200/0/5501')).state).toBe('pending');
  });

  it.each([
    ['0123456789abcdef0123456789abcdef', 'device 0123456789abcdef0123456789abcdef or its resource /3200/0/5501 is not found (404)'],
    ['015f3850a657000000000001001002ff', 'subscription failed: device 015f3850a657000000000001001002ff is not connected (502)'],
    ['015f3850a657000000000001001002*', 'refused the subscription request as malformed (400)'],
  ])('explains a refused subscription of %s in the spec’s words', async (device, message) => {
    await expect(client.subscribe(device, '/3200/0/5501')).rejects.toThrow(message);
  });

  it('waits as long as Retry-After says while the device’s queue is full (429), then says so', async () => {
    await expect(client.subscribe('015f3850a657000000000001001002bb', '/3200/0/5501')).rejects.toThrow('its request queue is full (429)');
    expect(fake.requests.filter((r) => r.path === '/v2/subscriptions/015f3850a657000000000001001002bb/3200/0/5501')).toHaveLength(4);
    expect(slept).toEqual([2000, 2000, 2000]);
  });

  it('finds a device in the directory by its ID or by the name it gave itself', async () => {
    expect(await client.findDevice('kitchen-button')).toEqual({ id: DEVICE, name: 'kitchen-button', type: 'mbed-os-example' });
    expect(await client.findDevice(DEVICE)).toEqual({ id: DEVICE, name: 'kitchen-button', type: 'mbed-os-example' });
    expect(await client.findDevice('nobody')).toBeNull();
    expect(fake.requests.at(-1)).toMatchObject({ path: '/v3/devices/', query: '?endpoint_name__eq=nobody&limit=2' });
  });

  it('stores a delivery retried after its answer was lost once, with the service’s timestamps', async () => {
    await client.subscribe(DEVICE, '/3200/0/5501');
    await fake.deliver(KEY);
    const published = fake.publish(KEY, [{ ep: DEVICE, path: '/3200/0/5501', value: '1' }, { ep: DEVICE, path: '/3200/0/5501', value: '2' }]);
    // The webhook stores them, but its answer never reaches the service: it delivers them again.
    fake.loseAnswers(KEY, 1);
    const deliveries = await fake.deliver(KEY);
    expect(deliveries.map((d) => d.status)).toEqual([0, 200]);
    expect(JSON.parse(deliveries[1]!.answer)).toMatchObject({ stored: 0, duplicates: 2 });
    expect((await events(db)).map((r) => r.value)).toEqual([1, 2]);
    const [device] = await db.query<{ endpoint_name: string }>('SELECT endpoint_name FROM events_devices');
    expect(device).toEqual({ endpoint_name: 'kitchen-button' });
    expect(new Date(`${(await events(db))[0]!.ts}Z`).getTime()).toBe(Math.floor(published[0]!.timestamp / 1000) * 1000);
  });

  it('replays a 6-hour outage into the hours the readings happened, by the service timestamp, not the hour they arrived', async () => {
    await client.subscribe(DEVICE, '/3200/0/5501');
    await fake.deliver(KEY);
    const HOUR = 60 * 60_000;
    const start = Math.ceil(fake.clock.now / HOUR) * HOUR;
    failing = true;
    // One press 10 minutes into each of 6 hours, while the webhook answers 503 and the service retries.
    for (let h = 0; h < 6; h++) {
      fake.clock.now = Math.max(fake.clock.now, start + h * HOUR + 10 * 60_000);
      fake.publish(KEY, [{ ep: DEVICE, path: '/3200/0/5501', value: String(h + 1) }]);
      await fake.deliver(KEY, { untilMs: 40 * 60_000 });
    }
    expect(fake.account(KEY).deliveries.filter((d) => d.status === 503).length).toBeGreaterThan(6);
    failing = false;
    const replay = await fake.deliver(KEY);
    const arrived = replay.filter((d) => d.status === 200).map((d) => d.at);
    // All of it arrives within minutes…
    expect(Math.max(...arrived) - Math.min(...arrived)).toBeLessThan(10 * 60_000);
    // …and is charted in the six hours it happened, one press each.
    const { user, password, host, port } = db.login;
    const url = `mysql://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${host}:${port}/${db.name}?tls=off`;
    const iso = (ms: number) => new Date(ms).toISOString();
    const chart = await runCli(['chart', '--db-url', url, '--since', iso(start), '--until', iso(start + 6 * HOUR), '--json']);
    expect(chart.code, chart.stderr).toBe(0);
    const points = JSON.parse(chart.stdout).points as Array<{ start: string; value: number | null; count: number }>;
    expect(points.map((p) => [p.start, p.value, p.count])).toEqual([0, 1, 2, 3, 4, 5].map((h) => [iso(start + h * HOUR), h + 1, 1]));
  });

  it('holds later batches behind a failing one, retrying with back-off from 1 s to 2 min, and deletes the callback after 24 h', async () => {
    await client.subscribe(DEVICE, '/3200/0/5501');
    await fake.deliver(KEY);
    fake.publish(KEY, [1, 2, 3, 4].map((n) => ({ ep: DEVICE, path: '/3200/0/5501', value: String(n) })));
    failing = true;
    const during = await fake.deliver(KEY, { untilMs: 10 * 60_000 });
    // Only the first batch (chunks of 2) was tried, again and again, further apart each time.
    expect(during.every((d) => d.items === 2 && d.status === 503)).toBe(true);
    const gaps = during.slice(1).map((d, i) => d.at - during[i]!.at);
    expect(gaps.slice(0, 8)).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 64_000, 120_000]);
    failing = false;
    await fake.deliver(KEY);
    expect((await events(db)).map((r) => r.value)).toEqual([1, 2, 3, 4]);
    // A day of failures: the service gives the callback up, with what was queued.
    fake.publish(KEY, [{ ep: DEVICE, path: '/3200/0/5501', value: '5' }]);
    failing = true;
    await fake.deliver(KEY, { untilMs: 25 * 60 * 60_000 });
    expect(fake.account(KEY).callback).toBeNull();
    expect(fake.account(KEY).deleted).toContain('24 hours');
  });
});

describe('status wording, per operation, as the spec lists the answers', () => {
  // registerWebhook: 204, 400, 401, 403, 415. addResourceSubscription: 200, 202, 400, 404, 429, 502.
  // updatePreSubscriptions: 204, 400. Device_list: 200, 400, 401, 403.
  it.each([
    [400, 'register', 'not accessible, or this access key already has another kind of notification channel (400)'],
    [401, 'register', 'refused the access key (401)'],
    [403, 'register', 'this access key may not register a notification callback (403)'],
    [415, 'register', 'did not accept the request format (415)'],
    [400, 'subscribe', 'refused the subscription request as malformed (400)'],
    [404, 'subscribe', 'device d or its resource /r is not found (404)'],
    [429, 'subscribe', 'its request queue is full (429)'],
    [502, 'subscribe', 'subscription failed: device d is not connected (502)'],
    [403, 'subscribe', 'this access key may not subscribe to device resources (403)'],
    [400, 'set-rules', 'refused the pre-subscription rules as malformed (400)'],
    [403, 'set-rules', 'this access key may not change the pre-subscription rules (403)'],
    [400, 'devices', 'refused the device directory query (400)'],
    [403, 'devices', 'this access key may not look devices up in the device directory (403)'],
    // Not in any operation's list: a busy service, or the gateway in front of it.
    [503, 'unsubscribe', 'the service is unavailable for now (503)'],
    [504, 'unregister', 'the service did not answer in time (504)'],
    [429, 'set-rules', 'the service is busy (429)'],
  ] as const)('%i from %s', (status, operation, words) => {
    expect(explainStatus(status, operation, { endpoint: 'd', resource: '/r', host: 'https://api.example' })).toContain(words);
  });

  it('explains the outcome of an async request as the AsyncIDResponse table does', () => {
    expect(explainAsyncStatus(412, 'PRECONDITION_FAILED')).toBe('the device refused: the resource is not observable (412) (PRECONDITION_FAILED)');
    expect(explainAsyncStatus(504)).toBe('the device did not answer in time');
  });
});

// The 2015–2018 mbed Device Connector, behind its legacy host: what differs.
describe.skipIf(!hasDatabase)('legacy mbed Device Connector', () => {
  let fake: ConnectorFake;
  let client: ConnectorClient;
  beforeAll(async () => {
    fake = await startConnectorFake({ keys: [KEY], flavour: 'connector' });
    client = new ConnectorClient({ host: fake.url, apiKey: KEY, sleep: noWait });
    fake.addEndpoint('node-001');
  });
  afterAll(async () => fake?.close());

  it('knows its host, and sends neither serialization nor directory lookups there', () => {
    expect(isLegacyConnector('https://api.connector.mbed.com')).toBe(true);
    expect(isLegacyConnector('https://api.us-east-1.mbedcloud.com')).toBe(false);
  });

  it('says 412 when subscribing before a webhook is registered, and subscribes at once after', async () => {
    await expect(client.subscribe('node-001', '/3200/0/5501')).rejects.toThrow('no notification channel, or the resource is not observable (412)');
    fake.account(KEY).callback = { url: 'http://127.0.0.1:1/x', headers: {} };
    expect(await client.subscribe('node-001', '/3200/0/5501')).toEqual({ state: 'subscribed' });
    expect(await client.subscriptions('node-001')).toEqual(['/3200/0/5501']);
  });

  it('loses direct subscriptions when the rules change', async () => {
    await client.setPreSubscriptions([]);
    expect(await client.subscriptions('node-001')).toEqual([]);
  });
});
