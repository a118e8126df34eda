// The fake's EventBridge Scheduler: schedule groups (tagged; schedules take no tags) and their
// schedules, as the service answers (SDK model @aws-sdk/client-scheduler 3.1169: ConflictException
// for a name in use, ResourceNotFoundException for none). CreateSchedule and UpdateSchedule check
// the execution role: one that does not exist, is not trusted by scheduler.amazonaws.com, or is
// younger than IAM takes to reach Scheduler is refused with "The execution role you provide must
// allow AWS EventBridge Scheduler to assume the role." (ValidationException, as reported in
// aws/aws-sdk-js-v3 #6494). DeleteScheduleGroup deletes its schedules with it. `fire` runs a
// schedule's target as Scheduler would: an asynchronous invocation of the function with its input.
import {
  ConflictException,
  CreateScheduleCommand,
  CreateScheduleGroupCommand,
  DeleteScheduleCommand,
  DeleteScheduleGroupCommand,
  GetScheduleCommand,
  GetScheduleGroupCommand,
  ListTagsForResourceCommand,
  ResourceNotFoundException,
  SchedulerClient,
  UpdateScheduleCommand,
  ValidationException,
  type Target,
} from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { meta, type FakeAws } from '../aws-fake.js';

export interface FakeSchedule {
  name: string;
  group: string;
  expression: string;
  state: 'ENABLED' | 'DISABLED';
  target: Target;
  description?: string;
}

/** IAM is eventually consistent: a new role is assumable by Scheduler some seconds later. */
export const ROLE_VISIBLE_TO_SCHEDULER_MS = 10_000;

export function installScheduler(fake: FakeAws): void {
  const scheduler = mockClient(SchedulerClient);
  fake.stubs.push(scheduler);
  const state = fake.scheduler;
  const groupArn = (name: string) => `arn:aws:scheduler:${fake.region}:${fake.account}:schedule-group/${name}`;
  const notFound = (what: string) => new ResourceNotFoundException({ ...meta, message: `${what} does not exist.`, Message: `${what} does not exist.` });
  const key = (group: string | undefined, name: string) => `${group ?? 'default'}/${name}`;

  const checkRole = (target: Target | undefined) => {
    const role = [...fake.iam.roles.values()].find((r) => r.arn === target?.RoleArn);
    const trusted = role && JSON.stringify(JSON.parse(role.trust)).includes('scheduler.amazonaws.com');
    if (!role || !trusted || fake.clock() - role.createdAt < ROLE_VISIBLE_TO_SCHEDULER_MS) {
      throw new ValidationException({ ...meta, message: 'The execution role you provide must allow AWS EventBridge Scheduler to assume the role.', Message: 'The execution role you provide must allow AWS EventBridge Scheduler to assume the role.' });
    }
    if (!target?.Arn) throw new ValidationException({ ...meta, message: 'Target Arn is required.', Message: 'Target Arn is required.' });
  };
  const checkGroup = (group: string | undefined) => {
    if (group !== undefined && group !== 'default' && !state.groups.has(group)) throw notFound(`Schedule group ${group}`);
  };

  fake.handle(scheduler, GetScheduleGroupCommand, { service: 'scheduler', name: 'GetScheduleGroup', mutating: false }, async (input) => {
    const group = state.groups.get(input.Name!);
    if (!group) throw notFound(`Schedule group ${input.Name}`);
    return { Name: input.Name, Arn: groupArn(input.Name!), State: 'ACTIVE' };
  });
  fake.handle(scheduler, CreateScheduleGroupCommand, { service: 'scheduler', name: 'CreateScheduleGroup', mutating: true }, async (input) => {
    if (state.groups.has(input.Name!)) throw new ConflictException({ ...meta, message: `Schedule group ${input.Name} already exists.`, Message: `Schedule group ${input.Name} already exists.` });
    state.groups.set(input.Name!, { tags: Object.fromEntries((input.Tags ?? []).map((t) => [t.Key!, t.Value!])) });
    return { ScheduleGroupArn: groupArn(input.Name!) };
  });
  fake.handle(scheduler, DeleteScheduleGroupCommand, { service: 'scheduler', name: 'DeleteScheduleGroup', mutating: true }, async (input) => {
    if (!state.groups.delete(input.Name!)) throw notFound(`Schedule group ${input.Name}`);
    for (const [k, schedule] of state.schedules) if (schedule.group === input.Name) state.schedules.delete(k);
    return {};
  });
  fake.handle(scheduler, ListTagsForResourceCommand, { service: 'scheduler', name: 'ListTagsForResource', mutating: false }, async (input) => {
    const name = /schedule-group\/(.+)$/.exec(input.ResourceArn ?? '')?.[1];
    const group = name ? state.groups.get(name) : undefined;
    if (!group) throw notFound(`Resource ${input.ResourceArn}`);
    return { Tags: Object.entries(group.tags).map(([Key, Value]) => ({ Key, Value })) };
  });
  fake.handle(scheduler, GetScheduleCommand, { service: 'scheduler', name: 'GetSchedule', mutating: false }, async (input) => {
    const schedule = state.schedules.get(key(input.GroupName, input.Name!));
    if (!schedule) throw notFound(`Schedule ${input.Name}`);
    return {
      Name: schedule.name,
      GroupName: schedule.group,
      Arn: `arn:aws:scheduler:${fake.region}:${fake.account}:schedule/${schedule.group}/${schedule.name}`,
      ScheduleExpression: schedule.expression,
      State: schedule.state,
      Target: schedule.target,
      ...(schedule.description ? { Description: schedule.description } : {}),
    };
  });
  const put = (input: { Name?: string; GroupName?: string; ScheduleExpression?: string; State?: string; Target?: Target; Description?: string }) => {
    state.schedules.set(key(input.GroupName, input.Name!), {
      name: input.Name!,
      group: input.GroupName ?? 'default',
      expression: input.ScheduleExpression!,
      state: input.State === 'DISABLED' ? 'DISABLED' : 'ENABLED',
      target: input.Target!,
      ...(input.Description ? { description: input.Description } : {}),
    });
  };
  fake.handle(scheduler, CreateScheduleCommand, { service: 'scheduler', name: 'CreateSchedule', mutating: true }, async (input) => {
    checkGroup(input.GroupName);
    if (state.schedules.has(key(input.GroupName, input.Name!))) throw new ConflictException({ ...meta, message: `Schedule ${input.Name} already exists.`, Message: `Schedule ${input.Name} already exists.` });
    checkRole(input.Target);
    put(input);
    return { ScheduleArn: `arn:aws:scheduler:${fake.region}:${fake.account}:schedule/${input.GroupName ?? 'default'}/${input.Name}` };
  });
  fake.handle(scheduler, UpdateScheduleCommand, { service: 'scheduler', name: 'UpdateSchedule', mutating: true }, async (input) => {
    checkGroup(input.GroupName);
    if (!state.schedules.has(key(input.GroupName, input.Name!))) throw notFound(`Schedule ${input.Name}`);
    checkRole(input.Target);
    put(input);
    return { ScheduleArn: `arn:aws:scheduler:${fake.region}:${fake.account}:schedule/${input.GroupName ?? 'default'}/${input.Name}` };
  });
  fake.handle(scheduler, DeleteScheduleCommand, { service: 'scheduler', name: 'DeleteSchedule', mutating: true }, async (input) => {
    if (!state.schedules.delete(key(input.GroupName, input.Name!))) throw notFound(`Schedule ${input.Name}`);
    return {};
  });
}
