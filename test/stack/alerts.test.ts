// §8 alerts on the fake SNS and CloudWatch (test/support/aws-fake/sns.ts, cloudwatch.ts: their
// sources are named there — SNS's confirmation and idempotent CreateTopic, CloudWatch's alarm
// evaluation and TreatMissingData).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { metricMembers } from '../../templates/lambda/metrics.js';
import { alertsStep, type AlertsOutput } from '../../src/stack/steps/alerts.js';
import { ConflictError } from '../../src/stack/step.js';
import { FakeAws } from '../support/aws-fake.js';
import { evaluateAlarms } from '../support/aws-fake/cloudwatch.js';
import { stepContext } from '../support/step-context.js';

const FN = { name: 'mbed_time_series_webhook', arn: 'arn:aws:lambda:us-west-2:123456789012:function:mbed_time_series_webhook', codeSha256: 'x' };
const TOPIC = 'arn:aws:sns:us-west-2:123456789012:mbed-tsdb-alerts';
const MINUTE = 60_000;

describe('§8 alerts step', () => {
  let aws: FakeAws;
  let ctx: ReturnType<typeof stepContext>;
  beforeEach(() => {
    aws = new FakeAws().install();
    ctx = stepContext({ answers: { alertEmail: 'ops@example.com' }, state: { version: 1, stack: 'mbed-tsdb', outputs: { function: FN } } });
    ctx.clock.now = Date.parse('2026-12-06T08:00:00Z');
    aws.clock = () => ctx.clock.now;
  });
  afterEach(() => aws.restore());

  const confirm = async (address: string) => {
    const { SNSClient, ConfirmSubscriptionCommand } = await import('@aws-sdk/client-sns');
    const mail = aws.sns.outbox.filter((m) => m.to === address && m.token).at(-1)!;
    await new SNSClient({ region: 'us-west-2', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }).send(new ConfirmSubscriptionCommand({ TopicArn: mail.topicArn, Token: mail.token! }));
  };
  const notifications = () => aws.sns.outbox.filter((m) => !m.token).map((m) => `${m.to} ${m.subject}`);

  it('without --alert-email there is nothing to make', async () => {
    const quiet = stepContext({ state: { version: 1, stack: 'mbed-tsdb', outputs: { function: FN } } });
    expect(await alertsStep.plan(quiet)).toEqual([]);
    expect(await alertsStep.apply(quiet)).toBeNull();
    expect(aws.mutatingCalls()).toEqual([]);
  });

  it('makes a tagged topic, subscribes the address (pending until the link is clicked) and the alarms; run again it changes nothing', async () => {
    expect((await alertsStep.plan(ctx)).map((i) => `${i.action} ${i.resource}`)).toEqual([
      'create SNS topic mbed-tsdb-alerts',
      'create email subscription ops@example.com',
      'create alarm mbed-tsdb-webhook-failing',
      'create alarm mbed-tsdb-no-readings',
      'create alarm mbed-tsdb-quiet-devices',
      // Before the database exists: the storage it is made with (20 GiB).
      'create alarm mbed-tsdb-storage-low',
    ]);
    const output = (await alertsStep.apply(ctx)) as AlertsOutput;
    expect(output).toMatchObject({ topicArn: TOPIC, email: 'ops@example.com', alarms: ['mbed-tsdb-webhook-failing', 'mbed-tsdb-no-readings', 'mbed-tsdb-quiet-devices', 'mbed-tsdb-storage-low'] });
    expect(output.subscriptionArn).toMatch(/^arn:aws:sns:us-west-2:123456789012:mbed-tsdb-alerts:/);
    expect(aws.sns.topics.get(TOPIC)!.tags).toEqual({ 'mbed-tsdb:stack': 'mbed-tsdb', 'mbed-tsdb:managed-by': 'mbed-tsdb' });
    expect(aws.sns.outbox.map((m) => m.subject)).toEqual(['AWS Notification - Subscription Confirmation']);
    expect(ctx.log()).toMatch(/confirmation pending/);
    for (const alarm of aws.cloudwatch.alarms.values()) expect(alarm.input).toMatchObject({ AlarmActions: [TOPIC], OKActions: [TOPIC], ActionsEnabled: true });
    expect(aws.cloudwatch.alarms.get('mbed-tsdb-no-readings')!.input).toMatchObject({ Namespace: 'mbed-tsdb', MetricName: 'ReadingsStored', Period: 300, EvaluationPeriods: 6, TreatMissingData: 'breaching' });

    const made = aws.mutatingCalls().length;
    ctx.state.outputs!.alerts = output;
    expect(await alertsStep.apply(ctx)).toEqual(output);
    expect(aws.mutatingCalls()).toHaveLength(made);
    expect((await alertsStep.plan(ctx)).map((i) => i.action)).toEqual(['keep', 'keep', 'keep', 'keep', 'keep', 'keep']);
  });

  it('an Aurora stack has no storage alarm: its storage grows by itself', async () => {
    ctx.answers.engine = 'aurora-mysql';
    expect((await alertsStep.plan(ctx)).map((i) => i.resource)).not.toContain('alarm mbed-tsdb-storage-low');
  });

  it('an alarm whose settings changed (another quiet period) is updated, the others kept', async () => {
    ctx.state.outputs!.alerts = await alertsStep.apply(ctx);
    ctx.answers.quietAfterMinutes = 60;
    expect((await alertsStep.plan(ctx)).map((i) => `${i.action} ${i.resource}`)).toEqual([
      'keep SNS topic mbed-tsdb-alerts',
      'keep email subscription ops@example.com',
      'keep alarm mbed-tsdb-webhook-failing',
      'update alarm mbed-tsdb-no-readings',
      'update alarm mbed-tsdb-quiet-devices',
      'keep alarm mbed-tsdb-storage-low',
    ]);
    await alertsStep.apply(ctx);
    expect(aws.callsOf('PutMetricAlarm').map((c) => c.AlarmName)).toEqual(['mbed-tsdb-webhook-failing', 'mbed-tsdb-no-readings', 'mbed-tsdb-quiet-devices', 'mbed-tsdb-storage-low', 'mbed-tsdb-no-readings', 'mbed-tsdb-quiet-devices']);
    expect(aws.cloudwatch.alarms.get('mbed-tsdb-no-readings')!.input.EvaluationPeriods).toBe(12);
  });

  it('another address: the confirmed old one is unsubscribed, the new one gets its link', async () => {
    ctx.state.outputs!.alerts = await alertsStep.apply(ctx);
    await confirm('ops@example.com');
    ctx.answers.alertEmail = 'oncall@example.com';
    const output = (await alertsStep.apply(ctx)) as AlertsOutput;
    expect(aws.sns.topics.get(TOPIC)!.subscriptions.map((s) => `${s.endpoint} ${s.confirmed}`)).toEqual(['oncall@example.com false']);
    expect(output.email).toBe('oncall@example.com');
  });

  it("the function's metric lines drive the no-readings alarm: quiet for 30 minutes → ALARM mailed; a reading → OK mailed", async () => {
    ctx.state.outputs!.alerts = await alertsStep.apply(ctx);
    await confirm('ops@example.com');
    // Readings flow: not alarming.
    aws.writeLog('/aws/lambda/mbed_time_series_webhook', JSON.stringify({ msg: 'stored', ...metricMembers(FN.name, ctx.clock.now, { ReadingsStored: 3 }) }));
    ctx.clock.now += 10 * MINUTE;
    evaluateAlarms(aws);
    expect(aws.cloudwatch.alarms.get('mbed-tsdb-no-readings')!.state).toBe('OK');
    // Then nothing for more than half an hour.
    ctx.clock.now += 31 * MINUTE;
    evaluateAlarms(aws);
    expect(aws.cloudwatch.alarms.get('mbed-tsdb-no-readings')!.state).toBe('ALARM');
    expect(notifications()).toContain('ops@example.com ALARM: "mbed-tsdb-no-readings" in us-west-2');
    aws.writeLog('/aws/lambda/mbed_time_series_webhook', JSON.stringify({ msg: 'stored', ...metricMembers(FN.name, ctx.clock.now, { ReadingsStored: 1 }) }));
    ctx.clock.now += 5 * MINUTE;
    evaluateAlarms(aws);
    expect(notifications().at(-1)).toBe('ops@example.com OK: "mbed-tsdb-no-readings" in us-west-2');
  });

  it('before the link is clicked nothing is delivered; after three days unconfirmed the subscription is gone', async () => {
    ctx.state.outputs!.alerts = await alertsStep.apply(ctx);
    ctx.clock.now += 40 * MINUTE;
    evaluateAlarms(aws);
    expect(aws.cloudwatch.alarms.get('mbed-tsdb-no-readings')!.state).toBe('ALARM');
    expect(notifications()).toEqual([]);
    ctx.clock.now += 3 * 24 * 60 * MINUTE;
    expect(aws.sns.topics.get(TOPIC)!.subscriptions).toHaveLength(1);
    // Setup run again subscribes the address anew.
    await alertsStep.apply(ctx);
    expect(aws.callsOf('Subscribe')).toHaveLength(2);
  });

  it('teardown removes its alarms and topic, and leaves an alarm of the same name pattern that is not this stack’s', async () => {
    ctx.state.outputs!.alerts = await alertsStep.apply(ctx);
    const { CloudWatchClient, PutMetricAlarmCommand } = await import('@aws-sdk/client-cloudwatch');
    await new CloudWatchClient({ region: 'us-west-2', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }).send(
      new PutMetricAlarmCommand({ AlarmName: 'mbed-tsdb-someone-elses', Namespace: 'x', MetricName: 'y', Statistic: 'Sum', Period: 60, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: 'GreaterThanThreshold' }),
    );
    await alertsStep.remove(ctx);
    expect([...aws.cloudwatch.alarms.keys()]).toEqual(['mbed-tsdb-someone-elses']);
    expect(aws.sns.topics.size).toBe(0);
    expect(ctx.removed).toEqual(['alarm mbed-tsdb-no-readings', 'alarm mbed-tsdb-quiet-devices', 'alarm mbed-tsdb-storage-low', 'alarm mbed-tsdb-webhook-failing', 'SNS topic mbed-tsdb-alerts']);
  });

  it('a topic of the same name that is not this stack’s is never adopted', async () => {
    const { SNSClient, CreateTopicCommand } = await import('@aws-sdk/client-sns');
    await new SNSClient({ region: 'us-west-2', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }).send(new CreateTopicCommand({ Name: 'mbed-tsdb-alerts' }));
    await expect(alertsStep.plan(ctx)).rejects.toBeInstanceOf(ConflictError);
    await expect(alertsStep.apply(ctx)).rejects.toBeInstanceOf(ConflictError);
  });
});
