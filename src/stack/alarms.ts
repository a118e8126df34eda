// The alarms a stack with alerts has, as PutMetricAlarm inputs: pure, so what is made, what the
// plan compares and what status reads come from one definition. Each notifies the alert topic when
// it goes into ALARM and when it is OK again. Sources: CloudWatch API reference (PutMetricAlarm:
// Period 10/20/30 or a multiple of 60, Period × EvaluationPeriods at most a day under an hour's
// period), the Lambda developer guide ("Types of metrics for Lambda functions": AWS/Lambda Errors
// by FunctionName), the API Gateway developer guide ("Amazon API Gateway dimensions and metrics":
// AWS/ApiGateway 5XXError by ApiName and Stage), the RDS user guide ("Amazon CloudWatch metrics for
// Amazon RDS": FreeStorageSpace in bytes by DBInstanceIdentifier; storage autoscaling grows the
// storage once free space has stayed under 10 % for 5 minutes).

import type { MetricAlarm, PutMetricAlarmInput } from '@aws-sdk/client-cloudwatch';
import { METRICS_DIMENSION, METRICS_NAMESPACE, QUIET_DEVICES, READINGS_STORED } from '../../templates/lambda/metrics.js';

export type AlarmKind = 'webhook-failing' | 'no-readings' | 'quiet-devices' | 'storage-low';

export interface AlarmTarget {
  /** `mbed-tsdb-` (names.alarmPrefix). */
  prefix: string;
  topicArn: string;
  functionName: string;
  /** The REST API's name and stage: API Gateway's metrics are by name, not id. */
  apiName: string;
  apiStage: string;
  /** An RDS MySQL instance and its allocated storage; null for Aurora (its storage grows by itself). */
  instance: { identifier: string; allocatedGiB: number } | null;
  quietAfterMinutes: number;
  tags: Record<string, string>;
}

/** How often the no-readings alarm looks (its period); the quiet period is a whole number of these. */
export const LOOK_EVERY_MINUTES = 5;
/** The quiet period's bounds: CloudWatch evaluates at most a day of 5-minute periods. */
export const QUIET_AFTER_MIN_MINUTES = 5;
export const QUIET_AFTER_MAX_MINUTES = 24 * 60;
export const DEFAULT_QUIET_AFTER_MINUTES = 30;
/** Free storage under this share of what is allocated, for half an hour: RDS's autoscaling did not help. */
export const LOW_STORAGE_SHARE = 0.1;
const STORAGE_PERIODS = 6;

const GIB = 1024 ** 3;

export const alarmName = (prefix: string, kind: AlarmKind): string => `${prefix}${kind}`;

/** The names wantedAlarms gives, without reading what they watch (status). */
export function wantedAlarmNames(prefix: string, withStorage: boolean): string[] {
  const kinds: AlarmKind[] = ['webhook-failing', 'no-readings', 'quiet-devices', ...(withStorage ? (['storage-low'] as const) : [])];
  return kinds.map((kind) => alarmName(prefix, kind));
}

/** The alarms of a stack: webhook failing, no readings, quiet devices, and low storage for RDS MySQL. */
export function wantedAlarms(target: AlarmTarget): PutMetricAlarmInput[] {
  const common = {
    ActionsEnabled: true,
    AlarmActions: [target.topicArn],
    OKActions: [target.topicArn],
    Tags: Object.entries(target.tags).map(([Key, Value]) => ({ Key, Value })),
  };
  const fn = [{ Name: METRICS_DIMENSION, Value: target.functionName }];
  const periods = Math.ceil(target.quietAfterMinutes / LOOK_EVERY_MINUTES);
  const alarms: PutMetricAlarmInput[] = [
    {
      ...common,
      AlarmName: alarmName(target.prefix, 'webhook-failing'),
      AlarmDescription:
        'The webhook failed in the last 5 minutes: the function errors, or the API answered 5xx. The service retries for a day, then deletes the callback. See: mbed-tsdb logs, mbed-tsdb status.',
      Metrics: [
        { Id: 'errors', ReturnData: false, MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: fn }, Period: 300, Stat: 'Sum' } },
        {
          Id: 'http5xx',
          ReturnData: false,
          MetricStat: {
            Metric: { Namespace: 'AWS/ApiGateway', MetricName: '5XXError', Dimensions: [{ Name: 'ApiName', Value: target.apiName }, { Name: 'Stage', Value: target.apiStage }] },
            Period: 300,
            Stat: 'Sum',
          },
        },
        { Id: 'failing', Expression: 'FILL(errors, 0) + FILL(http5xx, 0)', Label: 'failed invocations and 5xx answers', ReturnData: true },
      ],
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    },
    {
      ...common,
      AlarmName: alarmName(target.prefix, 'no-readings'),
      AlarmDescription: `No reading was stored for ${target.quietAfterMinutes} minutes. See: mbed-tsdb status (are the boards subscribed and online?).`,
      Namespace: METRICS_NAMESPACE,
      MetricName: READINGS_STORED,
      Dimensions: fn,
      Statistic: 'Sum',
      Period: LOOK_EVERY_MINUTES * 60,
      EvaluationPeriods: periods,
      DatapointsToAlarm: periods,
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      // No request at all is the quietest of all.
      TreatMissingData: 'breaching',
    },
    {
      ...common,
      AlarmName: alarmName(target.prefix, 'quiet-devices'),
      AlarmDescription: `Known devices sent nothing for ${target.quietAfterMinutes} minutes (counted every 5 minutes by the function's watch). See: mbed-tsdb status, which lists them.`,
      Namespace: METRICS_NAMESPACE,
      MetricName: QUIET_DEVICES,
      Dimensions: fn,
      Statistic: 'Maximum',
      Period: 900,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
      // No count at all: the watch did not run, which status shows as INSUFFICIENT_DATA.
      TreatMissingData: 'missing',
    },
  ];
  if (target.instance) {
    alarms.push({
      ...common,
      AlarmName: alarmName(target.prefix, 'storage-low'),
      AlarmDescription: `Less than ${LOW_STORAGE_SHARE * 100} % of the database's ${target.instance.allocatedGiB} GiB free for half an hour (storage autoscaling did not grow it: at its limit, or grown in the last 6 hours). When it is full RDS takes no readings. See: mbed-tsdb status; mbed-tsdb setup --max-storage.`,
      Namespace: 'AWS/RDS',
      MetricName: 'FreeStorageSpace',
      Dimensions: [{ Name: 'DBInstanceIdentifier', Value: target.instance.identifier }],
      Statistic: 'Minimum',
      Period: 300,
      EvaluationPeriods: STORAGE_PERIODS,
      ComparisonOperator: 'LessThanThreshold',
      Threshold: Math.round(target.instance.allocatedGiB * GIB * LOW_STORAGE_SHARE),
      TreatMissingData: 'missing',
    });
  }
  return alarms;
}

const COMPARED = ['AlarmDescription', 'ActionsEnabled', 'AlarmActions', 'OKActions', 'Namespace', 'MetricName', 'Dimensions', 'Statistic', 'Period', 'EvaluationPeriods', 'DatapointsToAlarm', 'ComparisonOperator', 'Threshold', 'TreatMissingData', 'Metrics'];

/** Keys sorted at every level, so the SDK's member order (not ours) never reads as a change. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, canonical(v)]));
  }
  return value;
}

/** The parts of an alarm setup compares (as DescribeAlarms gives them back, tags aside): the same text → kept. */
export function alarmConfig(alarm: PutMetricAlarmInput | MetricAlarm): string {
  const a = alarm as Record<string, unknown>;
  return JSON.stringify(canonical(Object.fromEntries(COMPARED.map((k) => [k, a[k] ?? null]))));
}

/**
 * What CloudWatch bills a stack's alarms by: one alarm metric per metric an alarm watches, each
 * metric of a math expression counted (CloudWatch pricing: "alarm metrics").
 */
export function billedAlarmMetrics(withStorage: boolean): number {
  const alarms = wantedAlarms({
    prefix: '',
    topicArn: '',
    functionName: '',
    apiName: '',
    apiStage: '',
    instance: withStorage ? { identifier: '', allocatedGiB: 20 } : null,
    quietAfterMinutes: DEFAULT_QUIET_AFTER_MINUTES,
    tags: {},
  });
  return alarms.reduce((sum, alarm) => sum + (alarm.Metrics ? alarm.Metrics.filter((m) => m.MetricStat).length : 1), 0);
}
