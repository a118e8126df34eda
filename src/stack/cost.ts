// A stack's monthly estimate, planned (from the answers) or of what exists (status): what the
// stack is, turned into the pure estimate's inputs, priced from the Price List or the snapshot.

import { DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import type { AwsClients } from '../aws/clients.js';
import { describeSource, estimateMonthly, HOURS_PER_MONTH, neededPrices, type CostInputs, type Estimate } from '../cost/estimate.js';
import { priceBook } from '../cost/price-source.js';
import { billedAlarmMetrics, LOOK_EVERY_MINUTES } from './alarms.js';
import type { Progress } from '../ui/progress.js';
import type { SetupAnswers, StepContext } from './step.js';
import { AURORA_MAX_ACU } from './steps/database-aurora.js';
import { smallestMysqlClass } from './steps/database.js';
import { ALLOCATED_STORAGE_GB } from './steps/database-storage.js';
import { FUNCTION_MEMORY_MB, LOG_RETENTION_DAYS } from './steps/function.js';

/** Readings a second over all devices, when nobody said: a board or two reporting every second or so. */
export const DEFAULT_EXPECTED_RATE = 1;

/** What decides the cost of a stack. */
export interface StackShape {
  engine: SetupAnswers['engine'];
  dbClass: string;
  storageGiB: number;
  auroraMinAcu?: number | undefined;
  publicDatabase: boolean;
  alerts: boolean;
  readingsPerSecond: number;
  rateSource: string;
}

/** What the database is; the rest of a stack's shape is its load and whether it has alerts. */
export type DatabaseShape = Omit<StackShape, 'alerts' | 'readingsPerSecond' | 'rateSource'>;

/** The daily maintenance (MAINTENANCE_EXPRESSION) and, with alerts, the 5-minute watch (WATCH_EXPRESSION). */
function scheduledPerMonth(alerts: boolean): number {
  return HOURS_PER_MONTH / 24 + (alerts ? (HOURS_PER_MONTH * 60) / LOOK_EVERY_MINUTES : 0);
}

export function costInputs(region: string, shape: StackShape): CostInputs {
  return {
    region,
    engine: shape.engine,
    dbClass: shape.dbClass,
    storageGiB: shape.storageGiB,
    auroraMinAcu: shape.auroraMinAcu,
    auroraMaxAcu: shape.dbClass === 'db.serverless' ? AURORA_MAX_ACU : undefined,
    publicDatabase: shape.publicDatabase,
    readingsPerSecond: shape.readingsPerSecond,
    rateSource: shape.rateSource,
    functionMemoryMb: FUNCTION_MEMORY_MB,
    logRetentionDays: LOG_RETENTION_DAYS,
    scheduledPerMonth: scheduledPerMonth(shape.alerts),
    // ReadingsStored always; QuietDevices from the watch.
    customMetrics: shape.alerts ? 2 : 1,
    alarmMetrics: shape.alerts ? billedAlarmMetrics(shape.engine === 'mysql') : 0,
  };
}

/** What setup would make, from the answers; `mysqlClass` is the class a new MySQL database gets there. */
export function plannedShape(answers: SetupAnswers, mysqlClass: string): StackShape {
  const rate = answers.expectedRate ?? DEFAULT_EXPECTED_RATE;
  return {
    engine: answers.engine,
    dbClass: answers.dbClass ?? (answers.engine === 'mysql' ? mysqlClass : 'db.serverless'),
    storageGiB: ALLOCATED_STORAGE_GB,
    publicDatabase: answers.access === 'my-ip',
    alerts: Boolean(answers.alertEmail),
    readingsPerSecond: rate,
    rateSource: 'expected (--expected-rate)',
  };
}

export interface CostServices {
  aws: AwsClients;
  env: Record<string, string | undefined>;
  now: () => number;
  progress?: Progress | undefined;
  /** The Price List's deadline is waited with this (tests: instant). */
  wait?: ((ms: number) => Promise<void>) | undefined;
}

export async function estimateStack(services: CostServices, shape: StackShape): Promise<Estimate> {
  const inputs = costInputs(services.aws.region, shape);
  const book = await priceBook({ ...services, region: services.aws.region, keys: neededPrices(inputs) });
  return estimateMonthly(inputs, book);
}

/** The plan's estimate: what setup would make with these answers. */
export async function plannedEstimate(services: CostServices, answers: SetupAnswers): Promise<Estimate> {
  const mysqlClass = answers.engine === 'mysql' && !answers.dbClass ? await smallestMysqlClass(services.aws) : '';
  return estimateStack(services, plannedShape(answers, mysqlClass));
}

/** status's estimate: the database as it is, at the rate the rollup measured over the week (else the one expected). */
export async function existingEstimate(
  services: CostServices,
  database: DatabaseShape,
  load: { readingsPerDay: number | undefined; expectedRate: number | undefined; alerts: boolean },
): Promise<Estimate> {
  const measured = load.readingsPerDay !== undefined && load.readingsPerDay > 0;
  return estimateStack(services, {
    ...database,
    alerts: load.alerts,
    // To the thousandth of a reading a second, never rounded down to none.
    readingsPerSecond: measured ? Math.max(0.001, Math.round((load.readingsPerDay! / 86_400) * 1000) / 1000) : (load.expectedRate ?? DEFAULT_EXPECTED_RATE),
    rateSource: measured ? 'measured over the last 7 days' : 'expected (--expected-rate)',
  });
}

/** What teardown leaves that keeps costing: the final snapshot, by its size and price. */
export interface KeepsCosting {
  resource: string;
  /** GiB billed (for MySQL: the database's allocated storage, at most); null when unknown (Aurora). */
  gib: number | null;
  /** USD per GB-month; null without a price. */
  unitPrice: number | null;
  /** USD a month; null when size or price is unknown. */
  monthly: number | null;
  /** Said in words, with how to stop it. */
  text: string;
}

export async function finalSnapshotCost(services: CostServices, ctx: StepContext, snapshot: string, aurora: boolean): Promise<KeepsCosting> {
  const key = aurora ? ('aurora-backup' as const) : ('rds-backup' as const);
  const book = await priceBook({ ...services, region: services.aws.region, keys: [key] });
  const unitPrice = book.prices[key] ?? null;
  let gib: number | null = null;
  if (!aurora) {
    const rds = await services.aws.rds();
    const found = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: ctx.names.dbInstance })).catch(() => null);
    gib = found?.DBInstances?.[0]?.AllocatedStorage ?? null;
  }
  const monthly = gib !== null && unitPrice !== null ? Math.round(gib * unitPrice * 100) / 100 : null;
  const price = unitPrice === null ? 'at the backup storage price (none found)' : `× $${unitPrice} per GB-month`;
  const size = gib !== null ? `at most ${gib} GB (the database's storage)` : `billed by the ${aurora ? 'cluster' : 'database'}'s data`;
  const deleteIt = aurora ? `aws rds delete-db-cluster-snapshot --db-cluster-snapshot-identifier ${snapshot}` : `aws rds delete-db-snapshot --db-snapshot-identifier ${snapshot}`;
  return {
    resource: `${aurora ? 'cluster snapshot' : 'snapshot'} ${snapshot}`,
    gib,
    unitPrice,
    monthly,
    text: `${aurora ? 'cluster snapshot' : 'snapshot'} ${snapshot}: ${size} ${price}${monthly !== null ? ` ≈ $${monthly.toFixed(2)} a month` : ''} until you delete it (${deleteIt}); ${describeSource(book)}`,
  };
}
