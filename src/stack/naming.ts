// Resource names: the tutorial's for the default stack, suffixed for any other, so two
// stacks in one account never collide; and the tags every resource carries.

import { DEFAULT_STACK } from '../config/settings.js';

export const TAG_STACK = 'mbed-tsdb:stack';
export const TAG_MANAGED_BY = 'mbed-tsdb:managed-by';

export interface StackNames {
  role: string;
  /** The role the maintenance schedule invokes the function as (EventBridge Scheduler's execution role). */
  maintenanceRole: string;
  /** The schedule group (tagged: schedules take no tags) and the schedule in it. */
  scheduleGroup: string;
  schedule: string;
  /** The SNS topic alarms notify (its email subscription is the user's address). */
  alertTopic: string;
  /** What every alarm's name starts with: `mbed-tsdb-webhook-failing`, … */
  alarmPrefix: string;
  dbInstance: string;
  dbCluster: string;
  dbSubnetGroup: string;
  dbName: string;
  dbUser: string;
  /** The function's own database user: RDS IAM authentication, INSERT on the readings only. */
  dbWebhookUser: string;
  /** The function's user for its scheduled maintenance: partitions and settled hours, nothing else. */
  dbMaintenanceUser: string;
  desktopSecurityGroup: string;
  functionSecurityGroup: string;
  function: string;
  logGroup: string;
  api: string;
  apiResource: string;
  apiStage: string;
  table: string;
}

export function stackNames(stack: string): StackNames {
  const first = stack === DEFAULT_STACK;
  // RDS identifiers are lower case, with single hyphens; the stack name rules guarantee both after lowering.
  const id = stack.toLowerCase();
  const fn = first ? 'mbed_time_series_webhook' : `mbed_time_series_webhook-${stack}`;
  return {
    role: first ? 'mbed_time_series_database' : `mbed_time_series_database-${stack}`,
    // IAM role names end at 64 characters: room for a 32-character stack name.
    maintenanceRole: first ? 'mbed_time_series_database-maintenance' : `mbed_time_series_database-mnt-${stack}`,
    scheduleGroup: first ? 'mbed-tsdb' : `mbed-tsdb-${stack}`,
    schedule: 'maintenance',
    alertTopic: first ? 'mbed-tsdb-alerts' : `mbed-tsdb-alerts-${stack}`,
    alarmPrefix: first ? 'mbed-tsdb-' : `mbed-tsdb-${stack}-`,
    dbInstance: first ? 'tsdb' : `tsdb-${id}`,
    dbCluster: first ? 'tsdb-cluster' : `tsdb-${id}-cluster`,
    dbSubnetGroup: first ? 'mbed-tsdb' : `mbed-tsdb-${id}`,
    dbName: 'tsdb',
    dbUser: 'tsdbuser',
    dbWebhookUser: 'tsdb_webhook',
    dbMaintenanceUser: 'tsdb_maintenance',
    desktopSecurityGroup: first ? 'desktop-RDS-access' : `desktop-RDS-access-${stack}`,
    functionSecurityGroup: first ? 'mbed-tsdb-webhook' : `mbed-tsdb-webhook-${stack}`,
    function: fn,
    logGroup: `/aws/lambda/${fn}`,
    api: first ? 'mbed time series database webhook' : `mbed time series database webhook (${stack})`,
    apiResource: 'webhook',
    apiStage: 'test',
    table: 'events',
  };
}

export function stackTags(stack: string): Record<string, string> {
  return { [TAG_STACK]: stack, [TAG_MANAGED_BY]: 'mbed-tsdb' };
}

/** AWS's [{Key, Value}] tag lists as a map. */
export function tagMap(tags: Array<{ Key?: string; Value?: string }> | undefined): Record<string, string | undefined> {
  return Object.fromEntries((tags ?? []).map((t) => [t.Key!, t.Value]));
}

/** The resource belongs to this stack (and not to another stack, or to nobody we know). */
export function ownedBy(tags: Record<string, string | undefined>, stack: string): 'ours' | 'foreign' | 'untagged' {
  const owner = tags[TAG_STACK];
  if (owner === undefined) return 'untagged';
  return owner === stack ? 'ours' : 'foreign';
}
