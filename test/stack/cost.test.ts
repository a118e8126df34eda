// The plan's monthly estimate against the fake Price List (test/support/aws-fake/pricing.ts: its
// endpoints, filters, pages and refusals from the Billing and Cost Management API reference and
// user guide; the products in aws-fake/price-catalogue.ts). The sums are written out by hand from
// that catalogue, so a change of quantity, price or product read shows here.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetProductsCommand, PricingClient } from '@aws-sdk/client-pricing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../src/aws/clients.js';
import { describeEstimate, type Estimate } from '../../src/cost/estimate.js';
import { SNAPSHOT, SNAPSHOT_AS_OF } from '../../src/cost/snapshot.js';
import { PRICE_LIST_DEADLINE_MS } from '../../src/cost/price-source.js';
import { existingEstimate, finalSnapshotCost, plannedEstimate } from '../../src/stack/cost.js';
import type { SetupAnswers } from '../../src/stack/step.js';
import { FakeAws } from '../support/aws-fake.js';
import { stepContext } from '../support/step-context.js';

const DAY = 24 * 60 * 60_000;
const NOW = Date.parse('2026-12-06T09:00:00Z');
const ANSWERS: SetupAnswers = {
  engine: 'mysql',
  dbClass: 'db.t4g.micro',
  access: 'my-ip',
  connectorHost: 'https://api.us-east-1.mbedcloud.com',
  endpoints: [],
  resource: '/3200/0/5501',
  alertEmail: 'ops@example.com',
  expectedRate: 2,
};

// By hand, at 2 readings a second: 2 × 730 h × 3600 s = 5 256 000 webhook requests a month; the
// schedules add 730/24 maintenance runs and 730 × 12 watches = 8 790.4167 invocations.
const REQUESTS = 5_256_000;
const INVOCATIONS = REQUESTS + 730 / 24 + 730 * 12;
const GB_SECONDS = (REQUESTS * 0.05 + (730 / 24 + 730 * 12) * 1) * 0.25; // 50 ms a request, 1 s a scheduled run, 256 MB
const LOG_GB = (INVOCATIONS * 850) / 1024 ** 3; // 850 bytes of log an invocation

/** The fake catalogue's prices for a region: db.t4g.micro, gp3, public IPv4, API requests, logs ingested. */
function byHand(p: { micro: number; gp3: number; api: number; logsIngest: number }): number {
  return (
    730 * p.micro + // the instance
    20 * p.gp3 + // 20 GB gp3
    0 + // backups within the free amount
    730 * 0.005 + // its public IPv4 address
    REQUESTS * p.api +
    INVOCATIONS * 0.0000002 + // Lambda requests (Arm)
    GB_SECONDS * 0.0000133334 + // Lambda duration (Arm, first tier)
    LOG_GB * p.logsIngest +
    LOG_GB * 0.03 + // kept 30 days: a month's worth
    2 * 0.3 + // ReadingsStored, QuietDevices
    5 * 0.1 // alarm metrics: webhook-failing watches two, the others one each
  );
}

// Each test: a new fake account, an empty state folder (no prices kept), the clock at NOW.
let aws: FakeAws;
let stateDir: string;
let now = NOW;
const services = (region = 'us-west-2') => ({ aws: createAwsClients({ region, profile: undefined, env: {} }), env: { MBED_TSDB_STATE_DIR: stateDir }, now: () => now });
beforeEach(() => {
  aws = new FakeAws().install();
  now = NOW;
  stateDir = mkdtempSync(join(tmpdir(), 'mbed-tsdb-cost-'));
});
afterEach(() => {
  aws.restore();
  rmSync(stateDir, { recursive: true, force: true });
});

describe('the plan’s monthly estimate', () => {
  const estimate = (region: string, answers: Partial<SetupAnswers> = {}): Promise<Estimate> => plannedEstimate(services(region), { ...ANSWERS, ...answers });

  it('for db.t4g.micro in two regions matches the hand calculation from the price list, each region at its own prices', async () => {
    const west = await estimate('us-west-2');
    const frankfurt = await estimate('eu-central-1');
    expect(west.source).toBe('price-list-api');
    expect(west.asOf).toBe('2026-12-06');
    expect(west.unpriced).toEqual([]);
    expect(west.total).toBeCloseTo(byHand({ micro: 0.016, gp3: 0.115, api: 0.0000035, logsIngest: 0.5 }), 2);
    expect(frankfurt.total).toBeCloseTo(byHand({ micro: 0.019, gp3: 0.133, api: 0.0000037, logsIngest: 0.63 }), 2);
    expect(west.total).toBeCloseTo(41.29, 2);
    expect(west.lines.find((l) => l.resource.startsWith('database'))).toMatchObject({ quantity: 730, unitPrice: 0.016, monthly: 11.68 });
    expect(frankfurt.lines.find((l) => l.resource.startsWith('database'))).toMatchObject({ unitPrice: 0.019, monthly: 13.87 });
    // Every question went to the Price List's own endpoint, for the stack's region.
    expect(aws.pricing.clientRegion).toBe('us-east-1');
    expect(aws.callsOf('GetProducts').every((c) => (c.Filters as Array<{ Field: string; Value: string }>).some((f) => f.Field === 'regionCode'))).toBe(true);
  });

  it('prints a line per resource with quantity and price, the total, the free tiers it did not subtract and what it assumed', async () => {
    const text = describeEstimate(await estimate('us-west-2'));
    expect(text).toContain('Estimated monthly cost in us-west-2 at 2 readings/s expected (--expected-rate); list prices from the AWS Price List API, read 2026-12-06:');
    expect(text).toMatch(/\$11\.68 {2}database db\.t4g\.micro \(MySQL, Single-AZ\): 730 hours × \$0\.016/);
    expect(text).toMatch(/\$18\.40 {2}API Gateway requests: 5,256,000 requests × \$0\.0000035/);
    expect(text).toMatch(/Lambda requests: 5,264,790 requests × \$0\.0000002\n/);
    expect(text).toMatch(/\$41\.29 {2}total/);
    expect(text).toContain('Free tiers that may apply (not subtracted):');
    expect(text).toMatch(/750 hours a month of a Single-AZ db\.t4g\.micro/);
    expect(text).toMatch(/Assumed: one webhook request per reading/);
  });

  it('a private stack without alerts has no public address, metric of quiet devices, watch or alarms', async () => {
    const quiet = await estimate('us-west-2', { access: 'private', alertEmail: '' });
    const names = quiet.lines.map((l) => l.resource);
    expect(names.some((n) => n.includes('IPv4'))).toBe(false);
    expect(names.some((n) => n.includes('alarms'))).toBe(false);
    expect(quiet.lines.find((l) => l.resource === 'CloudWatch custom metrics')).toMatchObject({ quantity: 1 });
    expect(quiet.lines.find((l) => l.resource === 'Lambda requests')!.quantity).toBeCloseTo(REQUESTS + 730 / 24, 3);
  });

  it('Aurora Serverless v2 is estimated at its least capacity while readings arrive, and says so', async () => {
    const aurora = await estimate('us-west-2', { engine: 'aurora-mysql', dbClass: undefined, alertEmail: '' });
    expect(aurora.lines[0]).toMatchObject({ resource: 'database Aurora Serverless v2', quantity: 365, unit: 'ACU-hours', unitPrice: 0.12, monthly: 43.8 });
    expect(aurora.lines[0]!.note).toBe('assumed at 0.5 ACU all month, its least while readings arrive; up to 2 ACU under load');
    expect(aurora.lines.find((l) => l.resource.startsWith('storage I/O'))).toMatchObject({ quantity: 2 * REQUESTS, unitPrice: 0.0000002 });
    expect(aurora.lines.some((l) => l.resource.startsWith('automated backups'))).toBe(false);
  });

  it('a provisioned Aurora class: its Aurora MySQL price, not I/O-Optimized’s nor MySQL’s', async () => {
    const aurora = await estimate('us-west-2', { engine: 'aurora-mysql', dbClass: 'db.t4g.medium', alertEmail: '' });
    expect(aurora.lines[0]).toMatchObject({ resource: 'database db.t4g.medium (Aurora MySQL)', quantity: 730, unitPrice: 0.073 });
    expect(aurora.unpriced).toEqual([]);
  });

  it('the class a new database gets, when none is chosen: the region’s cheapest offered', async () => {
    aws.rds.offeredClasses.delete('db.t4g.micro');
    const west = await estimate('us-west-2', { dbClass: undefined });
    expect(west.lines[0]).toMatchObject({ resource: 'database db.t3.micro (MySQL, Single-AZ)', unitPrice: 0.017 });
  });

  it('uses the snapshot, and says so and why, when the credentials may not call pricing:GetProducts', async () => {
    aws.denied.add('pricing:GetProducts');
    const west = await estimate('us-west-2');
    expect(west).toMatchObject({ source: 'snapshot', asOf: SNAPSHOT_AS_OF, why: 'the credentials may not call pricing:GetProducts', unpriced: [] });
    expect(west.lines[0]!.unitPrice).toBe(SNAPSHOT['us-west-2']!['rds-instance:db.t4g.micro']);
    expect(describeEstimate(west)).toContain(`list prices from the snapshot shipped with mbed-tsdb, taken ${SNAPSHOT_AS_OF} (the credentials may not call pricing:GetProducts)`);
    // A region the snapshot lacks: every line unpriced, and said.
    const frankfurt = await estimate('eu-central-1');
    expect(frankfurt.why).toBe('the credentials may not call pricing:GetProducts, and the snapshot has no prices for eu-central-1');
    expect(frankfurt.total).toBe(0);
    expect(frankfurt.unpriced.length).toBe(frankfurt.lines.length);
    expect(describeEstimate(frankfurt)).toMatch(/no price {2}database db\.t4g\.micro \(MySQL, Single-AZ\): 730 hours\n/);
    expect(describeEstimate(frankfurt)).toContain('no total  (no prices found)');
  });

  it('uses the snapshot when the Price List cannot be reached or fails', async () => {
    aws.pricing.failure = () => Object.assign(new Error('getaddrinfo ENOTFOUND api.pricing.us-east-1.amazonaws.com'), { code: 'ENOTFOUND' });
    expect((await estimate('us-west-2')).why).toBe('the Price List API could not be reached');
    aws.pricing.failure = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
    expect((await estimate('us-west-2')).why).toMatch(/^the Price List API failed: /);
  });

  it('gives up on a Price List that does not answer after its deadline, and uses the snapshot, saying so', async () => {
    aws.pricing.hang = true;
    const waited: number[] = [];
    const progress: string[] = [];
    const west = await plannedEstimate(
      {
        ...services(),
        wait: async (ms) => void waited.push(ms),
        progress: { task: (label, status) => (progress.push(`${label}: ${status}`), { update: () => undefined, done: (r) => void progress.push(`done ${r}`), fail: (r) => void progress.push(`fail ${r}`) }), note: () => undefined, stop: () => undefined },
      },
      ANSWERS,
    );
    expect(waited).toEqual([PRICE_LIST_DEADLINE_MS]);
    expect(west).toMatchObject({ source: 'snapshot', why: 'the Price List API did not answer within 15 s', unpriced: [] });
    expect(progress).toEqual(['prices: reading the AWS Price List', 'done the Price List API did not answer within 15 s: the snapshot of 2026-05-21']);
  });

  it('keeps what it read for a week: the next plan asks nothing, a week later it asks again', async () => {
    await estimate('us-west-2');
    const asked = aws.callsOf('GetProducts').length;
    expect(asked).toBeGreaterThan(10);
    now += 6 * DAY;
    expect((await estimate('us-west-2')).asOf).toBe('2026-12-06');
    expect(aws.callsOf('GetProducts').length).toBe(asked);
    now += 2 * DAY;
    expect((await estimate('us-west-2')).asOf).toBe('2026-12-14');
    expect(aws.callsOf('GetProducts').length).toBe(2 * asked);
  });

  it('follows the pages of an answer', async () => {
    aws.pageSize = 1;
    const west = await estimate('us-west-2');
    expect(west.unpriced).toEqual([]);
    expect(aws.callsOf('GetProducts').some((c) => c.NextToken !== undefined)).toBe(true);
  });

  it('the fake answers only at the Price List endpoints, as the API does', async () => {
    const elsewhere = new PricingClient({ region: 'us-west-2', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    await expect(elsewhere.send(new GetProductsCommand({ ServiceCode: 'AmazonRDS' }))).rejects.toMatchObject({ code: 'ENOTFOUND' });
    const there = new PricingClient({ region: 'eu-central-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    await expect(there.send(new GetProductsCommand({ ServiceCode: 'AmazonRDS', MaxResults: 101 }))).rejects.toMatchObject({ name: 'InvalidParameterException' });
  });
});

describe('the price cache, status’s estimate and what teardown leaves', () => {
  const asked = () => aws.callsOf('GetProducts').length;

  it('reads again when the cache is from a later clock, unreadable, or lacks a price; keeps what other stacks read', async () => {
    await plannedEstimate(services(), ANSWERS);
    const once = asked();
    now -= DAY; // the clock went back: a reading "from the future" is not trusted
    await plannedEstimate(services(), ANSWERS);
    expect(asked()).toBe(2 * once);
    writeFileSync(join(stateDir, 'prices', 'us-west-2.json'), '{ not json');
    await plannedEstimate(services(), ANSWERS);
    expect(asked()).toBe(3 * once);
    // Aurora needs prices MySQL did not: read, and kept beside them — MySQL then asks nothing.
    await plannedEstimate(services(), { ...ANSWERS, engine: 'aurora-mysql', dbClass: undefined });
    const afterAurora = asked();
    expect(afterAurora).toBeGreaterThan(3 * once);
    await plannedEstimate(services(), ANSWERS);
    await plannedEstimate(services(), { ...ANSWERS, engine: 'aurora-mysql', dbClass: undefined });
    expect(asked()).toBe(afterAurora);
    expect(Object.keys(JSON.parse(readFileSync(join(stateDir, 'prices', 'us-west-2.json'), 'utf8')).prices)).toEqual(expect.arrayContaining(['rds-instance:db.t4g.micro', 'aurora-acu']));
  });

  it('a price the list lacks leaves its line unpriced (still from the API) and is looked for again next time', async () => {
    aws.pricing.products = aws.pricing.products.filter((p) => !p.attributes.usagetype!.endsWith('RDS:GP3-Storage'));
    const first = await plannedEstimate(services(), ANSWERS);
    expect(first).toMatchObject({ source: 'price-list-api', unpriced: ['storage 20 GB gp3'] });
    const once = asked();
    await plannedEstimate(services(), ANSWERS);
    expect(asked()).toBe(2 * once);
  });

  it('status estimates at the rate the rollup measured, never rounded to none; else at the rate expected', async () => {
    const database = { engine: 'mysql' as const, dbClass: 'db.t4g.micro', storageGiB: 25, publicDatabase: false };
    const measured = await existingEstimate(services(), database, { readingsPerDay: 20, expectedRate: 5, alerts: true });
    expect(measured).toMatchObject({ readingsPerSecond: 0.001, rateSource: 'measured over the last 7 days' });
    expect(measured.lines[1]).toMatchObject({ resource: 'storage 25 GB gp3', quantity: 25 });
    expect(measured.lines.find((l) => l.resource === 'CloudWatch alarms')).toMatchObject({ quantity: 5 });
    expect((await existingEstimate(services(), database, { readingsPerDay: 864_000, expectedRate: 5, alerts: false })).readingsPerSecond).toBe(10);
    expect(await existingEstimate(services(), database, { readingsPerDay: undefined, expectedRate: 5, alerts: false })).toMatchObject({ readingsPerSecond: 5, rateSource: 'expected (--expected-rate)' });
    expect(await existingEstimate(services(), database, { readingsPerDay: 0, expectedRate: undefined, alerts: false })).toMatchObject({ readingsPerSecond: 1, rateSource: 'expected (--expected-rate)' });
  });

  it('teardown’s final snapshot: by the database’s storage at the backup price, or by its data when the size is unknown', async () => {
    const ctx = stepContext();
    const kept = await finalSnapshotCost(services(), ctx, 'keep-me', false);
    // No instance to read its size from.
    expect(kept).toMatchObject({ resource: 'snapshot keep-me', gib: null, unitPrice: 0.095, monthly: null });
    expect(kept.text).toBe(
      "snapshot keep-me: billed by the database's data × $0.095 per GB-month until you delete it (aws rds delete-db-snapshot --db-snapshot-identifier keep-me); list prices from the AWS Price List API, read 2026-12-06",
    );
    aws.denied.add('pricing:GetProducts');
    const frankfurt = await finalSnapshotCost(services('eu-central-1'), ctx, 'keep-me', true);
    expect(frankfurt).toMatchObject({ resource: 'cluster snapshot keep-me', gib: null, unitPrice: null, monthly: null });
    expect(frankfurt.text).toMatch(/^cluster snapshot keep-me: billed by the cluster's data at the backup storage price \(none found\) until you delete it \(aws rds delete-db-cluster-snapshot --db-cluster-snapshot-identifier keep-me\); list prices from the snapshot/);
  });
});
