// mbed-tsdb subscribe against the Izuma fake: devices by ID or by name, the rule kept with the
// subscription (and only this tool's rules removed), the outcome pending until the device answers.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { startConnectorFake, type ConnectorFake } from '../support/connector-fake.js';

const KEY = 'ak_subscribe_0123456789';
const DEVICE = '015f3850a657000000000001001002ab';
const BUSY = '015f3850a657000000000001001002bb';
const THEIRS = { 'endpoint-name': 'node*', 'resource-path': ['/x/0/1'] };

describe('mbed-tsdb subscribe', () => {
  let fake: ConnectorFake;
  let stateDir: string;
  const cli = (args: string[], env: Record<string, string> = {}) =>
    runCli(['subscribe', ...args], { env: { MBED_CLOUD_SDK_API_KEY: KEY, MBED_CLOUD_SDK_HOST: fake.url, MBED_TSDB_STATE_DIR: stateDir, ...env }, hooks: { sleep: async () => undefined } });
  const state = () => JSON.parse(readFileSync(join(stateDir, 'mbed-tsdb.json'), 'utf8'));

  beforeAll(async () => {
    fake = await startConnectorFake({ keys: [KEY] });
    fake.addEndpoint(DEVICE, { name: 'kitchen-button', resources: { '/3200/0/5501': {}, '/3303/0/5700': {} } });
    fake.addEndpoint('015f3850a657000000000001001002ee', { name: 'sleepy', state: 'sleeping' });
    fake.addEndpoint(BUSY, { name: 'busy', state: 'busy' });
  });
  beforeEach(() => {
    const account = fake.account(KEY);
    account.callback = { url: 'https://abc.execute-api.us-west-2.amazonaws.com/test/webhook', headers: { 'x-mbed-tsdb-secret': 's3cret' } };
    account.subscriptions.clear();
    account.preSubscriptions = [THEIRS];
    // A stack whose callback that is.
    stateDir = mkdtempSync(join(tmpdir(), 'mbed-tsdb-sub-'));
    writeFileSync(
      join(stateDir, 'mbed-tsdb.json'),
      JSON.stringify({ version: 1, stack: 'mbed-tsdb', webhookSecret: 's3cret', answers: { endpoints: [], resource: '/3200/0/5501' }, outputs: { connector: { callbackUrl: account.callback.url, rules: [], endpoints: [] } } }),
      { mode: 0o600 },
    );
  });
  afterAll(async () => fake?.close());

  it('subscribes by device ID: accepted and pending (the device answers later), with a rule kept next to others’', async () => {
    const run = await cli([DEVICE]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(`${DEVICE} /3200/0/5501: accepted, pending: the device answers later (mbed-tsdb subscribe --list shows the outcome)\n`);
    expect(fake.account(KEY).preSubscriptions).toEqual([THEIRS, { 'endpoint-name': DEVICE, 'resource-path': ['/3200/0/5501'] }]);
    expect(state()).toMatchObject({ rules: [{ endpoint: DEVICE, resource: '/3200/0/5501' }], pending: [{ endpoint: DEVICE, resource: '/3200/0/5501', asyncId: expect.any(String) }] });
    expect(run.stderr).not.toContain('warning');
  });

  it('finds a device by the name it gave itself, and says which device that is', async () => {
    const run = await cli(['kitchen-button', '--resource', '/3303/0/5700']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(`kitchen-button is device ${DEVICE}`);
    expect(run.stdout).toContain(`${DEVICE} /3303/0/5700: accepted, pending`);
  });

  it('refuses a device the service does not know, in one line (exit 1), unless asked to keep only the rule', async () => {
    const run = await cli(['front-door', '--json']);
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringContaining("mbed-tsdb: no device front-door in this account's device directory")]);
    expect(JSON.parse(run.stdout).error.code).toBe('UNKNOWN_DEVICE');
    expect(fake.account(KEY).preSubscriptions).toEqual([THEIRS]);
    const later = '015f3850a657000000000001001002ff';
    const allowed = await cli([later, '--allow-unregistered']);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.stdout).toContain('waiting for the device');
    expect(fake.account(KEY).preSubscriptions).toEqual([THEIRS, { 'endpoint-name': later, 'resource-path': ['/3200/0/5501'] }]);
    expect(fake.requests.some((r) => r.method === 'PUT' && r.path.startsWith(`/v2/subscriptions/${later}`))).toBe(false);
  });

  it('refuses wildcards in a device path (they belong in rules)', async () => {
    const run = await cli(['015f3850a657*']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('wildcards belong in pre-subscription rules');
  });

  it('warns when this key’s notifications do not reach the stack', async () => {
    fake.account(KEY).callback = { url: 'https://someone.example/hook', headers: {} };
    const elsewhere = await cli([DEVICE]);
    expect(elsewhere.stderr).toContain("this key's notifications go to https://someone.example/hook, not to stack mbed-tsdb");
    fake.account(KEY).callback = null;
    const nowhere = await cli([DEVICE]);
    expect(nowhere.stderr).toContain('no webhook is registered for this key: notifications go nowhere');
  });

  it('takes back the rule it wrote when the subscription then fails', async () => {
    const run = await cli([BUSY]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('its request queue is full (429)');
    expect(fake.account(KEY).preSubscriptions).toEqual([THEIRS]);
    expect(state().rules ?? []).toEqual([]);
  });

  it('puts the rule on record when the service will not take it back either (never an orphan)', async () => {
    // The rule is written; the busy device refuses; then the rules endpoint answers 503 for good.
    fake.account(KEY).unavailable = { status: 503, times: Infinity, methods: ['PUT'], path: '/v2/subscriptions', skip: 1 };
    const run = await cli([BUSY]);
    delete fake.account(KEY).unavailable;
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('its request queue is full (429)');
    expect(fake.account(KEY).preSubscriptions).toEqual([THEIRS, { 'endpoint-name': BUSY, 'resource-path': ['/3200/0/5501'] }]);
    expect(state().rules).toEqual([{ endpoint: BUSY, resource: '/3200/0/5501' }]);
    expect(state().answers.endpoints).toEqual([]);
    // …so --remove takes it back later.
    expect((await cli([BUSY, '--remove'])).code).toBe(0);
    expect(fake.account(KEY).preSubscriptions).toEqual([THEIRS]);
  });

  it('removes the subscription and only the rule it added — never an identical one that was already there', async () => {
    const already = { 'endpoint-name': DEVICE, 'resource-path': ['/3303/0/5700'] };
    fake.account(KEY).preSubscriptions = [THEIRS, already];
    expect((await cli([DEVICE, '--resource', '/3200/0/5501', '--resource', '/3303/0/5700'])).code).toBe(0);
    expect(state().rules).toEqual([{ endpoint: DEVICE, resource: '/3200/0/5501' }]);
    const run = await cli([DEVICE, '--remove', '--resource', '/3200/0/5501', '--resource', '/3303/0/5700']);
    expect(run.code, run.stderr).toBe(0);
    expect(fake.account(KEY).preSubscriptions).toEqual([THEIRS, already]);
    expect(fake.account(KEY).subscriptions.get(DEVICE)?.size ?? 0).toBe(0);
  });

  it('keeps the rule on record when a busy service (503) will not let it go, and says to run it again', async () => {
    expect((await cli([DEVICE])).code).toBe(0);
    fake.account(KEY).unavailable = { status: 503, times: Infinity, methods: ['DELETE', 'PUT'] };
    const busy = await cli([DEVICE, '--remove', '--json']);
    delete fake.account(KEY).unavailable;
    expect(busy.code).toBe(1);
    expect(JSON.parse(busy.stdout).error.code).toBe('CONNECTOR_BUSY');
    expect(busy.stderr).toContain('the service is unavailable for now (503)');
    expect(busy.stderr).toContain('Run the same command again later');
    expect(state().rules).toEqual([{ endpoint: DEVICE, resource: '/3200/0/5501' }]);
    const again = await cli([DEVICE, '--remove']);
    expect(again.code, again.stderr).toBe(0);
    expect(fake.account(KEY).preSubscriptions).toEqual([THEIRS]);
    expect(state().rules).toEqual([]);
  });

  it('explains a wrong key (401) with exit 1, never echoing the key', async () => {
    const run = await cli([DEVICE], { MBED_CLOUD_SDK_API_KEY: 'ak_wrong_key_123' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('refused the access key (401)');
    expect(run.stderr).not.toContain('ak_wrong_key_123');
  });

  it.each([
    [['bad/name'], 'invalid endpoint name'],
    [[DEVICE, '--resource', 'no-slash'], 'invalid resource path'],
    [[DEVICE, '--remove', '--list'], 'do not go together'],
  ])('refuses %j with exit 2 before calling', async (args, message) => {
    const before = fake.requests.length;
    const run = await cli(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(fake.requests.length).toBe(before);
  });

  it('needs a key when nothing may be asked', async () => {
    const run = await runCli(['subscribe', DEVICE], { env: { MBED_CLOUD_SDK_HOST: fake.url } });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('MBED_CLOUD_SDK_API_KEY');
  });
});
