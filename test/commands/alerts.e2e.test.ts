// Issue #27: alerts, end to end on the fakes — setup --alert-email makes the topic, the address's
// subscription, the alarms and the watch; each alarm is driven into ALARM by what really feeds
// its metric (the function's own metric lines, API Gateway's 5xx count, RDS's free storage) and
// the confirmed address receives the notification; status shows it; teardown leaves nothing.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfirmSubscriptionCommand, SNSClient } from '@aws-sdk/client-sns';
import { canStartMariaDb } from '../support/mariadb.js';
import { evaluateAlarms } from '../support/aws-fake/cloudwatch.js';
import { API_KEY, readStateFile, startWorld, type World } from '../support/setup-world.js';

const canRun = canStartMariaDb('the alerts tests');
const MINUTE = 60_000;
const TOPIC = 'arn:aws:sns:us-west-2:123456789012:mbed-tsdb-alerts';

describe.skipIf(!canRun)('alerts', () => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld();
  }, 120_000);
  beforeEach(async () => world.reset());
  afterAll(async () => world?.close());

  /** Time passes for everyone: AWS (alarm evaluation), the service and the function. */
  const pass = (ms: number) => {
    world.clock.now += ms;
    world.connector.clock.now += ms;
  };
  const confirm = async () => {
    const mail = world.aws.sns.outbox.find((m) => m.token)!;
    await new SNSClient({ region: 'us-west-2', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }).send(new ConfirmSubscriptionCommand({ TopicArn: mail.topicArn, Token: mail.token! }));
  };
  const stateOf = (kind: string) => world.aws.cloudwatch.alarms.get(`mbed-tsdb-${kind}`)!.state;
  const mailed = () => world.aws.sns.outbox.filter((m) => !m.token).map((m) => m.subject);

  it('setup --alert-email makes it all; each alarm fires from its real source and is mailed; status shows it; teardown leaves nothing', async () => {
    // One timeline: the function stamps its metric lines with the service's clock, CloudWatch evaluates on AWS's.
    world.clock.now = world.connector.clock.now;
    const run = await world.setup(['--alert-email', 'ops@example.com', '--quiet-after', '30m']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/alarm mbed-tsdb-webhook-failing/);
    expect(readStateFile(world)).toMatchObject({ answers: { alertEmail: 'ops@example.com', quietAfterMinutes: 30 } });
    expect([...world.aws.cloudwatch.alarms.keys()].sort()).toEqual(['mbed-tsdb-no-readings', 'mbed-tsdb-quiet-devices', 'mbed-tsdb-storage-low', 'mbed-tsdb-webhook-failing']);
    const fn = world.aws.lambda.functions.get('mbed_time_series_webhook')!;
    expect(fn.environment).toMatchObject({ QUIET_AFTER_MINUTES: '30' });
    const watch = world.aws.scheduler.schedules.get('mbed-tsdb/watch')!;
    expect(watch).toMatchObject({ expression: 'rate(5 minutes)', target: { Arn: fn.arn, Input: '{"mbed-tsdb":"scheduled-watch"}' } });
    // 20 GB allocated: under 2 GiB free for half an hour.
    expect(world.aws.cloudwatch.alarms.get('mbed-tsdb-storage-low')!.input).toMatchObject({ Threshold: Math.round(20 * 1024 ** 3 * 0.1), EvaluationPeriods: 6 });
    // Pending until the link is clicked: status says nothing will be mailed.
    const pending = await world.cli(['status', '--json']);
    const rows = (JSON.parse(pending.stdout) as { rows: Array<{ step: string; resource: string; state: string }> }).rows.filter((r) => r.step === '§8 alerts');
    expect(rows[0]).toMatchObject({ resource: 'email ops@example.com', state: 'pending confirmation' });
    expect(pending.code).toBe(1);
    await confirm();

    world.connector.clock.now = world.clock.now;
    expect((await world.connector.notify(API_KEY, [{ ep: 'dev-1', path: '/3200/0/5501', value: '1' }])).status).toBe(200);
    pass(10 * MINUTE);
    evaluateAlarms(world.aws);
    expect(stateOf('no-readings')).toBe('OK');
    expect(stateOf('webhook-failing')).toBe('OK');

    // 1. The webhook failing: the database refuses the function's writes, API Gateway counts 5xx.
    const admin = await createConnection({ ...world.db.address(), database: 'tsdb' });
    try {
      await admin.query("REVOKE INSERT ON tsdb.events FROM 'tsdb_webhook'@'%'");
      await world.connector.notify(API_KEY, [{ ep: 'dev-1', path: '/3200/0/5501', value: '2' }]);
      pass(5 * MINUTE);
      evaluateAlarms(world.aws);
      expect(stateOf('webhook-failing')).toBe('ALARM');
      expect(mailed()).toContain('ALARM: "mbed-tsdb-webhook-failing" in us-west-2');
      await admin.query("GRANT INSERT ON tsdb.events TO 'tsdb_webhook'@'%'");
    } finally {
      await admin.end();
    }

    // 2. No reading stored for 30 minutes (nothing sent, and what was sent failed).
    pass(31 * MINUTE);
    evaluateAlarms(world.aws);
    expect(stateOf('no-readings')).toBe('ALARM');
    expect(mailed()).toContain('ALARM: "mbed-tsdb-no-readings" in us-west-2');

    // 3. A known device quiet for 30 minutes: the watch, run by Scheduler every 5 minutes, counts it in its metric line.
    const watched = async () => {
      const fired = (await world.aws.lambda.invoke!(fn, JSON.parse(watch.target.Input!))) as { statusCode: number; body: string };
      expect(fired.statusCode, fired.body).toBe(200);
      return JSON.parse(fired.body) as { quietDevices: number };
    };
    for (let look = 0; look < 3; look++) {
      expect(await watched()).toMatchObject({ quietDevices: 1 });
      pass(5 * MINUTE);
    }
    evaluateAlarms(world.aws);
    expect(stateOf('quiet-devices')).toBe('ALARM');
    expect(mailed()).toContain('ALARM: "mbed-tsdb-quiet-devices" in us-west-2');

    // 4. Storage: RDS reports FreeStorageSpace every minute; under 10 % of 20 GiB for half an hour.
    for (let minute = 0; minute < 35; minute++) {
      world.aws.putMetric('AWS/RDS', 'FreeStorageSpace', { DBInstanceIdentifier: 'tsdb' }, 1.5 * 1024 ** 3);
      if (minute % 5 === 0) await watched();
      pass(MINUTE);
    }
    evaluateAlarms(world.aws);
    expect(stateOf('storage-low')).toBe('ALARM');
    expect(mailed()).toContain('ALARM: "mbed-tsdb-storage-low" in us-west-2');

    // status: each alarm's state, the quiet device named; exit 1.
    const status = await world.cli(['status']);
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(/§8 alerts\s+email ops@example\.com\s+confirmed/);
    expect(status.stdout).toMatch(/alarm mbed-tsdb-quiet-devices\s+alarm/);
    expect(status.stdout).toMatch(/Quiet devices .*: 1\n\s+dev-1: last seen/);

    // A reading again: no-readings is OK again, and says so (the storage still low: that alarm stays).
    expect((await world.connector.notify(API_KEY, [{ ep: 'dev-1', path: '/3200/0/5501', value: '3' }])).status).toBe(200);
    for (let minute = 0; minute < 5; minute++) {
      world.aws.putMetric('AWS/RDS', 'FreeStorageSpace', { DBInstanceIdentifier: 'tsdb' }, 1.5 * 1024 ** 3);
      pass(MINUTE);
    }
    evaluateAlarms(world.aws);
    expect(mailed().at(-1)).toBe('OK: "mbed-tsdb-no-readings" in us-west-2');
    expect(stateOf('storage-low')).toBe('ALARM');

    const down = await world.cli(['teardown', '--yes']);
    expect(down.code, down.stderr).toBe(0);
    expect(world.aws.cloudwatch.alarms.size).toBe(0);
    expect(world.aws.sns.topics.has(TOPIC)).toBe(false);
    expect(world.aws.scheduler.schedules.size).toBe(0);
  });

  it('without --alert-email (and no terminal to ask) nothing of it is made; --alert-email none later removes the watch', async () => {
    expect((await world.setup()).code).toBe(0);
    expect(world.aws.sns.topics.size).toBe(0);
    expect(world.aws.cloudwatch.alarms.size).toBe(0);
    expect(world.aws.scheduler.schedules.has('mbed-tsdb/watch')).toBe(false);
    expect((await world.setup(['--alert-email', 'ops@example.com'])).code).toBe(0);
    expect(world.aws.scheduler.schedules.has('mbed-tsdb/watch')).toBe(true);
    expect((await world.setup(['--alert-email', 'none'])).code).toBe(0);
    expect(world.aws.scheduler.schedules.has('mbed-tsdb/watch')).toBe(false);
  });

  it('mbed-tsdb alerts: none yet; --email adds them to a stack set up without; shows them; --test mails once confirmed; --email none removes them', async () => {
    expect((await world.setup()).code).toBe(0);
    const none = await world.cli(['alerts']);
    expect(none.code).toBe(0);
    expect(none.stdout).toContain('Stack mbed-tsdb has no alerts: mbed-tsdb alerts --email <address> makes them.');

    const add = await world.cli(['alerts', '--email', 'ops@example.com', '--quiet-after', '1h']);
    expect(add.code, add.stderr).toBe(1);
    expect(add.stdout).toMatch(/email ops@example\.com\s+pending confirmation !/);
    expect(world.aws.cloudwatch.alarms.get('mbed-tsdb-no-readings')!.input.EvaluationPeriods).toBe(12);
    expect(world.aws.lambda.functions.get('mbed_time_series_webhook')!.environment).toMatchObject({ QUIET_AFTER_MINUTES: '60' });
    expect(world.aws.scheduler.schedules.has('mbed-tsdb/watch')).toBe(true);
    expect(readStateFile(world)).toMatchObject({ answers: { alertEmail: 'ops@example.com', quietAfterMinutes: 60 } });

    // The same address again while pending: the link is mailed again (SNS re-sends it on Subscribe).
    expect((await world.cli(['alerts', '--email', 'ops@example.com'])).code).toBe(1);
    expect(world.aws.sns.outbox.filter((m) => m.token).length).toBe(2);
    // Before the link is clicked a test reaches nobody, and says so.
    const early = await world.cli(['alerts', '--test']);
    expect(early.code).toBe(1);
    expect(early.stdout).toContain('gets nothing until the link in the mail from AWS Notifications is clicked');
    await confirm();
    const test = await world.cli(['alerts', '--test']);
    expect(test.code, test.stderr).toBe(0);
    expect(mailed()).toEqual(['mbed-tsdb: test alert for stack mbed-tsdb']);
    const shown = await world.cli(['alerts', '--json']);
    expect(JSON.parse(shown.stdout).alerts[0]).toMatchObject({ resource: 'email ops@example.com', state: 'confirmed', ok: true });

    const off = await world.cli(['alerts', '--email', 'none']);
    expect(off.code, off.stderr).toBe(0);
    expect(world.aws.cloudwatch.alarms.size).toBe(0);
    expect(world.aws.sns.topics.size).toBe(0);
    expect(world.aws.scheduler.schedules.has('mbed-tsdb/watch')).toBe(false);
    expect(world.aws.lambda.functions.get('mbed_time_series_webhook')!.environment).not.toHaveProperty('QUIET_AFTER_MINUTES');
    expect(readStateFile(world)).toMatchObject({ answers: { alertEmail: '' } });
  });

  it('alerts --email on a stack an earlier mbed-tsdb made (no retention step recorded): says to run setup, changes nothing', async () => {
    expect((await world.setup()).code).toBe(0);
    const file = join(world.stateDir, 'mbed-tsdb.json');
    const state = JSON.parse(readFileSync(file, 'utf8')) as { outputs: Record<string, unknown> };
    delete state.outputs.retention;
    writeFileSync(file, JSON.stringify(state));
    const before = world.aws.mutatingCalls().length;
    const run = await world.cli(['alerts', '--email', 'ops@example.com']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('stack mbed-tsdb was set up by an earlier mbed-tsdb (no retention recorded): run mbed-tsdb setup --alert-email <address>');
    expect(world.aws.mutatingCalls()).toHaveLength(before);
  });

  it('alerts: bad input is a usage error before anything is read; no stack is said', async () => {
    const bad = await world.cli(['alerts', '--email', 'ops']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--email takes an email address such as ops@example.com, or none (got "ops")');
    const missing = await world.cli(['alerts', '--test']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no stack mbed-tsdb is set up from this machine: run mbed-tsdb setup --alert-email <address>');
    expect(world.aws.calls).toEqual([]);
  });
});
