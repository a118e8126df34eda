// What of a stack exists in AWS, found by its names and tags alone (no state file needed):
// teardown's final check, and status's fallback.

import { DescribeDBClustersCommand, DescribeDBInstancesCommand, DescribeDBSubnetGroupsCommand, ListTagsForResourceCommand } from '@aws-sdk/client-rds';
import { GetRoleCommand, ListRoleTagsCommand } from '@aws-sdk/client-iam';
import { GetFunctionCommand } from '@aws-sdk/client-lambda';
import { ownedBy, tagMap } from './naming.js';
import { taggedGroups } from './steps/access.js';
import { restApis } from './steps/api.js';
import { findLogGroup, functionTags } from './steps/function.js';
import { ownAlarms, ownTopic } from './steps/alerts.js';
import { scheduleGroupTags } from './steps/schedule.js';
import type { StepContext } from './step.js';

export interface InventoryItem {
  kind: 'role' | 'security-group' | 'db-instance' | 'db-cluster' | 'db-subnet-group' | 'function' | 'log-group' | 'api' | 'schedule-group' | 'alert-topic' | 'alarm';
  id: string;
  detail?: string;
}

/** A missing resource answers with an error; here that simply means "not there". */
export const absent = () => null;

export async function inventory(ctx: StepContext): Promise<InventoryItem[]> {
  const { names, stack } = ctx;
  const [iam, ec2, rds, lambda, logs, apigw, scheduler] = await Promise.all([ctx.aws.iam(), ctx.aws.ec2(), ctx.aws.rds(), ctx.aws.lambda(), ctx.aws.logs(), ctx.aws.apiGateway(), ctx.aws.scheduler()]);
  const ourRole = async (name: string): Promise<InventoryItem[]> => {
    const role = await iam.send(new GetRoleCommand({ RoleName: name })).catch(absent);
    if (!role) return [];
    const tags = (await iam.send(new ListRoleTagsCommand({ RoleName: name }))).Tags;
    return ownedBy(tagMap(tags), stack) === 'ours' ? [{ kind: 'role' as const, id: name }] : [];
  };
  const checks: Array<Promise<InventoryItem[]>> = [
    ourAlerts(ctx),
    ourRole(names.role),
    ourRole(names.maintenanceRole),
    (async () => {
      const tags = await scheduleGroupTags(scheduler, names.scheduleGroup);
      return tags && ownedBy(tags, stack) === 'ours' ? [{ kind: 'schedule-group' as const, id: names.scheduleGroup }] : [];
    })(),
    (async () => {
      const groups = await taggedGroups(ec2, stack);
      return groups.map((g) => ({ kind: 'security-group' as const, id: g.GroupId!, detail: g.GroupName }));
    })(),
    (async () => {
      const instance = (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: names.dbInstance })).catch(absent))?.DBInstances?.[0];
      return instance && ownedBy(tagMap(instance.TagList), stack) === 'ours'
        ? [{ kind: 'db-instance' as const, id: names.dbInstance, detail: instance.DBInstanceStatus }]
        : [];
    })(),
    (async () => {
      const cluster = (await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: names.dbCluster })).catch(absent))?.DBClusters?.[0];
      return cluster && ownedBy(tagMap(cluster.TagList), stack) === 'ours' ? [{ kind: 'db-cluster' as const, id: names.dbCluster }] : [];
    })(),
    (async () => {
      const group = (await rds.send(new DescribeDBSubnetGroupsCommand({ DBSubnetGroupName: names.dbSubnetGroup })).catch(absent))?.DBSubnetGroups?.[0];
      if (!group) return [];
      const tags = (await rds.send(new ListTagsForResourceCommand({ ResourceName: group.DBSubnetGroupArn! }))).TagList;
      return ownedBy(tagMap(tags), stack) === 'ours' ? [{ kind: 'db-subnet-group' as const, id: names.dbSubnetGroup }] : [];
    })(),
    (async () => {
      const fn = await lambda.send(new GetFunctionCommand({ FunctionName: names.function })).catch(absent);
      if (!fn) return [];
      const tags = await functionTags(lambda, fn.Configuration!.FunctionArn!);
      return ownedBy(tags, stack) === 'ours' ? [{ kind: 'function' as const, id: names.function, detail: fn.Configuration?.State }] : [];
    })(),
    (async () => {
      const group = await findLogGroup(logs, names.logGroup);
      return group ? [{ kind: 'log-group' as const, id: names.logGroup }] : [];
    })(),
    (async () => {
      const apis = await restApis(apigw);
      return apis.filter((a) => a.name === names.api && ownedBy(a.tags ?? {}, stack) === 'ours').map((a) => ({ kind: 'api' as const, id: a.id!, detail: a.name }));
    })(),
  ];
  return (await Promise.all(checks)).flat();
}

/** The alert topic and alarms tagged as this stack's (alerts.ts). */
async function ourAlerts(ctx: StepContext): Promise<InventoryItem[]> {
  const [sns, cloudwatch] = await Promise.all([ctx.aws.sns(), ctx.aws.cloudwatch()]);
  const alarms = (await ownAlarms(ctx, cloudwatch)).map((alarm) => ({ kind: 'alarm' as const, id: alarm.AlarmName!, detail: alarm.StateValue }));
  return (await ownTopic(ctx, sns)) ? [...alarms, { kind: 'alert-topic' as const, id: ctx.names.alertTopic }] : alarms;
}

export function describeItem(item: InventoryItem): string {
  return `${item.kind} ${item.id}${item.detail ? ` (${item.detail})` : ''}`;
}
