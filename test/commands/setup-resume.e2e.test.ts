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
  let clean: ReturnType<typeof inventory>;
  let mutating: string[];

  beforeAll(async () => {
    world = await startWorld();
    const run = await world.setup();
    expect(run.code, run.stderr).toBe(0);
    clean = inventory(world);
    mutating = world.aws.mutatingCalls().map((c) => c.command);
  }, 120_000);
  afterAll(async () => world?.close());

  it('makes a known list of changes', () => {
    expect(new Set(mutating)).toEqual(
      new Set([
        'CreateRole', 'AttachRolePolicy', 'CreateSecurityGroup', 'AuthorizeSecurityGroupIngress', 'CreateDBSubnetGroup', 'CreateDBInstance',
        'CreateLogGroup', 'PutRetentionPolicy', 'CreateFunction', 'CreateRestApi', 'CreateResource', 'PutMethod', 'PutIntegration',
        'PutMethodResponse', 'PutIntegrationResponse', 'AddPermission', 'CreateDeployment', 'UpdateFunctionConfiguration',
      ]),
    );
  });

  it.each<CrashMode>(['before', 'after'])('ends every run stopped %s a mutating call, once re-run, exactly like the uninterrupted one', async (mode) => {
    const failures: string[] = [];
    let reached = 0;
    // CreateFunction is refused while the new role propagates, so the clean run has a few more
    // calls than there are changes; every one of them is a crash point. With the jitter fixed,
    // every run makes the clean run's calls in the clean run's order up to its crash.
    for (let crashAt = 1; crashAt <= mutating.length; crashAt++) {
      await world.reset();
      world.aws.crashOn({ at: crashAt, mode });
      const stopped = await world.setup();
      const crashed = world.aws.crashed;
      world.aws.crashOn(null);
      const label = `crash ${mode} call ${crashAt} (${mutating[crashAt - 1]})`;
      if (!crashed) {
        failures.push(`${label}: never reached (the run made ${world.aws.mutatingCalls().length} mutating calls)`);
        continue;
      }
      reached++;
      if (crashed.command !== mutating[crashAt - 1]) failures.push(`${label}: crashed at ${crashed.command} instead`);
      const again = await world.setup();
      const result = inventory(world);
      if (stopped.code === 0) failures.push(`${label}: the interrupted run claimed success`);
      else if (!stopped.stderr.includes('run the same command again')) failures.push(`${label}: no advice to re-run: ${stopped.stderr}`);
      if (again.code !== 0) failures.push(`${label}: the re-run failed: ${again.stderr}`);
      else if (JSON.stringify(result) !== JSON.stringify(clean)) failures.push(`${label}: ${JSON.stringify(result)} ≠ ${JSON.stringify(clean)}`);
    }
    expect(failures).toEqual([]);
    expect(reached).toBe(mutating.length);
    // And there is no call past the last: a crash planned there never happens.
    await world.reset();
    world.aws.crashOn({ at: mutating.length + 1, mode });
    expect((await world.setup()).code).toBe(0);
    expect(world.aws.crashed).toBeNull();
    world.aws.crashOn(null);
  }, 600_000);
});
