// The SQL of the chart's series: the range a request covers, and one grouped query over a
// time column (the stored rows' `ts`, or the rollup's `bucket`).

import { quoteTable } from '../../templates/lambda/schema.js';
import { bucketsAndOffsets, clipSegments, toSqlDateTime, UNIT_SECONDS, type Bucket, type Segment } from '../chart/time.js';
import type { SeriesRequest } from './series.js';

/** The range a request's buckets cover: from the first bucket's start to `until`. */
export function seriesRange(request: SeriesRequest): { buckets: Bucket[]; from: number; to: number; segments: Segment[] } {
  // The UTC offsets, split where they change (DST and the like), probed once: the buckets are
  // made from them, and the query's offsets are the range's share of them.
  const { buckets, segments: around } = bucketsAndOffsets(request.since, request.until, request.bucket, request.tz);
  const from = buckets[0]?.start ?? request.since;
  const to = request.until;
  return { buckets, from, to, segments: clipSegments(around, from, Math.max(to, from + 1)) };
}

/**
 * One grouped query over a time column: the bucket key of each row (its local time by the
 * offset of the stretch it falls in, divided by the bucket's size), the given aggregates, for
 * rows in [from, to) that pass the request's board and sensor filters.
 */
export function groupedQuery(
  request: SeriesRequest,
  input: {
    table: string;
    timeColumn: 'ts' | 'bucket';
    from: number;
    to: number;
    segments: Segment[];
    aggregates: string;
    /**
     * Aggregates per distinct time first (the rollup's 15-minute buckets), then those into the
     * request's buckets: the first GROUP BY follows the rollup's primary key and streams, so the
     * per-row arithmetic and the grouping table see one row per bucket instead of one per series.
     */
    perTime?: string;
    /**
     * Group by the time column alone, where each of its values is one of the request's buckets
     * (the hourly level for an hourly chart): the grouping follows the primary key and streams.
     */
    groupByTime?: boolean;
  },
): { sql: string; values: unknown[] } {
  const time = `\`${input.timeColumn}\``;
  const { segments } = input;
  let offsetSql = '?';
  let offsetValues: unknown[] = [segments[0]!.offset];
  if (segments.length > 1) {
    offsetSql = `CASE ${segments.slice(0, -1).map(() => `WHEN ${time} < ? THEN ?`).join(' ')} ELSE ? END`;
    offsetValues = [...segments.slice(0, -1).flatMap((s) => [toSqlDateTime(s.to), s.offset]), segments.at(-1)!.offset];
  }
  const perOffset = request.bucket !== 'day';
  const filters = [`${time} >= ?`, `${time} < ?`];
  const filterValues: unknown[] = [toSqlDateTime(input.from), toSqlDateTime(input.to)];
  if (request.board !== undefined) {
    const boards = request.boardIds?.length ? request.boardIds : [request.board];
    filters.push(boards.length === 1 ? '`board` = ?' : `\`board\` IN (${boards.map(() => '?').join(', ')})`);
    filterValues.push(...boards);
  }
  if (request.sensor !== undefined) {
    filters.push('`sensor` = ?');
    filterValues.push(request.sensor);
  }
  // Seconds since 1970 from DATETIME arithmetic alone, so the session time zone never matters.
  // TO_SECONDS counts from year 0; it is several times faster than TIMESTAMPDIFF over a million rows.
  const epochSeconds = `(TO_SECONDS(${time}) - 62167219200)`;
  const where = `WHERE ${filters.join(' AND ')}`;
  const source = input.perTime
    ? `(SELECT ${time}, ${input.perTime} FROM ${quoteTable(input.table)} ${where} GROUP BY ${time}) AS per_time`
    : `${quoteTable(input.table)} ${where}`;
  const sql =
    // DIV is integer division: floor for the positive values here, without FLOOR's decimal arithmetic.
    `SELECT (${epochSeconds} + ${offsetSql}) DIV ? AS k, ${perOffset ? `${offsetSql} AS o, ` : ''}` +
    `${input.aggregates} FROM ${source} ` +
    // ORDER BY NULL: the buckets are put in order here, so the server need not sort them.
    (input.groupByTime ? `GROUP BY ${time}` : `GROUP BY k${perOffset ? ', o' : ''} ORDER BY NULL`);
  return { sql, values: [...offsetValues, UNIT_SECONDS[request.bucket], ...(perOffset ? offsetValues : []), ...filterValues] };
}
