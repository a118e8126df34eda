// What a stack looks like now: one row per tutorial step with its state and any drift,
// the Connector's side, and the data. Every AWS lookup runs at once; nothing is changed.

import { GetStageCommand } from '@aws-sdk/client-api-gateway';
import { DescribeDBClustersCommand, DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { GetFunctionCommand } from '@aws-sdk/client-lambda';
import { GetRoleCommand, ListAttachedRolePoliciesCommand } from '@aws-sdk/client-iam';
import { describe as describeError } from '../../templates/lambda/store.js';
import { callerIdentity } from '../aws/identity.js';
import { cidrContains } from '../net/public-ip.js';
import { absent, inventory } from './inventory.js';
import { functionPackage } from './package.js';
import { failedUpdate } from './steps/function.js';
import { reachableUrl, type StepContext } from './step.js';
import { pendingSubscriptions, type ConnectorOutput } from './steps/connector.js';
import { DESKTOP_RULE, taggedGroups } from './steps/access.js';
import { API_THROTTLE, throttleDrift, webhookUrl } from './steps/api.js';
import { rolePolicies } from './steps/role.js';
import { currentDbConnectPolicy, DB_CONNECT_POLICY } from './steps/db-access.js';
import { storageState, USABLE_STATUSES } from './steps/database-storage.js';
import { findSchedule, maintenanceSchedule, scheduleDrift } from './steps/schedule.js';
import { iamAuthState } from './steps/database-iam.js';
import { withDesktopConnection } from './steps/table.js';
import { DEFAULT_QUIET_AFTER_MINUTES } from './alarms.js';
import { alertRows } from './status-alerts.js';
import { lookAtConnector, type ConnectorStatus } from './status-connector.js';
import { lookAtData, storageForecast, type DataSummary } from './status-data.js';
import { existingEstimate, type DatabaseShape } from './cost.js';
import type { Estimate } from '../cost/estimate.js';

export interface StatusRow {
  step: string;
  resource: string;
  state: string;
  ok: boolean;
  note?: string;
}


export interface StatusReport {
  stack: string;
  region: string;
  /** The AWS account the credentials act in, and who they are (STS GetCallerIdentity). */
  account: string;
  identity: string;
  exists: boolean;
  /** Every check ran and passed. */
  healthy: boolean;
  /** `unknown`: nothing failed, but a check could not run (`unknown` says which, and why). */
  health: 'healthy' | 'needs attention' | 'unknown';
  unknown: string[];
  rows: StatusRow[];
  connector: ConnectorStatus | { unavailable: string };
  data: DataSummary | { unavailable: string };
  /** What the stack that exists costs a month at list prices (at the rate measured, when the data was read). */
  estimate: Estimate | { unavailable: string };
}

const missing = (step: string, resource: string, note?: string): StatusRow => ({ step, resource, state: 'missing', ok: false, ...(note ? { note } : {}) });

/** `currentCidr`: this computer's address for the §3 check; unavailable when it could not be found; null: not checked (private). */
export async function stackStatus(ctx: StepContext, options: { currentCidr: string | { unavailable: string } | null; env: Record<string, string | undefined> }): Promise<StatusReport> {
  const { names } = ctx;
  // Credentials that do not work are said first, in words, before anything is read.
  const who = await callerIdentity(ctx.aws);
  const [iam, ec2, rds, lambda, apigw, scheduler] = await Promise.all([ctx.aws.iam(), ctx.aws.ec2(), ctx.aws.rds(), ctx.aws.lambda(), ctx.aws.apiGateway(), ctx.aws.scheduler()]);
  const found = await inventory(ctx);
  const has = (kind: string) => found.find((f) => f.kind === kind);
  // Checks that could not run: the stack's health is then unknown, never "healthy".
  const unknown: string[] = [];

  let storageLimitGb: number | null = null;
  // What the database is, for the estimate: read by the §2 check.
  let database: DatabaseShape | null = null;
  const rowChecks: Array<Promise<StatusRow>> = [
    (async () => {
      if (!has('role')) return missing('§1 role', names.role);
      const attached = ((await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: names.role }))).AttachedPolicies ?? []).map((p) => p.PolicyArn);
      const lacking = rolePolicies(ctx.aws.region).filter((p) => !attached.includes(p)).map((p) => p.split('/').pop()!);
      if (!(await currentDbConnectPolicy(iam, names.role))) lacking.push(`${DB_CONNECT_POLICY} (the database login)`);
      return lacking.length
        ? { step: '§1 role', resource: names.role, state: 'drifted', ok: false, note: `missing ${lacking.join(', ')}: run mbed-tsdb setup` }
        : { step: '§1 role', resource: names.role, state: 'ok', ok: true };
    })(),
    (async () => {
      const instance = (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: names.dbInstance })).catch(absent))?.DBInstances?.[0];
      if (!instance || !has('db-instance')) return missing('§2 database', names.dbInstance);
      const endpoint = instance.Endpoint?.Address ? `${instance.Endpoint.Address}:${instance.Endpoint.Port}` : undefined;
      // An Aurora member instance does not hold the setting: its cluster does.
      const holder = instance.DBClusterIdentifier
        ? (await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: instance.DBClusterIdentifier })).catch(absent))?.DBClusters?.[0]
        : instance;
      const row = (state: string, ok: boolean, note?: string): StatusRow => ({ step: '§2 database', resource: names.dbInstance, state, ok, ...(note ? { note } : {}) });
      database = {
        engine: instance.DBClusterIdentifier ? 'aurora-mysql' : 'mysql',
        dbClass: instance.DBInstanceClass ?? 'unknown',
        storageGiB: instance.AllocatedStorage ?? 0,
        auroraMinAcu: (holder as { ServerlessV2ScalingConfiguration?: { MinCapacity?: number } } | undefined)?.ServerlessV2ScalingConfiguration?.MinCapacity,
        publicDatabase: instance.PubliclyAccessible === true,
      };
      if (iamAuthState(holder) === 'off') return row('drifted', false, 'IAM database authentication is off, so the function cannot log in: run mbed-tsdb setup');
      // How far its storage may grow, for the data's forecast (Aurora's volume grows by itself).
      if (!instance.DBClusterIdentifier) storageLimitGb = instance.MaxAllocatedStorage ?? instance.AllocatedStorage ?? null;
      const storage = storageState(instance);
      if ('problem' in storage) return row(storage.problem.state, false, storage.problem.note);
      const status = instance.DBInstanceStatus ?? 'unknown';
      return row(status, USABLE_STATUSES.has(status), [endpoint, storage.note].filter(Boolean).join('; '));
    })(),
    (async () => {
      const groups = await taggedGroups(ec2, ctx.stack);
      const db = groups.find((g) => g.GroupName === names.desktopSecurityGroup);
      if (!db) return missing('§3 access', names.desktopSecurityGroup);
      if (ctx.answers.access !== 'my-ip') return { step: '§3 access', resource: `${db.GroupName} (${db.GroupId})`, state: 'ok', ok: true, note: 'private' };
      const admitted = (db.IpPermissions ?? []).flatMap((p) => [...(p.IpRanges ?? []).map((r) => r.CidrIp), ...(p.Ipv6Ranges ?? []).map((r) => r.CidrIpv6)]);
      const current = options.currentCidr;
      if (typeof current === 'string' && !admitted.some((cidr) => cidr && cidrContains(cidr, current))) {
        return { step: '§3 access', resource: `${db.GroupName} (${db.GroupId})`, state: 'drifted', ok: false, note: `does not admit your current IP ${current}: run mbed-tsdb setup to update it` };
      }
      if (current && typeof current === 'object') unknown.push(`§3 access: not checked against your public IP (${current.unavailable})`);
      const ours = (db.IpPermissions ?? []).some((p) => (p.IpRanges ?? []).concat(p.Ipv6Ranges ?? []).some((r) => r.Description === DESKTOP_RULE));
      return { step: '§3 access', resource: `${db.GroupName} (${db.GroupId})`, state: 'ok', ok: true, note: ours ? `3306 from ${admitted.filter(Boolean).join(', ')}` : undefined } as StatusRow;
    })(),
    (async () => {
      const resource = `${names.scheduleGroup}/${names.schedule}`;
      const maintenance = maintenanceSchedule(ctx);
      const found = await findSchedule(scheduler, ctx, maintenance.name);
      if (!found) return missing('§4 maintenance', resource, 'nothing keeps the partitions and hourly sums: run mbed-tsdb setup');
      const fn = has('function') ? (await lambda.send(new GetFunctionCommand({ FunctionName: names.function })).catch(absent))?.Configuration?.FunctionArn : undefined;
      const role = (await iam.send(new GetRoleCommand({ RoleName: names.maintenanceRole })).catch(absent))?.Role?.Arn;
      const drift = fn && role ? scheduleDrift(found, fn, role, maintenance) : 'its function or role is missing';
      return drift
        ? { step: '§4 maintenance', resource, state: 'drifted', ok: false, note: `${drift}: run mbed-tsdb setup` }
        : { step: '§4 maintenance', resource, state: 'ok', ok: true, note: 'daily at 03:17 UTC' };
    })(),
    (async () => {
      const fn = await lambda.send(new GetFunctionCommand({ FunctionName: names.function })).catch(absent);
      if (!fn || !has('function')) return missing('§5 function', names.function);
      const state = fn.Configuration?.State ?? 'unknown';
      // A stack with its own database CA has it inside its zip; without the state file that CA is unknown.
      const ownCa = fn.Configuration?.Environment?.Variables?.DB_TLS === 'ca-file';
      if (ownCa && !ctx.answers.dbCaPem) {
        return { step: '§5 function', resource: names.function, state, ok: state === 'Active', note: 'its code was not compared: the stack’s database CA is in its state file, not on this machine' };
      }
      if (fn.Configuration?.CodeSha256 !== (await functionPackage(ctx.answers.dbCaPem)).sha256) {
        return { step: '§5 function', resource: names.function, state, ok: false, note: "its code differs from this version's bundle: run mbed-tsdb setup to update it" };
      }
      const variables = fn.Configuration?.Environment?.Variables ?? {};
      if (!variables.DB_HOST) return { step: '§5 function', resource: names.function, state, ok: false, note: 'not connected to the database yet' };
      if (variables.DB_PASSWORD !== undefined || variables.DB_AUTH !== 'iam') {
        return { step: '§5 function', resource: names.function, state: 'drifted', ok: false, note: 'it logs in with a password kept in its configuration: run mbed-tsdb setup to move it to IAM authentication' };
      }
      // Weeks without requests make a VPC function Inactive; the next invocation wakes it.
      if (state === 'Inactive') return { step: '§5 function', resource: names.function, state, ok: true, note: 'idle after weeks without requests: the next delivery wakes it' };
      const failed = failedUpdate(fn.Configuration ?? null);
      if (failed) return { step: '§5 function', resource: names.function, state: 'update failed', ok: false, note: `its last update failed (${failed}); it runs what it had: run mbed-tsdb setup to repair it` };
      return { step: '§5 function', resource: names.function, state, ok: state === 'Active' };
    })(),
    (async () => {
      const api = has('api');
      if (!api) return missing('§6 API', names.api);
      const stage = await apigw.send(new GetStageCommand({ restApiId: api.id, stageName: names.apiStage })).catch(absent);
      if (!stage) return { step: '§6 API', resource: `${names.api} (${api.id})`, state: 'not deployed', ok: false };
      const drift = throttleDrift(stage);
      return drift
        ? { step: '§6 API', resource: `${names.api} (${api.id})`, state: 'drifted', ok: false, note: `throttle: ${drift}` }
        : { step: '§6 API', resource: `${names.api} (${api.id})`, state: `deployed (${names.apiStage})`, ok: true, note: `throttled at ${API_THROTTLE.rateLimit}/s` };
    })(),
  ];
  // §8 after §7's Connector rows, read meanwhile.
  const alerts = alertRows(ctx);
  alerts.catch(() => undefined);
  const rows = await Promise.all(rowChecks);
  const exists = found.length > 0;

  // The data first: the outcomes of pending subscriptions are in the database.
  let data: StatusReport['data'] = { unavailable: 'no database known for this stack on this machine' };
  let outcomes: Map<string, { status: number; error: string | null }> | null = null;
  const db = ctx.state.database;
  if (db?.host && ctx.answers.access === 'private') data = { unavailable: 'the database is private: reachable only from inside its VPC' };
  else if (db?.host && rows.find((r) => r.step === '§2 database')?.ok) {
    try {
      const quietBefore = ctx.answers.alertEmail ? ctx.now() - (ctx.answers.quietAfterMinutes ?? DEFAULT_QUIET_AFTER_MINUTES) * 60_000 : undefined;
      const look = await withDesktopConnection(ctx, (query) => lookAtData(query, names.table, pendingSubscriptions(ctx.state).map((p) => p.asyncId), quietBefore), { patient: false });
      data = look.data ?? { unavailable: `table ${names.table}: ${look.table.state}` };
      outcomes = look.outcomes;
      const forecast = look.data?.storage && storageLimitGb ? storageForecast(look.data.storage, storageLimitGb) : null;
      const table: Omit<StatusRow, 'step' | 'resource'> = forecast
        ? { state: look.table.ok && !forecast.ok ? 'filling up' : look.table.state, ok: look.table.ok && forecast.ok, note: `${look.table.note}; ${forecast.note}` }
        : look.table;
      // In the tutorial's order: after §3.
      const at = rows.findIndex((r) => r.step >= '§5');
      rows.splice(at === -1 ? rows.length : at, 0, { step: '§4 table', resource: `${names.dbName}.${names.table}`, ...table });
    } catch (error) {
      data = { unavailable: describeError(error) };
      unknown.push(`§4 table and data: ${data.unavailable}`);
    }
  }

  let connector: StatusReport['connector'] = { unavailable: 'no Connector API key: set MBED_CLOUD_SDK_API_KEY (in the environment or .env) to check it' };
  if (ctx.apiKey) {
    try {
      const saved = ctx.state.outputs?.connector as ConnectorOutput | undefined;
      const api = has('api');
      const ourUrl = saved?.callbackUrl ?? (api ? reachableUrl(ctx, webhookUrl(api.id, ctx.aws.region, names.apiStage, names.apiResource)) : undefined);
      const look = await lookAtConnector(ctx, ourUrl, outcomes);
      connector = look.connector;
      rows.push(...look.rows);
    } catch (error) {
      connector = { unavailable: (error as Error).message };
    }
  }
  if ('unavailable' in connector) unknown.push(`Connector: ${connector.unavailable}`);
  rows.push(...(await alerts));
  const estimate: StatusReport['estimate'] = database
    ? await existingEstimate({ aws: ctx.aws, env: options.env, now: ctx.now }, database, {
        readingsPerDay: 'unavailable' in data ? undefined : data.storage?.readingsPerDay,
        expectedRate: ctx.answers.expectedRate,
        alerts: Boolean(has('alarm')),
      })
    : { unavailable: 'no database yet' };
  const failing = !exists || rows.some((r) => !r.ok);
  const health = failing ? 'needs attention' : unknown.length > 0 ? 'unknown' : 'healthy';

  return { stack: ctx.stack, region: ctx.aws.region, account: who.account, identity: who.arn, exists, healthy: health === 'healthy', health, unknown, rows, connector, data, estimate };
}
