// The chart from the rollup: whole 15-minute buckets from the rollup table, the stored rows
// only for the partial buckets at the edges of the range — the same answer as the raw query
// (an hour or a day in any time zone is whole 15-minute buckets), at a fraction of the rows.

import { ROLLUP_SECONDS } from '../../templates/lambda/rollup.js';
import { companionTables } from '../../templates/lambda/schema.js';
import type { SeriesRequest, SeriesRow } from './series.js';
import { groupedQuery, seriesRange } from './series-sql.js';
import type { Bucket } from '../chart/time.js';

export interface RollupPlan {
  buckets: Bucket[];
  /** Each returns k, [o,] n, s, lo, hi. */
  parts: Array<{ sql: string; values: unknown[] }>;
}

const FROM_ROWS = 'COUNT(*) AS n, SUM(`value`) AS s, MIN(`value`) AS lo, MAX(`value`) AS hi';
const ROLLUP_PER_BUCKET = 'SUM(`n`) AS n, SUM(`total`) AS s, MIN(`lo`) AS lo, MAX(`hi`) AS hi';
const FROM_ROLLUP = 'SUM(n) AS n, SUM(s) AS s, MIN(lo) AS lo, MAX(hi) AS hi';

/** null where the rollup cannot answer: buckets of a minute. */
export function planRollupSeries(request: SeriesRequest): RollupPlan | null {
  if (request.bucket === 'minute') return null;
  const { buckets, from, to, segments } = seriesRange(request);
  const middleFrom = Math.ceil(from / ROLLUP_SECONDS) * ROLLUP_SECONDS;
  const middleTo = Math.floor(to / ROLLUP_SECONDS) * ROLLUP_SECONDS;
  const rows = (a: number, b: number) => groupedQuery(request, { table: request.table, timeColumn: 'ts', from: a, to: b, segments, aggregates: FROM_ROWS });
  if (middleTo <= middleFrom) return { buckets, parts: [rows(from, to)] };
  const parts = [groupedQuery(request, { table: companionTables(request.table).rollup, timeColumn: 'bucket', from: middleFrom, to: middleTo, segments, perTime: ROLLUP_PER_BUCKET, aggregates: FROM_ROLLUP })];
  if (from < middleFrom) parts.push(rows(from, middleFrom));
  if (middleTo < to) parts.push(rows(middleTo, to));
  return { buckets, parts };
}

interface PartRow {
  k: number | string;
  o?: number | string;
  n: number | string;
  s: number | string | null;
  lo: number | string | null;
  hi: number | string | null;
}

/** The parts' rows merged per bucket, as the raw query's rows for the request's aggregate. */
export function mergeRollupRows(request: SeriesRequest, parts: PartRow[][]): SeriesRow[] {
  const merged = new Map<string, { k: number | string; o?: number | string; n: number; s: number; lo: number; hi: number }>();
  for (const row of parts.flat()) {
    const n = Number(row.n);
    if (n === 0) continue;
    const key = `${row.k}:${row.o ?? ''}`;
    const found = merged.get(key);
    const s = Number(row.s);
    const lo = Number(row.lo);
    const hi = Number(row.hi);
    if (!found) merged.set(key, { k: row.k, ...(row.o !== undefined ? { o: row.o } : {}), n, s, lo, hi });
    else {
      found.n += n;
      found.s += s;
      found.lo = Math.min(found.lo, lo);
      found.hi = Math.max(found.hi, hi);
    }
  }
  const value = { sum: (r: { s: number }) => r.s, count: (r: { n: number }) => r.n, avg: (r: { s: number; n: number }) => r.s / r.n, min: (r: { lo: number }) => r.lo, max: (r: { hi: number }) => r.hi }[request.agg];
  return [...merged.values()].map((r) => ({ k: r.k, ...(r.o !== undefined ? { o: r.o } : {}), v: value(r as never), n: r.n }));
}
