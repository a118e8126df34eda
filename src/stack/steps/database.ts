// Tutorial §2: the database `tsdb`. MySQL on the cheapest small class the region offers
// (20 GB, encrypted), or Aurora MySQL Serverless v2 that can scale to zero. It takes minutes
// to boot, so it is two steps: `database` asks for it (its resource ID is known at once, for the
// role's login), `database-ready` waits for it, and only what needs it waits on that. Every wait —
// booting, a password reset, deleting — is bounded and shows progress.

import {
  CreateDBClusterCommand,
  CreateDBInstanceCommand,
  CreateDBSubnetGroupCommand,
  DBClusterNotFoundFault,
  DBInstanceNotFoundFault,
  DBSubnetGroupNotFoundFault,
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  DeleteDBSubnetGroupCommand,
  DescribeDBInstancesCommand,
  DescribeDBSubnetGroupsCommand,
  DescribeOrderableDBInstanceOptionsCommand,
  InvalidDBClusterStateFault,
  InvalidDBInstanceStateFault,
  InvalidDBSubnetGroupStateFault,
  ListTagsForResourceCommand,
  ModifyDBClusterCommand,
  ModifyDBInstanceCommand,
  type DBCluster,
  type DBInstance,
  type RDSClient,
} from '@aws-sdk/client-rds';
import type { AwsClients } from '../../aws/clients.js';
import { UserFacingError } from '../../errors.js';
import type { Task } from '../../ui/progress.js';
import { done, notYet, retry, waitFor } from '../../util/wait.js';
import { tagMap } from '../naming.js';
import { checkOwner, ConflictError, reportRemoved, type PlanItem, type Step, type StepContext } from '../step.js';
import type { AccessOutput } from './access.js';
import { AURORA_MAX_ACU, auroraVersions, chooseAuroraVersion, clusterEndpoint, findCluster, type AuroraChoice } from './database-aurora.js';
import { iamAuthState, iamHolder, resourceIdOf, turnOnIamAuth } from './database-iam.js';
import { ALLOCATED_STORAGE_GB, growFullStorage, isFull, maxStorage, needsMaxStorage, storageChange, turnOnAutoscaling, USABLE_STATUSES } from './database-storage.js';
import type { NetworkOutput } from './network.js';

/** Cheapest first; the first the region offers for MySQL is used. */
export const MYSQL_CLASSES = ['db.t4g.micro', 'db.t3.micro', 'db.t4g.small', 'db.t3.small'];
export const POLL_MS = 15_000;
export const BOOT_LIMIT_MS = 60 * 60_000;
/** RDS deletes a small instance, and an Aurora cluster, in minutes; an hour means something is wrong. */
export const DELETE_LIMIT_MS = 60 * 60_000;

/** The database as requested: known before it has booted. */
export interface DatabaseOutput {
  identifier: string;
  engine: 'mysql' | 'aurora-mysql';
  /** What rds-db:connect names: DbiResourceId, or the Aurora cluster's DbClusterResourceId. */
  resourceId: string;
}

/** Where the booted database answers (the Aurora cluster's endpoint). */
export interface DatabaseEndpoint {
  host: string;
  port: number;
}

const tagList = (ctx: StepContext) => Object.entries(ctx.tags).map(([Key, Value]) => ({ Key, Value }));

async function findInstance(rds: RDSClient, ctx: StepContext): Promise<DBInstance | null> {
  try {
    const found = (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: ctx.names.dbInstance }))).DBInstances?.[0] ?? null;
    if (found) checkOwner(ctx, `RDS instance ${ctx.names.dbInstance}`, tagMap(found.TagList));
    return found;
  } catch (error) {
    if (error instanceof DBInstanceNotFoundFault) return null;
    throw error;
  }
}

async function ensureSubnetGroup(rds: RDSClient, ctx: StepContext, network: NetworkOutput): Promise<void> {
  try {
    const group = (await rds.send(new DescribeDBSubnetGroupsCommand({ DBSubnetGroupName: ctx.names.dbSubnetGroup }))).DBSubnetGroups?.[0];
    const tags = (await rds.send(new ListTagsForResourceCommand({ ResourceName: group!.DBSubnetGroupArn! }))).TagList;
    checkOwner(ctx, `DB subnet group ${ctx.names.dbSubnetGroup}`, tagMap(tags));
    return;
  } catch (error) {
    if (!(error instanceof DBSubnetGroupNotFoundFault)) throw error;
  }
  await rds.send(
    new CreateDBSubnetGroupCommand({
      DBSubnetGroupName: ctx.names.dbSubnetGroup,
      DBSubnetGroupDescription: `mbed-tsdb ${ctx.stack}: where the database lives`,
      SubnetIds: network.subnetIds,
      Tags: tagList(ctx),
    }),
  );
}

/** The MySQL class a new database gets in the clients' region: the first of MYSQL_CLASSES it offers. */
export async function smallestMysqlClass(aws: AwsClients): Promise<string> {
  return cheapestClass(await aws.rds());
}

async function cheapestClass(rds: RDSClient): Promise<string> {
  for (const candidate of MYSQL_CLASSES) {
    const options = await rds.send(new DescribeOrderableDBInstanceOptionsCommand({ Engine: 'mysql', DBInstanceClass: candidate, Vpc: true, MaxRecords: 20 }));
    if ((options.OrderableDBInstanceOptions ?? []).length > 0) return candidate;
  }
  throw new UserFacingError(`this region offers none of ${MYSQL_CLASSES.join(', ')} for MySQL; choose --engine aurora-mysql`, { code: 'NO_INSTANCE_CLASS' });
}

function password(ctx: StepContext): string {
  const value = ctx.state.database?.password;
  if (!value) throw new Error('the database password must be saved in the state before the database is created');
  return value;
}

const serverless = (ctx: StepContext) => ctx.answers.engine === 'aurora-mysql' && (!ctx.answers.dbClass || ctx.answers.dbClass === 'db.serverless');

function describeAurora(choice: AuroraChoice): string {
  return choice.minCapacity === 0
    ? `Aurora MySQL ${choice.engineVersion} Serverless v2 (0–${AURORA_MAX_ACU} ACU, pauses when idle), encrypted`
    : `Aurora MySQL ${choice.engineVersion} Serverless v2 (0.5–${AURORA_MAX_ACU} ACU: ${choice.note}), encrypted`;
}

/** Waits until the instance (and its cluster) are available with no password change pending. */
async function waitSettled(rds: RDSClient, ctx: StepContext, task: Task, first: DBInstance | null): Promise<DBInstance> {
  let current = first;
  return waitFor(
    async (attempt) => {
      if (attempt > 1 || !current) current = await findInstance(rds, ctx);
      if (!current) return notYet('not found yet');
      const status = current.DBInstanceStatus ?? 'creating';
      if (!USABLE_STATUSES.has(status)) return notYet(status);
      if (current.PendingModifiedValues?.MasterUserPassword) return notYet('applying the new master password');
      if (iamAuthState(current) === 'pending') return notYet('turning on IAM database authentication');
      if (ctx.answers.engine === 'aurora-mysql') {
        const cluster = await findCluster(rds, ctx);
        if (cluster?.Status !== 'available' || !cluster.Endpoint) return notYet(`cluster ${cluster?.Status ?? 'missing'}`);
        if (cluster.PendingModifiedValues?.MasterUserPassword) return notYet('applying the new master password');
        if (iamAuthState(cluster) === 'pending') return notYet('turning on IAM database authentication');
      }
      return done(current);
    },
    {
      what: `database ${ctx.names.dbInstance} to be available`,
      delay: { everyMs: POLL_MS },
      timeoutMs: BOOT_LIMIT_MS,
      sleep: ctx.sleep,
      now: ctx.now,
      onWait: ({ status }) => task.update(status),
    },
  );
}

/** Where the stack's database answers now (the Aurora cluster's endpoint), or null when it has none yet. */
export async function databaseEndpoint(ctx: StepContext): Promise<DatabaseEndpoint | null> {
  const rds = await ctx.aws.rds();
  if (ctx.answers.engine === 'aurora-mysql') return clusterEndpoint(await findCluster(rds, ctx).catch(() => null));
  const instance = await findInstance(rds, ctx).catch(() => null);
  return instance?.Endpoint?.Address ? { host: instance.Endpoint.Address, port: instance.Endpoint.Port ?? 3306 } : null;
}

export const databaseStep: Step<DatabaseOutput> = {
  id: 'database',
  title: '§2 database',
  after: ['network', 'access'],

  async plan(ctx) {
    const rds = await ctx.aws.rds();
    const found = await findInstance(rds, ctx);
    const resource = `RDS instance ${ctx.names.dbInstance}`;
    if (found) {
      const holder = iamHolder(ctx, found, ctx.answers.engine === 'aurora-mysql' ? await findCluster(rds, ctx) : null);
      const storage = storageChange(ctx, found);
      const updates = [
        ...(iamAuthState(holder) === 'off' ? ['turn on IAM database authentication (the function logs in without a password)'] : []),
        ...(storage ? [storage] : []),
      ];
      return updates.length
        ? [{ step: 'database', resource, action: 'update', detail: updates.join('; ') }]
        : [{ step: 'database', resource, action: 'keep', detail: `${found.Engine}, ${found.DBInstanceStatus}` }];
    }
    const detail =
      ctx.answers.engine === 'mysql'
        ? `MySQL, ${ctx.answers.dbClass ?? (await cheapestClass(rds))}, ${ALLOCATED_STORAGE_GB} GB encrypted (grows to ${maxStorage(ctx)} GB as it fills), ${ctx.answers.access === 'my-ip' ? 'reachable from your IP' : 'private'}`
        : serverless(ctx)
          ? describeAurora(chooseAuroraVersion(await auroraVersions(rds), ctx.aws.region))
          : `Aurora MySQL on ${ctx.answers.dbClass}, encrypted`;
    const item: PlanItem = { step: 'database', resource, action: 'create', detail };
    return [item];
  },

  async apply(ctx) {
    const rds = await ctx.aws.rds();
    const network = ctx.state.outputs!.network as NetworkOutput;
    const access = ctx.state.outputs!.access as AccessOutput;
    const task = ctx.progress.task(`database ${ctx.names.dbInstance}`, 'checking');
    const publicly = ctx.answers.access === 'my-ip';
    let instance = await findInstance(rds, ctx);
    if (instance && isFull(instance)) {
      // Before any wait: a full database becomes available only once it has room.
      await growFullStorage(rds, ctx, instance, task);
      instance = await findInstance(rds, ctx);
    }
    if (!instance) {
      await ensureSubnetGroup(rds, ctx, network);
      const common = {
        DBInstanceIdentifier: ctx.names.dbInstance,
        PubliclyAccessible: publicly,
        DBSubnetGroupName: ctx.names.dbSubnetGroup,
        Tags: tagList(ctx),
      };
      if (ctx.answers.engine === 'aurora-mysql') {
        // Found in any state: a cluster still being created has no endpoint, but it is there.
        if (!(await findCluster(rds, ctx))) {
          const choice = serverless(ctx) ? chooseAuroraVersion(await auroraVersions(rds), ctx.aws.region) : null;
          await rds.send(
            new CreateDBClusterCommand({
              DBClusterIdentifier: ctx.names.dbCluster,
              Engine: 'aurora-mysql',
              ...(choice ? { EngineVersion: choice.engineVersion } : {}),
              DatabaseName: ctx.names.dbName,
              MasterUsername: ctx.names.dbUser,
              MasterUserPassword: password(ctx),
              VpcSecurityGroupIds: [access.databaseGroupId],
              DBSubnetGroupName: ctx.names.dbSubnetGroup,
              StorageEncrypted: true,
              EnableIAMDatabaseAuthentication: true,
              ...(choice ? { ServerlessV2ScalingConfiguration: { MinCapacity: choice.minCapacity, MaxCapacity: AURORA_MAX_ACU } } : {}),
              Tags: tagList(ctx),
            }),
          );
        }
        task.update('creating');
        instance = (
          await rds.send(
            new CreateDBInstanceCommand({ ...common, DBClusterIdentifier: ctx.names.dbCluster, Engine: 'aurora-mysql', DBInstanceClass: serverless(ctx) ? 'db.serverless' : ctx.answers.dbClass }),
          )
        ).DBInstance!;
      } else {
        const instanceClass = ctx.answers.dbClass ?? (await cheapestClass(rds));
        task.update('creating');
        instance = (
          await rds.send(
            new CreateDBInstanceCommand({
              ...common,
              Engine: 'mysql',
              DBInstanceClass: instanceClass,
              AllocatedStorage: ALLOCATED_STORAGE_GB,
              MaxAllocatedStorage: maxStorage(ctx),
              StorageEncrypted: true,
              DBName: ctx.names.dbName,
              MasterUsername: ctx.names.dbUser,
              MasterUserPassword: password(ctx),
              VpcSecurityGroupIds: [access.databaseGroupId],
              BackupRetentionPeriod: 1,
              DeletionProtection: false,
              EnableIAMDatabaseAuthentication: true,
            }),
          )
        ).DBInstance!;
      }
      ctx.state.database!.passwordApplied = true;
    } else if (ctx.state.database?.passwordApplied !== true) {
      // Found by name and tag, but whether it has the saved password is unknown (the state was
      // lost, or --db-password was given): set it. RDS takes a new password only while the
      // database is available, and applies it some time later.
      instance = await waitSettled(rds, ctx, task, instance);
      task.update('setting the master password');
      const reset = { MasterUserPassword: password(ctx), ApplyImmediately: true };
      const stillBusy = (error: unknown) =>
        (error instanceof InvalidDBInstanceStateFault || error instanceof InvalidDBClusterStateFault) && 'waiting until RDS accepts the new password';
      await retry(
        () =>
          ctx.answers.engine === 'aurora-mysql'
            ? rds.send(new ModifyDBClusterCommand({ DBClusterIdentifier: ctx.names.dbCluster, ...reset }))
            : rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: ctx.names.dbInstance, ...reset })),
        { what: 'RDS to accept the new master password', delay: { everyMs: POLL_MS }, timeoutMs: BOOT_LIMIT_MS, sleep: ctx.sleep, now: ctx.now, shouldRetry: stillBusy },
      );
      ctx.state.database!.passwordApplied = true;
      // The table step may be refused for a little while after this: it retries then.
      ctx.state.database!.passwordResetAt = ctx.now();
      instance = null;
    }

    // A database made before mbed-tsdb used IAM authentication: turned on (minutes of `modifying`).
    const aurora = ctx.answers.engine === 'aurora-mysql';
    instance ??= await findInstance(rds, ctx);
    let cluster = aurora ? await findCluster(rds, ctx) : null;
    if (iamAuthState(iamHolder(ctx, instance, cluster)) === 'off') {
      instance = await waitSettled(rds, ctx, task, instance);
      task.update('turning on IAM database authentication');
      await turnOnIamAuth(rds, ctx, BOOT_LIMIT_MS, POLL_MS);
      cluster = aurora ? await findCluster(rds, ctx) : null;
    }
    if (needsMaxStorage(ctx, instance)) {
      instance = await waitSettled(rds, ctx, task, instance);
      await turnOnAutoscaling(rds, ctx, task);
    }
    // Known as soon as RDS accepts the request: the role's login (rds-db:connect) need not wait for the boot.
    const resourceId = resourceIdOf(ctx, instance, cluster);
    if (!resourceId) throw new UserFacingError(`RDS did not say the resource ID of ${ctx.names.dbInstance}; run setup again`, { code: 'AWS_ERROR' });
    task.done(USABLE_STATUSES.has(instance?.DBInstanceStatus ?? '') ? 'available' : `requested (${instance?.DBInstanceStatus ?? 'creating'}); it boots while the rest is made`);
    return { identifier: ctx.names.dbInstance, engine: ctx.answers.engine, resourceId };
  },

  async remove(ctx) {
    const rds = await ctx.aws.rds();
    let instance: DBInstance | null;
    let cluster: DBCluster | null;
    try {
      [instance, cluster] = await Promise.all([findInstance(rds, ctx), findCluster(rds, ctx)]);
    } catch (error) {
      if (error instanceof ConflictError) return; // somebody else's: never touched
      throw error;
    }
    const budget = { delay: { everyMs: POLL_MS }, timeoutMs: ctx.waitLimitMs ?? DELETE_LIMIT_MS, sleep: ctx.sleep, now: ctx.now };
    if (instance) {
      const task = ctx.progress.task(`RDS instance ${ctx.names.dbInstance}`, 'deleting');
      if (instance.DBInstanceStatus !== 'deleting') {
        if (instance.DeletionProtection) {
          await rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: ctx.names.dbInstance, DeletionProtection: false, ApplyImmediately: true }));
        }
        const snapshot = ctx.finalSnapshot
          ? { SkipFinalSnapshot: false, FinalDBSnapshotIdentifier: ctx.finalSnapshot }
          : { SkipFinalSnapshot: true, DeleteAutomatedBackups: true };
        // A database still being created (teardown right after an interrupted setup) cannot be
        // deleted yet: wait until RDS allows it, never leave it running.
        await retry(() => rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: ctx.names.dbInstance, ...(instance.DBClusterIdentifier ? { SkipFinalSnapshot: true } : snapshot) })), {
          ...budget,
          what: `RDS to let ${ctx.names.dbInstance} be deleted`,
          timeoutMs: BOOT_LIMIT_MS,
          shouldRetry: (error) => error instanceof InvalidDBInstanceStateFault && 'waiting until RDS lets it be deleted (still creating)',
          onWait: ({ status }) => task.update(status),
        });
      }
      await waitFor(async () => ((await findInstance(rds, ctx)) ? notYet('deleting') : done(undefined)), {
        ...budget,
        what: `database ${ctx.names.dbInstance} to be deleted`,
        onWait: ({ status }) => task.update(status),
      });
      reportRemoved(ctx, `RDS instance ${ctx.names.dbInstance}${ctx.finalSnapshot && !instance.DBClusterIdentifier ? ` (kept as snapshot ${ctx.finalSnapshot})` : ''}`, task);
    }
    if (cluster) {
      // An Aurora cluster is `deleting` for minutes, and holds its subnet group until it is gone.
      const task = ctx.progress.task(`Aurora cluster ${ctx.names.dbCluster}`, cluster.Status === 'deleting' ? 'deleting' : 'deleting its cluster');
      if (cluster.Status !== 'deleting') {
        await retry(
          () =>
            rds.send(
              new DeleteDBClusterCommand({
                DBClusterIdentifier: ctx.names.dbCluster,
                ...(ctx.finalSnapshot ? { SkipFinalSnapshot: false, FinalDBSnapshotIdentifier: ctx.finalSnapshot } : { SkipFinalSnapshot: true }),
              }),
            ),
          {
            ...budget,
            what: `RDS to let ${ctx.names.dbCluster} be deleted`,
            timeoutMs: BOOT_LIMIT_MS,
            // Still being created, or already being deleted (a run stopped right after asking).
            shouldRetry: (error) => error instanceof InvalidDBClusterStateFault && !/already being deleted/i.test(error.message) && `waiting until RDS lets it be deleted (${error.message})`,
            onWait: ({ status }) => task.update(status),
          },
        ).catch((error: unknown) => {
          if (!(error instanceof InvalidDBClusterStateFault) && !(error instanceof DBClusterNotFoundFault)) throw error;
        });
      }
      await waitFor(async () => ((await findCluster(rds, ctx)) ? notYet('deleting') : done(undefined)), {
        ...budget,
        what: `cluster ${ctx.names.dbCluster} to be deleted`,
        onWait: ({ status }) => task.update(status),
      });
      reportRemoved(ctx, `Aurora cluster ${ctx.names.dbCluster}${ctx.finalSnapshot ? ` (kept as snapshot ${ctx.finalSnapshot})` : ''}`, task);
    }
    await retry(() => rds.send(new DeleteDBSubnetGroupCommand({ DBSubnetGroupName: ctx.names.dbSubnetGroup })), {
      ...budget,
      what: `subnet group ${ctx.names.dbSubnetGroup} to be free`,
      shouldRetry: (error) => error instanceof InvalidDBSubnetGroupStateFault && 'waiting for the database to let go of its subnet group',
    }).then(
      () => reportRemoved(ctx, `DB subnet group ${ctx.names.dbSubnetGroup}`),
      (error: unknown) => {
        if (!(error instanceof DBSubnetGroupNotFoundFault)) throw error;
      },
    );
  },
};

/** §2, continued: waits (minutes, with progress) until the database answers, and records where. */
export const databaseReadyStep: Step<DatabaseEndpoint> = {
  id: 'database-ready',
  title: '§2 database available',
  after: ['database'],

  async plan() {
    return [];
  },

  async apply(ctx) {
    const rds = await ctx.aws.rds();
    const task = ctx.progress.task(`database ${ctx.names.dbInstance}`, 'waiting until it is available');
    const available = await waitSettled(rds, ctx, task, null);
    const endpoint =
      ctx.answers.engine === 'aurora-mysql'
        ? clusterEndpoint(await findCluster(rds, ctx))
        : available.Endpoint?.Address
          ? { host: available.Endpoint.Address, port: available.Endpoint.Port ?? 3306 }
          : null;
    if (!endpoint) throw new UserFacingError(`the database ${ctx.names.dbInstance} is available but has no endpoint yet; run setup again`, { code: 'WAIT_TIMEOUT' });
    ctx.state.database = {
      ...ctx.state.database!,
      host: endpoint.host,
      port: endpoint.port,
      user: ctx.names.dbUser,
      name: ctx.names.dbName,
      table: ctx.names.table,
      access: ctx.answers.access,
      ...(ctx.answers.access === 'my-ip' && ctx.answers.cidr ? { cidr: ctx.answers.cidr } : {}),
    };
    task.done(`available at ${endpoint.host}:${endpoint.port}`);
    return endpoint;
  },

  async remove() {
    // Goes with the database.
  },
};
