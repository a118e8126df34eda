// teardown on the fakes: from a whole stack and from every partial state setup can leave,
// down to nothing of the stack, never touching what is not the stack's.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { canStartMariaDb } from '../support/mariadb.js';
import { API_KEY, readStateFile, startWorld, type World } from '../support/setup-world.js';
import { scriptedPrompter } from '../../src/ui/prompts.js';
import { leastPrivilegePolicy } from '../../src/aws/permissions.js';
import { runCli } from '../support/cli.js';
import type { CrashMode } from '../support/aws-fake.js';

const canRun = canStartMariaDb('the teardown tests');

function leftovers(world: World) {
  const { aws } = world;
  return [
    ...[...aws.iam.roles.keys()].map((n) => `role ${n}`),
    ...[...aws.ec2.groups.values()].map((g) => `sg ${g.name}`),
    ...[...aws.rds.instances.keys()].map((n) => `db ${n}`),
    ...[...aws.rds.clusters.keys()].map((n) => `cluster ${n}`),
    ...[...aws.rds.subnetGroups.keys()].map((n) => `subnet-group ${n}`),
    ...[...aws.lambda.functions.keys()].map((n) => `function ${n}`),
    ...[...aws.logs.groups.keys()].map((n) => `log ${n}`),
    ...[...aws.apigateway.apis.values()].map((a) => `api ${a.name}`),
    ...[...aws.scheduler.groups.keys()].map((n) => `schedule group ${n}`),
    ...[...aws.scheduler.schedules.keys()].map((n) => `schedule ${n}`),
  ];
}

describe.skipIf(!canRun)('mbed-tsdb teardown', () => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld();
  }, 120_000);
  beforeEach(async () => world.reset());
  afterAll(async () => world?.close());

  const teardown = (extra: string[] = [], env: Record<string, string> = {}) => world.cli(['teardown', '--yes', '--region', 'us-west-2', ...extra], { env });

  it('deletes the whole stack, the Connector side included, and says nothing remains', async () => {
    // Somebody else's rules: one on other devices, one on our device and path that says more than ours.
    const theirs = [{ 'endpoint-name': 'node*', 'resource-path': ['/3303/0/5700'] }, { 'endpoint-name': 'dev-1', 'endpoint-type': 'sensor', 'resource-path': ['/3200/0/5501'] }];
    world.connector.account(API_KEY).preSubscriptions = [...theirs];
    const made = await world.setup();
    expect(made.code, made.stderr).toBe(0);
    const run = await teardown();
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Nothing of stack mbed-tsdb remains in us-west-2 (checked by tag).');
    expect(leftovers(world)).toEqual([]);
    const account = world.connector.account(API_KEY);
    expect(account.callback).toBeNull();
    expect(account.preSubscriptions).toEqual(theirs);
    expect(account.subscriptions.get('dev-1')?.size ?? 0).toBe(0);
    // The VPC function's network interfaces held its group for a while: teardown waited, then went on.
    expect(world.aws.callsOf('DeleteSecurityGroup').length).toBeGreaterThan(2);
    expect(world.aws.callsOf('DeleteDBInstance')).toEqual([{ DBInstanceIdentifier: 'tsdb', SkipFinalSnapshot: true, DeleteAutomatedBackups: true }]);
    const roleGone = world.aws.calls.findIndex((c) => c.command === 'DeleteRole' && c.input.RoleName === 'mbed_time_series_database');
    const lastGroup = world.aws.calls.map((c) => c.command).lastIndexOf('DeleteSecurityGroup');
    expect(roleGone).toBeGreaterThan(lastGroup);
  });

  // Issue #24.6: Ctrl+C during the wait for AWS to list what setup just made was ignored for
  // the whole wait (~35 s left). Every wait stops within a second of it, with exit 130.
  it('stops within a second of Ctrl+C while it waits for AWS to list what setup just made (exit 130)', async () => {
    expect((await world.setup()).code).toBe(0);
    let stop!: () => void;
    const interrupted = new Promise<void>((resolve) => (stop = resolve));
    let stoppedAt = 0;
    const run = await world.cli(['teardown', '--yes', '--region', 'us-west-2'], {
      hooks: {
        sleep: (ms) => {
          setTimeout(() => ((stoppedAt = Date.now()), stop()), 100);
          return new Promise((resolve) => setTimeout(resolve, ms));
        },
      },
      interrupted,
    });
    expect(run.stderr).toContain('for AWS to list what setup just made');
    expect(run.code).toBe(130);
    expect(Date.now() - stoppedAt).toBeLessThan(1000);
    expect(world.aws.mutatingCalls().filter((c) => c.command.startsWith('Delete'))).toEqual([]);
  });

  it('says what it deleted, one ✓ line per resource in the order they went, and lists them in --json', async () => {
    expect((await world.setup()).code).toBe(0);
    const apiId = [...world.aws.apigateway.apis.keys()][0]!;
    const run = await teardown(['--json']);
    expect(run.code, run.stderr).toBe(0);
    const deleted = JSON.parse(run.stdout).deleted as string[];
    expect(deleted.slice(0, 6)).toEqual([
      'Connector: 1 subscription(s), 1 pre-subscription rule(s) and the webhook',
      `REST API mbed time series database webhook (${apiId})`,
      // Nothing invokes the function once its schedule is gone.
      'schedule group mbed-tsdb',
      'IAM role mbed_time_series_database-maintenance',
      'Lambda function mbed_time_series_webhook',
      'log group /aws/lambda/mbed_time_series_webhook',
    ]);
    // The database and the groups go side by side; the role last.
    expect([...deleted.slice(6, -1)].sort()).toEqual([
      'DB subnet group mbed-tsdb',
      'RDS instance tsdb',
      expect.stringMatching(/^security group desktop-RDS-access \(sg-/),
      expect.stringMatching(/^security group mbed-tsdb-webhook \(sg-/),
    ].sort());
    expect(deleted.at(-1)).toBe('IAM role mbed_time_series_database');
    expect(deleted.indexOf('RDS instance tsdb')).toBeLessThan(deleted.indexOf('DB subnet group mbed-tsdb'));
    // On stderr, the same, in the same order.
    const ticks = run.stderr.split('\n').filter((l) => l.startsWith('✓') && l.includes('deleted')).map((l) => l.replace(/^✓ /, '').replace(/: deleted.*$/, ''));
    expect(ticks).toEqual(deleted.slice(1));
    expect(run.stderr).toMatch(/✓ Connector: 1 subscription\(s\) and 1 rule\(s\) of ours removed, webhook removed/);
  });

  it('rides out a busy Connector on deletes (429/502/503/504): retries, then warns, goes on, and keeps what is left on record', async () => {
    expect((await world.setup()).code).toBe(0);
    await world.connector.deliver(API_KEY);
    const account = world.connector.account(API_KEY);
    // A short spell of 503s and 429s is retried through without a word.
    account.unavailable = { status: 503, times: 2, methods: ['DELETE'] };
    const spell = await teardown();
    expect(spell.code, spell.stderr).toBe(0);
    expect(spell.stderr).not.toContain('left for now');
    expect(account.callback).toBeNull();

    await world.reset();
    expect((await world.setup()).code).toBe(0);
    await world.connector.deliver(API_KEY);
    // …a long one is not: every delete and rule change answers 504 all through the teardown.
    account.unavailable = { status: 504, times: Infinity, methods: ['DELETE', 'PUT'] };
    const busy = await teardown();
    expect(busy.code, busy.stderr).toBe(0);
    expect(busy.stderr).toContain('the subscription of dev-1 to /3200/0/5501 (');
    expect(busy.stderr).toContain('the service is busy; left for now');
    expect(busy.stderr).toContain('Run mbed-tsdb teardown again later');
    expect(busy.stdout).toContain('The Connector still has 3 item(s) of it');
    expect(leftovers(world)).toEqual([]);
    expect(account.callback).not.toBeNull();
    // What is left is on record (without the database password), so the next run finishes it.
    const kept = readStateFile(world);
    expect(kept).toMatchObject({ outputs: { connector: { callbackUrl: expect.any(String) } } });
    expect(kept.database).toBeUndefined();
    delete account.unavailable;
    const again = await teardown();
    expect(again.code, again.stderr).toBe(0);
    expect(account.callback).toBeNull();
    expect(account.subscriptions.get('dev-1')?.size ?? 0).toBe(0);
    expect(account.preSubscriptions).toEqual([]);
    expect(existsSync(join(world.stateDir, 'mbed-tsdb.json'))).toBe(false);
  });

  // Since AWS's 2024 change, deleting with a final snapshot needs rds:CreateDBSnapshot (an
  // instance) or rds:CreateDBClusterSnapshot (Aurora) on the snapshot: the Service Authorization
  // Reference lists them as DeleteDBInstance's and DeleteDBCluster's dependent actions. The fake
  // refuses every action the caller's one policy does not grant, those parameters imply included.
  it.each(['mysql', 'aurora-mysql'])('%s: a user with exactly `mbed-tsdb policy` sets up, and tears down keeping a final snapshot', async (engine) => {
    world.aws.allowedBy = leastPrivilegePolicy('us-west-2');
    expect((await world.setup(['--engine', engine])).code).toBe(0);
    const run = await teardown(['--final-snapshot', 'keep-me']);
    expect(run.code, run.stderr).toBe(0);
    expect(leftovers(world)).toEqual([]);
    expect(world.aws.callsOf(engine === 'mysql' ? 'DeleteDBInstance' : 'DeleteDBCluster')[0]).toMatchObject({ FinalDBSnapshotIdentifier: 'keep-me' });
    // What is left keeps costing, and teardown says so, priced from the Price List the policy lets it read.
    expect(run.stdout).toContain(
      engine === 'mysql'
        ? 'Still costing: snapshot keep-me: at most 20 GB (the database\'s storage) × $0.095 per GB-month ≈ $1.90 a month until you delete it (aws rds delete-db-snapshot --db-snapshot-identifier keep-me)'
        : "Still costing: cluster snapshot keep-me: billed by the cluster's data × $0.021 per GB-month until you delete it (aws rds delete-db-cluster-snapshot --db-cluster-snapshot-identifier keep-me)",
    );
  });

  it('keeps a final snapshot when asked, and leaves a callback that points elsewhere', async () => {
    expect((await world.setup()).code).toBe(0);
    world.connector.account(API_KEY).callback = { url: 'https://elsewhere.example/hook', headers: {} };
    const run = await teardown(['--final-snapshot', 'tsdb-final', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(world.aws.callsOf('DeleteDBInstance')[0]).toMatchObject({ SkipFinalSnapshot: false, FinalDBSnapshotIdentifier: 'tsdb-final' });
    expect(world.connector.account(API_KEY).callback?.url).toBe('https://elsewhere.example/hook');
    // Said before anything goes, and in the result.
    expect(run.stderr).toMatch(/The database is kept, and keeps costing:\n {4}snapshot tsdb-final: at most 20 GB .* ≈ \$1\.90 a month until you delete it/);
    expect(run.stderr.indexOf('keeps costing')).toBeLessThan(run.stderr.indexOf('deleted'));
    expect(JSON.parse(run.stdout).keepsCosting).toEqual([expect.objectContaining({ resource: 'snapshot tsdb-final', gib: 20, unitPrice: 0.095, monthly: 1.9 })]);
  });

  it('works from the tags alone when the state file is gone', async () => {
    expect((await world.setup()).code).toBe(0);
    const { rmSync } = await import('node:fs');
    rmSync(world.stateDir, { recursive: true, force: true });
    const run = await teardown();
    expect(run.code, run.stderr).toBe(0);
    expect(leftovers(world)).toEqual([]);
  });

  it('never deletes what is not the stack’s', async () => {
    world.aws.ec2.groups.set('sg-theirs', { id: 'sg-theirs', name: 'desktop-RDS-access', vpcId: 'vpc-0other', description: 'x', tags: [], rules: [] });
    world.aws.ec2.groups.set('sg-other', { id: 'sg-other', name: 'mbed-tsdb-webhook-demo', vpcId: 'vpc-0default', description: 'x', tags: [{ Key: 'mbed-tsdb:stack', Value: 'demo' }], rules: [] });
    expect((await world.setup()).code).toBe(0);
    expect((await teardown()).code).toBe(0);
    expect(leftovers(world).sort()).toEqual(['sg desktop-RDS-access', 'sg mbed-tsdb-webhook-demo']);
  });

  it('waits out a database still being created (teardown right after an interrupted setup)', async () => {
    // setup killed right after RDS accepted CreateDBInstance: the database is still creating.
    world.aws.crashOn({ at: 'CreateDBInstance', mode: 'after' });
    expect((await world.setup()).code).toBe(1);
    expect(world.aws.crashed).toMatchObject({ command: 'CreateDBInstance', applied: true });
    world.aws.crashOn(null);
    const run = await teardown();
    expect(run.code, run.stderr).toBe(0);
    expect(leftovers(world)).toEqual([]);
    // RDS refused the delete while the instance was creating; teardown waited and asked again.
    const deletes = world.aws.callsOf('DeleteDBInstance');
    expect(deletes.length).toBeGreaterThan(1);
    expect(run.stderr).toContain('waiting until RDS lets it be deleted (still creating)');
  });

  it('gives up on lingering network interfaces after --wait-minutes, not the default hour', async () => {
    expect((await world.setup()).code).toBe(0);
    world.aws.ec2.eniLingerMs = 30 * 60_000;
    const short = await teardown(['--wait-minutes', '10', '--json']);
    expect(short.code).toBe(1);
    // stdout: what is left, then the failure (--json prints both documents).
    expect(short.stdout).toContain('"code": "WAIT_TIMEOUT"');
    expect(short.stdout).toContain('"kind": "security-group"');
    expect(short.stderr).toContain('security group mbed-tsdb-webhook');
    expect(short.stderr).toContain('run teardown again');
    // The same linger, the default hour: it waits them out.
    await world.reset();
    expect((await world.setup()).code).toBe(0);
    world.aws.ec2.eniLingerMs = 30 * 60_000;
    const patient = await teardown();
    expect(patient.code, patient.stderr).toBe(0);
    expect(leftovers(world)).toEqual([]);
  });

  it('waits longer than the default hour when --wait-minutes says so', async () => {
    world.aws.ec2.eniLingerMs = 75 * 60_000;
    expect((await world.setup()).code).toBe(0);
    const byDefault = await teardown();
    expect(byDefault.code).toBe(1);
    await world.reset();
    world.aws.ec2.eniLingerMs = 75 * 60_000;
    expect((await world.setup()).code).toBe(0);
    const longer = await teardown(['--wait-minutes', '90']);
    world.aws.ec2.eniLingerMs = 25 * 60_000;
    expect(longer.code, longer.stderr).toBe(0);
    expect(leftovers(world)).toEqual([]);
  });

  it('finishes on the next run after network interfaces outlast the wait', async () => {
    expect((await world.setup()).code).toBe(0);
    world.aws.ec2.eniLingerMs = 5 * 60 * 60_000;
    const run = await teardown(['--wait-minutes', '10']);
    world.aws.ec2.eniLingerMs = 25 * 60_000;
    expect(run.code).toBe(1);
    world.clock.now += 5 * 60 * 60_000; // later, the interfaces are gone
    const again = await teardown();
    expect(again.code, again.stderr).toBe(0);
    expect(leftovers(world)).toEqual([]);
  });

  it('deletes nothing with --dry-run, and asks for the stack name without --yes', async () => {
    expect((await world.setup()).code).toBe(0);
    const before = world.aws.mutatingCalls().length;
    const dry = await world.cli(['teardown', '--dry-run', '--region', 'us-west-2']);
    expect(dry.code).toBe(0);
    expect(dry.stderr).toContain('- role mbed_time_series_database');
    expect(dry.stderr).toContain('Nothing of it keeps costing afterwards (--final-snapshot <name> keeps the data, as a snapshot that does).');
    expect(world.aws.mutatingCalls()).toHaveLength(before);
    const refused = await world.cli(['teardown', '--region', 'us-west-2']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('pass --yes');
    const wrongName = await runCli(['teardown', '--region', 'us-west-2'], {
      env: { MBED_TSDB_STATE_DIR: world.stateDir, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' },
      hooks: { ...world.hooks, prompter: scriptedPrompter(['mbed-tsd']) },
      isTTY: true,
      stdinIsTTY: true,
    });
    expect(wrongName.code).toBe(1);
    expect(world.aws.mutatingCalls()).toHaveLength(before);
  });
});

describe.skipIf(!canRun)('teardown from every state setup can leave', () => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld();
  }, 120_000);
  afterAll(async () => world?.close());

  /** Somebody else's resources, with the same names or the same kind of tag. */
  const addForeign = () => {
    world.aws.ec2.groups.set('sg-theirs', { id: 'sg-theirs', name: 'desktop-RDS-access', vpcId: 'vpc-0other', description: 'x', tags: [], rules: [] });
    world.aws.lambda.functions.set('someone-else', { name: 'someone-else', arn: 'arn:aws:lambda:us-west-2:123456789012:function:someone-else', tags: { 'mbed-tsdb:stack': 'other' }, vpc: {}, policy: [] } as never);
  };
  const FOREIGN = ['function someone-else', 'sg desktop-RDS-access'];
  const ENGINES = { mysql: [], aurora: ['--engine', 'aurora-mysql'] } as const;
  const CASES = (['mysql', 'aurora'] as const).flatMap((engine) => (['before', 'after'] as CrashMode[]).map((mode) => [engine, mode] as const));
  const setupCalls = async (engine: keyof typeof ENGINES) => {
    await world.reset();
    expect((await world.setup([...ENGINES[engine]])).code).toBe(0);
    return world.aws.mutatingCalls().length;
  };
  const teardown = () => world.cli(['teardown', '--yes', '--region', 'us-west-2']);
  const errors = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('mbed-tsdb:')).join(' ');

  it.each(CASES)('%s: leaves nothing of the stack after setup stopped %s each mutating call, and nothing else is touched', async (engine, mode) => {
    const calls = await setupCalls(engine);
    const problems: string[] = [];
    let reached = 0;
    for (let crashAt = 1; crashAt <= calls; crashAt++) {
      await world.reset();
      addForeign();
      world.aws.crashOn({ at: crashAt, mode });
      const setup = await world.setup([...ENGINES[engine]]);
      const crashed = world.aws.crashed;
      world.aws.crashOn(null);
      if (!crashed || setup.code === 0) {
        problems.push(`crash ${crashAt}: not reached (setup exit ${setup.code})`);
        continue;
      }
      reached++;
      const run = await teardown();
      const left = leftovers(world).sort();
      if (run.code !== 0) problems.push(`crash ${crashAt} (${crashed.command}): teardown failed: ${errors(run.stderr)}`);
      if (JSON.stringify(left) !== JSON.stringify(FOREIGN)) problems.push(`crash ${crashAt} (${crashed.command}): left ${left.join(', ')}`);
    }
    expect(problems).toEqual([]);
    expect(reached).toBe(calls);
  }, 600_000);

  it.each(CASES)('%s: finishes on a re-run after teardown itself stopped %s each of its mutating calls', async (engine, mode) => {
    const setupOnly = await setupCalls(engine);
    expect((await teardown()).code).toBe(0);
    const teardownCalls = world.aws.mutatingCalls().length - setupOnly;
    const problems: string[] = [];
    let reached = 0;
    for (let crashAt = 1; crashAt <= teardownCalls; crashAt++) {
      await world.reset();
      addForeign();
      expect((await world.setup([...ENGINES[engine]])).code).toBe(0);
      world.aws.crashOn({ at: crashAt, mode });
      const stopped = await teardown();
      const crashed = world.aws.crashed;
      world.aws.crashOn(null);
      if (!crashed) {
        problems.push(`teardown crash ${crashAt}: not reached`);
        continue;
      }
      reached++;
      if (stopped.code === 0) problems.push(`teardown crash ${crashAt} (${crashed.command}): claimed success`);
      const again = await teardown();
      const left = leftovers(world).sort();
      if (again.code !== 0) problems.push(`teardown crash ${crashAt} (${crashed.command}): the re-run failed: ${errors(again.stderr)}`);
      if (JSON.stringify(left) !== JSON.stringify(FOREIGN)) problems.push(`teardown crash ${crashAt} (${crashed.command}): left ${left.join(', ')}`);
    }
    expect(problems).toEqual([]);
    expect(reached).toBe(teardownCalls);
  }, 600_000);
});
