// The function's own metrics, written into its log lines in CloudWatch's embedded metric format
// (EMF): CloudWatch Logs extracts them from the log group, so counting costs no API call in the
// request path and needs no route out of the VPC. Source: Amazon CloudWatch User Guide,
// "Specification: Embedded metric format" — a root member `_aws` with `Timestamp` (ms) and
// `CloudWatchMetrics` (directives: Namespace, Dimensions as lists of member names, Metrics), and
// every member a directive names at the root of the same JSON object.

/** Where mbed-tsdb's metrics go: one namespace, one dimension (the function's name, one per stack). */
export const METRICS_NAMESPACE = 'mbed-tsdb';
export const METRICS_DIMENSION = 'FunctionName';

/** Readings a request stored (new ones: redeliveries not counted). Alarm: none for --quiet-after. */
export const READINGS_STORED = 'ReadingsStored';
/** Known devices that sent nothing for the quiet period, counted by the scheduled watch. */
export const QUIET_DEVICES = 'QuietDevices';

export type MetricName = typeof READINGS_STORED | typeof QUIET_DEVICES;

/**
 * The members that make a log line carry `values` as metrics of this function at `timestampMs`;
 * spread into the line. Without a function name (not on Lambda: tests, the desktop) none.
 */
export function metricMembers(functionName: string | undefined, timestampMs: number, values: Partial<Record<MetricName, number>>): Record<string, unknown> {
  const names = Object.keys(values) as MetricName[];
  if (!functionName || names.length === 0) return {};
  return {
    _aws: {
      Timestamp: timestampMs,
      CloudWatchMetrics: [{ Namespace: METRICS_NAMESPACE, Dimensions: [[METRICS_DIMENSION]], Metrics: names.map((Name) => ({ Name, Unit: 'Count' })) }],
    },
    [METRICS_DIMENSION]: functionName,
    ...values,
  };
}
