// §8 alerts (not in the tutorial, which leaves a stack silent when it breaks): with
// --alert-email, an SNS topic whose email subscription is the user's address, and CloudWatch
// alarms on the webhook failing, no reading stored, devices gone quiet and (RDS MySQL) low
// storage, each notifying the topic when it goes into ALARM and when it is OK again. SNS sends the
// address a confirmation link first: nothing is delivered until it is clicked (status says so).

import { DeleteAlarmsCommand, DescribeAlarmsCommand, ListTagsForResourceCommand as ListAlarmTagsCommand, PutMetricAlarmCommand, type CloudWatchClient, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import {
  CreateTopicCommand,
  DeleteTopicCommand,
  GetSubscriptionAttributesCommand,
  ListSubscriptionsByTopicCommand,
  ListTagsForResourceCommand,
  NotFoundException,
  PublishCommand,
  SubscribeCommand,
  UnsubscribeCommand,
  type SNSClient,
  type Subscription,
} from '@aws-sdk/client-sns';
import { callerIdentity } from '../../aws/identity.js';
import { UserFacingError } from '../../errors.js';
import { partitionOf } from '../../aws/partition.js';
import { alarmConfig, DEFAULT_QUIET_AFTER_MINUTES, wantedAlarms, type AlarmTarget } from '../alarms.js';
import { ownedBy, tagMap } from '../naming.js';
import { checkOwner, reportRemoved, type PlanItem, type Step, type StepContext } from '../step.js';
import type { DatabaseOutput } from './database.js';
import { ALLOCATED_STORAGE_GB } from './database-storage.js';
import type { FunctionOutput } from './function.js';

export interface AlertsOutput {
  topicArn: string;
  email: string;
  /** The address's subscription (its ARN even while pending: Subscribe's ReturnSubscriptionArn). */
  subscriptionArn: string;
  alarms: string[];
}

const notFound = (error: unknown) => error instanceof NotFoundException || (error as { name?: string })?.name === 'NotFoundException' || (error as { name?: string })?.name === 'ResourceNotFoundException';

/** The topic's ARN, known without a call once the function's ARN names the account. */
export async function topicArnOf(ctx: StepContext): Promise<string> {
  return `arn:${partitionOf(ctx.aws.region).partition}:sns:${ctx.aws.region}:${await accountOf(ctx)}:${ctx.names.alertTopic}`;
}

/** The topic's tags, or null when there is no such topic. */
async function topicTags(sns: SNSClient, arn: string): Promise<Record<string, string | undefined> | null> {
  try {
    return tagMap((await sns.send(new ListTagsForResourceCommand({ ResourceArn: arn }))).Tags);
  } catch (error) {
    if (notFound(error)) return null;
    throw error;
  }
}

/** The topic's email subscriptions (pending ones have no ARN in this list: "PendingConfirmation"). */
async function emailSubscriptions(sns: SNSClient, topicArn: string): Promise<Subscription[]> {
  const found: Subscription[] = [];
  let NextToken: string | undefined;
  do {
    const page = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn, NextToken }));
    found.push(...(page.Subscriptions ?? []).filter((s) => s.Protocol === 'email'));
    NextToken = page.NextToken;
  } while (NextToken);
  return found;
}

/** The subscription's state: confirmed, pending (the link not clicked yet), or gone (never confirmed in three days, or unsubscribed). */
export async function subscriptionState(sns: SNSClient, arn: string): Promise<'confirmed' | 'pending' | 'gone'> {
  try {
    const attributes = (await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: arn }))).Attributes ?? {};
    return attributes.PendingConfirmation === 'true' ? 'pending' : 'confirmed';
  } catch (error) {
    if (notFound(error)) return 'gone';
    throw error;
  }
}

/** The stack's alarms as CloudWatch has them, by name. */
export async function describeAlarms(cloudwatch: CloudWatchClient, prefix: string): Promise<Map<string, MetricAlarm>> {
  const found = new Map<string, MetricAlarm>();
  let NextToken: string | undefined;
  do {
    const page = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNamePrefix: prefix, AlarmTypes: ['MetricAlarm'], NextToken }));
    for (const alarm of page.MetricAlarms ?? []) found.set(alarm.AlarmName!, alarm);
    NextToken = page.NextToken;
  } while (NextToken);
  return found;
}

/**
 * What the alarms watch: the function, the API's stage, the database's instance and its storage
 * now (before the database exists, as a plan sees it: what setup makes it with).
 */
async function alarmTarget(ctx: StepContext, topicArn: string): Promise<AlarmTarget> {
  const fn = ctx.state.outputs?.function as FunctionOutput | undefined;
  const db = ctx.state.outputs?.database as DatabaseOutput | undefined;
  let instance: AlarmTarget['instance'] = null;
  if (ctx.answers.engine === 'mysql') {
    const identifier = db?.identifier ?? ctx.names.dbInstance;
    const found = db ? (await (await ctx.aws.rds()).send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: identifier }))).DBInstances?.[0] : undefined;
    instance = { identifier, allocatedGiB: found?.AllocatedStorage ?? ALLOCATED_STORAGE_GB };
  }
  return {
    prefix: ctx.names.alarmPrefix,
    topicArn,
    functionName: fn?.name ?? ctx.names.function,
    apiName: ctx.names.api,
    apiStage: ctx.names.apiStage,
    instance,
    quietAfterMinutes: ctx.answers.quietAfterMinutes ?? DEFAULT_QUIET_AFTER_MINUTES,
    tags: ctx.tags,
  };
}

/** The account: from the function's ARN once there is one, else asked of STS. */
async function accountOf(ctx: StepContext): Promise<string> {
  const fn = ctx.state.outputs?.function as FunctionOutput | undefined;
  return fn ? fn.arn.split(':')[4]! : (await callerIdentity(ctx.aws)).account;
}

export const alertsStep: Step<AlertsOutput | null> = {
  id: 'alerts',
  title: '§8 alerts',
  after: ['function', 'database-ready', 'api'],

  async plan(ctx) {
    const email = ctx.answers.alertEmail;
    if (!email) return [];
    const [sns, cloudwatch] = await Promise.all([ctx.aws.sns(), ctx.aws.cloudwatch()]);
    const topicArn = await topicArnOf(ctx);
    const tags = await topicTags(sns, topicArn);
    if (tags) checkOwner(ctx, `SNS topic ${ctx.names.alertTopic}`, tags);
    const items: PlanItem[] = [{ step: 'alerts', resource: `SNS topic ${ctx.names.alertTopic}`, action: tags ? 'keep' : 'create', detail: 'alarms notify it' }];
    const subscribed = tags ? (await emailSubscriptions(sns, topicArn)).some((s) => s.Endpoint === email) : false;
    items.push({ step: 'alerts', resource: `email subscription ${email}`, action: subscribed ? 'keep' : 'create', detail: subscribed ? undefined : 'SNS mails a confirmation link first: click it to receive alerts' });
    const have = await describeAlarms(cloudwatch, ctx.names.alarmPrefix);
    for (const alarm of wantedAlarms(await alarmTarget(ctx, topicArn))) {
      const found = have.get(alarm.AlarmName!);
      const action = !found ? 'create' : alarmConfig(found) === alarmConfig(alarm) ? 'keep' : 'update';
      items.push({ step: 'alerts', resource: `alarm ${alarm.AlarmName}`, action, detail: alarm.AlarmDescription!.split('. ')[0] });
    }
    return items;
  },

  async apply(ctx) {
    const email = ctx.answers.alertEmail;
    if (!email) return (ctx.state.outputs?.alerts as AlertsOutput | undefined) ?? null;
    const task = ctx.progress.task('alerts', 'checking');
    const [sns, cloudwatch] = await Promise.all([ctx.aws.sns(), ctx.aws.cloudwatch()]);
    const topicArn = await topicArnOf(ctx);
    const tags = await topicTags(sns, topicArn);
    if (tags) checkOwner(ctx, `SNS topic ${ctx.names.alertTopic}`, tags);
    else await sns.send(new CreateTopicCommand({ Name: ctx.names.alertTopic, Tags: Object.entries(ctx.tags).map(([Key, Value]) => ({ Key, Value })) }));

    // One address: another one confirmed before is unsubscribed (a pending one cannot be, and lapses in three days).
    const subscriptions = await emailSubscriptions(sns, topicArn);
    for (const old of subscriptions.filter((s) => s.Endpoint !== email && s.SubscriptionArn?.startsWith('arn:'))) {
      await sns.send(new UnsubscribeCommand({ SubscriptionArn: old.SubscriptionArn }));
    }
    const saved = ctx.state.outputs?.alerts as AlertsOutput | undefined;
    const mine = subscriptions.find((s) => s.Endpoint === email);
    // Subscribing a confirmed address again returns it; a pending one gets its link again (asked for only).
    const pendingKnown = saved?.email === email && mine !== undefined && !ctx.answers.resendConfirmation;
    const subscriptionArn =
      mine?.SubscriptionArn?.startsWith('arn:') ? mine.SubscriptionArn
      : pendingKnown ? saved.subscriptionArn
      : (await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'email', Endpoint: email, ReturnSubscriptionArn: true }))).SubscriptionArn!;

    const have = await describeAlarms(cloudwatch, ctx.names.alarmPrefix);
    const alarms = wantedAlarms(await alarmTarget(ctx, topicArn));
    for (const alarm of alarms) {
      const found = have.get(alarm.AlarmName!);
      if (found && alarmConfig(found) === alarmConfig(alarm)) continue;
      task.update(`alarm ${alarm.AlarmName}`);
      await cloudwatch.send(new PutMetricAlarmCommand(alarm));
    }
    const state = await subscriptionState(sns, subscriptionArn);
    task.done(`${alarms.length} alarms → ${email}${state === 'pending' ? ' (confirmation pending: click the link SNS mailed)' : ''}`);
    return { topicArn, email, subscriptionArn, alarms: alarms.map((a) => a.AlarmName!) };
  },

  async remove(ctx) {
    const [sns, cloudwatch] = await Promise.all([ctx.aws.sns(), ctx.aws.cloudwatch()]);
    const ours = (await ownAlarms(ctx, cloudwatch)).map((a) => a.AlarmName!);
    if (ours.length > 0) {
      await cloudwatch.send(new DeleteAlarmsCommand({ AlarmNames: ours }));
      for (const name of ours) reportRemoved(ctx, `alarm ${name}`);
    }
    const topicArn = await ownTopic(ctx, sns);
    if (topicArn) {
      // Its subscriptions go with it.
      await sns.send(new DeleteTopicCommand({ TopicArn: topicArn }));
      reportRemoved(ctx, `SNS topic ${ctx.names.alertTopic}`);
    }
  },
};

/** The alarms under the stack's prefix that carry its tag (a longer stack name shares the prefix). */
export async function ownAlarms(ctx: StepContext, cloudwatch: CloudWatchClient): Promise<MetricAlarm[]> {
  const ours: MetricAlarm[] = [];
  for (const alarm of (await describeAlarms(cloudwatch, ctx.names.alarmPrefix)).values()) {
    const tags = tagMap((await cloudwatch.send(new ListAlarmTagsCommand({ ResourceARN: alarm.AlarmArn }))).Tags);
    if (ownedBy(tags, ctx.stack) === 'ours') ours.push(alarm);
  }
  return ours;
}

/** The alert topic's ARN when it exists and is the stack's, else null. */
export async function ownTopic(ctx: StepContext, sns: SNSClient): Promise<string | null> {
  const topicArn = (ctx.state.outputs?.alerts as AlertsOutput | undefined)?.topicArn ?? (await topicArnOf(ctx));
  const tags = await topicTags(sns, topicArn);
  return tags && ownedBy(tags, ctx.stack) === 'ours' ? topicArn : null;
}

/** `mbed-tsdb alerts --test`: one message through the topic, as an alarm's would go. */
export async function sendTestAlert(ctx: StepContext): Promise<{ topicArn: string; email: string; subscription: 'confirmed' | 'pending' | 'gone' }> {
  const saved = ctx.state.outputs?.alerts as AlertsOutput | undefined;
  if (!saved) throw new UserFacingError(`stack ${ctx.stack} has no alerts: mbed-tsdb alerts --email <address> makes them`, { code: 'NO_ALERTS' });
  const sns = await ctx.aws.sns();
  await sns.send(
    new PublishCommand({
      TopicArn: saved.topicArn,
      Subject: `mbed-tsdb: test alert for stack ${ctx.stack}`,
      Message: `This is a test of the alerts of mbed-tsdb stack ${ctx.stack} in ${ctx.aws.region}. Alarms are mailed to this address when they go off and when they are OK again.`,
    }),
  );
  return { topicArn: saved.topicArn, email: saved.email, subscription: await subscriptionState(sns, saved.subscriptionArn) };
}
