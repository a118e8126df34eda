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
