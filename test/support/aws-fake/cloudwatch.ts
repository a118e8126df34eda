// The fake's CloudWatch: metrics and the alarms watching them. Metrics come in as they do in
// AWS — from the function's log lines in embedded metric format (extracted as CloudWatch Logs
// does: `extractMetrics`), from Lambda (AWS/Lambda Errors when an invocation fails), API Gateway
// (AWS/ApiGateway 5XXError by ApiName and Stage) and RDS (AWS/RDS FreeStorageSpace) through
// `putMetric`. Alarms follow the API reference (PutMetricAlarm, DescribeAlarms, DeleteAlarms) and
// the user guide's "Evaluating an alarm":
// - Period is 10, 20, 30 or a multiple of 60; Period × EvaluationPeriods at most a day when the
//   period is under an hour, else seven days (ValidationError otherwise).
// - A new alarm starts in INSUFFICIENT_DATA; an update keeps its state and ignores Tags (tags
//   change only by TagResource).
// - Evaluation: the last EvaluationPeriods whole periods, DatapointsToAlarm of them breaching
//   → ALARM; a period without data is treated as TreatMissingData says (missing: all missing →
//   INSUFFICIENT_DATA, else only those with data count; breaching; notBreaching; ignore: state kept).
// - A state change runs the actions of the new state when ActionsEnabled: an SNS topic receives
//   the alarm's notification.
// - DeleteAlarms of a name that does not exist: ResourceNotFound, and nothing deleted.
// CloudWatch evaluates alarms every minute; the fake evaluates when asked (`evaluateAlarms`) and
// before answering DescribeAlarms.
import {
  CloudWatchClient,
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  ListTagsForResourceCommand,
  PutMetricAlarmCommand,
  ResourceNotFound,
  TagResourceCommand,
  type MetricAlarm,
  type MetricDataQuery,
  type PutMetricAlarmInput,
  type StateValue,
} from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { meta, type FakeAws } from '../aws-fake.js';
import { deliver } from './sns.js';

export interface Datapoint {
  namespace: string;
  name: string;
  dimensions: Record<string, string>;
  value: number;
  timestamp: number;
}

export interface FakeAlarm {
  input: PutMetricAlarmInput;
  arn: string;
  state: StateValue;
  reason: string;
  updatedAt: number;
  tags: Record<string, string>;
}

/** One metric value as CloudWatch extracts it from a log line. */
export type ExtractedMetric = Datapoint;

/**
 * What CloudWatch Logs extracts from one log event ("Specification: Embedded metric format"):
 * nothing unless the event is a JSON object whose `_aws` has a numeric Timestamp and a
 * CloudWatchMetrics array; for each directive and dimension set whose members are all strings at
 * the root, each metric whose member is a number.
 */
export function extractMetrics(message: string): ExtractedMetric[] {
  let line: unknown;
  try {
    line = JSON.parse(message);
  } catch {
    return [];
  }
  if (!line || typeof line !== 'object' || Array.isArray(line)) return [];
  const root = line as Record<string, unknown>;
  const metadata = root._aws as { Timestamp?: unknown; CloudWatchMetrics?: unknown } | undefined;
  if (!metadata || typeof metadata.Timestamp !== 'number' || !Array.isArray(metadata.CloudWatchMetrics)) return [];
  const found: ExtractedMetric[] = [];
  for (const directive of metadata.CloudWatchMetrics as Array<{ Namespace?: unknown; Dimensions?: unknown; Metrics?: unknown }>) {
    if (typeof directive?.Namespace !== 'string' || !Array.isArray(directive.Dimensions) || !Array.isArray(directive.Metrics)) continue;
    for (const set of directive.Dimensions as unknown[]) {
      if (!Array.isArray(set) || !set.every((key) => typeof key === 'string' && typeof root[key] === 'string')) continue;
      const dimensions = Object.fromEntries((set as string[]).map((key) => [key, root[key] as string]));
      for (const metric of directive.Metrics as Array<{ Name?: unknown }>) {
        const value = typeof metric?.Name === 'string' ? root[metric.Name] : undefined;
        if (typeof value === 'number' && Number.isFinite(value)) {
          found.push({ namespace: directive.Namespace, name: metric.Name as string, dimensions, value, timestamp: metadata.Timestamp });
        }
      }
    }
  }
  return found;
}

type Metric = { Namespace?: string; MetricName?: string; Dimensions?: Array<{ Name?: string; Value?: string }> };

const sameDimensions = (wanted: Metric['Dimensions'], have: Record<string, string>) =>
  (wanted ?? []).length === Object.keys(have).length && (wanted ?? []).every((d) => have[d.Name!] === d.Value);

function statistic(stat: string, values: number[]): number | null {
  if (values.length === 0) return null;
  switch (stat) {
    case 'Sum':
      return values.reduce((a, b) => a + b, 0);
    case 'Average':
      return values.reduce((a, b) => a + b, 0) / values.length;
    case 'Minimum':
      return Math.min(...values);
    case 'Maximum':
      return Math.max(...values);
    case 'SampleCount':
      return values.length;
    default:
      throw new Error(`the fake knows no statistic ${stat}`);
  }
}

const breaches = (operator: string | undefined, value: number, threshold: number) =>
  operator === 'GreaterThanOrEqualToThreshold'
    ? value >= threshold
    : operator === 'GreaterThanThreshold'
      ? value > threshold
      : operator === 'LessThanThreshold'
        ? value < threshold
        : operator === 'LessThanOrEqualToThreshold'
          ? value <= threshold
          : (() => {
              throw new Error(`the fake knows no comparison ${operator}`);
            })();

export function installCloudWatch(fake: FakeAws): void {
  const cloudwatch = mockClient(CloudWatchClient);
  fake.stubs.push(cloudwatch);
  const state = fake.cloudwatch;
  const validation = (message: string) => Object.assign(new Error(message), { name: 'ValidationError', $fault: 'client', $metadata: { httpStatusCode: 400 } });
  const arnOf = (name: string) => `arn:aws:cloudwatch:${fake.region}:${fake.account}:alarm:${name}`;

  fake.handle(cloudwatch, PutMetricAlarmCommand, { service: 'monitoring', name: 'PutMetricAlarm', mutating: true }, async (input) => {
    if (!input.AlarmName || input.AlarmName.length > 255) throw validation('AlarmName must be 1 to 255 characters');
    if (Boolean(input.MetricName) === Boolean(input.Metrics)) throw validation('Exactly one of MetricName and Metrics must be given');
    const periods = input.Metrics ? input.Metrics.filter((m) => m.MetricStat).map((m) => m.MetricStat!.Period!) : [input.Period!];
    for (const period of periods) {
      if (!(period === 10 || period === 20 || period === 30 || (period > 0 && period % 60 === 0))) throw validation(`Period ${period} must be 10, 20, 30 or a multiple of 60`);
      const total = period * (input.EvaluationPeriods ?? 0);
      if (total > (period < 3600 ? 86_400 : 604_800)) throw validation('Period * EvaluationPeriods is longer than allowed');
    }
    if ((input.EvaluationPeriods ?? 0) < 1) throw validation('EvaluationPeriods must be at least 1');
    if (input.Threshold === undefined) throw validation('Threshold is required');
    const existing = state.alarms.get(input.AlarmName);
    state.alarms.set(input.AlarmName, {
      input,
      arn: arnOf(input.AlarmName),
      state: existing?.state ?? 'INSUFFICIENT_DATA',
      reason: existing?.reason ?? 'Unchecked: Initial alarm creation',
      updatedAt: existing?.updatedAt ?? fake.clock(),
      tags: existing?.tags ?? Object.fromEntries((input.Tags ?? []).map((t) => [t.Key!, t.Value!])),
    });
    return {};
  });
  fake.handle(cloudwatch, DescribeAlarmsCommand, { service: 'monitoring', name: 'DescribeAlarms', mutating: false }, async (input) => {
    evaluateAlarms(fake);
    const alarms = [...state.alarms.entries()]
      .filter(([name]) => (input.AlarmNames ? input.AlarmNames.includes(name) : name.startsWith(input.AlarmNamePrefix ?? '')))
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([, alarm]): MetricAlarm => {
        const { Tags: _tags, ...config } = alarm.input;
        return { ...config, AlarmArn: alarm.arn, StateValue: alarm.state, StateReason: alarm.reason, StateUpdatedTimestamp: new Date(alarm.updatedAt) };
      });
    return { MetricAlarms: alarms, CompositeAlarms: [] };
  });
  fake.handle(cloudwatch, DeleteAlarmsCommand, { service: 'monitoring', name: 'DeleteAlarms', mutating: true }, async (input) => {
    const missing = (input.AlarmNames ?? []).filter((name) => !state.alarms.has(name));
    if (missing.length > 0) throw new ResourceNotFound({ ...meta, message: `Alarm(s) ${missing.join(', ')} do not exist` });
    for (const name of input.AlarmNames ?? []) state.alarms.delete(name);
    return {};
  });
  fake.handle(cloudwatch, ListTagsForResourceCommand, { service: 'monitoring', name: 'ListTagsForResource', mutating: false }, async (input) => {
    const alarm = [...state.alarms.values()].find((a) => a.arn === input.ResourceARN);
    if (!alarm) throw Object.assign(new Error('The named resource does not exist.'), { name: 'ResourceNotFoundException', $fault: 'client', $metadata: { httpStatusCode: 404 } });
    return { Tags: Object.entries(alarm.tags).map(([Key, Value]) => ({ Key, Value })) };
  });
  fake.handle(cloudwatch, TagResourceCommand, { service: 'monitoring', name: 'TagResource', mutating: true }, async (input) => {
    const alarm = [...state.alarms.values()].find((a) => a.arn === input.ResourceARN);
    if (!alarm) throw Object.assign(new Error('The named resource does not exist.'), { name: 'ResourceNotFoundException', $fault: 'client', $metadata: { httpStatusCode: 404 } });
    for (const t of input.Tags ?? []) alarm.tags[t.Key!] = t.Value!;
    return {};
  });
}

/** A metric's statistic over [from, to): null when no datapoint fell in it. */
function metricValue(fake: FakeAws, metric: Metric | undefined, stat: string, from: number, to: number): number | null {
  const values = fake.cloudwatch.datapoints
    .filter((d) => d.namespace === metric?.Namespace && d.name === metric?.MetricName && sameDimensions(metric?.Dimensions, d.dimensions) && d.timestamp >= from && d.timestamp < to)
    .map((d) => d.value);
  return statistic(stat, values);
}

/**
 * A metric math expression over one period. The fake reads sums of ids and FILL(id, n) only —
 * the alarms mbed-tsdb makes — and refuses anything else rather than guess.
 */
function mathValue(expression: string, values: Map<string, number | null>): number | null {
  let total: number | null = 0;
  for (const term of expression.split('+').map((t) => t.trim())) {
    const fill = /^FILL\((\w+),\s*(-?\d+(?:\.\d+)?)\)$/.exec(term);
    const id = fill ? fill[1]! : term;
    if (!/^\w+$/.test(id) || !values.has(id)) throw new Error(`the fake cannot evaluate ${JSON.stringify(expression)}`);
    const value = values.get(id) ?? (fill ? Number(fill[2]) : null);
    total = value === null || total === null ? null : total + value;
  }
  return total;
}

function periodValue(fake: FakeAws, input: PutMetricAlarmInput, from: number, to: number): number | null {
  if (!input.Metrics) return metricValue(fake, input, input.Statistic!, from, to);
  const values = new Map<string, number | null>();
  for (const query of input.Metrics.filter((m: MetricDataQuery) => m.MetricStat)) {
    values.set(query.Id!, metricValue(fake, query.MetricStat!.Metric, query.MetricStat!.Stat!, from, to));
  }
  const result = input.Metrics.find((m) => m.ReturnData !== false && m.Expression);
  return result ? mathValue(result.Expression!, values) : [...values.values()][0] ?? null;
}

/** Evaluates every alarm at the fake's clock, running the actions of each state change. */
export function evaluateAlarms(fake: FakeAws): void {
  const now = fake.clock();
  for (const [name, alarm] of fake.cloudwatch.alarms) {
    const input = alarm.input;
    const period = (input.Period ?? input.Metrics?.find((m) => m.MetricStat)?.MetricStat?.Period ?? 60) * 1000;
    const end = Math.floor(now / period) * period;
    const n = input.EvaluationPeriods!;
    const values = Array.from({ length: n }, (_, k) => periodValue(fake, input, end - (k + 1) * period, end - k * period));
    const missing = input.TreatMissingData ?? 'missing';
    const present = values.filter((v): v is number => v !== null);
    let next: StateValue;
    if (present.length === 0 && missing === 'ignore') continue;
    if (present.length === 0 && missing === 'missing') next = 'INSUFFICIENT_DATA';
    else {
      const breaching =
        present.filter((v) => breaches(input.ComparisonOperator, v, input.Threshold!)).length + (missing === 'breaching' ? values.length - present.length : 0);
      next = breaching >= (input.DatapointsToAlarm ?? n) ? 'ALARM' : 'OK';
    }
    if (next === alarm.state) continue;
    const reason = `Threshold Crossed: ${n} period(s) of ${period / 1000} s evaluated: [${values.map((v) => (v === null ? 'missing' : v)).join(', ')}] (${input.ComparisonOperator} ${input.Threshold}).`;
    alarm.state = next;
    alarm.reason = reason;
    alarm.updatedAt = now;
    const actions = next === 'ALARM' ? input.AlarmActions : next === 'OK' ? input.OKActions : input.InsufficientDataActions;
    if (input.ActionsEnabled === false) continue;
    for (const arn of actions ?? []) {
      const topic = fake.sns.topics.get(arn);
      if (!topic) continue;
      deliver(
        fake,
        topic,
        `${next}: "${name}" in ${fake.region}`,
        [`You are receiving this email because your Amazon CloudWatch Alarm "${name}" in the ${fake.region} region has entered the ${next} state.`, '', input.AlarmDescription ?? '', '', `Reason: ${reason}`].join('\n'),
      );
    }
  }
}
