// status against healthy, drifted and missing stacks, with the exact exit codes and a
// schema for --json; and the whole life of a stack in one go.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rmSync } from 'node:fs';
import { Ajv } from 'ajv';
import { createConnection } from 'mysql2/promise';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { canStartMariaDb } from '../support/mariadb.js';
import { API_KEY, startWorld, type World } from '../support/setup-world.js';

const canRun = canStartMariaDb('the status tests');

const STATUS_SCHEMA = {
  type: 'object',
  required: ['stack', 'region', 'account', 'identity', 'exists', 'healthy', 'health', 'unknown', 'rows', 'connector', 'data', 'estimate'],
  additionalProperties: false,
  properties: {
    stack: { type: 'string' },
    region: { type: 'string' },
    account: { type: 'string', pattern: '^[0-9]{12}$' },
    identity: { type: 'string', pattern: '^arn:' },
    health: { enum: ['healthy', 'needs attention', 'unknown'] },
    unknown: { type: 'array', items: { type: 'string' } },
    exists: { type: 'boolean' },
    healthy: { type: 'boolean' },
    rows: {
      type: 'array',
      items: {
        type: 'object',
        required: ['step', 'resource', 'state', 'ok'],
        additionalProperties: false,
        properties: { step: { type: 'string' }, resource: { type: 'string' }, state: { type: 'string' }, ok: { type: 'boolean' }, note: { type: 'string' } },
      },
    },
    connector: {
      oneOf: [
        { type: 'object', required: ['unavailable'], additionalProperties: false, properties: { unavailable: { type: 'string' } } },
        {
          type: 'object',
          required: ['callbackUrl', 'ours', 'serialization', 'subscriptions'],
          additionalProperties: false,
          properties: {
            callbackUrl: { type: ['string', 'null'] },
            ours: { type: 'boolean' },
            serialization: { type: 'boolean' },
            subscriptions: {
              type: 'array',
              items: {
                type: 'object',
                required: ['endpoint', 'resource', 'state', 'subscribed'],
                additionalProperties: false,
                properties: {
                  endpoint: { type: 'string' },
                  name: { type: 'string' },
                  resource: { type: 'string' },
                  state: { enum: ['subscribed', 'pending', 'failed', 'waiting-for-device', 'not-subscribed'] },
                  subscribed: { type: 'boolean' },
                  note: { type: 'string' },
                },
              },
            },
          },
        },
      ],
    },
    data: {
      oneOf: [
        { type: 'object', required: ['unavailable'], additionalProperties: false, properties: { unavailable: { type: 'string' } } },
        {
          type: 'object',
          required: ['rows', 'newest', 'deduplicated', 'series'],
          additionalProperties: false,
          properties: {
            rows: { type: 'integer' },
            newest: { type: ['string', 'null'] },
            deduplicated: { type: 'boolean' },
            storage: {
              type: 'object',
              required: ['tableBytes', 'usedBytes', 'readingsPerDay', 'bytesPerDay'],
              additionalProperties: false,
              properties: { tableBytes: { type: 'number' }, usedBytes: { type: 'number' }, readingsPerDay: { type: 'number' }, bytesPerDay: { type: 'number' } },
            },
            series: {
              type: 'array',
              items: {
                type: 'object',
                required: ['board', 'sensor', 'rows'],
                additionalProperties: false,
                properties: { board: { type: 'string' }, name: { type: 'string' }, sensor: { type: 'string' }, rows: { type: 'integer' }, lastValue: { type: 'number' }, lastTs: { type: 'string' } },
              },
            },
          },
        },
      ],
    },
    estimate: {
      oneOf: [
        { type: 'object', required: ['unavailable'], additionalProperties: false, properties: { unavailable: { type: 'string' } } },
        {
          type: 'object',
          required: ['region', 'source', 'asOf', 'readingsPerSecond', 'rateSource', 'lines', 'total', 'unpriced', 'assumptions'],
          additionalProperties: false,
          properties: {
            region: { type: 'string' },
            source: { enum: ['price-list-api', 'snapshot'] },
            asOf: { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' },
            why: { type: 'string' },
            readingsPerSecond: { type: 'number', exclusiveMinimum: 0 },
            rateSource: { type: 'string' },
            lines: {
              type: 'array',
              items: {
                type: 'object',
                required: ['resource', 'quantity', 'unit', 'unitPrice', 'monthly'],
                additionalProperties: false,
                properties: {
                  resource: { type: 'string' },
                  quantity: { type: 'number', minimum: 0 },
                  unit: { type: 'string' },
                  unitPrice: { type: ['number', 'null'] },
                  monthly: { type: ['number', 'null'] },
                  note: { type: 'string' },
                  freeTier: { type: 'string' },
                },
              },
            },
            total: { type: 'number', minimum: 0 },
            unpriced: { type: 'array', items: { type: 'string' } },
            assumptions: { type: 'array', items: { type: 'string' } },
          },
        },
      ],
    },
  },
};

describe.skipIf(!canRun)('mbed-tsdb status', () => {
  let world: World;
  let echo: Server;
  let ip = '203.0.113.7';
  let env: Record<string, string>;
  const validate = new Ajv({ allErrors: true }).compile(STATUS_SCHEMA);

  beforeAll(async () => {
    world = await startWorld();
    echo = createServer((_req, res) => res.end(`${ip}\n`));
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    env = { MBED_TSDB_IP_ECHO_URL: `http://127.0.0.1:${(echo.address() as AddressInfo).port}/` };
  }, 120_000);
  beforeEach(async () => {
    ip = '203.0.113.7';
    await world.reset();
  });
  afterAll(async () => {
    echo?.close();
    await world?.close();
  });

  const status = (extra: string[] = []) => world.cli(['status', '--region', 'us-west-2', ...extra], { env });
  const envOf = () => env;

  it('is healthy after setup (exit 0), shows every step, the Connector and the data, and --json fits the schema', async () => {
    expect((await world.setup()).code).toBe(0);
    await world.connector.notify(API_KEY, [{ ep: 'dev-1', path: '/3200/0/5501', value: '3' }, { ep: 'dev-1', path: '/3200/0/5501', value: '4' }]);
    const run = await status();
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const steps = run.stdout.split('\n').map((l) => /^(§\d [a-zA-Z]+)/.exec(l)?.[1]).filter(Boolean);
    expect([...new Set(steps)]).toEqual(['§1 role', '§2 database', '§3 access', '§4 maintenance', '§4 table', '§5 function', '§6 API', '§7 Connector']);
    expect(run.stdout).toMatch(/§4 table\s+tsdb\.events\s+ok\s+2 rows; columns as the function expects; tables \d+ [KM]B of 100 GB \(readings \d+ KB\); 48 readings a day, \+7 KB a day: not full within ten years\n/);
    expect(run.stdout).toMatch(/§2 database\s+tsdb\s+available\s+\S+:\d+; 20 GB, grows to 100 GB as it fills\n/);
    expect(run.stdout).toContain('Data: 2 rows');
    expect(run.stdout).toContain('dev-1 /3200/0/5501: 2 rows, last 4');
    expect(run.stdout).toContain('Stack mbed-tsdb is healthy.');
    // What exists costs, at the rate the rollup measured (48 readings a day), at the Price List's prices.
    expect(run.stdout).toContain('Estimated monthly cost in us-west-2 at 0.001 readings/s measured over the last 7 days; list prices from the AWS Price List API, read ');
    expect(run.stdout).toMatch(/\n +\$11\.68 {2}database db\.t4g\.micro \(MySQL, Single-AZ\): 730 hours × \$0\.016\n/);
    const json = await status(['--json']);
    const report = JSON.parse(json.stdout);
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    expect(report).toMatchObject({ healthy: true, exists: true, connector: { ours: true, subscriptions: [{ endpoint: 'dev-1', subscribed: true }] }, data: { rows: 2 } });
    expect(report.estimate).toMatchObject({ region: 'us-west-2', source: 'price-list-api', readingsPerSecond: 0.001, unpriced: [] });
    expect(report.estimate.lines.map((l: { resource: string }) => l.resource)).toContain("the database's public IPv4 address");
  });

  it.each([
    ['the desktop IP changed', async () => void (ip = '198.51.100.99'), 'does not admit your current IP 198.51.100.99/32'],
    ['the function runs other code', async (w: World) => void (w.aws.lambda.functions.get('mbed_time_series_webhook')!.codeSha256 = 'older'), "differs from this version's bundle"],
    ['the Connector callback points elsewhere', async (w: World) => void (w.connector.account(API_KEY).callback = { url: 'https://elsewhere.example/x', headers: {} }), 'points elsewhere'],
    [
      'a subscription was lost (device re-registered)',
      async (w: World) => {
        await w.connector.deliver(API_KEY); // the device accepted…
        w.connector.account(API_KEY).subscriptions.clear(); // …and later re-registered without it
      },
      'not subscribed',
    ],
    ['the API is gone', async (w: World) => void w.aws.apigateway.apis.clear(), 'missing'],
    [
      'the callback takes batches larger than Lambda takes (the default 10000)',
      async (w: World) => void delete w.connector.account(API_KEY).callback!.serialization!.max_chunk_size,
      'batches of up to 10000 notifications can exceed what Lambda takes (6 MB)',
    ],
    [
      'the API’s throttle was removed',
      async (w: World) => void ([...w.aws.apigateway.apis.values()][0]!.stages.get('test')!.methodSettings = {}),
      'throttle: no throttle, not 25 requests/s (burst 50)',
    ],
    [
      'the function still logs in with the master password (a stack from before IAM authentication)',
      async (w: World) => {
        const fn = w.aws.lambda.functions.get('mbed_time_series_webhook')!;
        const { DB_AUTH: _iam, ...rest } = fn.environment;
        fn.environment = { ...rest, DB_USER: 'tsdbuser', DB_PASSWORD: 'the-master-password' };
      },
      'it logs in with a password kept in its configuration',
    ],
    ['IAM authentication was turned off on the database', async (w: World) => void (w.aws.rds.instances.get('tsdb')!.iamAuth = false), 'IAM database authentication is off'],
    [
      'the database is full',
      async (w: World) => void (w.aws.rds.instances.get('tsdb')!.storageFull = true),
      'its 20 GB are full: RDS takes no readings (the service retries for a day, then deletes the callback); run mbed-tsdb setup to grow it',
    ],
    [
      'the database cannot grow its storage (made before storage autoscaling)',
      async (w: World) => void delete w.aws.rds.instances.get('tsdb')!.maxAllocatedStorage,
      '20 GB that cannot grow: once full, RDS stops taking readings; run mbed-tsdb setup to turn on storage autoscaling',
    ],
    ['the role lost its database login', async (w: World) => void w.aws.iam.roles.get('mbed_time_series_database')!.inline.clear(), 'missing mbed-tsdb-db-connect (the database login)'],
    [
      'the table was dropped',
      async (w: World) => {
        const admin = await createConnection({ ...w.db.address(), database: 'tsdb' });
        await admin.query('DROP TABLE events');
        await admin.end();
      },
      'the function cannot store readings: run mbed-tsdb setup to create it',
    ],
    ['the database is being deleted', async (w: World) => void (w.aws.rds.instances.get('tsdb')!.deletingAt = w.clock.now), 'deleting'],
  ])('is degraded when %s (exit 1)', async (_name, drift, message) => {
    expect((await world.setup()).code).toBe(0);
    await drift(world);
    const run = await status();
    expect(run.code, run.stdout).toBe(1);
    expect(run.stdout).toContain(message);
    expect(run.stdout).toContain('needs attention');
    const json = JSON.parse((await status(['--json'])).stdout);
    expect(validate(json), JSON.stringify(validate.errors)).toBe(true);
    expect(json.healthy).toBe(false);
  });

  // After its storage grew the instance is storage-optimization for hours and works as usual
  // (RDS user guide, "Increasing DB instance storage capacity"): not a fault.
  it('calls a database whose grown storage is being optimized healthy', async () => {
    expect((await world.setup()).code).toBe(0);
    const grown = world.aws.rds.instances.get('tsdb')!;
    grown.allocatedStorage = 30;
    grown.optimizingUntil = world.aws.clock() + 6 * 3600_000;
    const run = await status();
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toMatch(/§2 database\s+tsdb\s+storage-optimization\s+\S+:\d+; 30 GB, grows to 100 GB as it fills\n/);
  });

  // Issue #26.4: RDS stops taking writes once its storage is full (status storage-full), growing
  // only to MaxAllocatedStorage: status warns a month ahead, at this week's rate from the rollup.
  it('fails (exit 1) when the storage fills within 30 days at this week’s rate, and says what to do', async () => {
    expect((await world.setup()).code).toBe(0);
    world.aws.rds.instances.get('tsdb')!.maxAllocatedStorage = 22;
    const admin = await createConnection({ ...world.db.address(), database: 'tsdb' });
    try {
      // A day of 10 million readings a day, as the rollup knows them (the rows themselves need not be here).
      await admin.query("INSERT INTO events_rollup (bucket, board, sensor, n, total, lo, hi) SELECT NOW() - INTERVAL seq * 15 MINUTE, 'dev-1', '/3303/0/5700', 104167, 0, 0, 0 FROM seq_1_to_96");
    } finally {
      await admin.end();
    }
    const run = await status();
    expect(run.code, run.stdout).toBe(1);
    // The week's rate divides by the span from the oldest bucket to status's NOW(), in whole
    // seconds: a day, and the second or two status takes to get there after the insert.
    const shown = Number(/; ([\d,]+) readings a day/.exec(run.stdout)?.[1]?.replace(/,/g, ''));
    const perDay = [0, 1, 2].map((late) => (10_000_032 * 86_400) / (86_400 + late)).find((rate) => Math.round(rate) === shown);
    expect(perDay, `${shown} readings a day`).toBeDefined();
    expect(run.stdout).toMatch(/§4 table\s+tsdb\.events\s+filling up\s+.*; [\d,]+ readings a day, \+1\.4 GB a day: full in 15 days — RDS then takes no readings: raise the limit \(setup --max-storage\) or keep raw readings for less \(setup --keep-raw\)\n/);
    // The estimate follows the measured rate: 10 000 032 a day are 115.741 a second.
    expect(run.stdout).toContain(`Estimated monthly cost in us-west-2 at ${Math.round(perDay! / 86.4) / 1000} readings/s measured over the last 7 days`);
  });

  // Issue #24.3: status read IAM database authentication from the Aurora member instance, which
  // does not hold it (the fake answered with the cluster's value; AWS does not).
  it('reads IAM database authentication of an Aurora stack from its cluster: healthy, and drift when the cluster turns it off', async () => {
    expect((await world.setup(['--engine', 'aurora-mysql'])).code).toBe(0);
    const healthy = await status();
    expect(healthy.code, healthy.stdout).toBe(0);
    world.aws.rds.clusters.get('tsdb-cluster')!.iamAuth = false;
    const drifted = await status();
    expect(drifted.code).toBe(1);
    expect(drifted.stdout).toContain('IAM database authentication is off');
  });

  // Issue #24.4: a Connector that could not be reached was "not checked" and the stack called
  // healthy (exit 0). A check that could not run is unknown, says why, and is not exit 0.
  it.each([
    ['the Connector cannot be reached (a proxy that is down)', { HTTP_PROXY: 'http://127.0.0.1:1' }, /Connector: not checked \(.*proxy http:\/\/127\.0\.0\.1:1/],
    ['there is no Connector API key', { MBED_CLOUD_SDK_API_KEY: '' }, /Connector: not checked \(no Connector API key/],
    ['this computer’s public IP cannot be found', { MBED_TSDB_IP_ECHO_URL: 'http://127.0.0.1:1/' }, /§3 access: not checked against your public IP \(/],
  ])('is unknown, not healthy, when %s (exit 1)', async (_name, env, said) => {
    expect((await world.setup()).code).toBe(0);
    const run = await world.cli(['status'], { env: { ...envOf(), ...env } });
    expect(run.code, run.stdout).toBe(1);
    expect(run.stdout).toMatch(said);
    expect(run.stdout).toContain('Stack mbed-tsdb: health unknown');
    expect(run.stdout).not.toContain('is healthy');
    const json = JSON.parse((await world.cli(['status', '--json'], { env: { ...envOf(), ...env } })).stdout);
    expect(validate(json), JSON.stringify(validate.errors)).toBe(true);
    expect(json).toMatchObject({ healthy: false, health: 'unknown', unknown: expect.arrayContaining([expect.stringMatching(/^(Connector|§3 access): /)]) });
  });

  // Lambda function states: a VPC function unused for weeks goes Inactive (StateReasonCode Idle)
  // and the next invocation wakes it. That is where things stand, not a fault.
  it('calls an Inactive function idle, not a fault (exit 0)', async () => {
    expect((await world.setup()).code).toBe(0);
    world.clock.now += world.aws.lambda.idleMs + 60_000;
    const run = await status();
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toMatch(/§5 function +mbed_time_series_webhook +Inactive +idle after weeks without requests: the next delivery wakes it/);
  });

  it("lets chart read the stack's database with the saved settings, over TLS with the CA given to setup", async () => {
    expect((await world.setup()).code).toBe(0);
    await world.connector.notify(API_KEY, [{ ep: 'dev-1', path: '/3200/0/5501', value: '5' }]);
    const run = await world.cli(['chart', '--since', '1h', '--agg', 'count', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const series = JSON.parse(run.stdout);
    expect(series.points.reduce((sum: number, p: { count: number }) => sum + p.count, 0)).toBe(1);
  });

  it('says there is no stack (exit 2)', async () => {
    const run = await status();
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('No stack mbed-tsdb in us-west-2');
    expect(validate(JSON.parse((await status(['--json'])).stdout))).toBe(true);
  });

  it('works from the tags when the state file is gone', async () => {
    expect((await world.setup()).code).toBe(0);
    rmSync(world.stateDir, { recursive: true, force: true });
    const run = await status(['--json']);
    const report = JSON.parse(run.stdout);
    expect(report.exists).toBe(true);
    expect(report.rows.filter((r: { ok: boolean }) => r.ok).map((r: { step: string }) => r.step)).toEqual(
      expect.arrayContaining(['§1 role', '§2 database', '§3 access', '§5 function', '§6 API']),
    );
    expect(report.data.unavailable).toContain('no database known');
  });

  it('shows a subscription pending until the device answers, failed when it refuses, and waiting while its device is unregistered', async () => {
    expect((await world.setup()).code).toBe(0);
    await world.connector.deliver(API_KEY);
    world.connector.addEndpoint('dev-sleepy', { state: 'sleeping' });
    world.connector.addEndpoint('dev-plain', { resources: { '/3200/0/5501': { observable: false } } });
    const unregistered = '015f3850a657000000000001001002ff';
    for (const args of [['dev-sleepy'], ['dev-plain'], [unregistered, '--allow-unregistered']]) {
      const run = await world.cli(['subscribe', ...args]);
      expect(run.code, run.stderr).toBe(0);
    }
    const states = async () => {
      const run = await status(['--json']);
      const report = JSON.parse(run.stdout);
      expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
      return { code: run.code, text: (await status()).stdout, states: Object.fromEntries(report.connector.subscriptions.map((s: { endpoint: string; state: string }) => [s.endpoint, s.state])) };
    };
    // Before the answers are delivered: pending and waiting are where things stand, not faults.
    const before = await states();
    expect(before.states).toEqual({ 'dev-1': 'subscribed', 'dev-sleepy': 'pending', 'dev-plain': 'pending', [unregistered]: 'waiting-for-device' });
    expect(before.code, before.text).toBe(0);
    expect(before.text).toMatch(/dev-sleepy \/3200\/0\/5501 +pending.*waiting for the device’s answer/);
    expect(before.text).toMatch(/015f3850a657000000000001001002ff \/3200\/0\/5501 +waiting for device.*subscribes it when the device registers/);
    // The refusal (412, not observable) arrives at the webhook as an async response.
    await world.connector.deliver(API_KEY);
    const after = await states();
    expect(after.states).toMatchObject({ 'dev-sleepy': 'pending', 'dev-plain': 'failed' });
    expect(after.code).toBe(1);
    expect(after.text).toMatch(/dev-plain \/3200\/0\/5501 +failed.*the device refused: .*observ/);
    // subscribe --list reads the same outcomes.
    const failed = await world.cli(['subscribe', 'dev-plain', '--list']);
    expect(failed).toMatchObject({ code: 1, stdout: 'dev-plain /3200/0/5501: failed: the device refused: the resource is not observable (412) (PRECONDITION_FAILED)\n' });
    const waiting = await world.cli(['subscribe', 'dev-sleepy', '--list']);
    expect(waiting).toMatchObject({ code: 0, stdout: 'dev-sleepy /3200/0/5501: pending: no answer from the device yet\n' });
    // The sleeping device wakes and accepts.
    world.connector.wake('dev-sleepy');
    await world.connector.deliver(API_KEY);
    expect((await states()).states['dev-sleepy']).toBe('subscribed');
  });

  it('shows each board by the name the device gave itself (Izuma stores the device ID)', async () => {
    const id = '015f3850a657000000000001001002ab';
    world.connector.addEndpoint(id, { name: 'kitchen-button' });
    expect((await world.setup(['--endpoint', 'kitchen-button'])).code).toBe(0);
    world.connector.publish(API_KEY, [{ ep: id, path: '/3200/0/5501', value: '7' }]);
    await world.connector.deliver(API_KEY);
    const report = JSON.parse((await status(['--json'])).stdout);
    expect(report.data.series).toEqual([expect.objectContaining({ board: id, name: 'kitchen-button', lastValue: 7 })]);
    expect((await status()).stdout).toContain(`kitchen-button (${id}) /3200/0/5501: 1 rows, last 7`);
  });

  // Issue #24.2: after `setup --endpoint button-1` (a name, as README allows), status asked
  // GET /v2/subscriptions/button-1 — a 404 on Izuma, whose paths take device IDs — and said
  // "not subscribed" (exit 1) on every run of a healthy stack.
  it('checks a device given to setup by its name under its device ID: healthy (exit 0)', async () => {
    const id = '015f3850a657000000000001001002ac';
    world.connector.addEndpoint(id, { name: 'button-1' });
    expect((await world.setup(['--endpoint', 'button-1'])).code).toBe(0);
    await world.connector.deliver(API_KEY);
    const run = await status(['--json']);
    const report = JSON.parse(run.stdout);
    expect(run.code, run.stdout).toBe(0);
    expect(report.connector.subscriptions).toEqual(
      expect.arrayContaining([expect.objectContaining({ endpoint: id, name: 'button-1', state: 'subscribed' })]),
    );
    expect(world.connector.requests.filter((r) => r.path === '/v2/subscriptions/button-1')).toEqual([]);
    expect((await status()).stdout).toMatch(new RegExp(`${id} \\(button-1\\) /3200/0/5501 +subscribed`));
  });

  // Issue #25.8: device text (a name it gave itself, an error it answered) reaches the terminal
  // escaped, never as the ESC sequences it may hold.
  it('shows the names and errors devices sent escaped', async () => {
    const id = '015f3850a657000000000001001002ad';
    world.connector.addEndpoint(id, { name: 'evil\u001b]0;pwned\u0007\u009b2J' });
    expect((await world.setup(['--endpoint', id])).code).toBe(0);
    world.connector.publish(API_KEY, [{ ep: id, path: '/3200/0/5501', value: '7' }]);
    await world.connector.deliver(API_KEY);
    const run = await status();
    expect(run.stdout).not.toMatch(/[\u001b\u0007\u009b]/);
    expect(run.stdout).toContain('evil\\x1b]0;pwned\\x07\\x9b2J');
  });

  it('follows a stack through its life: setup → status 0 → subscribe → teardown → status 2', async () => {
    world.connector.addEndpoint('dev-2');
    expect((await world.setup()).code).toBe(0);
    expect((await status()).code).toBe(0);
    world.connector.addEndpoint('dev-2', { resources: { '/3200/0/5501': {}, '/3303/0/5700': {} } });
    const subscribe = await world.cli(['subscribe', 'dev-2', '--resource', '/3200/0/5501', '--resource', '/3303/0/5700']);
    // Izuma accepts with 202; the device's answer comes later through the callback.
    expect(subscribe.code, subscribe.stderr).toBe(0);
    expect(subscribe.stdout).toMatch(/^dev-2 \/3200\/0\/5501: accepted, pending.*\ndev-2 \/3303\/0\/5700: accepted, pending/);
    await world.connector.deliver(API_KEY);
    const after = await status(['--json']);
    expect(JSON.parse(after.stdout).connector.subscriptions.map((s: { endpoint: string; state: string }) => `${s.endpoint} ${s.state}`)).toEqual([
      'dev-1 subscribed',
      'dev-2 subscribed',
      'dev-2 subscribed',
    ]);
    const teardown = await world.cli(['teardown', '--yes', '--region', 'us-west-2']);
    expect(teardown.code, teardown.stderr).toBe(0);
    expect(world.connector.account(API_KEY).preSubscriptions).toEqual([]);
    expect([...world.connector.account(API_KEY).subscriptions.values()].every((s) => s.size === 0)).toBe(true);
    expect((await status()).code).toBe(2);
  });
});
