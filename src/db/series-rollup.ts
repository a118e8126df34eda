// The chart from the rollup: settled whole hours from the hourly levels (where the zone's hours
// are whole UTC hours), other whole 15-minute buckets from the rollup table, the stored rows
// only for the partial buckets at the edges of the range — the same answer as the raw query
// (an hour or a day in any time zone is whole 15-minute buckets), at a fraction of the rows.

import { ROLLUP_SECONDS } from '../../templates/lambda/rollup.js';
import { HOUR_LEVELS, HOUR_SECONDS, rollupLevelStatus, settledBefore, settleHours, type HourLevels } from '../../templates/lambda/rollup-hours.js';
import type { Query } from '../../templates/lambda/schema.js';
import { companionTables } from '../../templates/lambda/schema.js';
import type { SeriesRequest } from './series.js';
import { bucketFinder, emptyValues, type BucketValues } from './series-buckets.js';
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
 * null where the rollup cannot answer: buckets of a minute. `hours`: up to where each hourly
 * level is settled (see rollup-hours); they answer in zones whose offsets, and the instants
 * they change at, are whole hours there: a chart of every board reads the per-sensor level, a
 * chart of one board the per-series one, as far as each is settled; the 15-minute rollup the rest.
 */
export function planRollupSeries(request: SeriesRequest, hours: HourLevels | null = null): RollupPlan | null {
  if (request.bucket === 'minute') return null;
  const { buckets, from, to, segments } = seriesRange(request);
  const middleFrom = Math.ceil(from / ROLLUP_SECONDS) * ROLLUP_SECONDS;
  const middleTo = Math.floor(to / ROLLUP_SECONDS) * ROLLUP_SECONDS;
  const sql = partialSql(request.agg);
  const rows = (a: number, b: number) => groupedQuery(request, { table: request.table, timeColumn: 'ts', from: a, to: b, segments, aggregates: sql.fromRows });
  if (middleTo <= middleFrom) return { buckets, parts: [rows(from, to)] };
  const { rollup, rollupHour, sensorHours } = companionTables(request.table);
  const level = (table: string, a: number, b: number) =>
    // An hour of an hourly level is one bucket of an hourly chart: its rows group by their
    // time alone, along the primary key, with no second grouping.
    table !== rollup && request.bucket === 'hour'
      ? groupedQuery(request, { table, timeColumn: 'bucket', from: a, to: b, segments, aggregates: sql.perBucket, groupByTime: true })
      : groupedQuery(request, { table, timeColumn: 'bucket', from: a, to: b, segments, perTime: sql.perBucket, aggregates: sql.fromPerBucket });
  const parts = [];
  const hourFrom = Math.ceil(middleFrom / HOUR_SECONDS) * HOUR_SECONDS;
  const hourTo = Math.floor(middleTo / HOUR_SECONDS) * HOUR_SECONDS;
  const wholeHours = segments.every((s, i) => s.offset % HOUR_SECONDS === 0 && (i === segments.length - 1 || s.to % HOUR_SECONDS === 0));
  let reached = middleFrom;
  if (wholeHours && hourFrom < hourTo) {
    // Every board: the per-sensor level (the per-series one is keyed for seeking one board).
    const [table, before] = request.board === undefined ? [sensorHours, hours?.sensor] : [rollupHour, hours?.series];
    const upTo = Math.min(hourTo, before ?? -Infinity);
    if (upTo > hourFrom) {
      if (middleFrom < hourFrom) parts.push(level(rollup, middleFrom, hourFrom));
      parts.push(level(table, hourFrom, upTo));
      reached = upTo;
    }
  }
  if (reached < middleTo) parts.push(level(rollup, reached, middleTo));
  if (from < middleFrom) parts.push(rows(from, middleFrom));
  if (middleTo < to) parts.push(rows(middleTo, to));
  return { buckets, parts };
}

/** What the chart may read: the rollup once complete; each hourly level as far as it is settled. */
export interface RollupLevels {
  complete: boolean;
  hours: HourLevels | null;
  /** Raw readings before this day are gone (setup --keep-raw); null: all kept. */
  rawFrom: string | null;
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
  if (!status.complete) return { complete: false, hours: null, rawFrom: status.rawFrom };
  let hours = status.hours;
  const now = Date.now();
  const due = settledBefore(now / 1000);
  const behind = HOUR_LEVELS.some((level) => hours[level] !== null && hours[level]! < due);
  if (settle && behind && now - (lastSettled.get(settle.key) ?? -Infinity) >= SETTLE_EVERY_MS) {
    lastSettled.set(settle.key, now);
    const deadline = now + SETTLE_BUDGET_MS;
    hours = (await settleHours(query, table, { stop: () => Date.now() >= deadline }).catch(() => null)) ?? hours;
  }
  return { complete: true, hours, rawFrom: status.rawFrom };
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

/** The parts' rows merged per bucket into the request's aggregate, as the raw query's rows give it. */
export function mergeRollupRows(request: SeriesRequest, buckets: Bucket[], parts: PartRow[][]): BucketValues {
  const combine = COMBINE[request.agg];
  const values = emptyValues(buckets.length);
  const { n, v } = values;
  const find = bucketFinder(request, buckets);
  for (const part of parts) {
    for (const row of part) {
      const count = Number(row.n);
      const i = count === 0 ? -1 : find(row.k, row.o);
      if (i < 0) continue;
      const value = Number(row.v ?? 0);
      v[i] = n[i] === 0 ? value : combine(v[i]!, value);
      n[i] = n[i]! + count;
    }
  }
  for (let i = 0; i < buckets.length; i++) {
    if (n[i] === 0) continue;
    if (request.agg === 'count') v[i] = n[i]!;
    else if (request.agg === 'avg') v[i] = v[i]! / n[i]!;
  }
  return values;
}
