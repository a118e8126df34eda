// A stack's monthly cost at list prices: pure arithmetic over what the stack is (class, storage,
// alarms…), an expected load and a price book. Every assumption is written into the estimate,
// and free tiers are named, never subtracted (whether an account has one is not known here).

import type { PriceBook, PriceKey } from './prices.js';

/** AWS bills a month as 730 hours (its pricing pages and calculator). */
export const HOURS_PER_MONTH = 730;
const SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600;
const GIB = 1024 ** 3;
/** What a reading takes in the table with its keys: `bytes_per_reading` of `npm run bench` (269 at 30 million readings). */
export const BYTES_PER_READING = 270;
/** Billed time of one webhook request (warm, a few statements on RDS): an assumption, stated in the estimate. */
export const WEBHOOK_MS = 50;
/** A scheduled run (the 5-minute watch, the daily maintenance): billed at most this long, assumed. */
export const SCHEDULED_MS = 1_000;
/**
 * Log bytes one invocation writes: Lambda's START, END and REPORT lines (~330 bytes), the
 * function's JSON line with its metrics (~400), 26 bytes each as CloudWatch bills them. The
 * handler's tests check a request stays within it.
 */
export const LOG_BYTES_PER_INVOCATION = 850;
/** Aurora Standard bills storage I/O: about one write for the reading and one for its hourly sum. */
export const AURORA_IOS_PER_REQUEST = 2;
/** A Serverless v2 database that may pause (0 ACU) runs at least this while readings keep arriving. */
const AURORA_LEAST_ACTIVE_ACU = 0.5;

export interface CostInputs {
  region: string;
  engine: 'mysql' | 'aurora-mysql';
  /** The instance class; `db.serverless` for Aurora Serverless v2. */
  dbClass: string;
  /** MySQL: allocated storage (GiB). */
  storageGiB: number;
  /** Aurora Serverless v2: its minimum capacity (0 when it may pause). */
  auroraMinAcu?: number | undefined;
  auroraMaxAcu?: number | undefined;
  /** Reachable from the internet (my-ip access): a public IPv4 address. */
  publicDatabase: boolean;
  /** Readings a second over all devices: what the user expects, or what status measured. */
  readingsPerSecond: number;
  /** Where the rate comes from, for the heading: "expected" or "measured over the last 7 days". */
  rateSource: string;
  functionMemoryMb: number;
  logRetentionDays: number;
  /** Invocations a month the schedules make (maintenance daily, the watch every 5 minutes). */
  scheduledPerMonth: number;
  /** Custom metrics the function writes (ReadingsStored, QuietDevices with alerts). */
  customMetrics: number;
  /** Metrics the alarms watch (an alarm on a math expression is billed per metric in it). */
  alarmMetrics: number;
}

export interface CostLine {
  resource: string;
  /** How much of the unit a month, e.g. 730 (hours). */
  quantity: number;
  unit: string;
  /** USD per unit; null when the price book has none. */
  unitPrice: number | null;
  /** USD a month; null when unpriced. */
  monthly: number | null;
  note?: string;
  /** A free tier that may cover it, said and not subtracted. */
  freeTier?: string;
}

export interface Estimate {
  region: string;
  source: PriceBook['source'];
  asOf: string;
  why?: string;
  readingsPerSecond: number;
  rateSource: string;
  lines: CostLine[];
  /** USD a month of the priced lines. */
  total: number;
  /** Lines without a price (not in the total). */
  unpriced: string[];
  assumptions: string[];
}

interface Item {
  resource: string;
  key: PriceKey;
  quantity: number;
  unit: string;
  note?: string;
  freeTier?: string;
}

const MICRO_FREE_TIER =
  'AWS Free Tier: 750 hours a month of a Single-AZ db.t4g.micro or db.t3.micro and 20 GB of storage for 12 months on accounts made before 15 July 2025; newer accounts get credits instead';

function requests(inputs: CostInputs): number {
  // One request per reading at most: the service batches readings that arrive together.
  return inputs.readingsPerSecond * SECONDS_PER_MONTH;
}

function databaseItems(inputs: CostInputs, monthlyGiB: number): Item[] {
  if (inputs.engine === 'mysql') {
    return [
      {
        resource: `database ${inputs.dbClass} (MySQL, Single-AZ)`,
        key: `rds-instance:${inputs.dbClass}`,
        quantity: HOURS_PER_MONTH,
        unit: 'hours',
        ...(/^db\.t[34]g?\.micro$/.test(inputs.dbClass) ? { freeTier: MICRO_FREE_TIER } : {}),
      },
      {
        resource: `storage ${inputs.storageGiB} GB gp3`,
        key: 'rds-gp3-storage',
        quantity: inputs.storageGiB,
        unit: 'GB-months',
        note: `the readings add ${monthlyGiB < 0.01 ? 'under 0.01' : `~${round(monthlyGiB, 2)}`} GB a month; once it is 90 % full, storage autoscaling adds more at this price`,
      },
    ];
  }
  const items: Item[] = [];
  if (inputs.dbClass === 'db.serverless') {
    // A minimum of 0 lets it pause after idle minutes; readings arriving all month keep it awake.
    const least = Math.max(inputs.auroraMinAcu ?? 0, AURORA_LEAST_ACTIVE_ACU);
    items.push({
      resource: 'database Aurora Serverless v2',
      key: 'aurora-acu',
      quantity: least * HOURS_PER_MONTH,
      unit: 'ACU-hours',
      note: `assumed at ${least} ACU all month, its least while readings arrive${inputs.auroraMaxAcu ? `; up to ${inputs.auroraMaxAcu} ACU under load` : ''}`,
    });
  } else {
    items.push({ resource: `database ${inputs.dbClass} (Aurora MySQL)`, key: `aurora-instance:${inputs.dbClass}`, quantity: HOURS_PER_MONTH, unit: 'hours' });
  }
  items.push(
    { resource: 'storage (Aurora, as used)', key: 'aurora-storage', quantity: monthlyGiB, unit: 'GB-months', note: 'after a month of readings; it grows by as much each month' },
    { resource: 'storage I/O (Aurora Standard)', key: 'aurora-io', quantity: requests(inputs) * AURORA_IOS_PER_REQUEST, unit: 'I/O requests' },
  );
  return items;
}

function items(inputs: CostInputs): Item[] {
  const calls = requests(inputs);
  const invocations = calls + inputs.scheduledPerMonth;
  const monthlyGiB = (inputs.readingsPerSecond * SECONDS_PER_MONTH * BYTES_PER_READING) / GIB;
  const loggedGiB = (invocations * LOG_BYTES_PER_INVOCATION) / GIB;
  const gbSeconds = ((calls * WEBHOOK_MS + inputs.scheduledPerMonth * SCHEDULED_MS) / 1000) * (inputs.functionMemoryMb / 1024);
  return [
    ...databaseItems(inputs, monthlyGiB),
    // Aurora's backups are free up to the cluster's size too; its backup price is another product.
    ...(inputs.engine === 'mysql'
      ? [{ resource: 'automated backups (1 day)', key: 'rds-backup' as const, quantity: 0, unit: 'GB-months', note: "free up to the database's size, which one day of backups stays within" }]
      : []),
    ...(inputs.publicDatabase
      ? [{ resource: "the database's public IPv4 address", key: 'public-ipv4' as const, quantity: HOURS_PER_MONTH, unit: 'hours', note: 'access from your IP; --access private has none' }]
      : []),
    { resource: 'API Gateway requests', key: 'api-request', quantity: calls, unit: 'requests', freeTier: '1 million REST API calls a month for 12 months on accounts with the Free Tier' },
    { resource: 'Lambda requests', key: 'lambda-request', quantity: invocations, unit: 'requests', freeTier: '1 million requests a month, on every account' },
    { resource: `Lambda duration (${inputs.functionMemoryMb} MB, arm64)`, key: 'lambda-gb-second', quantity: gbSeconds, unit: 'GB-seconds', freeTier: '400 000 GB-seconds a month, on every account' },
    { resource: 'CloudWatch Logs ingested', key: 'logs-ingest', quantity: loggedGiB, unit: 'GB', freeTier: '5 GB of logs a month, on every account' },
    { resource: `CloudWatch Logs kept (${inputs.logRetentionDays} days)`, key: 'logs-storage', quantity: loggedGiB * Math.min(1, inputs.logRetentionDays / 30), unit: 'GB-months' },
    ...(inputs.customMetrics > 0 ? [{ resource: 'CloudWatch custom metrics', key: 'metric' as const, quantity: inputs.customMetrics, unit: 'metrics', freeTier: '10 metrics a month, on every account' }] : []),
    ...(inputs.alarmMetrics > 0 ? [{ resource: 'CloudWatch alarms', key: 'alarm-metric' as const, quantity: inputs.alarmMetrics, unit: 'alarm metrics', freeTier: '10 alarm metrics a month, on every account' }] : []),
  ];
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

export function estimateMonthly(inputs: CostInputs, book: PriceBook): Estimate {
  const lines: CostLine[] = items(inputs).map((item) => {
    const unitPrice = book.prices[item.key] ?? null;
    return {
      resource: item.resource,
      quantity: round(item.quantity, 4),
      unit: item.unit,
      unitPrice,
      monthly: unitPrice === null ? null : round(item.quantity * unitPrice, 4),
      ...(item.note ? { note: item.note } : {}),
      ...(item.freeTier ? { freeTier: item.freeTier } : {}),
    };
  });
  return {
    region: inputs.region,
    source: book.source,
    asOf: book.asOf,
    ...(book.why ? { why: book.why } : {}),
    readingsPerSecond: inputs.readingsPerSecond,
    rateSource: inputs.rateSource,
    lines,
    total: round(lines.reduce((sum, line) => sum + (line.monthly ?? 0), 0), 2),
    unpriced: lines.filter((line) => line.monthly === null).map((line) => line.resource),
    assumptions: [
      'one webhook request per reading (the service batches readings that arrive together: fewer)',
      `${WEBHOOK_MS} ms billed per webhook request, ${SCHEDULED_MS / 1000} s per scheduled run`,
      `${BYTES_PER_READING} bytes of table per reading, ${LOG_BYTES_PER_INVOCATION} bytes of log per invocation`,
      'no data transfer out (readings come in; charts are read from your computer)',
    ],
  };
}

/** The prices an estimate of this stack needs (the instance class's among them). */
export function neededPrices(inputs: CostInputs): PriceKey[] {
  return [...new Set(items(inputs).map((item) => item.key))];
}

const dollars = (value: number) => `$${value < 0.005 && value > 0 ? '<0.01' : value.toFixed(2)}`;

export function describeSource(estimate: Pick<Estimate, 'source' | 'asOf' | 'why'>): string {
  return estimate.source === 'price-list-api'
    ? `list prices from the AWS Price List API, read ${estimate.asOf}`
    : `list prices from the snapshot shipped with mbed-tsdb, taken ${estimate.asOf} (${estimate.why ?? 'the Price List API was not used'})`;
}

/** The estimate as the plan and status print it: a line per resource, the total, what it assumes. */
export function describeEstimate(estimate: Estimate): string {
  const rate = `${estimate.readingsPerSecond} reading${estimate.readingsPerSecond === 1 ? '' : 's'}/s ${estimate.rateSource}`;
  const lines = estimate.lines.map((line) => {
    const cost = line.monthly === null ? 'no price' : dollars(line.monthly);
    const how = `${formatQuantity(line.quantity)} ${line.unit}${line.unitPrice === null ? '' : ` × $${formatPrice(line.unitPrice)}`}`;
    return `    ${cost.padStart(9)}  ${line.resource}: ${how}${line.note ? ` (${line.note})` : ''}`;
  });
  const free = estimate.lines.filter((line) => line.freeTier).map((line) => `${line.resource}: ${line.freeTier}`);
  return [
    `  Estimated monthly cost in ${estimate.region} at ${rate}; ${describeSource(estimate)}:`,
    ...lines,
    estimate.unpriced.length === estimate.lines.length
      ? '     no total  (no prices found)'
      : `    ${dollars(estimate.total).padStart(9)}  total${estimate.unpriced.length ? ` (without ${estimate.unpriced.join(', ')}: no price found)` : ''}`,
    ...(free.length ? ['  Free tiers that may apply (not subtracted):', ...free.map((text) => `    ${text}`)] : []),
    `  Assumed: ${estimate.assumptions.join('; ')}.`,
  ].join('\n');
}

/** A unit price as the price list writes it, without an exponent: 0.0000002, not 2e-7. */
function formatPrice(value: number): string {
  return value.toFixed(10).replace(/\.?0+$/, '');
}

function formatQuantity(value: number): string {
  if (value >= 1000) return Math.round(value).toLocaleString('en-US');
  return String(round(value, value < 1 ? 4 : 2));
}
