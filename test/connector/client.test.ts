// The Connector client against the strict local fake, with the real webhook function
// behind the callback URL (so the service's verification PUT really reaches it).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorClient, ConnectorError } from '../../src/connector/client.js';
import { checkEndpoint, checkResource } from '../../src/connector/names.js';
import { withRule, withoutRule } from '../../src/connector/presubscriptions.js';
import { UsageError } from '../../src/errors.js';
import { serveFunction } from '../support/apigw.js';
import { startConnectorFake, type ConnectorFake } from '../support/connector-fake.js';
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

describe.skipIf(!hasDatabase).each(['pelion', 'connector'] as const)('Connector client (%s era)', (flavour) => {
  let fake: ConnectorFake;
  let db: TestDatabase;
  let webhook: TestWebhook;
  let served: Awaited<ReturnType<typeof serveFunction>>;
  let client: ConnectorClient;

  beforeAll(async () => {
    fake = await startConnectorFake({ keys: [KEY], flavour });
    db = await freshDatabase();
    webhook = await webhookFor(db, { WEBHOOK_SECRET: SECRET });
    served = await serveFunction(webhook.handler);
    client = new ConnectorClient({ host: fake.url, apiKey: KEY, sleep: noWait });
    fake.addEndpoint('dev-1');
    fake.addEndpoint('sleepy', { state: 'sleeping' });
    fake.addEndpoint('busy', { state: 'busy' });
    fake.addEndpoint('gone', { state: 'offline' });
    fake.addEndpoint('plain', { resources: { '/3200/0/5501': { observable: false } } });
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

  it('refuses a wrong key with what to do', async () => {
    const stranger = new ConnectorClient({ host: fake.url, apiKey: 'ak_wrong', sleep: noWait });
    const error = await stranger.getCallback().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectorError);
    expect((error as ConnectorError).status).toBe(401);
    expect(String((error as Error).message)).toContain('refused the API key (401): check MBED_CLOUD_SDK_API_KEY');
    expect(String((error as Error).message)).not.toContain('ak_wrong');
  });

  it('says 412 when subscribing before a webhook is registered', async () => {
    await expect(client.subscribe('dev-1', '/3200/0/5501')).rejects.toThrow('no notification channel (412)');
  });

  it('registers the webhook only when the webhook answers the check with the secret header', async () => {
    expect(await client.getCallback()).toBeNull();
    await expect(client.registerCallback({ url: served.url, headers: { 'x-mbed-tsdb-secret': 'wrong' } })).rejects.toThrow(
      /could not verify the webhook .*\(400: .*answered 401/,
    );
    expect(await client.getCallback()).toBeNull();
    await client.registerCallback({ url: served.url, headers: { 'x-mbed-tsdb-secret': SECRET } });
    expect(await client.getCallback()).toEqual({ url: served.url, headers: { 'x-mbed-tsdb-secret': SECRET } });
  });

  it('refuses a callback longer than 400 characters before calling', async () => {
    await expect(client.registerCallback({ url: `${served.url}?${'x'.repeat(400)}`, headers: {} })).rejects.toThrow('400 characters');
    expect(fake.requests).toEqual([]);
  });

  it('subscribes, lists and unsubscribes, with the path after the endpoint name', async () => {
    expect(await client.subscribe('dev-1', '/3200/0/5501')).toEqual({ state: 'subscribed' });
    expect(fake.requests.at(-1)).toMatchObject({ method: 'PUT', path: '/v2/subscriptions/dev-1/3200/0/5501' });
    expect(await client.subscriptions('dev-1')).toEqual(['/3200/0/5501']);
    expect(await client.unsubscribe('dev-1', '/3200/0/5501')).toBe(true);
    expect(await client.subscriptions('dev-1')).toEqual([]);
  });

  it('delivers a subscribed reading through the real webhook into MariaDB', async () => {
    await client.subscribe('dev-1', '/3200/0/5501');
    const delivery = await fake.notify(KEY, [{ ep: 'dev-1', path: '/3200/0/5501', value: '42' }]);
    expect(delivery.status).toBe(200);
    expect((await events(db)).map((r) => [r.board, r.value])).toEqual([['dev-1', 42]]);
  });

  it.each([
    ['unknown', '/3200/0/5501', 'endpoint unknown is not registered with the Connector or has no resource /3200/0/5501 (404)'],
    ['dev-1', '/9999/0/1', 'or has no resource /9999/0/1 (404)'],
    ['plain', '/3200/0/5501', '(412)'],
    ['gone', '/3200/0/5501', 'endpoint gone is not connected'],
  ])('explains a failed subscription of %s%s', async (endpoint, resource, message) => {
    await expect(client.subscribe(endpoint, resource)).rejects.toThrow(message);
  });

  it('reports a subscription queued for a sleeping device (202)', async () => {
    const result = await client.subscribe('sleepy', '/3200/0/5501');
    expect(result).toMatchObject({ state: 'queued', asyncId: expect.stringMatching(/.+/) });
  });

  it('retries a busy endpoint (429) a few times, then says so', async () => {
    await expect(client.subscribe('busy', '/3200/0/5501')).rejects.toThrow('endpoint busy is busy: its request queue is full (429)');
    expect(fake.requests.filter((r) => r.path === '/v2/subscriptions/busy/3200/0/5501')).toHaveLength(4);
  });

  it('merges our pre-subscription rule into the account’s and removes only ours', async () => {
    const theirs = [{ 'endpoint-name': 'node*', 'resource-path': ['/3303/0/5700'] }];
    fake.account(KEY).preSubscriptions = [...theirs];
    const ours = { endpoint: 'dev-1', resource: '/3200/0/5501' };
    await client.setPreSubscriptions(withRule(await client.preSubscriptions(), ours)!);
    expect(fake.account(KEY).preSubscriptions).toEqual([...theirs, { 'endpoint-name': 'dev-1', 'resource-path': ['/3200/0/5501'] }]);
    await client.setPreSubscriptions(withoutRule(await client.preSubscriptions(), ours)!);
    expect(fake.account(KEY).preSubscriptions).toEqual(theirs);
  });

  it('refuses malformed rules (400)', async () => {
    await expect(client.setPreSubscriptions([{ 'resource-path': [] }])).rejects.toThrow('unexpected answer 400');
  });

  it(flavour === 'connector' ? 'loses direct subscriptions when the rules change (legacy Connector)' : 'keeps direct subscriptions when the rules change', async () => {
    await client.subscribe('dev-1', '/3200/0/5501');
    await client.setPreSubscriptions([]);
    expect(await client.subscriptions('dev-1')).toEqual(flavour === 'connector' ? [] : ['/3200/0/5501']);
  });

  it('removes the webhook, and says false when there is none', async () => {
    expect(await client.deleteCallback()).toBe(true);
    expect(await client.deleteCallback()).toBe(false);
  });
});
