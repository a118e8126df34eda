// mbed-tsdb subscribe against the Connector fake.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { startConnectorFake, type ConnectorFake } from '../support/connector-fake.js';

const KEY = 'ak_subscribe_0123456789';

describe('mbed-tsdb subscribe', () => {
  let fake: ConnectorFake;
  const cli = (args: string[], env: Record<string, string> = {}) =>
    runCli(['subscribe', ...args], { env: { MBED_CLOUD_SDK_API_KEY: KEY, MBED_CLOUD_SDK_HOST: fake.url, MBED_TSDB_STATE_DIR: '/nonexistent-state', ...env }, hooks: { sleep: async () => undefined } });

  beforeAll(async () => {
    fake = await startConnectorFake({ keys: [KEY] });
    fake.addEndpoint('dev-1', { resources: { '/3200/0/5501': {}, '/3303/0/5700': {} } });
    fake.addEndpoint('sleepy', { state: 'sleeping' });
  });
  beforeEach(() => {
    const account = fake.account(KEY);
    account.callback = { url: 'https://example.invalid/hook', headers: {} };
    account.subscriptions.clear();
    account.preSubscriptions = [{ 'endpoint-name': 'node*', 'resource-path': ['/x/0/1'] }];
  });
  afterAll(async () => fake?.close());

  it('subscribes the default resource and keeps a pre-subscription rule next to others’', async () => {
    const run = await cli(['dev-1']);
    expect(run).toMatchObject({ code: 0, stdout: 'dev-1 /3200/0/5501: subscribed\n' });
    expect(fake.account(KEY).preSubscriptions).toEqual([
      { 'endpoint-name': 'node*', 'resource-path': ['/x/0/1'] },
      { 'endpoint-name': 'dev-1', 'resource-path': ['/3200/0/5501'] },
    ]);
    const list = await cli(['dev-1', '--list']);
    expect(list.stdout).toBe('dev-1 /3200/0/5501\n');
  });

  it('takes several resources, and says when a device is asleep or not registered', async () => {
    expect((await cli(['dev-1', '--resource', '/3200/0/5501', '--resource', '/3303/0/5700/'])).stdout).toBe(
      'dev-1 /3200/0/5501: subscribed\ndev-1 /3303/0/5700: subscribed\n',
    );
    expect((await cli(['sleepy'])).stdout).toContain('queued: the device is asleep');
    const unknown = await cli(['ghost']);
    expect(unknown.code).toBe(0);
    expect(unknown.stdout).toContain('ghost /3200/0/5501: endpoint ghost is not registered');
    expect(unknown.stdout).toContain('the pre-subscription rule subscribes it when it registers');
  });

  it('removes the subscription and only its own rule, not one on the same endpoint and path that says more', async () => {
    const typed = { 'endpoint-name': 'dev-1', 'endpoint-type': 'sensor', 'resource-path': ['/3200/0/5501'] };
    fake.account(KEY).preSubscriptions.push(typed);
    await cli(['dev-1']);
    const run = await cli(['dev-1', '--remove']);
    expect(run).toMatchObject({ code: 0, stdout: 'dev-1 /3200/0/5501: unsubscribed\n' });
    expect(fake.account(KEY).preSubscriptions).toEqual([{ 'endpoint-name': 'node*', 'resource-path': ['/x/0/1'] }, typed]);
  });

  it('explains a wrong key (401) with exit 1, never echoing the key', async () => {
    const run = await cli(['dev-1'], { MBED_CLOUD_SDK_API_KEY: 'ak_wrong_key_123' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('refused the API key (401)');
    expect(run.stderr).not.toContain('ak_wrong_key_123');
  });

  it.each([
    [['bad/name'], 'invalid endpoint name'],
    [['dev-1', '--resource', 'no-slash'], 'invalid resource path'],
    [['dev-1', '--remove', '--list'], 'do not go together'],
  ])('refuses %j with exit 2 before calling', async (args, message) => {
    const before = fake.requests.length;
    const run = await cli(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(fake.requests.length).toBe(before);
  });

  it('needs a key when nothing may be asked', async () => {
    const run = await runCli(['subscribe', 'dev-1'], { env: { MBED_CLOUD_SDK_HOST: fake.url } });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('MBED_CLOUD_SDK_API_KEY');
  });
});
