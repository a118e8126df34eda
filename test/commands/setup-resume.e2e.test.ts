// Resume: stop the run at each mutating AWS call in turn — before AWS acts, and after it
// acted with the answer lost — run again, and end with the same stack as an uninterrupted
// run: nothing made twice, nothing left unrecorded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CrashMode } from '../support/aws-fake.js';
import { canStartMariaDb } from '../support/mariadb.js';
import { API_KEY, startWorld, type World } from '../support/setup-world.js';

const canRun = canStartMariaDb('the setup tests');

function inventory(world: World) {
  const { aws } = world;
  return {
    roles: [...aws.iam.roles.entries()].map(([name, r]) => `${name}:${[...r.attached].length}`),
    groups: [...aws.ec2.groups.values()].map((g) => `${g.name}:${g.rules.length}`).sort(),
    subnetGroups: [...aws.rds.subnetGroups.keys()],
    instances: [...aws.rds.instances.keys()],
    clusters: [...aws.rds.clusters.keys()],
    functions: [...aws.lambda.functions.values()].map((f) => `${f.name}:${Object.keys(f.environment).sort().join(',')}:${f.policy.length}`),
    logGroups: [...aws.logs.groups.entries()].map(([name, g]) => `${name}:${g.retention}`),
    apis: [...aws.apigateway.apis.values()].map((a) => `${a.name}:${[...a.resources.values()].map((r) => `${r.path}[${[...r.methods.keys()].sort()}]`).sort()}:${[...a.stages]}`),
    callback: Boolean(world.connector.account(API_KEY).callback),
    rules: world.connector.account(API_KEY).preSubscriptions.length,
    subscriptions: [...(world.connector.account(API_KEY).subscriptions.get('dev-1') ?? [])],
  };
}

describe.skipIf(!canRun)('setup resumes after stopping at any mutating call', () => {
  let world: World;
  const clean: Record<string, ReturnType<typeof inventory>> = {};
  const mutating: Record<string, string[]> = {};
  const ENGINES = { mysql: [], aurora: ['--engine', 'aurora-mysql'] } as const;

  beforeAll(async () => {
    world = await startWorld();
    for (const engine of ['mysql', 'aurora'] as const) {
      await world.reset();
      const run = await world.setup([...ENGINES[engine]]);
      expect(run.code, run.stderr).toBe(0);
      clean[engine] = inventory(world);
      mutating[engine] = world.aws.mutatingCalls().map((c) => c.command);
    }
  }, 120_000);
  afterAll(async () => world?.close());

  it('makes a known list of changes', () => {
    expect(new Set(mutating.mysql)).toEqual(
      new Set([
        'CreateRole', 'AttachRolePolicy', 'CreateSecurityGroup', 'AuthorizeSecurityGroupIngress', 'CreateDBSubnetGroup', 'CreateDBInstance',
        'CreateLogGroup', 'PutRetentionPolicy', 'CreateFunction', 'CreateRestApi', 'CreateResource', 'PutMethod', 'PutIntegration',
        'PutMethodResponse', 'PutIntegrationResponse', 'AddPermission', 'CreateDeployment', 'UpdateStage', 'UpdateFunctionConfiguration', 'PutRolePolicy',
        'CreateScheduleGroup', 'CreateSchedule',
      ]),
    );
    expect(new Set(mutating.aurora)).toEqual(new Set([...mutating.mysql!, 'CreateDBCluster']));
  });

  const CASES = (['mysql', 'aurora'] as const).flatMap((engine) => (['before', 'after'] as CrashMode[]).map((mode) => [engine, mode] as const));

  it.each(CASES)('%s: ends every run stopped %s a mutating call, once re-run, exactly like the uninterrupted one', async (engine, mode) => {
    const calls = mutating[engine]!;
    const failures: string[] = [];
    let reached = 0;
    // CreateFunction is refused while the new role propagates, so the clean run has a few more
    // calls than there are changes; every one of them is a crash point. With the jitter fixed,
    // every run makes the clean run's calls in the clean run's order up to its crash.
    for (let crashAt = 1; crashAt <= calls.length; crashAt++) {
      await world.reset();
      world.aws.crashOn({ at: crashAt, mode });
      const stopped = await world.setup([...ENGINES[engine]]);
      const crashed = world.aws.crashed;
      world.aws.crashOn(null);
      const label = `crash ${mode} call ${crashAt} (${calls[crashAt - 1]})`;
      if (!crashed) {
        failures.push(`${label}: never reached (the run made ${world.aws.mutatingCalls().length} mutating calls)`);
        continue;
      }
      reached++;
      if (crashed.command !== calls[crashAt - 1]) failures.push(`${label}: crashed at ${crashed.command} instead`);
      const again = await world.setup([...ENGINES[engine]]);
      const result = inventory(world);
      if (stopped.code === 0) failures.push(`${label}: the interrupted run claimed success`);
      else if (!stopped.stderr.includes('run the same command again')) failures.push(`${label}: no advice to re-run: ${stopped.stderr}`);
      if (again.code !== 0) failures.push(`${label}: the re-run failed: ${again.stderr}`);
      else if (JSON.stringify(result) !== JSON.stringify(clean[engine])) failures.push(`${label}: ${JSON.stringify(result)} ≠ ${JSON.stringify(clean[engine])}`);
    }
    expect(failures).toEqual([]);
    expect(reached).toBe(calls.length);
    // And there is no call past the last: a crash planned there never happens.
    await world.reset();
    world.aws.crashOn({ at: calls.length + 1, mode });
    expect((await world.setup([...ENGINES[engine]])).code).toBe(0);
    expect(world.aws.crashed).toBeNull();
    world.aws.crashOn(null);
  }, 600_000);

  it('ends like a clean run when the re-run comes a month later (the function gone Inactive meanwhile)', async () => {
    const calls = mutating.mysql!;
    const failures: string[] = [];
    let woken = 0;
    for (let crashAt = 1; crashAt <= calls.length; crashAt++) {
      await world.reset();
      world.aws.crashOn({ at: crashAt, mode: 'after' });
      await world.setup();
      world.aws.crashOn(null);
      world.clock.now += 30 * 24 * 60 * 60_000;
      const again = await world.setup();
      if (again.stderr.includes('Inactive after weeks unused')) woken++;
      if (again.code !== 0) failures.push(`crash at ${crashAt} (${calls[crashAt - 1]}): the re-run failed: ${again.stderr.split('\n').filter((l) => l.startsWith('mbed-tsdb:')).join(' ')}`);
      else if (JSON.stringify(inventory(world)) !== JSON.stringify(clean.mysql)) failures.push(`crash at ${crashAt}: ${JSON.stringify(inventory(world))} ≠ ${JSON.stringify(clean.mysql)}`);
    }
    expect(failures).toEqual([]);
    // Every run stopped once the function existed (at least all after its creation; other steps
    // go on after one fails, so some earlier ones too) found it Inactive and woke it.
    expect(woken).toBeGreaterThanOrEqual(calls.length - calls.lastIndexOf('CreateFunction'));
  }, 600_000);

  it.each(['before', 'after'] as CrashMode[])('ends like a clean run when setup follows a teardown stopped %s each of its mutating calls', async (mode) => {
    await world.reset();
    expect((await world.setup()).code).toBe(0);
    const before = world.aws.mutatingCalls().length;
    expect((await world.cli(['teardown', '--yes', '--region', 'us-west-2'])).code).toBe(0);
    const teardownCalls = world.aws.mutatingCalls().slice(before).map((c) => c.command);
    const failures: string[] = [];
    let staleReplaced = 0;
    for (let crashAt = 1; crashAt <= teardownCalls.length; crashAt++) {
      await world.reset();
      expect((await world.setup()).code).toBe(0);
      world.aws.crashOn({ at: crashAt, mode });
      await world.cli(['teardown', '--yes', '--region', 'us-west-2']);
      const crashed = world.aws.crashed;
      world.aws.crashOn(null);
      const label = `teardown stopped ${mode} call ${crashAt} (${teardownCalls[crashAt - 1]})`;
      if (!crashed) {
        failures.push(`${label}: never reached`);
        continue;
      }
      const again = await world.setup();
      if (world.aws.callsOf('RemovePermission').length > 0) staleReplaced++;
      if (again.code !== 0) failures.push(`${label}: setup failed: ${again.stderr.split('\n').filter((l) => l.startsWith('mbed-tsdb:')).join(' ')}`);
      else if (JSON.stringify(inventory(world)) !== JSON.stringify(clean.mysql)) failures.push(`${label}: ${JSON.stringify(inventory(world))} ≠ ${JSON.stringify(clean.mysql)}`);
    }
    expect(failures).toEqual([]);
    // The API goes before the function: a teardown stopped in between leaves the function a
    // statement for an API that is gone, which the next setup replaced.
    expect(staleReplaced).toBeGreaterThan(0);
  }, 600_000);
});
