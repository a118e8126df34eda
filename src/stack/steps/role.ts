// Tutorial §1: the IAM role the function runs as, trusted by Lambda, with the two
// managed policies (logs; network interfaces in the VPC).

import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetRoleCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  ListRoleTagsCommand,
  NoSuchEntityException,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { partitionOf, partitionOfArn } from '../../aws/partition.js';
import { UserFacingError } from '../../errors.js';
import { tagMap } from '../naming.js';
import { checkOwner, reportRemoved, ownOrNull, type PlanItem, type Step, type StepContext } from '../step.js';

/** The two AWS managed policies the role carries, in the region's partition. */
export function rolePolicies(region: string): string[] {
  const { partition } = partitionOf(region);
  return [`arn:${partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole`, `arn:${partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole`];
}

/** In the commercial partition (the tutorial's), for tests and docs. */
export const ROLE_POLICIES = rolePolicies('us-west-2');

export const LAMBDA_TRUST_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

export interface RoleOutput {
  name: string;
  arn: string;
}

interface Found {
  arn: string;
  attached: string[];
}

async function find(iam: IAMClient, ctx: StepContext): Promise<Found | null> {
  const name = ctx.names.role;
  let arn: string;
  try {
    arn = (await iam.send(new GetRoleCommand({ RoleName: name }))).Role!.Arn!;
  } catch (error) {
    if (error instanceof NoSuchEntityException) return null;
    throw error;
  }
  const tags = (await iam.send(new ListRoleTagsCommand({ RoleName: name }))).Tags ?? [];
  checkOwner(ctx, `IAM role ${name}`, tagMap(tags));
  const attached = (await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: name }))).AttachedPolicies ?? [];
  return { arn, attached: attached.map((p) => p.PolicyArn!) };
}

export const roleStep: Step<RoleOutput> = {
  id: 'role',
  title: '§1 IAM role',
  after: [],

  async plan(ctx) {
    const found = await find(await ctx.aws.iam(), ctx);
    const resource = `IAM role ${ctx.names.role}`;
    if (!found) return [{ step: 'role', resource, action: 'create', detail: 'trusted by Lambda, 2 managed policies' }];
    const missing = rolePolicies(ctx.aws.region).filter((p) => !found.attached.includes(p));
    const item: PlanItem = missing.length
      ? { step: 'role', resource, action: 'update', detail: `attach ${missing.map((p) => p.split('/').pop()).join(', ')}` }
      : { step: 'role', resource, action: 'keep' };
    return [item];
  },

  async apply(ctx) {
    const iam = await ctx.aws.iam();
    const task = ctx.progress.task(`role ${ctx.names.role}`, 'checking');
    let found = await find(iam, ctx);
    if (!found) {
      task.update('creating');
      const created = await iam.send(
        new CreateRoleCommand({
          RoleName: ctx.names.role,
          AssumeRolePolicyDocument: LAMBDA_TRUST_POLICY,
          Description: `mbed-tsdb stack ${ctx.stack}: runs the webhook function`,
          Tags: Object.entries(ctx.tags).map(([Key, Value]) => ({ Key, Value })),
        }),
      );
      found = { arn: created.Role!.Arn!, attached: [] };
    }
    // The account's own answer says which partition it is in: it must be the region's.
    const expected = partitionOf(ctx.aws.region).partition;
    if (partitionOfArn(found.arn) !== expected) {
      throw new UserFacingError(`the role ${found.arn} is not in partition ${expected} of region ${ctx.aws.region}: check --region and the credentials`, { code: 'AWS_ERROR' });
    }
    for (const policy of rolePolicies(ctx.aws.region).filter((p) => !found.attached.includes(p))) {
      await iam.send(new AttachRolePolicyCommand({ RoleName: ctx.names.role, PolicyArn: policy }));
    }
    task.done('ready');
    return { name: ctx.names.role, arn: found.arn };
  },

  async remove(ctx) {
    const iam = await ctx.aws.iam();
    const found = await ownOrNull(() => find(iam, ctx));
    if (!found) return;
    for (const policy of found.attached) {
      await iam.send(new DetachRolePolicyCommand({ RoleName: ctx.names.role, PolicyArn: policy }));
    }
    // IAM deletes a role only without policies, its inline ones (the database login) included.
    for (const name of (await iam.send(new ListRolePoliciesCommand({ RoleName: ctx.names.role }))).PolicyNames ?? []) {
      await iam.send(new DeleteRolePolicyCommand({ RoleName: ctx.names.role, PolicyName: name })).catch((error: unknown) => {
        if (!(error instanceof NoSuchEntityException)) throw error;
      });
    }
    await iam.send(new DeleteRoleCommand({ RoleName: ctx.names.role }));
    reportRemoved(ctx, `IAM role ${ctx.names.role}`);
  },
};
