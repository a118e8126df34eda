// The chart series against MariaDB with seeded rows, checked against an independent
// oracle (each row placed by its local wall clock via Intl) and against hand-made sums.
import { createPool, type Pool } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGGREGATES, querySeries, querySources, type Aggregate, type SeriesRequest } from '../../src/db/series.js';
import { BUCKET_UNITS, type BucketUnit } from '../../src/chart/time.js';
import { freshDatabase, hasDatabase } from '../support/db.js';
import type { TestDatabase } from '../support/mariadb.js';

const at = (iso: string) => Date.parse(iso) / 1000;

interface Row {
  ts: number;
  value: number;
  board: string;
  sensor: string;
}

/** Rows around both 2026 New York DST changes and across a few UTC days, with empty hours. */
function seedRows(): Row[] {
  const rows: Row[] = [];
  const add = (ts: number, value: number, i: number) =>
    rows.push({ ts, value, board: i % 3 === 0 ? 'board-b' : 'board-a', sensor: i % 2 === 0 ? '/3200/0/5501' : '/3303/0/5700' });
  let i = 0;
  for (const day of ['2026-03-07', '2026-03-08', '2026-10-31', '2026-11-01', '2026-11-27']) {
    for (let hour = 0; hour < 24; hour++) {
      if (hour === 5 || hour === 6) continue; // empty buckets
      for (let n = 0; n <= hour % 4; n++) add(at(`${day}T${String(hour).padStart(2, '0')}:${String(7 * n + 3).padStart(2, '0')}:00Z`), hour - n * 0.5, i++);
    }
  }
  // Edges: the last second of an hour, the first of the next, and negative values.
  add(at('2026-11-27T09:59:59Z'), -3, i++);
  add(at('2026-11-27T10:00:00Z'), 7.25, i++);
  // The exact seconds New York's offset changes (02:00 EST → 03:00 EDT; 02:00 EDT → 01:00 EST),
  // and the second before each: a `<=` where `<` belongs puts these in hours that do not exist.
  add(at('2026-03-08T07:00:00Z'), 11, i++);
  add(at('2026-03-08T06:59:59Z'), 13, i++);
  add(at('2026-11-01T06:00:00Z'), 17, i++);
  add(at('2026-11-01T05:59:59Z'), 19, i++);
  return rows;
}

const wallFormats = new Map<string, Intl.DateTimeFormat>();

/** A bucket's label, worked out from the wall clock alone (Intl), never from the code under test. */
function labelOf(ts: number, tz: string, bucket: BucketUnit, withOffset: boolean): string {
  let format = wallFormats.get(tz);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      timeZoneName: 'longOffset',
    });
    wallFormats.set(tz, format);
  }
  const p = Object.fromEntries(format.formatToParts(ts * 1000).map((x) => [x.type, x.value]));
  const date = `${p.year}-${p.month}-${p.day}`;
  const offset = String(p.timeZoneName).replace('GMT', '') || '+00:00';
  if (bucket === 'day') return date;
  const time = bucket === 'hour' ? `${p.hour}:00` : `${p.hour}:${p.minute}`;
  return withOffset ? `${date} ${time} ${offset}` : `${date} ${time}`;
}

/**
 * The buckets the range must have, in order: every minute of it labelled from its wall clock.
 * Labels carry the offset below a day when the range spans more than one offset (a repeated
 * hour is then two buckets).
 */
function expectedLabels(request: SeriesRequest): string[] {
  const offsets = new Set<string>();
  for (let t = request.since; t < request.until; t += 60) offsets.add(labelOf(t, request.tz, 'minute', true).slice(17));
  const withOffset = request.bucket !== 'day' && offsets.size > 1;
  const labels: string[] = [];
  for (let t = request.since; t < request.until; t += 60) {
    const label = labelOf(t, request.tz, request.bucket, withOffset);
    if (labels.at(-1) !== label) labels.push(label);
  }
  return labels;
}

/** What each bucket must hold, row by row from wall clocks, without SQL or bucket code. */
function oracle(rows: Row[], request: SeriesRequest, labels: string[]): Map<string, { value: number | null; count: number }> {
  const withOffset = labels.some((l) => l.length > 16);
  const groups = new Map<string, number[]>();
  for (const row of rows) {
    if (request.board !== undefined && row.board !== request.board) continue;
    if (request.sensor !== undefined && row.sensor !== request.sensor) continue;
    if (row.ts >= request.until) continue;
    // Rows before `since` count only in the first bucket, widened to start on its boundary.
    const label = labelOf(row.ts, request.tz, request.bucket, withOffset);
    if (row.ts < request.since && label !== labels[0]) continue;
    if (!labels.includes(label)) continue;
    groups.set(label, [...(groups.get(label) ?? []), row.value]);
  }
  const reduce: Record<Aggregate, (v: number[]) => number> = {
    sum: (v) => v.reduce((a, b) => a + b, 0),
    avg: (v) => v.reduce((a, b) => a + b, 0) / v.length,
    min: (v) => Math.min(...v),
    max: (v) => Math.max(...v),
    count: (v) => v.length,
  };
  return new Map(labels.map((label) => {
    const values = groups.get(label);
    return [label, values ? { value: reduce[request.agg](values), count: values.length } : { value: request.agg === 'count' ? 0 : null, count: 0 }];
  }));
}

describe.skipIf(!hasDatabase)('chart series on MariaDB', () => {
  let db: TestDatabase;
  let pool: Pool;
  const rows = seedRows();
  const base = { table: 'events', agg: 'sum' as Aggregate, bucket: 'hour' as BucketUnit, tz: 'UTC' };

  beforeAll(async () => {
    db = await freshDatabase();
    const toSql = (s: number) => new Date(s * 1000).toISOString().slice(0, 19).replace('T', ' ');
    await db.query('INSERT INTO events (ts, value, board, sensor) VALUES ?', [rows.map((r) => [toSql(r.ts), r.value, r.board, r.sensor])]);
    pool = createPool({ ...db.login, database: db.name, connectionLimit: 2, dateStrings: true });
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  it('gives the tutorial chart: SUM(value) per UTC hour, empty hours as empty bars', async () => {
    const series = await querySeries(pool, { ...base, since: at('2026-11-27T00:00:00Z'), until: at('2026-11-28T00:00:00Z') });
    expect(series.points).toHaveLength(24);
    const byLabel = Object.fromEntries(series.points.map((p) => [p.label.slice(11), p.value]));
    expect(byLabel['00:00']).toBe(0); // one row of value 0
    expect(byLabel['03:00']).toBe(3 + 2.5 + 2 + 1.5);
    expect(byLabel['05:00']).toBeNull();
    expect(byLabel['06:00']).toBeNull();
    expect(byLabel['09:00']).toBe(9 + 8.5 - 3);
    expect(byLabel['10:00']).toBe(10 + 9.5 + 9 + 7.25);
    expect(series.points[5]).toMatchObject({ start: '2026-11-27T05:00:00.000Z', end: '2026-11-27T06:00:00.000Z', count: 0 });
  });

  it('keeps both 01:00 hours of the night DST ends in New York, and 25 hours in that day', async () => {
    const request = { ...base, agg: 'count' as Aggregate, tz: 'America/New_York', since: at('2026-11-01T04:00:00Z'), until: at('2026-11-01T08:00:00Z') };
    const series = await querySeries(pool, request);
    expect(series.points.map((p) => [p.label, p.value])).toEqual([
      ['2026-11-01 00:00 -04:00', 1], // 04:xxZ
      ['2026-11-01 01:00 -04:00', 1], // 05:59:59Z only (05:xxZ is otherwise empty)
      ['2026-11-01 01:00 -05:00', 1], // 06:00:00Z, the first second of EST, only
      ['2026-11-01 02:00 -05:00', 4], // 07:xxZ
    ]);
    const day = await querySeries(pool, { ...request, bucket: 'day', since: at('2026-11-01T12:00:00Z'), until: at('2026-11-02T12:00:00Z') });
    expect(day.points[0]).toMatchObject({ label: '2026-11-01', start: '2026-11-01T04:00:00.000Z', end: '2026-11-02T05:00:00.000Z' });
    const utcHours = rows.filter((r) => r.ts >= at('2026-11-01T04:00:00Z') && r.ts < at('2026-11-02T05:00:00Z'));
    expect(day.points[0]!.value).toBe(utcHours.length);
  });

  const ranges: Array<[string, number, number]> = [
    ['DST starts', at('2026-03-07T20:00:00Z'), at('2026-03-08T12:00:00Z')],
    ['DST ends', at('2026-10-31T20:00:00Z'), at('2026-11-01T12:00:00Z')],
    ['a plain day', at('2026-11-27T00:00:00Z'), at('2026-11-28T00:00:00Z')],
  ];
  const filters: Array<Partial<SeriesRequest>> = [{}, { board: 'board-a' }, { sensor: '/3303/0/5700' }, { board: 'board-b', sensor: '/3200/0/5501' }];

  describe.each(ranges)('over %s', (_name, since, until) => {
    it.each(['UTC', 'America/New_York', 'Asia/Kolkata'])('every aggregate, bucket and filter agrees with the oracle in %s', async (tz) => {
      for (const agg of AGGREGATES) {
        for (const bucket of BUCKET_UNITS) {
          for (const filter of filters) {
            const request: SeriesRequest = { ...base, agg, bucket, tz, since, until, ...filter };
            const series = await querySeries(pool, request);
            const labels = series.points.map((p) => p.label);
            // The buckets themselves come from the wall clock, so a missing or extra bucket shows.
            expect(labels, `${agg}/${bucket}/${tz}: the buckets`).toEqual(expectedLabels(request));
            const expected = oracle(rows, request, labels);
            for (const point of series.points) {
              const want = expected.get(point.label)!;
              const context = `${agg} ${bucket} ${tz} ${JSON.stringify(filter)} ${point.label}`;
              expect(point.count, context).toBe(want.count);
              if (want.value === null) expect(point.value, context).toBeNull();
              else expect(point.value, context).toBeCloseTo(want.value, 9);
            }
            // Every row in range is in some bucket: nothing lost between buckets.
            const total = [...expected.values()].reduce((a, b) => a + b.count, 0);
            expect(series.points.reduce((a, p) => a + p.count, 0), `${agg} ${bucket} ${tz}`).toBe(total);
          }
        }
      }
    });
  });

  it('lists the boards and sensors with rows in a range', async () => {
    const sources = await querySources(pool, 'events', at('2026-11-27T00:00:00Z'), at('2026-11-28T00:00:00Z'));
    expect(sources.map((s) => `${s.board} ${s.sensor}`)).toEqual([
      'board-a /3200/0/5501',
      'board-a /3303/0/5700',
      'board-b /3200/0/5501',
      'board-b /3303/0/5700',
    ]);
    expect(sources.reduce((a, s) => a + s.count, 0)).toBe(rows.filter((r) => r.ts >= at('2026-11-27T00:00:00Z')).length);
  });
});
