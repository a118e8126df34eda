// The estimate's arithmetic as properties (fast-check): whatever the stack and the load, every
// line is its quantity at its price, the total is the sum of the priced lines, more readings never
// cost less, and a price the book lacks leaves its line unpriced rather than free.
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { describeEstimate, estimateMonthly, neededPrices, type CostInputs } from '../../src/cost/estimate.js';
import type { PriceBook } from '../../src/cost/prices.js';
import { SNAPSHOT } from '../../src/cost/snapshot.js';

const inputs = fc.record({
  region: fc.constant('us-west-2'),
  engine: fc.constantFrom('mysql' as const, 'aurora-mysql' as const),
  dbClass: fc.constantFrom('db.t4g.micro', 'db.t3.small', 'db.serverless'),
  storageGiB: fc.integer({ min: 20, max: 65_536 }),
  auroraMinAcu: fc.constantFrom(undefined, 0, 0.5, 1),
  auroraMaxAcu: fc.constantFrom(undefined, 2),
  publicDatabase: fc.boolean(),
  readingsPerSecond: fc.double({ min: 0.001, max: 10_000, noNaN: true }),
  rateSource: fc.constant('expected'),
  functionMemoryMb: fc.constantFrom(128, 256, 1024),
  logRetentionDays: fc.integer({ min: 1, max: 3653 }),
  scheduledPerMonth: fc.double({ min: 0, max: 10_000, noNaN: true }),
  customMetrics: fc.integer({ min: 0, max: 3 }),
  alarmMetrics: fc.integer({ min: 0, max: 6 }),
}) satisfies fc.Arbitrary<CostInputs>;

const book = (prices = SNAPSHOT['us-west-2']!): PriceBook => ({ region: 'us-west-2', source: 'snapshot', asOf: '2026-05-21', prices });

describe('estimateMonthly', () => {
  test.prop([inputs])('each line is its quantity at its price, and the total their sum', (given) => {
    const estimate = estimateMonthly(given, book());
    for (const line of estimate.lines) {
      if (line.unitPrice === null) expect(line.monthly).toBeNull();
      else expect(line.monthly!).toBeCloseTo(line.quantity * line.unitPrice, 2);
    }
    const sum = estimate.lines.reduce((total, line) => total + (line.monthly ?? 0), 0);
    expect(Math.abs(estimate.total - sum)).toBeLessThanOrEqual(0.005 + 1e-9);
  });

  test.prop([inputs, fc.double({ min: 1, max: 100, noNaN: true })])('more readings never cost less', (given, factor) => {
    const slower = estimateMonthly(given, book()).total;
    const faster = estimateMonthly({ ...given, readingsPerSecond: Math.min(10_000, given.readingsPerSecond * factor) }, book()).total;
    expect(faster).toBeGreaterThanOrEqual(slower);
  });

  test.prop([inputs, fc.integer({ min: 0, max: 20 })])('a price the book lacks leaves its line unpriced and out of the total, never free', (given, drop) => {
    const keys = neededPrices(given);
    const missing = keys[drop % keys.length]!;
    const prices = { ...SNAPSHOT['us-west-2']! };
    delete prices[missing];
    const full = estimateMonthly(given, book());
    const partial = estimateMonthly(given, book(prices));
    expect(partial.unpriced.length).toBeGreaterThan(0);
    expect(partial.lines.filter((l) => l.monthly === null).every((l) => partial.unpriced.includes(l.resource))).toBe(true);
    expect(partial.total).toBeLessThanOrEqual(full.total);
    expect(describeEstimate(partial)).toMatch(/no prices? found/);
  });

  it('a provisioned Aurora class the snapshot does not price is said, not guessed', () => {
    const estimate = estimateMonthly(
      { region: 'us-west-2', engine: 'aurora-mysql', dbClass: 'db.r6g.large', storageGiB: 0, publicDatabase: false, readingsPerSecond: 1, rateSource: 'expected', functionMemoryMb: 256, logRetentionDays: 30, scheduledPerMonth: 30, customMetrics: 1, alarmMetrics: 0 },
      book(),
    );
    expect(estimate.unpriced).toEqual(['database db.r6g.large (Aurora MySQL)']);
  });
});

// Every line written out by hand at the snapshot's US prices (0.016 an hour, 0.115 a GB-month…):
// 1 reading a second is 2 628 000 requests a month; 270 bytes each, 0.6608 GB of table; 850 bytes
// of log for each of the 2 628 030.4167 invocations (the daily maintenance adds 30.4167), 2.0804 GB.
describe('the lines of an estimate, by hand', () => {
  const base: CostInputs = {
    region: 'us-west-2',
    engine: 'mysql',
    dbClass: 'db.t4g.micro',
    storageGiB: 20,
    publicDatabase: true,
    readingsPerSecond: 1,
    rateSource: 'expected',
    functionMemoryMb: 256,
    logRetentionDays: 30,
    scheduledPerMonth: 730 / 24,
    customMetrics: 1,
    alarmMetrics: 0,
  };
  const close = (value: number) => expect.closeTo(value, 3);
  const LOG_GB = ((2_628_000 + 730 / 24) * 850) / 1024 ** 3;

  it('MySQL on db.t4g.micro, reachable from your IP, without alerts', () => {
    const estimate = estimateMonthly(base, book());
    expect(estimate.lines.map(({ freeTier: _free, ...line }) => line)).toEqual([
      { resource: 'database db.t4g.micro (MySQL, Single-AZ)', quantity: 730, unit: 'hours', unitPrice: 0.016, monthly: close(11.68) },
      {
        resource: 'storage 20 GB gp3',
        quantity: 20,
        unit: 'GB-months',
        unitPrice: 0.115,
        monthly: close(2.3),
        note: 'the readings add ~0.66 GB a month; once it is 90 % full, storage autoscaling adds more at this price',
      },
      { resource: 'automated backups (1 day)', quantity: 0, unit: 'GB-months', unitPrice: 0.095, monthly: 0, note: "free up to the database's size, which one day of backups stays within" },
      { resource: "the database's public IPv4 address", quantity: 730, unit: 'hours', unitPrice: 0.005, monthly: close(3.65), note: 'access from your IP; --access private has none' },
      { resource: 'API Gateway requests', quantity: 2_628_000, unit: 'requests', unitPrice: 0.0000035, monthly: close(9.198) },
      { resource: 'Lambda requests', quantity: close(2_628_030.4167), unit: 'requests', unitPrice: 0.0000002, monthly: close(0.5256) },
      { resource: 'Lambda duration (256 MB, arm64)', quantity: close((2_628_000 * 0.05 + 730 / 24) * 0.25), unit: 'GB-seconds', unitPrice: 0.0000133334, monthly: close(0.4381) },
      { resource: 'CloudWatch Logs ingested', quantity: close(LOG_GB), unit: 'GB', unitPrice: 0.5, monthly: close(LOG_GB * 0.5) },
      { resource: 'CloudWatch Logs kept (30 days)', quantity: close(LOG_GB), unit: 'GB-months', unitPrice: 0.03, monthly: close(LOG_GB * 0.03) },
      { resource: 'CloudWatch custom metrics', quantity: 1, unit: 'metrics', unitPrice: 0.3, monthly: close(0.3) },
    ]);
    expect(estimate.total).toBe(29.19);
    expect(estimate.lines.filter((l) => l.freeTier).map((l) => l.resource)).toEqual([
      'database db.t4g.micro (MySQL, Single-AZ)',
      'API Gateway requests',
      'Lambda requests',
      'Lambda duration (256 MB, arm64)',
      'CloudWatch Logs ingested',
      'CloudWatch custom metrics',
    ]);
    // Logs kept a week are a quarter of a month's; a table that adds little says so.
    const slow = estimateMonthly({ ...base, readingsPerSecond: 0.01, logRetentionDays: 7, alarmMetrics: 5, customMetrics: 2 }, book());
    const kept = slow.lines.find((l) => l.resource === 'CloudWatch Logs kept (7 days)')!;
    expect(kept.quantity).toBeCloseTo((slow.lines.find((l) => l.resource === 'CloudWatch Logs ingested')!.quantity * 7) / 30, 4);
    expect(slow.lines[1]!.note).toMatch(/^the readings add under 0\.01 GB a month;/);
    expect(slow.lines.at(-1)).toMatchObject({ resource: 'CloudWatch alarms', quantity: 5, unit: 'alarm metrics', monthly: close(0.5) });
  });

  it('only the micro classes are named for the free tier', () => {
    const freeOf = (dbClass: string) => estimateMonthly({ ...base, dbClass }, book({ ...SNAPSHOT['us-west-2']!, [`rds-instance:${dbClass}`]: 1 })).lines[0]!.freeTier;
    expect(['db.t4g.micro', 'db.t3.micro'].map(freeOf).every(Boolean)).toBe(true);
    expect(['db.t4g.small', 'db.t4g.micro2', 'xdb.t3.micro', 'db.t3g.micro.large', 'db.m5.micro'].map(freeOf)).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });

  it('Aurora Serverless v2 at its least capacity, its storage as used and its I/O; a provisioned class by the hour', () => {
    const aurora = { ...base, engine: 'aurora-mysql' as const, dbClass: 'db.serverless', publicDatabase: false, readingsPerSecond: 0.1, auroraMaxAcu: 2 };
    const lines = estimateMonthly({ ...aurora, auroraMinAcu: 0 }, book()).lines;
    expect(lines.slice(0, 3)).toEqual([
      { resource: 'database Aurora Serverless v2', quantity: 365, unit: 'ACU-hours', unitPrice: 0.12, monthly: close(43.8), note: 'assumed at 0.5 ACU all month, its least while readings arrive; up to 2 ACU under load' },
      { resource: 'storage (Aurora, as used)', quantity: close(0.0661), unit: 'GB-months', unitPrice: 0.1, monthly: close(0.0066), note: 'after a month of readings; it grows by as much each month' },
      { resource: 'storage I/O (Aurora Standard)', quantity: 525_600, unit: 'I/O requests', unitPrice: 0.0000002, monthly: close(0.1051) },
    ]);
    expect(lines.some((l) => l.resource.includes('backups') || l.resource.includes('IPv4'))).toBe(false);
    // A minimum above the least it runs at is what it runs at; without a maximum none is said.
    expect(estimateMonthly({ ...aurora, auroraMinAcu: 1, auroraMaxAcu: undefined }, book()).lines[0]).toMatchObject({ quantity: 730, note: 'assumed at 1 ACU all month, its least while readings arrive' });
    const provisioned = estimateMonthly({ ...aurora, dbClass: 'db.r6g.large' }, book({ ...SNAPSHOT['us-west-2']!, 'aurora-instance:db.r6g.large': 0.26 })).lines[0];
    expect(provisioned).toEqual({ resource: 'database db.r6g.large (Aurora MySQL)', quantity: 730, unit: 'hours', unitPrice: 0.26, monthly: close(189.8) });
  });

  it('prints the rate in the heading, singular for one reading a second', () => {
    expect(describeEstimate(estimateMonthly(base, book()))).toMatch(/^ {2}Estimated monthly cost in us-west-2 at 1 reading\/s expected; list prices from the snapshot shipped with mbed-tsdb, taken 2026-05-21 \(the Price List API was not used\):\n/);
    expect(describeEstimate(estimateMonthly({ ...base, readingsPerSecond: 0.5 }, book()))).toContain(' at 0.5 readings/s expected;');
    expect(describeEstimate(estimateMonthly(base, book()))).toMatch(/\n {8}\$0\.00 {2}automated backups \(1 day\): 0 GB-months × \$0\.095 \(free up/);
    expect(describeEstimate(estimateMonthly({ ...base, readingsPerSecond: 0.001 }, book()))).toMatch(/\n {7}\$<0\.01 {2}Lambda requests: 2,658 requests × \$0\.0000002\n/);
    expect(describeEstimate(estimateMonthly(base, book()))).toMatch(/\n {7}\$29\.19 {2}total\n {2}Free tiers that may apply \(not subtracted\):\n {4}database db\.t4g\.micro \(MySQL, Single-AZ\): AWS Free Tier: 750 hours/);
  });
});
