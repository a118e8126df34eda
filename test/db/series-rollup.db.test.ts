// The chart from the rollup answers as the raw query does: a property test over random rows,
// ranges, time zones (DST changes and 45-minute offsets included), filters and aggregates.
// Counts, minima and maxima agree exactly; sums and averages to the last bits floating-point
// addition in another order may change.
import { createConnection } from 'mysql2/promise';
import { createPool, type Pool } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGGREGATES, assembleSeries, planSeries, querySeries, type SeriesRequest, type SeriesRow } from '../../src/db/series.js';
import { planRollupSeries } from '../../src/db/series-rollup.js';
import { fillRollup, rollupStatus } from '../../templates/lambda/rollup.js';
import { freshDatabase, hasDatabase } from '../support/db.js';
import type { TestDatabase } from '../support/mariadb.js';

/** A small seeded generator (mulberry32): a failing case is the same case again. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEED = Number(process.env.ROLLUP_SEED ?? 20261128);
const START = Date.parse('2026-03-01T00:00:00Z') / 1000;
const SPAN = 70 * 86400; // over the spring DST changes of both hemispheres' zones below
const ZONES = ['UTC', 'America/New_York', 'Europe/Berlin', 'Asia/Kolkata', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'Pacific/Chatham', 'America/St_Johns'];
const BOARDS = ['board-a', 'board-b', 'Board-A'];
const SENSORS = ['/3200/0/5501', '/3303/0/5700'];
const CASES = Number(process.env.ROLLUP_CASES ?? 300);

describe.skipIf(!hasDatabase)('chart from the rollup', () => {
  let db: TestDatabase;
  let pool: Pool;

  beforeAll(async () => {
    db = await freshDatabase();
    const rand = random(SEED);
    const rows: unknown[][] = [];
    for (let i = 0; i < 6000; i++) {
      // Clusters on bucket edges and DST instants as well as anywhere.
      const ts = rand() < 0.2 ? START + Math.floor(rand() * (SPAN / 900)) * 900 - (rand() < 0.5 ? 1 : 0) : START + Math.floor(rand() * SPAN);
      const value = rand() < 0.5 ? Math.floor(rand() * 100) - 20 : Math.round((rand() * 1000 - 300) * 1e3) / 1e3;
      rows.push([new Date(ts * 1000).toISOString().slice(0, 19).replace('T', ' '), value, BOARDS[Math.floor(rand() * BOARDS.length)], SENSORS[Math.floor(rand() * SENSORS.length)]]);
    }
    await db.query('INSERT INTO events (ts, value, board, sensor) VALUES ?', [rows]);
    const connection = await createConnection({ ...db.login, database: db.name });
    const query = async (sql: string, values?: unknown[]) => (await connection.query(sql, values))[0];
    expect((await rollupStatus(query, 'events')).complete).toBe(false);
    const fill = await fillRollup(connection, 'events');
    expect(fill.complete).toBe(true);
    expect((await rollupStatus(query, 'events')).complete).toBe(true);
    await connection.end();
    pool = createPool({ ...db.login, database: db.name, connectionLimit: 1, dateStrings: true });
  }, 120_000);
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  const raw = async (request: SeriesRequest) => {
    const plan = planSeries(request);
    const [rows] = await pool.query(plan.sql, plan.values);
    return assembleSeries(request, plan.buckets, rows as SeriesRow[]);
  };

  it(`answers ${CASES} random requests as the raw rows do (seed ${SEED})`, async () => {
    const rand = random(SEED + 1);
    const pick = <T,>(list: readonly T[]) => list[Math.floor(rand() * list.length)]!;
    let fromRollup = 0;
    for (let c = 0; c < CASES; c++) {
      const since = START - 86400 + Math.floor(rand() * (SPAN + 86400));
      const until = since + 1 + Math.floor(rand() * (rand() < 0.3 ? 3 * 86400 : 30 * 86400));
      const request: SeriesRequest = {
        since,
        until,
        bucket: rand() < 0.6 ? 'hour' : 'day',
        tz: pick(ZONES),
        agg: pick(AGGREGATES),
        ...(rand() < 0.3 ? { board: pick(BOARDS) } : {}),
        ...(rand() < 0.3 ? { sensor: pick(SENSORS) } : {}),
        table: 'events',
      };
      const expected = await raw(request);
      const actual = await querySeries(pool, request);
      if ((planRollupSeries(request)?.parts.length ?? 0) > 0) fromRollup += 1;
      const where = `case ${c}: ${JSON.stringify(request)}`;
      expect(actual.points.map((p) => [p.start, p.count]), where).toEqual(expected.points.map((p) => [p.start, p.count]));
      for (const [i, point] of actual.points.entries()) {
        const want = expected.points[i]!.value;
        if (want === null || point.value === null || request.agg === 'count' || request.agg === 'min' || request.agg === 'max') expect(point.value, where).toBe(want);
        else expect(Math.abs(point.value - want), where).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(want)));
      }
    }
    expect(fromRollup).toBe(CASES);
  });

  it('reads the rollup for whole buckets and the rows only at the edges', () => {
    const request: SeriesRequest = { since: START + 100, until: START + 86400 + 700, bucket: 'hour', tz: 'UTC', agg: 'sum', table: 'events' };
    const plan = planRollupSeries(request)!;
    expect(plan.parts.map((p) => /FROM `(\w+)`/.exec(p.sql)![1])).toEqual(['events_rollup', 'events']);
    expect(planRollupSeries({ ...request, bucket: 'minute' })).toBeNull();
  });
});
