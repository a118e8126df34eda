// §4 kept unattended: an EventBridge Scheduler schedule invokes the function once a day with
// {"mbed-tsdb": "scheduled-maintenance"} — it settles the hours, makes months ahead and drops raw
// months past --keep-raw, as its own database user. The schedule runs as a role of its own,
// trusted by scheduler.amazonaws.com for this account only and allowed to invoke this function
// and nothing else (Lambda developer guide, "Invoke a Lambda function on a schedule"). Schedules
// take no tags: the schedule group that holds it carries the stack's.

import { CreateRoleCommand, DeleteRoleCommand, DeleteRolePolicyCommand, GetRoleCommand, GetRolePolicyCommand, ListRoleTagsCommand, NoSuchEntityException, PutRolePolicyCommand, type IAMClient } from '@aws-sdk/client-iam';
import {
  CreateScheduleCommand,
  CreateScheduleGroupCommand,
  DeleteScheduleCommand,
  DeleteScheduleGroupCommand,
  GetScheduleCommand,
  GetScheduleGroupCommand,
  ListTagsForResourceCommand,
  ResourceNotFoundException,
  UpdateScheduleCommand,
  ValidationException,
  type GetScheduleCommandOutput,
  type SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { retry } from '../../util/wait.js';
import { ownedBy, tagMap } from '../naming.js';
import { checkOwner, ownOrNull, reportRemoved, type PlanItem, type Step, type StepContext } from '../step.js';
import type { Task } from '../../ui/progress.js';
import type { FunctionOutput } from './function.js';

/** Daily at 03:17 UTC: a quiet hour, off the round minutes everyone else schedules. */
export const MAINTENANCE_EXPRESSION = 'cron(17 3 * * ? *)';
export const MAINTENANCE_INPUT = JSON.stringify({ 'mbed-tsdb': 'scheduled-maintenance' });
export const INVOKE_POLICY = 'mbed-tsdb-invoke-function';
/**
 * With alerts, a second schedule every 5 minutes: the function counts the devices gone quiet (its
 * QuietDevices metric, which an alarm watches). Removed when alerts are turned off.
 */
export const WATCH_SCHEDULE = 'watch';
export const WATCH_EXPRESSION = 'rate(5 minutes)';
export const WATCH_INPUT = JSON.stringify({ 'mbed-tsdb': 'scheduled-watch' });
/** How long a new role may take to be assumable by Scheduler (IAM is eventually consistent). */
export const ROLE_PROPAGATION_LIMIT_MS = 2 * 60_000;

export interface ScheduleOutput {
  group: string;
  schedule: string;
  roleArn: string;
}

export function maintenanceTrustPolicy(account: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: 'scheduler.amazonaws.com' }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'aws:SourceAccount': account } } }],
  });
}

export function invokePolicy(functionArn: string): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: [functionArn, `${functionArn}:*`] }] });
}

const notFound = (error: unknown) => error instanceof ResourceNotFoundException || error instanceof NoSuchEntityException;
const orNull = async <T>(call: Promise<T>): Promise<T | null> =>
  call.catch((error: unknown) => {
    if (notFound(error)) return null;
    throw error;
  });

/** What one schedule of the group runs: when, and with which event. */
export interface ScheduleSpec {
  name: string;
  expression: string;
  input: string;
  /** The event it sends, as drift names it. */
  event: 'maintenance' | 'watch';
  what: string;
}

export const maintenanceSchedule = (ctx: StepContext): ScheduleSpec => ({ name: ctx.names.schedule, expression: MAINTENANCE_EXPRESSION, input: MAINTENANCE_INPUT, event: 'maintenance', what: 'daily maintenance of the readings table' });
export const watchSchedule: ScheduleSpec = { name: WATCH_SCHEDULE, expression: WATCH_EXPRESSION, input: WATCH_INPUT, event: 'watch', what: 'counts the devices gone quiet for the alarm' };
/** The watch runs only for a stack with alerts. */
export const wantsWatch = (ctx: StepContext): boolean => Boolean(ctx.answers.alertEmail);

/** The schedule of that name as it is now, or null. */
export async function findSchedule(scheduler: SchedulerClient, ctx: StepContext, name: string): Promise<GetScheduleCommandOutput | null> {
  return orNull(scheduler.send(new GetScheduleCommand({ Name: name, GroupName: ctx.names.scheduleGroup })));
}

/** What differs between the schedule and what setup makes (nothing: null). */
export function scheduleDrift(found: GetScheduleCommandOutput, functionArn: string, roleArn: string, spec: Pick<ScheduleSpec, 'expression' | 'input' | 'event'>): string | null {
  if (found.State !== 'ENABLED') return `it is ${found.State?.toLowerCase() ?? 'not enabled'}`;
  if (found.ScheduleExpression !== spec.expression) return `it runs at ${found.ScheduleExpression}, not ${spec.expression}`;
  if (found.Target?.Arn !== functionArn) return `it invokes ${found.Target?.Arn ?? 'nothing'}, not the function`;
  if (found.Target?.RoleArn !== roleArn) return `it runs as ${found.Target?.RoleArn ?? 'no role'}, not ${roleArn}`;
  if (found.Target?.Input !== spec.input) return `its input is not the ${spec.event} event`;
  return null;
}

async function findRole(iam: IAMClient, ctx: StepContext): Promise<{ arn: string } | null> {
  const role = await orNull(iam.send(new GetRoleCommand({ RoleName: ctx.names.maintenanceRole })));
  if (!role) return null;
  checkOwner(ctx, `IAM role ${ctx.names.maintenanceRole}`, tagMap((await iam.send(new ListRoleTagsCommand({ RoleName: ctx.names.maintenanceRole }))).Tags));
  return { arn: role.Role!.Arn! };
}

async function ensureRole(iam: IAMClient, ctx: StepContext, functionArn: string): Promise<string> {
  const account = functionArn.split(':')[4]!;
  const found = await findRole(iam, ctx);
  const arn =
    found?.arn ??
    (
      await iam.send(
        new CreateRoleCommand({
          RoleName: ctx.names.maintenanceRole,
          AssumeRolePolicyDocument: maintenanceTrustPolicy(account),
          Description: `mbed-tsdb stack ${ctx.stack}: the daily maintenance schedule invokes the webhook function as this role`,
          Tags: Object.entries(ctx.tags).map(([Key, Value]) => ({ Key, Value })),
        }),
      )
    ).Role!.Arn!;
  const wanted = invokePolicy(functionArn);
  const current = await orNull(iam.send(new GetRolePolicyCommand({ RoleName: ctx.names.maintenanceRole, PolicyName: INVOKE_POLICY })));
  if (!current?.PolicyDocument || JSON.stringify(JSON.parse(decodeURIComponent(current.PolicyDocument))) !== wanted) {
    await iam.send(new PutRolePolicyCommand({ RoleName: ctx.names.maintenanceRole, PolicyName: INVOKE_POLICY, PolicyDocument: wanted }));
  }
  return arn;
}

/** The schedule group's tags, or null when there is no such group. */
export async function scheduleGroupTags(scheduler: SchedulerClient, name: string): Promise<Record<string, string | undefined> | null> {
  const group = await orNull(scheduler.send(new GetScheduleGroupCommand({ Name: name })));
  if (!group) return null;
  return tagMap((await scheduler.send(new ListTagsForResourceCommand({ ResourceArn: group.Arn! }))).Tags);
}

async function ensureGroup(scheduler: SchedulerClient, ctx: StepContext): Promise<void> {
  const tags = await scheduleGroupTags(scheduler, ctx.names.scheduleGroup);
  if (tags) {
    checkOwner(ctx, `schedule group ${ctx.names.scheduleGroup}`, tags);
    return;
  }
  await scheduler.send(new CreateScheduleGroupCommand({ Name: ctx.names.scheduleGroup, Tags: Object.entries(ctx.tags).map(([Key, Value]) => ({ Key, Value })) }));
}

async function ensureSchedule(scheduler: SchedulerClient, ctx: StepContext, spec: ScheduleSpec, functionArn: string, roleArn: string, task: Task): Promise<void> {
  const found = await findSchedule(scheduler, ctx, spec.name);
  if (found && !scheduleDrift(found, functionArn, roleArn, spec)) return;
  const input = {
    Name: spec.name,
    GroupName: ctx.names.scheduleGroup,
    ScheduleExpression: spec.expression,
    FlexibleTimeWindow: { Mode: 'OFF' as const },
    State: 'ENABLED' as const,
    Description: `mbed-tsdb stack ${ctx.stack}: ${spec.what}`,
    Target: { Arn: functionArn, RoleArn: roleArn, Input: spec.input },
  };
  // A role just made is assumable by Scheduler some seconds later.
  await retry(() => scheduler.send(found ? new UpdateScheduleCommand(input) : new CreateScheduleCommand(input)), {
    what: `the role ${ctx.names.maintenanceRole} to reach EventBridge Scheduler`,
    delay: { everyMs: 5_000 },
    timeoutMs: ROLE_PROPAGATION_LIMIT_MS,
    sleep: ctx.sleep,
    now: ctx.now,
    shouldRetry: (error) => error instanceof ValidationException && /assume the role/i.test(error.message) && 'waiting for its new role to reach EventBridge Scheduler',
    onWait: ({ status }) => task.update(status),
  });
}

export const scheduleStep: Step<ScheduleOutput> = {
  id: 'schedule',
  title: '§4 daily maintenance',
  // The function must know its maintenance user before anything invokes it for maintenance.
  after: ['configure', 'retention'],

  async plan(ctx) {
    const resource = `schedule ${ctx.names.scheduleGroup}/${ctx.names.schedule}`;
    const detail = 'the function keeps the partitions and hourly sums once a day (EventBridge Scheduler, 03:17 UTC)';
    const scheduler = await ctx.aws.scheduler();
    const saved = ctx.state.outputs?.schedule as ScheduleOutput | undefined;
    const fn = ctx.state.outputs?.function as FunctionOutput | undefined;
    const item = async (spec: ScheduleSpec, resource: string, detail: string): Promise<PlanItem> => {
      const found = await findSchedule(scheduler, ctx, spec.name);
      if (!found) return { step: 'schedule', resource, action: 'create', detail };
      const drift = fn && saved ? scheduleDrift(found, fn.arn, saved.roleArn, spec) : 'not recorded with this stack';
      return drift ? { step: 'schedule', resource, action: 'update', detail: `${detail} (${drift})` } : { step: 'schedule', resource, action: 'keep', detail };
    };
    const items = [await item(maintenanceSchedule(ctx), resource, detail)];
    if (wantsWatch(ctx)) items.push(await item(watchSchedule, `schedule ${ctx.names.scheduleGroup}/${WATCH_SCHEDULE}`, 'every 5 minutes the function counts the devices gone quiet (§8 alerts)'));
    return items;
  },

  async apply(ctx) {
    const task = ctx.progress.task(`schedule ${ctx.names.schedule}`, 'checking');
    const [iam, scheduler] = await Promise.all([ctx.aws.iam(), ctx.aws.scheduler()]);
    const functionArn = (ctx.state.outputs!.function as FunctionOutput).arn;
    const roleArn = await ensureRole(iam, ctx, functionArn);
    await ensureGroup(scheduler, ctx);
    await ensureSchedule(scheduler, ctx, maintenanceSchedule(ctx), functionArn, roleArn, task);
    if (wantsWatch(ctx)) await ensureSchedule(scheduler, ctx, watchSchedule, functionArn, roleArn, task);
    else if (await findSchedule(scheduler, ctx, WATCH_SCHEDULE)) await orNull(scheduler.send(new DeleteScheduleCommand({ Name: WATCH_SCHEDULE, GroupName: ctx.names.scheduleGroup })));
    task.done(`daily at 03:17 UTC${wantsWatch(ctx) ? ', the devices watched every 5 minutes' : ''}, as ${ctx.names.maintenanceRole}`);
    return { group: ctx.names.scheduleGroup, schedule: ctx.names.schedule, roleArn };
  },

  async remove(ctx) {
    const [iam, scheduler] = await Promise.all([ctx.aws.iam(), ctx.aws.scheduler()]);
    const tags = await scheduleGroupTags(scheduler, ctx.names.scheduleGroup);
    if (tags && ownedBy(tags, ctx.stack) === 'ours') {
      await orNull(scheduler.send(new DeleteScheduleCommand({ Name: ctx.names.schedule, GroupName: ctx.names.scheduleGroup })));
      await orNull(scheduler.send(new DeleteScheduleGroupCommand({ Name: ctx.names.scheduleGroup })));
      reportRemoved(ctx, `schedule group ${ctx.names.scheduleGroup}`);
    }
    const role = await ownOrNull(() => findRole(iam, ctx));
    if (!role) return;
    await orNull(iam.send(new DeleteRolePolicyCommand({ RoleName: ctx.names.maintenanceRole, PolicyName: INVOKE_POLICY })));
    await iam.send(new DeleteRoleCommand({ RoleName: ctx.names.maintenanceRole }));
    reportRemoved(ctx, `IAM role ${ctx.names.maintenanceRole}`);
  },
};
