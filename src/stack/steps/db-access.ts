// §1 role ← §2 database: the function's role may log in to the stack's database as the
// webhook's user and as nobody else — rds-db:connect on that one database user (RDS docs,
// "Creating and using an IAM policy for IAM database access"). An inline policy: it names this
// stack's database, and goes with the role.

import { GetRolePolicyCommand, NoSuchEntityException, PutRolePolicyCommand, type IAMClient } from '@aws-sdk/client-iam';
import { partitionOf } from '../../aws/partition.js';
import type { Step, StepContext } from '../step.js';
import type { DatabaseOutput } from './database.js';
import type { RoleOutput } from './role.js';

export const DB_CONNECT_POLICY = 'mbed-tsdb-db-connect';

export function dbConnectResource(ctx: StepContext, account: string, resourceId: string): string {
  return `arn:${partitionOf(ctx.aws.region).partition}:rds-db:${ctx.aws.region}:${account}:dbuser:${resourceId}/${ctx.names.dbWebhookUser}`;
}

export function dbConnectPolicy(resource: string): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'rds-db:connect', Resource: resource }] });
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

const sameDocument = (a: string | null, b: string) => a !== null && JSON.stringify(JSON.parse(a)) === JSON.stringify(JSON.parse(b));

export const dbAccessStep: Step<{ policy: string; resource: string }> = {
  id: 'db-access',
  title: '§1 role ← database login',
  after: ['role', 'database'],

  async plan(ctx) {
    const resource = `policy ${DB_CONNECT_POLICY} of role ${ctx.names.role}`;
    const current = await currentDbConnectPolicy(await ctx.aws.iam(), ctx.names.role).catch((error: unknown) => {
      if (error instanceof NoSuchEntityException) return null;
      throw error;
    });
    return [{ step: 'db-access', resource, action: current ? 'keep' : 'create', detail: `rds-db:connect as ${ctx.names.dbWebhookUser} only` }];
  },

  async apply(ctx) {
    const iam = await ctx.aws.iam();
    const role = ctx.state.outputs!.role as RoleOutput;
    const database = ctx.state.outputs!.database as DatabaseOutput;
    const resource = dbConnectResource(ctx, role.arn.split(':')[4]!, database.resourceId);
    const wanted = dbConnectPolicy(resource);
    if (!sameDocument(await currentDbConnectPolicy(iam, ctx.names.role), wanted)) {
      const task = ctx.progress.task(`role ${ctx.names.role}`, `allowing it to log in as ${ctx.names.dbWebhookUser}`);
      await iam.send(new PutRolePolicyCommand({ RoleName: ctx.names.role, PolicyName: DB_CONNECT_POLICY, PolicyDocument: wanted }));
      task.done(`may log in to the database as ${ctx.names.dbWebhookUser}`);
    }
    return { policy: DB_CONNECT_POLICY, resource };
  },

  async remove() {
    // Goes with the role (which deletes its inline policies first).
  },
};
