// Tutorial §2: the database `tsdb`. MySQL on the cheapest small class the region offers
// (20 GB, encrypted), or Aurora MySQL Serverless v2 that can scale to zero. It takes minutes
// to boot, so the engine starts it early and only what needs it waits here.

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
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeDBSubnetGroupsCommand,
  DescribeOrderableDBInstanceOptionsCommand,
  InvalidDBInstanceStateFault,
  ListTagsForResourceCommand,
  ModifyDBClusterCommand,
  ModifyDBInstanceCommand,
  type DBInstance,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { UserFacingError } from '../../errors.js';
import { done, notYet, retry, waitFor } from '../../util/wait.js';
import { tagMap } from '../naming.js';
import { checkOwner, ConflictError, type PlanItem, type Step, type StepContext } from '../step.js';
import type { AccessOutput } from './access.js';
import type { NetworkOutput } from './network.js';

/** Cheapest first; the first the region offers for MySQL is used. */
export const MYSQL_CLASSES = ['db.t4g.micro', 'db.t3.micro', 'db.t4g.small', 'db.t3.small'];
export const POLL_MS = 15_000;
export const BOOT_LIMIT_MS = 60 * 60_000;
/** RDS deletes a small instance in minutes; an hour means something is wrong. */
export const DELETE_LIMIT_MS = 60 * 60_000;

export interface DatabaseOutput {
  identifier: string;
  engine: 'mysql' | 'aurora-mysql';
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

async function clusterEndpoint(rds: RDSClient, ctx: StepContext): Promise<{ host: string; port: number } | null> {
  try {
    const cluster = (await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: ctx.names.dbCluster }))).DBClusters?.[0];
    if (!cluster) return null;
    checkOwner(ctx, `Aurora cluster ${ctx.names.dbCluster}`, tagMap(cluster.TagList));
    return cluster.Endpoint ? { host: cluster.Endpoint, port: cluster.Port ?? 3306 } : null;
  } catch (error) {
    if (error instanceof DBClusterNotFoundFault) return null;
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

export const databaseStep: Step<DatabaseOutput> = {
  id: 'database',
  title: '§2 database',
  after: ['network', 'access'],

  async plan(ctx) {
    const rds = await ctx.aws.rds();
    const found = await findInstance(rds, ctx);
    const engine = ctx.answers.engine;
    const item: PlanItem = found
      ? { step: 'database', resource: `RDS instance ${ctx.names.dbInstance}`, action: 'keep', detail: `${found.Engine}, ${found.DBInstanceStatus}` }
      : {
          step: 'database',
          resource: `RDS instance ${ctx.names.dbInstance}`,
          action: 'create',
          detail:
            engine === 'mysql'
              ? `MySQL, ${ctx.answers.dbClass ?? 'smallest class offered'}, 20 GB encrypted, ${ctx.answers.access === 'my-ip' ? 'reachable from your IP' : 'private'}`
              : ctx.answers.dbClass && ctx.answers.dbClass !== 'db.serverless'
                ? `Aurora MySQL on ${ctx.answers.dbClass}, encrypted`
                : 'Aurora MySQL Serverless v2 (0–2 ACU), encrypted',
        };
    return [item];
  },

  async apply(ctx) {
    const rds = await ctx.aws.rds();
    const network = ctx.state.outputs!.network as NetworkOutput;
    const access = ctx.state.outputs!.access as AccessOutput;
    const task = ctx.progress.task(`database ${ctx.names.dbInstance}`, 'checking');
    const publicly = ctx.answers.access === 'my-ip';
    let instance = await findInstance(rds, ctx);
    if (!instance) {
      await ensureSubnetGroup(rds, ctx, network);
      const common = {
        DBInstanceIdentifier: ctx.names.dbInstance,
        PubliclyAccessible: publicly,
        DBSubnetGroupName: ctx.names.dbSubnetGroup,
        Tags: tagList(ctx),
      };
      if (ctx.answers.engine === 'aurora-mysql') {
        const serverless = !ctx.answers.dbClass || ctx.answers.dbClass === 'db.serverless';
        if (!(await clusterEndpoint(rds, ctx))) {
          await rds.send(
            new CreateDBClusterCommand({
              DBClusterIdentifier: ctx.names.dbCluster,
              Engine: 'aurora-mysql',
              DatabaseName: ctx.names.dbName,
              MasterUsername: ctx.names.dbUser,
              MasterUserPassword: password(ctx),
              VpcSecurityGroupIds: [access.databaseGroupId],
              DBSubnetGroupName: ctx.names.dbSubnetGroup,
              StorageEncrypted: true,
              ...(serverless ? { ServerlessV2ScalingConfiguration: { MinCapacity: 0, MaxCapacity: 2 } } : {}),
              Tags: tagList(ctx),
            }),
          );
        }
        task.update('creating');
        instance = (
          await rds.send(
            new CreateDBInstanceCommand({ ...common, DBClusterIdentifier: ctx.names.dbCluster, Engine: 'aurora-mysql', DBInstanceClass: serverless ? 'db.serverless' : ctx.answers.dbClass }),
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
              AllocatedStorage: 20,
              StorageEncrypted: true,
              DBName: ctx.names.dbName,
              MasterUsername: ctx.names.dbUser,
              MasterUserPassword: password(ctx),
              VpcSecurityGroupIds: [access.databaseGroupId],
              BackupRetentionPeriod: 1,
              DeletionProtection: false,
            }),
          )
        ).DBInstance!;
      }
      ctx.state.database!.passwordApplied = true;
    } else if (ctx.state.database?.passwordApplied !== true) {
      // Found by name and tag, but whether it has the saved password is unknown (the state was
      // lost, or --db-password was given): set it. Setting the same password again is harmless.
      task.update('setting the master password');
      if (ctx.answers.engine === 'aurora-mysql') {
        await rds.send(new ModifyDBClusterCommand({ DBClusterIdentifier: ctx.names.dbCluster, MasterUserPassword: password(ctx), ApplyImmediately: true }));
      } else {
        await rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: ctx.names.dbInstance, MasterUserPassword: password(ctx), ApplyImmediately: true }));
      }
      ctx.state.database!.passwordApplied = true;
    }

    let current: DBInstance = instance;
    const available = await waitFor(
      async (attempt) => {
        if (attempt > 1) current = (await findInstance(rds, ctx)) ?? current;
        return current.DBInstanceStatus === 'available' ? done(current) : notYet(current.DBInstanceStatus ?? 'creating');
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
    instance = available;
    const endpoint =
      ctx.answers.engine === 'aurora-mysql'
        ? await clusterEndpoint(rds, ctx)
        : instance.Endpoint?.Address
          ? { host: instance.Endpoint.Address, port: instance.Endpoint.Port ?? 3306 }
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
      ...(publicly && ctx.answers.cidr ? { cidr: ctx.answers.cidr } : {}),
    };
    task.done(`available at ${endpoint.host}:${endpoint.port}`);
    return { identifier: ctx.names.dbInstance, engine: ctx.answers.engine, host: endpoint.host, port: endpoint.port };
  },

  async remove(ctx) {
    const rds = await ctx.aws.rds();
    let instance: DBInstance | null;
    try {
      instance = await findInstance(rds, ctx);
    } catch (error) {
      if (error instanceof ConflictError) return; // somebody else's: never touched
      throw error;
    }
    const task = instance ? ctx.progress.task(`database ${ctx.names.dbInstance}`, 'deleting') : null;
    if (instance && instance.DBInstanceStatus !== 'deleting') {
      if (instance.DeletionProtection) {
        await rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: ctx.names.dbInstance, DeletionProtection: false, ApplyImmediately: true }));
      }
      const snapshot = ctx.finalSnapshot
        ? { SkipFinalSnapshot: false, FinalDBSnapshotIdentifier: ctx.finalSnapshot }
        : { SkipFinalSnapshot: true, DeleteAutomatedBackups: true };
      // A database still being created (teardown right after an interrupted setup) cannot be
      // deleted yet: wait until RDS allows it, never leave it running.
      await retry(() => rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: ctx.names.dbInstance, ...(instance.DBClusterIdentifier ? { SkipFinalSnapshot: true } : snapshot) })), {
        what: `RDS to let ${ctx.names.dbInstance} be deleted`,
        delay: { everyMs: POLL_MS },
        timeoutMs: BOOT_LIMIT_MS,
        sleep: ctx.sleep,
        now: ctx.now,
        shouldRetry: (error) => error instanceof InvalidDBInstanceStateFault && 'waiting until RDS lets it be deleted (still creating)',
        onWait: ({ status }) => task?.update(status),
      });
    }
    if (instance) {
      await waitFor(async () => ((await findInstance(rds, ctx)) ? notYet('deleting') : done(undefined)), {
        what: `database ${ctx.names.dbInstance} to be deleted`,
        delay: { everyMs: POLL_MS },
        timeoutMs: ctx.waitLimitMs ?? DELETE_LIMIT_MS,
        sleep: ctx.sleep,
        now: ctx.now,
        onWait: ({ status }) => task?.update(status),
      });
    }
    task?.done('deleted');
    if (await clusterEndpoint(rds, ctx).catch(() => null)) {
      await rds.send(
        new DeleteDBClusterCommand({
          DBClusterIdentifier: ctx.names.dbCluster,
          ...(ctx.finalSnapshot ? { SkipFinalSnapshot: false, FinalDBSnapshotIdentifier: ctx.finalSnapshot } : { SkipFinalSnapshot: true }),
        }),
      );
    }
    try {
      await rds.send(new DeleteDBSubnetGroupCommand({ DBSubnetGroupName: ctx.names.dbSubnetGroup }));
    } catch (error) {
      if (!(error instanceof DBSubnetGroupNotFoundFault)) throw error;
    }
  },
};
