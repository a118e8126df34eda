import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { accessRulesStep, accessStep } from '../../src/stack/steps/access.js';
import { databaseReadyStep, databaseStep } from '../../src/stack/steps/database.js';
import type { StepContext } from '../../src/stack/step.js';
import { networkStep } from '../../src/stack/steps/network.js';
import { ConflictError } from '../../src/stack/step.js';
import { FakeAws } from '../support/aws-fake.js';
import { stepContext } from '../support/step-context.js';

const PASSWORD = 'Abcdefghjkmnpqrstuvwxyz234567890';

describe('§2 database step', () => {
  let aws: FakeAws;
  beforeEach(() => {
    aws = new FakeAws().install();
  });
  afterEach(() => aws.restore());

  const ready = async (answers: Record<string, unknown> = {}) => {
    const ctx = stepContext({ answers, state: { version: 1, stack: 'mbed-tsdb', database: { password: PASSWORD } as never } });
    aws.clock = () => ctx.clock.now;
    ctx.state.outputs = { network: await networkStep.apply(ctx) };
    ctx.state.outputs.access = await accessStep.apply(ctx);
    ctx.state.outputs['access-rules'] = await accessRulesStep.apply(ctx);
    return ctx;
  };
  /** Both §2 steps, as the engine runs them: asked for, then waited for. */
  const applyDatabase = async (ctx: StepContext) => {
    const requested = await databaseStep.apply(ctx);
    ctx.state.outputs!.database = requested;
    return { ...requested, ...(await databaseReadyStep.apply(ctx)) };
  };

  it('creates MySQL tsdb on the cheapest class, 20 GB encrypted, reachable from the desktop, and waits for it', async () => {
    const ctx = await ready();
    const output = await applyDatabase(ctx);
    const [request] = aws.callsOf('CreateDBInstance');
    const access = ctx.state.outputs!.access as { databaseGroupId: string };
    expect(request).toEqual({
      DBInstanceIdentifier: 'tsdb',
      PubliclyAccessible: true,
      DBSubnetGroupName: 'mbed-tsdb',
      Tags: [{ Key: 'mbed-tsdb:stack', Value: 'mbed-tsdb' }, { Key: 'mbed-tsdb:managed-by', Value: 'mbed-tsdb' }],
      Engine: 'mysql',
      DBInstanceClass: 'db.t4g.micro',
      AllocatedStorage: 20,
      MaxAllocatedStorage: 100,
      StorageEncrypted: true,
      DBName: 'tsdb',
      MasterUsername: 'tsdbuser',
      MasterUserPassword: PASSWORD,
      VpcSecurityGroupIds: [access.databaseGroupId],
      BackupRetentionPeriod: 1,
      DeletionProtection: false,
      EnableIAMDatabaseAuthentication: true,
    });
    expect(aws.callsOf('CreateDBSubnetGroup')[0]).toMatchObject({ DBSubnetGroupName: 'mbed-tsdb', SubnetIds: ['subnet-0a', 'subnet-0b', 'subnet-0c'] });
    expect(output).toEqual({ identifier: 'tsdb', engine: 'mysql', host: 'tsdb.abcdefghijkl.us-west-2.rds.amazonaws.com', port: 3306, resourceId: aws.rds.instances.get('tsdb')!.resourceId });
    // The resource ID (for the role's login) was known before the boot: the first step did not wait.
    expect(ctx.log()).toMatch(/✓ database tsdb: requested \(creating\)/);
    expect(aws.rds.instances.get('tsdb')!.resourceId).toMatch(/^db-[A-Z0-9]{26}$/);
    expect(ctx.clock.now).toBeGreaterThanOrEqual(300_000);
    expect(ctx.log()).toMatch(/… database tsdb: creating \(\d+s\)/);
    expect(ctx.log()).toContain('✓ database tsdb: available at tsdb.abcdefghijkl.us-west-2.rds.amazonaws.com:3306');
    expect(ctx.state.database).toEqual({
      password: PASSWORD,
      passwordApplied: true,
      host: 'tsdb.abcdefghijkl.us-west-2.rds.amazonaws.com',
      port: 3306,
      user: 'tsdbuser',
      name: 'tsdb',
      table: 'events',
      access: 'my-ip',
      cidr: '203.0.113.7/32',
    });
  });

  // Storage autoscaling (RDS user guide, "Managing capacity automatically with Amazon RDS storage
  // autoscaling"): RDS grows a full instance's storage up to MaxAllocatedStorage, instead of
  // stopping it (storage-full). It must be at least 10 % over AllocatedStorage.
  it('lets a new MySQL database grow its storage up to 100 GB (--max-storage), and says so in the plan', async () => {
    const ctx = await ready();
    expect((await databaseStep.plan(ctx))[0]!.detail).toBe('MySQL, db.t4g.micro, 20 GB encrypted (grows to 100 GB as it fills), reachable from your IP');
    await applyDatabase(ctx);
    expect(aws.callsOf('CreateDBInstance')[0]).toMatchObject({ AllocatedStorage: 20, MaxAllocatedStorage: 100 });
    const bigger = await ready({ maxStorage: 500 });
    aws.rds.instances.clear();
    await applyDatabase(bigger);
    expect(aws.callsOf('CreateDBInstance')[1]).toMatchObject({ AllocatedStorage: 20, MaxAllocatedStorage: 500 });
  });

  it('turns storage autoscaling on for a database made without it, and keeps one that has it', async () => {
    const ctx = await ready();
    await applyDatabase(ctx);
    delete aws.rds.instances.get('tsdb')!.maxAllocatedStorage;
    expect(await databaseStep.plan(ctx)).toEqual([
      { step: 'database', resource: 'RDS instance tsdb', action: 'update', detail: 'let its storage grow to 100 GB as it fills (storage autoscaling; 20 GB now)' },
    ]);
    await applyDatabase(ctx);
    expect(aws.callsOf('ModifyDBInstance')).toEqual([{ DBInstanceIdentifier: 'tsdb', MaxAllocatedStorage: 100, ApplyImmediately: true }]);
    expect(aws.rds.instances.get('tsdb')!.maxAllocatedStorage).toBe(100);
    expect((await databaseStep.plan(ctx))[0]!.action).toBe('keep');
    // A limit the user raised by hand is theirs: never lowered.
    aws.rds.instances.get('tsdb')!.maxAllocatedStorage = 1000;
    expect((await databaseStep.plan(ctx))[0]!.action).toBe('keep');
  });

  it('is refused by the fake as RDS refuses it: a limit not 10 % over the storage', async () => {
    const ctx = await ready({ maxStorage: 21 });
    await expect(databaseStep.apply(ctx)).rejects.toThrow('The maximum allocated storage must be increased by at least 10 percent.');
    const equal = await ready({ maxStorage: 20 });
    await expect(databaseStep.apply(equal)).rejects.toThrow('Max storage size must be greater than storage size');
  });

  it('takes the next cheapest class the region offers, and keeps a private database private', async () => {
    aws.rds.offeredClasses.delete('db.t4g.micro');
    const ctx = await ready({ access: 'private' });
    await applyDatabase(ctx);
    expect(aws.callsOf('CreateDBInstance')[0]).toMatchObject({ DBInstanceClass: 'db.t3.micro', PubliclyAccessible: false });
    expect(ctx.state.database?.cidr).toBeUndefined();
  });

  // Scaling to 0 ACU (auto-pause) needs Aurora MySQL 3.08 or newer; the region's default may be
  // older (SDK model: DBEngineVersion.ServerlessV2FeaturesSupport.MinCapacity, "If the minimum
  // capacity is 0 ACUs, the engine version ... supports the automatic pause/resume feature").
  it('creates Aurora Serverless v2 that can scale to zero, on the newest version that can', async () => {
    aws.pageSize = 2; // the versions come in pages
    const ctx = await ready({ engine: 'aurora-mysql' });
    const plan = await databaseStep.plan(ctx);
    expect(plan[0]!.detail).toContain('Aurora MySQL 8.0.mysql_aurora.3.10.0 Serverless v2 (0–2 ACU, pauses when idle)');
    const output = await applyDatabase(ctx);
    expect(aws.callsOf('CreateDBCluster')[0]).toMatchObject({
      DBClusterIdentifier: 'tsdb-cluster',
      Engine: 'aurora-mysql',
      EngineVersion: '8.0.mysql_aurora.3.10.0',
      DatabaseName: 'tsdb',
      StorageEncrypted: true,
      ServerlessV2ScalingConfiguration: { MinCapacity: 0, MaxCapacity: 2 },
      EnableIAMDatabaseAuthentication: true,
    });
    // Aurora keeps IAM authentication on the cluster: an instance given it is refused.
    expect(aws.callsOf('CreateDBInstance')[0]).toEqual(expect.not.objectContaining({ EnableIAMDatabaseAuthentication: expect.anything() }));
    expect(aws.callsOf('CreateDBInstance')[0]).toMatchObject({ DBClusterIdentifier: 'tsdb-cluster', DBInstanceClass: 'db.serverless', Engine: 'aurora-mysql' });
    expect(output.host).toContain('tsdb-cluster.cluster');
    expect(output.resourceId).toBe(aws.rds.clusters.get('tsdb-cluster')!.resourceId);
    expect(output.resourceId).toMatch(/^cluster-[A-Z0-9]{26}$/);
  });

  // ModifyDBInstance/ModifyDBCluster EnableIAMDatabaseAuthentication with ApplyImmediately: the
  // database is `modifying` for a while, the change shown in PendingModifiedValues until applied.
  it.each(['mysql', 'aurora-mysql'] as const)('turns IAM authentication on for a %s database made before it was used, and waits until it applies', async (engine) => {
    const ctx = await ready({ engine });
    await applyDatabase(ctx);
    const holder = engine === 'mysql' ? aws.rds.instances.get('tsdb')! : aws.rds.clusters.get('tsdb-cluster')!;
    holder.iamAuth = false;
    expect((await databaseStep.plan(ctx))[0]).toMatchObject({ action: 'update', detail: expect.stringContaining('turn on IAM database authentication') });
    const started = ctx.clock.now;
    await applyDatabase(ctx);
    const modify = aws.callsOf(engine === 'mysql' ? 'ModifyDBInstance' : 'ModifyDBCluster');
    expect(modify).toEqual([{ [engine === 'mysql' ? 'DBInstanceIdentifier' : 'DBClusterIdentifier']: engine === 'mysql' ? 'tsdb' : 'tsdb-cluster', EnableIAMDatabaseAuthentication: true, ApplyImmediately: true }]);
    expect(holder.iamAuth).toBe(true);
    expect(ctx.clock.now - started).toBeGreaterThanOrEqual(aws.rds.modifyMs);
    expect(ctx.log()).toContain('turning on IAM database authentication');
    // …and once on, nothing more.
    const before = aws.mutatingCalls().length;
    await applyDatabase(ctx);
    expect(aws.mutatingCalls()).toHaveLength(before);
  });

  it('settles for a minimum of 0.5 ACU, and says so in the plan, where no version can pause', async () => {
    aws.rds.engineVersions = aws.rds.engineVersions.filter((v) => v.ServerlessV2FeaturesSupport?.MinCapacity !== 0);
    const ctx = await ready({ engine: 'aurora-mysql' });
    expect((await databaseStep.plan(ctx))[0]!.detail).toContain('0.5–2 ACU: no Aurora MySQL version in us-west-2 can pause at 0');
    await applyDatabase(ctx);
    expect(aws.callsOf('CreateDBCluster')[0]).toMatchObject({ EngineVersion: '8.0.mysql_aurora.3.05.2', ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 2 } });
  });

  it('finds a cluster that has no endpoint yet instead of making another (stopped right after CreateDBCluster)', async () => {
    const ctx = await ready({ engine: 'aurora-mysql' });
    aws.crashOn({ at: 'CreateDBCluster', mode: 'after' });
    await expect(databaseStep.apply(ctx)).rejects.toThrow('simulated crash');
    aws.crashOn(null);
    await applyDatabase(ctx);
    expect(aws.callsOf('CreateDBCluster')).toHaveLength(1);
    expect(aws.rds.clusters.size).toBe(1);
  });

  it('removes Aurora: the instance, then the cluster (waiting while it is deleting), then the subnet group', async () => {
    const ctx = await ready({ engine: 'aurora-mysql' });
    await applyDatabase(ctx);
    await databaseStep.remove(ctx);
    expect(aws.rds.instances.size).toBe(0);
    expect(aws.rds.clusters.size).toBe(0);
    expect(aws.rds.subnetGroups.size).toBe(0);
    expect(aws.callsOf('DeleteDBCluster')).toHaveLength(1);
    expect(ctx.log()).toMatch(/cluster tsdb-cluster: deleting/);
  });

  it('finishes an Aurora removal stopped while the cluster was deleting, without deleting it twice', async () => {
    const ctx = await ready({ engine: 'aurora-mysql' });
    await applyDatabase(ctx);
    aws.crashOn({ at: 'DeleteDBCluster', mode: 'after' });
    await expect(databaseStep.remove(ctx)).rejects.toThrow('simulated crash');
    aws.crashOn(null);
    expect([...aws.rds.clusters.values()][0]!.deletingAt).toBeDefined();
    await databaseStep.remove(ctx);
    expect(aws.callsOf('DeleteDBCluster')).toHaveLength(1);
    expect(aws.rds.clusters.size).toBe(0);
    expect(aws.rds.subnetGroups.size).toBe(0);
  });

  it('deletes a cluster that never got an instance or an endpoint (setup stopped in between)', async () => {
    const ctx = await ready({ engine: 'aurora-mysql' });
    aws.crashOn({ at: 'CreateDBInstance', mode: 'before' });
    await expect(databaseStep.apply(ctx)).rejects.toThrow('simulated crash');
    aws.crashOn(null);
    expect(aws.rds.instances.size).toBe(0);
    await databaseStep.remove(ctx);
    expect(aws.rds.clusters.size).toBe(0);
    expect(aws.rds.subnetGroups.size).toBe(0);
  });

  // RDS user guide, "Increasing DB instance storage capacity": after storage grows (autoscaling
  // included) the instance is `storage-optimization` for hours, and it works as usual meanwhile
  // (AWS re:Post, "rds-stuck-in-storage-optimization": other modifications are allowed too).
  it('does not wait out the hours of storage-optimization after the storage grew: the database works', async () => {
    const ctx = await ready();
    await applyDatabase(ctx);
    const grown = aws.rds.instances.get('tsdb')!;
    grown.allocatedStorage = 30;
    grown.optimizingUntil = ctx.clock.now + 6 * 3600_000;
    const before = ctx.clock.now;
    const output = await applyDatabase(ctx);
    expect(output.host).toBe('tsdb.abcdefghijkl.us-west-2.rds.amazonaws.com');
    expect(ctx.clock.now - before).toBeLessThan(60_000);
    // Turning IAM authentication on is a modification RDS takes meanwhile.
    grown.iamAuth = false;
    await applyDatabase(ctx);
    expect(aws.callsOf('ModifyDBInstance').at(-1)).toMatchObject({ EnableIAMDatabaseAuthentication: true });
  });

  // RDS's storage-full status: "the DB instance has reached its storage capacity allocation… scale
  // up your storage by modifying the DB instance" (RDS user guide, "Viewing Amazon RDS DB instance
  // status"); an increase must be at least 10 % ("Increasing DB instance storage capacity"), and
  // autoscaling adds max(10 GiB, 10 %) at a time. Waiting for it to become available never ends.
  it('grows a full database at once (no wait for a status that never comes), and lets it grow on', async () => {
    const ctx = await ready();
    await applyDatabase(ctx);
    const full = aws.rds.instances.get('tsdb')!;
    delete full.maxAllocatedStorage;
    full.storageFull = true;
    expect(await databaseStep.plan(ctx)).toEqual([
      { step: 'database', resource: 'RDS instance tsdb', action: 'update', detail: 'its 20 GB are full (RDS takes no readings): grow it to 30 GB now, and up to 100 GB as it fills' },
    ]);
    const before = ctx.clock.now;
    await applyDatabase(ctx);
    expect(ctx.clock.now - before).toBeLessThan(60_000);
    expect(aws.callsOf('ModifyDBInstance')).toEqual([{ DBInstanceIdentifier: 'tsdb', AllocatedStorage: 30, MaxAllocatedStorage: 100, ApplyImmediately: true }]);
    expect(full).toMatchObject({ allocatedStorage: 30, maxAllocatedStorage: 100, storageFull: false });
  });

  it('grows a full database that reached its limit by 10 % or 10 GB, and raises the limit to match', async () => {
    const ctx = await ready({ maxStorage: 200 });
    await applyDatabase(ctx);
    const full = aws.rds.instances.get('tsdb')!;
    full.allocatedStorage = 200;
    full.storageFull = true;
    await applyDatabase(ctx);
    expect(aws.callsOf('ModifyDBInstance').at(-1)).toEqual({ DBInstanceIdentifier: 'tsdb', AllocatedStorage: 220, MaxAllocatedStorage: 242, ApplyImmediately: true });
  });

  it('changes nothing when run again', async () => {
    const ctx = await ready();
    await applyDatabase(ctx);
    const before = aws.mutatingCalls().length;
    await applyDatabase(ctx);
    expect(aws.mutatingCalls()).toHaveLength(before);
    expect((await databaseStep.plan(ctx))[0]).toMatchObject({ action: 'keep' });
  });

  it('adopts its own instance whose password it cannot vouch for by setting the saved one', async () => {
    const first = await ready();
    await applyDatabase(first);
    const again = await ready();
    await applyDatabase(again);
    expect(aws.callsOf('ModifyDBInstance')).toEqual([{ DBInstanceIdentifier: 'tsdb', MasterUserPassword: PASSWORD, ApplyImmediately: true }]);
  });

  // RDS takes a new master password only while `available`, and applies it later
  // (ModifyDBInstance: InvalidDBInstanceStateFault; status resetting-master-credentials,
  // PendingModifiedValues.MasterUserPassword): wait before the reset, and until it is done.
  it('sets a new password only once the database is available, and waits until the reset is done', async () => {
    const first = await ready();
    aws.crashOn({ at: 'CreateDBInstance', mode: 'after' });
    await expect(databaseStep.apply(first)).rejects.toThrow('simulated crash');
    aws.crashOn(null);
    // The run stopped before its state was saved: the new run cannot vouch for the password.
    const again = await ready();
    await applyDatabase(again);
    const modify = aws.calls.findIndex((c) => c.command === 'ModifyDBInstance');
    expect(modify).toBeGreaterThan(-1);
    const instance = aws.rds.instances.get('tsdb')!;
    // Asked only after the instance had booted, and the step ended after the reset.
    expect(instance.reset!.until).toBeLessThanOrEqual(again.clock.now);
    expect(again.clock.now - instance.createdAt).toBeGreaterThanOrEqual(aws.rds.bootMs + aws.rds.resetMs);
    expect(again.log()).toContain('resetting-master-credentials');
    expect(again.state.database!.passwordResetAt).toEqual(expect.any(Number));
  });

  it('never adopts an instance of the same name it did not make', async () => {
    const ctx = await ready();
    aws.rds.subnetGroups.set('default', { subnets: [], tags: [] });
    aws.rds.instances.set('tsdb', { id: 'tsdb', engine: 'mysql', instanceClass: 'db.t3.micro', createdAt: -1e9, publicly: false, securityGroups: [], subnetGroup: 'default', deletionProtection: false, tags: [], resourceId: 'db-HANDMADE', iamAuth: false });
    await expect(databaseStep.plan(ctx)).rejects.toThrow(ConflictError);
    await expect(databaseStep.apply(ctx)).rejects.toThrow('RDS instance tsdb already exists and was not made by mbed-tsdb');
    await databaseStep.remove(ctx);
    expect(aws.rds.instances.has('tsdb')).toBe(true);
  });

  it('removes the instance (waiting until it is gone) and its subnet group', async () => {
    const ctx = await ready();
    await applyDatabase(ctx);
    await databaseStep.remove(ctx);
    expect(aws.callsOf('DeleteDBInstance')).toEqual([{ DBInstanceIdentifier: 'tsdb', SkipFinalSnapshot: true, DeleteAutomatedBackups: true }]);
    expect(aws.rds.instances.size).toBe(0);
    expect(aws.rds.subnetGroups.size).toBe(0);
  });
});
