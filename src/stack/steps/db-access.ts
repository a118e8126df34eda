// §1 role ← §2 database: the function's role may log in to the stack's database as the
// webhook's user and its maintenance user and as nobody else — rds-db:connect on those users (RDS docs,
// "Creating and using an IAM policy for IAM database access"). An inline policy: it names this
// stack's database, and goes with the role.

import { GetRoleCommand, GetRolePolicyCommand, NoSuchEntityException, PutRolePolicyCommand, type IAMClient } from '@aws-sdk/client-iam';
import { DescribeDBClustersCommand, DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { partitionOf } from '../../aws/partition.js';
import type { Step, StepContext } from '../step.js';
import type { DatabaseOutput } from './database.js';
import type { RoleOutput } from './role.js';

export const DB_CONNECT_POLICY = 'mbed-tsdb-db-connect';

/** The database users the function logs in as: the webhook's, and its maintenance user. */
export function dbConnectResources(ctx: StepContext, account: string, resourceId: string): string[] {
  return [ctx.names.dbWebhookUser, ctx.names.dbMaintenanceUser].map((user) => `arn:${partitionOf(ctx.aws.region).partition}:rds-db:${ctx.aws.region}:${account}:dbuser:${resourceId}/${user}`);
}

export function dbConnectPolicy(resources: string[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'rds-db:connect', Resource: resources }] });
}

/** The role's policy as it is now, or null. */
export async function currentDbConnectPolicy(iam: IAMClient, role: string): Promise<string | null> {
  try {
    const found = await iam.send(new GetRolePolicyCommand({ RoleName: role, PolicyName: DB_CONNECT_POLICY }));
    return found.PolicyDocument ? decodeURIComponent(found.PolicyDocument) : null;
  } catch (error) {
    if (error instanceof NoSuchEntityException) return null;
    throw error;
  }
}

/** The ID rds-db:connect names for the stack's database as it exists now (null: not yet made). */
async function databaseResourceId(ctx: StepContext): Promise<string | null> {
  const rds = await ctx.aws.rds();
  if (ctx.answers.engine === 'aurora-mysql') {
    const cluster = (await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: ctx.names.dbCluster })).catch(() => null))?.DBClusters?.[0];
    return cluster?.DbClusterResourceId ?? null;
  }
  const instance = (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: ctx.names.dbInstance })).catch(() => null))?.DBInstances?.[0];
  return instance?.DbiResourceId ?? null;
}

const sameDocument = (a: string | null, b: string) => a !== null && JSON.stringify(JSON.parse(a)) === JSON.stringify(JSON.parse(b));

export const dbAccessStep: Step<{ policy: string; resources: string[] }> = {
  id: 'db-access',
  title: '§1 role ← database login',
  after: ['role', 'database'],

  async plan(ctx) {
    const resource = `policy ${DB_CONNECT_POLICY} of role ${ctx.names.role}`;
    const detail = `rds-db:connect as ${ctx.names.dbWebhookUser} and ${ctx.names.dbMaintenanceUser} only`;
    const iam = await ctx.aws.iam();
    const current = await currentDbConnectPolicy(iam, ctx.names.role).catch((error: unknown) => {
      if (error instanceof NoSuchEntityException) return null;
      throw error;
    });
    if (!current) return [{ step: 'db-access', resource, action: 'create', detail }];
    // Kept only when it already names this database's resource ID, as apply would write it.
    const [role, database] = await Promise.all([
      iam.send(new GetRoleCommand({ RoleName: ctx.names.role })).catch(() => null),
      databaseResourceId(ctx),
    ]);
    const wanted = role?.Role?.Arn && database ? dbConnectPolicy(dbConnectResources(ctx, role.Role.Arn.split(':')[4]!, database)) : null;
    return [wanted && sameDocument(current, wanted) ? { step: 'db-access', resource, action: 'keep', detail } : { step: 'db-access', resource, action: 'update', detail: `${detail} (on this database)` }];
  },

  async apply(ctx) {
    const iam = await ctx.aws.iam();
    const role = ctx.state.outputs!.role as RoleOutput;
    const database = ctx.state.outputs!.database as DatabaseOutput;
    const resources = dbConnectResources(ctx, role.arn.split(':')[4]!, database.resourceId);
    const wanted = dbConnectPolicy(resources);
    if (!sameDocument(await currentDbConnectPolicy(iam, ctx.names.role), wanted)) {
      const users = `${ctx.names.dbWebhookUser} and ${ctx.names.dbMaintenanceUser}`;
      const task = ctx.progress.task(`role ${ctx.names.role}`, `allowing it to log in as ${users}`);
      await iam.send(new PutRolePolicyCommand({ RoleName: ctx.names.role, PolicyName: DB_CONNECT_POLICY, PolicyDocument: wanted }));
      task.done(`may log in to the database as ${users}`);
    }
    return { policy: DB_CONNECT_POLICY, resources };
  },

  async remove() {
    // Goes with the role (which deletes its inline policies first).
  },
};
