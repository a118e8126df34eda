// The chart from the rollup: settled whole hours from the hourly level (where the zone's hours
// are whole UTC hours), other whole 15-minute buckets from the rollup table, the stored rows
// only for the partial buckets at the edges of the range — the same answer as the raw query
// (an hour or a day in any time zone is whole 15-minute buckets), at a fraction of the rows.

import { ROLLUP_SECONDS } from '../../templates/lambda/rollup.js';
import { HOUR_SECONDS, rollupLevelStatus, settledBefore, settleHours } from '../../templates/lambda/rollup-hours.js';
import type { Query } from '../../templates/lambda/schema.js';
import { companionTables } from '../../templates/lambda/schema.js';
import type { SeriesRequest, SeriesRow } from './series.js';
import { groupedQuery, seriesRange } from './series-sql.js';
import type { Bucket } from '../chart/time.js';

export interface RollupPlan {
  buckets: Bucket[];
  /** Each returns k, [o,] n and, unless counting, v: the sum, minimum or maximum its rows hold. */
  parts: Array<{ sql: string; values: unknown[] }>;
}

type Aggregate = SeriesRequest['agg'];
/** What each part returns beside the count: only what the request's aggregate needs. */
const PARTIAL: Record<Aggregate, { rows: string; rollup: string; merge: string } | null> = {
  count: null,
  sum: { rows: 'SUM(`value`)', rollup: 'SUM(`total`)', merge: 'SUM(v)' },
  avg: { rows: 'SUM(`value`)', rollup: 'SUM(`total`)', merge: 'SUM(v)' },
  min: { rows: 'MIN(`value`)', rollup: 'MIN(`lo`)', merge: 'MIN(v)' },
  max: { rows: 'MAX(`value`)', rollup: 'MAX(`hi`)', merge: 'MAX(v)' },
};

function partialSql(agg: Aggregate): { fromRows: string; perBucket: string; fromPerBucket: string } {
  const partial = PARTIAL[agg];
  const v = (sql: string | undefined) => (sql ? `, ${sql} AS v` : '');
  return {
    fromRows: `COUNT(*) AS n${v(partial?.rows)}`,
    perBucket: `SUM(\`n\`) AS n${v(partial?.rollup)}`,
    fromPerBucket: `SUM(n) AS n${v(partial?.merge)}`,
  };
}

/**
 * null where the rollup cannot answer: buckets of a minute. `hourlyBefore`: the hourly level is
 * settled before this instant (epoch seconds), or null when there is none; it answers in zones
 * whose offsets, and the instants they change at, are whole hours there.
 */
export function planRollupSeries(request: SeriesRequest, hourlyBefore: number | null = null): RollupPlan | null {
  if (request.bucket === 'minute') return null;
  const { buckets, from, to, segments } = seriesRange(request);
  const middleFrom = Math.ceil(from / ROLLUP_SECONDS) * ROLLUP_SECONDS;
  const middleTo = Math.floor(to / ROLLUP_SECONDS) * ROLLUP_SECONDS;
  const sql = partialSql(request.agg);
  const rows = (a: number, b: number) => groupedQuery(request, { table: request.table, timeColumn: 'ts', from: a, to: b, segments, aggregates: sql.fromRows });
  if (middleTo <= middleFrom) return { buckets, parts: [rows(from, to)] };
  const { rollup, rollupHour } = companionTables(request.table);
  const level = (table: string, a: number, b: number) =>
    // An hour of the hourly level is one bucket of an hourly chart: its rows group by their
    // time alone, along the primary key, with no second grouping.
    table === rollupHour && request.bucket === 'hour'
      ? groupedQuery(request, { table, timeColumn: 'bucket', from: a, to: b, segments, aggregates: sql.perBucket, groupByTime: true })
      : groupedQuery(request, { table, timeColumn: 'bucket', from: a, to: b, segments, perTime: sql.perBucket, aggregates: sql.fromPerBucket });
  const parts = [];
  const hourFrom = Math.ceil(middleFrom / HOUR_SECONDS) * HOUR_SECONDS;
  const hourTo = Math.min(Math.floor(middleTo / HOUR_SECONDS) * HOUR_SECONDS, hourlyBefore ?? -Infinity);
  const wholeHours = segments.every((s, i) => s.offset % HOUR_SECONDS === 0 && (i === segments.length - 1 || s.to % HOUR_SECONDS === 0));
  if (wholeHours && hourFrom < hourTo) {
    parts.push(level(rollupHour, hourFrom, hourTo));
    if (middleFrom < hourFrom) parts.push(level(rollup, middleFrom, hourFrom));
    if (hourTo < middleTo) parts.push(level(rollup, hourTo, middleTo));
  } else {
    parts.push(level(rollup, middleFrom, middleTo));
  }
  if (from < middleFrom) parts.push(rows(from, middleFrom));
  if (middleTo < to) parts.push(rows(middleTo, to));
  return { buckets, parts };
}

/** What the chart may read: the rollup once complete; the hourly level before `hourlyBefore`. */
export interface RollupLevels {
  complete: boolean;
  hourlyBefore: number | null;
}

/** A chart settles new hours for at most this long (ms); the next chart goes on from there. */
const SETTLE_BUDGET_MS = 500;
/** …and tries at most this often per pool (ms): the dashboard charts every few seconds. */
const SETTLE_EVERY_MS = 60_000;
const lastSettled = new WeakMap<object, number>();

/**
 * The levels the chart may read, in one small query. With `settle`, hours that have become
 * settled since are summed first, within a budget. Settling is only an optimisation: where it
 * fails (a user without ALTER or INSERT, a read-only replica), the chart reads the 15-minute
 * rollup for those hours instead, with the same answer.
 */
export async function rollupLevels(query: Query, table: string, settle?: { key: object }): Promise<RollupLevels> {
  const status = await rollupLevelStatus(query, table);
  if (!status.complete) return { complete: false, hourlyBefore: null };
  if (status.hourly === null) return { complete: true, hourlyBefore: null };
  let before = status.hourly;
  const now = Date.now();
  if (settle && before < settledBefore(now / 1000) && now - (lastSettled.get(settle.key) ?? -Infinity) >= SETTLE_EVERY_MS) {
    lastSettled.set(settle.key, now);
    const deadline = now + SETTLE_BUDGET_MS;
    before = (await settleHours(query, table, { stop: () => Date.now() >= deadline }).catch(() => null)) ?? before;
  }
  return { complete: true, hourlyBefore: before > 0 ? before : null };
}

interface PartRow {
  k: number | string;
  o?: number | string;
  n: number | string;
  v?: number | string | null;
}

const COMBINE: Record<Aggregate, (a: number, b: number) => number> = {
  count: (a) => a,
  sum: (a, b) => a + b,
  avg: (a, b) => a + b,
  min: Math.min,
  max: Math.max,
};

/** The parts' rows merged per bucket, as the raw query's rows for the request's aggregate. */
export function mergeRollupRows(request: SeriesRequest, parts: PartRow[][]): SeriesRow[] {
  const combine = COMBINE[request.agg];
  const merged = new Map<string, { k: number | string; o?: number | string; n: number; v: number }>();
  for (const part of parts) {
    for (const row of part) {
      const n = Number(row.n);
      if (n === 0) continue;
      const key = row.o === undefined ? String(row.k) : `${row.k}:${row.o}`;
      const v = Number(row.v ?? 0);
      const found = merged.get(key);
      if (!found) merged.set(key, row.o === undefined ? { k: row.k, n, v } : { k: row.k, o: row.o, n, v });
      else {
        found.n += n;
        found.v = combine(found.v, v);
      }
    }
  }
  const value = request.agg === 'count' ? (r: { n: number }) => r.n : request.agg === 'avg' ? (r: { n: number; v: number }) => r.v / r.n : (r: { v: number }) => r.v;
  const out: SeriesRow[] = [];
  for (const r of merged.values()) out.push(r.o === undefined ? { k: r.k, v: value(r), n: r.n } : { k: r.k, o: r.o, v: value(r), n: r.n });
  return out;
}
