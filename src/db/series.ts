// The chart's series: one aggregate per time bucket, computed by the database (GROUP BY
// over the indexed `ts`), never by pulling raw rows. Buckets without rows are filled here.

import type { Pool } from 'mysql2/promise';
import { quoteTable } from '../../templates/lambda/schema.js';
import { rawReadingsFrom } from '../../templates/lambda/maintenance.js';
import { boardsNamed, deviceNames, poolQuery } from './devices.js';
import { formatWithOffset, formatOffset, isoSeconds, toSqlDateTime, type Bucket, type BucketUnit } from '../chart/time.js';
import { groupedQuery, seriesRange } from './series-sql.js';
import { mergeRollupRows, planRollupSeries, rollupLevels } from './series-rollup.js';
import { bucketFinder, emptyValues, type BucketValues } from './series-buckets.js';

export type Aggregate = 'sum' | 'avg' | 'min' | 'max' | 'count';
export const AGGREGATES: readonly Aggregate[] = ['sum', 'avg', 'min', 'max', 'count'];

const AGGREGATE_SQL: Record<Aggregate, string> = {
  sum: 'SUM(`value`)',
  avg: 'AVG(`value`)',
  min: 'MIN(`value`)',
  max: 'MAX(`value`)',
  count: 'COUNT(*)',
};

export interface SeriesRequest {
  /** Epoch seconds; the first bucket is widened to start on its boundary. */
  since: number;
  /** Epoch seconds, exclusive. */
  until: number;
  bucket: BucketUnit;
  tz: string;
  agg: Aggregate;
  board?: string | undefined;
  /** The device IDs `board` stands for (itself, and devices that call themselves that); see querySeries. */
  boardIds?: string[] | undefined;
  sensor?: string | undefined;
  table: string;
}

export interface SeriesPoint {
  /** ISO 8601 UTC. */
  start: string;
  end: string;
  /** Local time in the request's zone, e.g. "2026-11-28 10:00". */
  label: string;
  /** null when the bucket has no rows (count: 0). */
  value: number | null;
  count: number;
}

export interface Series {
  table: string;
  agg: Aggregate;
  bucket: BucketUnit;
  tz: string;
  since: string;
  until: string;
  board: string | null;
  /** When `board` is a name: the device IDs it stands for. */
  boardIds?: string[];
  sensor: string | null;
  points: SeriesPoint[];
  /**
   * Raw readings before this day are gone (setup --keep-raw), and the chart starts before it: a
   * minute chart shows nothing before it; hours and days come from the rollups, but for the raw
   * readings of a bucket the range cuts (its start, when not on a bucket's).
   */
  rawFrom?: string;
}

export interface SeriesPlan {
  buckets: Bucket[];
  sql: string;
  values: unknown[];
}

/** The buckets and the one parameterised query over the stored rows that fills them. */
export function planSeries(request: SeriesRequest): SeriesPlan {
  const { buckets, from, to, segments } = seriesRange(request);
  const { sql, values } = groupedQuery(request, { table: request.table, timeColumn: 'ts', from, to, segments, aggregates: `${AGGREGATE_SQL[request.agg]} AS v, COUNT(*) AS n` });
  return { buckets, sql, values };
}

export interface SeriesRow {
  k: number | string;
  o?: number | string;
  v: number | string | null;
  n: number | string;
}

/** Every bucket in order, with the database's aggregate or an empty value. */
export function assembleSeries(request: SeriesRequest, buckets: Bucket[], rows: SeriesRow[]): Series {
  const values = emptyValues(buckets.length);
  const find = bucketFinder(request, buckets);
  for (const row of rows) {
    const i = find(row.k, row.o);
    if (i < 0) continue;
    values.n[i] = Number(row.n);
    values.v[i] = row.v === null ? NaN : Number(row.v);
  }
  return seriesOf(request, buckets, values);
}

/** The series of a request whose buckets hold these values. */
export function seriesOf(request: SeriesRequest, buckets: Bucket[], values: BucketValues): Series {
  const offsets = new Set(buckets.map((b) => b.offset));
  let previousEnd = '';
  const showOffset = request.bucket !== 'day' && offsets.size > 1;
  const empty = request.agg === 'count' ? 0 : null;
  return {
    table: request.table,
    agg: request.agg,
    bucket: request.bucket,
    tz: request.tz,
    since: isoSeconds(request.since),
    until: isoSeconds(request.until),
    board: request.board ?? null,
    ...(request.boardIds && request.boardIds.length > 1 ? { boardIds: request.boardIds.slice(1) } : {}),
    sensor: request.sensor ?? null,
    points: buckets.map((bucket, i) => {
      const v = values.v[i]!;
      const label = formatWithOffset(bucket.start, bucket.offset, request.bucket);
      return {
        // Buckets follow each other: a start is mostly the end before it, written once.
        start: i > 0 && buckets[i - 1]!.end === bucket.start ? previousEnd : isoSeconds(bucket.start),
        end: (previousEnd = isoSeconds(bucket.end)),
        label: showOffset ? `${label} ${formatOffset(bucket.offset)}` : label,
        value: Number.isNaN(v) ? empty : v,
        count: values.n[i]!,
      };
    }),
  };
}

/**
 * The series; a `board` is first looked up as a device name too (one small query). Hours and
 * days come from the rollup once setup has filled it (settled hours from its hourly level),
 * the edges of the range from the rows. Unless told not to, it first sums the hours that have
 * become settled since (see rollupLevels).
 */
export async function querySeries(pool: Pick<Pool, 'query'>, request: SeriesRequest, plan?: SeriesPlan, options: { settleHours?: boolean } = {}): Promise<Series> {
  let resolved = request;
  if (request.board !== undefined && request.boardIds === undefined) {
    resolved = { ...request, boardIds: await boardsNamed(poolQuery(pool), request.table, request.board) };
    plan = undefined;
  }
  if (resolved.bucket === 'minute') {
    plan ??= planSeries(resolved);
    const [rows] = await pool.query(plan.sql, plan.values);
    const series = assembleSeries(resolved, plan.buckets, rows as SeriesRow[]);
    // Minutes come from raw readings alone: a chart that starts empty may start before those
    // kept (setup --keep-raw), which is then said. One that starts with readings does not.
    if (series.points[0]?.count !== 0) return series;
    const rawFrom = await rawReadingsFrom(poolQuery(pool), resolved.table);
    return rawFrom && Date.parse(`${rawFrom}T00:00:00Z`) / 1000 > resolved.since ? { ...series, rawFrom } : series;
  }
  const levels = await rollupLevels(poolQuery(pool), resolved.table, options.settleHours === false ? undefined : { key: pool });
  const rollupPlan = levels.complete ? planRollupSeries(resolved, levels.hours) : null;
  // Rows read at the range's edges (and everything, without a complete rollup) before the raw
  // readings kept are gone: the chart says so.
  const reachesBeforeRaw = levels.rawFrom !== null && Date.parse(`${levels.rawFrom}T00:00:00Z`) / 1000 > resolved.since ? { rawFrom: levels.rawFrom } : {};
  if (rollupPlan) {
    const parts = [];
    for (const part of rollupPlan.parts) parts.push((await pool.query(part.sql, part.values))[0] as never[]);
    return { ...seriesOf(resolved, rollupPlan.buckets, mergeRollupRows(resolved, rollupPlan.buckets, parts)), ...reachesBeforeRaw };
  }
  plan ??= planSeries(resolved);
  const [rows] = await pool.query(plan.sql, plan.values);
  return { ...assembleSeries(resolved, plan.buckets, rows as SeriesRow[]), ...reachesBeforeRaw };
}

export interface SeriesSource {
  board: string;
  /** The name the device gave itself, when the board is stored by device ID. */
  name?: string;
  sensor: string;
  count: number;
  last: string;
}

/** The boards and sensors with rows in the range, for the dashboard's filters. */
export async function querySources(pool: Pick<Pool, 'query'>, table: string, since: number, until: number): Promise<SeriesSource[]> {
  const [rows] = await pool.query(
    `SELECT \`board\`, \`sensor\`, COUNT(*) AS count, MAX(\`ts\`) AS last FROM ${quoteTable(table)} ` +
      'WHERE `ts` >= ? AND `ts` < ? GROUP BY `board`, `sensor` ORDER BY `board`, `sensor` LIMIT 500',
    [toSqlDateTime(since), toSqlDateTime(until)],
  );
  const found = rows as Array<{ board: string; sensor: string; count: number | string; last: string }>;
  const names = await deviceNames(poolQuery(pool), table, found.map((r) => r.board));
  return found.map((r) => ({
    board: r.board,
    ...(names.has(r.board) ? { name: names.get(r.board)! } : {}),
    sensor: r.sensor,
    count: Number(r.count),
    last: String(r.last),
  }));
}
