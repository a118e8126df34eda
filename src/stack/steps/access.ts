// Tutorial §3: who may reach the database. `desktop-RDS-access` admits TCP 3306 from the
// desktop's address only (my-ip mode) and from the function's own security group. Two steps:
// the groups (the database and the function need only their IDs), then their rules — EC2 knows
// a new group only seconds after making it, and the database's boot need not wait for that.

import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DeleteSecurityGroupCommand,
  paginateDescribeSecurityGroups,
  RevokeSecurityGroupIngressCommand,
  type Filter,
  type EC2Client,
  type IpPermission,
  type SecurityGroup,
} from '@aws-sdk/client-ec2';
import { UserFacingError } from '../../errors.js';
import { canonicalCidr } from '../../net/public-ip.js';
import { done, notYet, retry, waitFor, WaitTimeoutError } from '../../util/wait.js';
import { TAG_STACK, tagMap } from '../naming.js';
import { checkOwner, reportRemoved, type Step, type StepContext } from '../step.js';
import type { Task } from '../../ui/progress.js';
import { networkStep, type NetworkOutput } from './network.js';

export const DESKTOP_RULE = 'mbed-tsdb: desktop';
export const FUNCTION_RULE = 'mbed-tsdb: webhook function';

export interface AccessOutput {
  databaseGroupId: string;
  functionGroupId: string;
}

export interface AccessRulesOutput {
  /** The desktop's block the database admits (my-ip mode). */
  cidr: string | null;
}

/** Every group the filters match, all pages. */
export async function securityGroups(ec2: EC2Client, filters: Filter[]): Promise<SecurityGroup[]> {
  const groups: SecurityGroup[] = [];
  for await (const page of paginateDescribeSecurityGroups({ client: ec2 }, { Filters: filters })) groups.push(...(page.SecurityGroups ?? []));
  return groups;
}

/** The stack's groups, found by tag in whatever VPC. */
export function taggedGroups(ec2: EC2Client, stack: string): Promise<SecurityGroup[]> {
  return securityGroups(ec2, [{ Name: `tag:${TAG_STACK}`, Values: [stack] }]);
}

/** EC2 knows a new group only some moments after creating it: InvalidGroup.NotFound meanwhile. */
const EC2_PROPAGATION_MS = 2 * 60_000;
const notYetKnown = (error: unknown) => (error as Error).name === 'InvalidGroup.NotFound' && 'waiting for EC2 to know the new group';

async function findGroup(ec2: EC2Client, ctx: StepContext, name: string, vpcId: string): Promise<SecurityGroup | null> {
  const groups = await securityGroups(ec2, [{ Name: 'group-name', Values: [name] }, { Name: 'vpc-id', Values: [vpcId] }]);
  const group = groups[0];
  if (!group) return null;
  checkOwner(ctx, `security group ${name} (${group.GroupId}) in ${vpcId}`, tagMap(group.Tags));
  return group;
}

/** The rules the database group must have: 3306 from the function's group, and from the desktop in my-ip mode. */
function wantedRules(ctx: StepContext, functionGroupId: string): IpPermission[] {
  const rules: IpPermission[] = [
    { IpProtocol: 'tcp', FromPort: 3306, ToPort: 3306, UserIdGroupPairs: [{ GroupId: functionGroupId, Description: FUNCTION_RULE }] },
  ];
  const cidr = ctx.answers.access === 'my-ip' ? ctx.answers.cidr : undefined;
  if (cidr) {
    rules.push(
      cidr.includes(':')
        ? { IpProtocol: 'tcp', FromPort: 3306, ToPort: 3306, Ipv6Ranges: [{ CidrIpv6: cidr, Description: DESKTOP_RULE }] }
        : { IpProtocol: 'tcp', FromPort: 3306, ToPort: 3306, IpRanges: [{ CidrIp: cidr, Description: DESKTOP_RULE }] },
    );
  }
  return rules;
}

/** Each single source of a group's 3306 rules, as a comparable key. */
function sources(permissions: IpPermission[]): Map<string, IpPermission> {
  const found = new Map<string, IpPermission>();
  for (const p of permissions) {
    if (p.IpProtocol !== 'tcp' || p.FromPort !== 3306 || p.ToPort !== 3306) continue;
    const base = { IpProtocol: 'tcp', FromPort: 3306, ToPort: 3306 };
    // Keyed by the canonical block: EC2 returns 203.0.113.0/24 for a rule given as 203.0.113.7/24.
    for (const r of p.IpRanges ?? []) found.set(`ip:${canonicalCidr(r.CidrIp ?? '')}`, { ...base, IpRanges: [r] });
    for (const r of p.Ipv6Ranges ?? []) found.set(`ip6:${canonicalCidr(r.CidrIpv6 ?? '')}`, { ...base, Ipv6Ranges: [r] });
    for (const g of p.UserIdGroupPairs ?? []) found.set(`sg:${g.GroupId}`, { ...base, UserIdGroupPairs: [g] });
  }
  return found;
}

interface Diff {
  add: IpPermission[];
  /** Desktop rules of ours for an address that is no longer the desktop's. */
  revoke: IpPermission[];
}

function diff(group: SecurityGroup | null, wanted: IpPermission[]): Diff {
  const have = sources(group?.IpPermissions ?? []);
  const want = sources(wanted);
  const add = [...want].filter(([key]) => !have.has(key)).map(([, p]) => p);
  const revoke = [...have]
    .filter(([key, p]) => !want.has(key) && [...(p.IpRanges ?? []), ...(p.Ipv6Ranges ?? [])].some((r) => r.Description === DESKTOP_RULE))
    .map(([, p]) => p);
  return { add, revoke };
}

export const accessStep: Step<AccessOutput> = {
  id: 'access',
  title: '§3 security groups',
  after: ['network'],

  async plan(ctx) {
    const ec2 = await ctx.aws.ec2();
    // Planning runs before the network step has: look the VPC up (read-only) here too.
    const { vpcId } = (ctx.state.outputs?.network as NetworkOutput | undefined) ?? (await networkStep.apply(ctx));
    const [fnGroup, dbGroup] = await Promise.all([findGroup(ec2, ctx, ctx.names.functionSecurityGroup, vpcId), findGroup(ec2, ctx, ctx.names.desktopSecurityGroup, vpcId)]);
    return [
      { step: 'access', resource: `security group ${ctx.names.functionSecurityGroup}`, action: fnGroup ? 'keep' : 'create' },
      { step: 'access', resource: `security group ${ctx.names.desktopSecurityGroup}`, action: dbGroup ? 'keep' : 'create' },
    ];
  },

  async apply(ctx) {
    const ec2 = await ctx.aws.ec2();
    const { vpcId } = ctx.state.outputs!.network as NetworkOutput;
    const task = ctx.progress.task('security groups', 'checking');
    const ensure = async (name: string, description: string): Promise<SecurityGroup> => {
      const found = await findGroup(ec2, ctx, name, vpcId);
      if (found) return found;
      try {
        const created = await ec2.send(
          new CreateSecurityGroupCommand({
            GroupName: name,
            Description: description,
            VpcId: vpcId,
            TagSpecifications: [{ ResourceType: 'security-group', Tags: Object.entries(ctx.tags).map(([Key, Value]) => ({ Key, Value })) }],
          }),
        );
        return { GroupId: created.GroupId!, GroupName: name, IpPermissions: [] };
      } catch (error) {
        if ((error as Error).name !== 'InvalidGroup.Duplicate') throw error;
        // Made by a run whose answer was lost, and not listed yet: wait until it is.
        return waitFor(async () => {
          const group = await findGroup(ec2, ctx, name, vpcId);
          return group ? done(group) : notYet(`waiting for EC2 to list ${name}`);
        }, { ...propagation(ctx, task), what: `security group ${name} to be listed` });
      }
    };
    const fnGroup = await ensure(ctx.names.functionSecurityGroup, `mbed-tsdb ${ctx.stack}: the webhook function`);
    const dbGroup = await ensure(ctx.names.desktopSecurityGroup, 'A security group to access RDS from my desktop PC.');
    task.done(`${ctx.names.desktopSecurityGroup} ${dbGroup.GroupId}, ${ctx.names.functionSecurityGroup} ${fnGroup.GroupId}`);
    return { databaseGroupId: dbGroup.GroupId!, functionGroupId: fnGroup.GroupId! };
  },

  async remove(ctx) {
    await removeGroups(ctx);
  },
};

function propagation(ctx: StepContext, task: Task) {
  return { delay: { everyMs: 2_000 }, timeoutMs: EC2_PROPAGATION_MS, sleep: ctx.sleep, now: ctx.now, onWait: ({ status }: { status: string }) => task.update(status) };
}

export const accessRulesStep: Step<AccessRulesOutput> = {
  id: 'access-rules',
  title: '§3 who may reach the database',
  after: ['access'],

  async plan(ctx) {
    const ec2 = await ctx.aws.ec2();
    const { vpcId } = (ctx.state.outputs?.network as NetworkOutput | undefined) ?? (await networkStep.apply(ctx));
    const [fnGroup, dbGroup] = await Promise.all([findGroup(ec2, ctx, ctx.names.functionSecurityGroup, vpcId), findGroup(ec2, ctx, ctx.names.desktopSecurityGroup, vpcId)]);
    const rules = diff(dbGroup, wantedRules(ctx, fnGroup?.GroupId ?? 'new'));
    const cidr = ctx.answers.access === 'my-ip' ? ctx.answers.cidr : undefined;
    return [
      {
        step: 'access-rules',
        resource: `rules of ${ctx.names.desktopSecurityGroup}`,
        action: !dbGroup ? 'create' : rules.add.length || rules.revoke.length ? 'update' : 'keep',
        detail: cidr ? `TCP 3306 from ${cidr} and from the function` : 'TCP 3306 from the function only (private)',
      },
    ];
  },

  async apply(ctx) {
    const ec2 = await ctx.aws.ec2();
    const { databaseGroupId, functionGroupId } = ctx.state.outputs!.access as AccessOutput;
    const task = ctx.progress.task(`rules of ${ctx.names.desktopSecurityGroup}`, 'checking');
    const { vpcId } = ctx.state.outputs!.network as NetworkOutput;
    const dbGroup = await findGroup(ec2, ctx, ctx.names.desktopSecurityGroup, vpcId);
    const { add, revoke } = diff(dbGroup, wantedRules(ctx, functionGroupId));
    const known = { ...propagation(ctx, task), what: `security group ${ctx.names.desktopSecurityGroup} to be known`, shouldRetry: notYetKnown };
    if (add.length) await retry(() => ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: databaseGroupId, IpPermissions: add })), known);
    if (revoke.length) await retry(() => ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: databaseGroupId, IpPermissions: revoke })), known);
    task.done(ctx.answers.access === 'my-ip' ? `3306 open to ${ctx.answers.cidr} and the function` : '3306 open to the function only');
    return { cidr: ctx.answers.access === 'my-ip' ? (ctx.answers.cidr ?? null) : null };
  },

  async remove() {
    // The rules go with their groups.
  },
};

/** The stack's groups, found by tag in whatever VPC (teardown works without the state file). */
async function removeGroups(ctx: StepContext): Promise<void> {
  const ec2 = await ctx.aws.ec2();
  // Found by tag, in whatever VPC: teardown works without the state file.
  const tagged = await taggedGroups(ec2, ctx.stack);
  // The database's group refers to the function's, so it goes first.
  const order = [ctx.names.desktopSecurityGroup, ctx.names.functionSecurityGroup];
  const groups = tagged.filter((g) => order.includes(g.GroupName!)).sort((a, b) => order.indexOf(a.GroupName!) - order.indexOf(b.GroupName!));
  for (const group of groups) {
    const task = ctx.progress.task(`security group ${group.GroupName} (${group.GroupId})`, 'deleting');
    // A VPC function's network interfaces outlive it by 20–45 minutes, and a database being
    // deleted still holds its group: DependencyViolation until they are gone.
    await retry(() => ec2.send(new DeleteSecurityGroupCommand({ GroupId: group.GroupId })), {
      what: `security group ${group.GroupName} to be free`,
      delay: { baseMs: 15_000, maxMs: 60_000, random: ctx.random },
      timeoutMs: ctx.waitLimitMs ?? 60 * 60_000,
      sleep: ctx.sleep,
      now: ctx.now,
      shouldRetry: (error) => (error as Error).name === 'DependencyViolation' && 'waiting for network interfaces and the database to let go of it',
      onWait: ({ status }) => task.update(status),
      onTimeout: 'timeout-error',
    }).catch((error: unknown) => {
      task.fail('still in use');
      throw error instanceof WaitTimeoutError
        ? new UserFacingError(
            `security group ${group.GroupName} (${group.GroupId}) is still in use after the wait limit: run teardown again later (or with a longer --wait-minutes)`,
            { code: 'WAIT_TIMEOUT', cause: error },
          )
        : error;
    });
    reportRemoved(ctx, `security group ${group.GroupName} (${group.GroupId})`, task);
  }
}
