// The readings table in monthly partitions of `ts` (PARTITION BY RANGE COLUMNS): a month of raw
// readings goes by dropping its partition — instant, however many rows — and the recent months'
// pages are the ones inserts touch. Readings before the first month fall into the first
// partition, readings after the last month made into `p_future`, so every reading is stored
// whatever its time; maintenance splits months off `p_future` ahead of time, while it is empty
// and that costs nothing. Pure: the plan is SQL text, the caller runs it.

import { quoteTable, retiringTable } from './schema-names.js';

/** Months made ahead of the current one, so a missed maintenance run or two changes nothing. */
export const MONTHS_AHEAD = 3;
/** The partition that takes every reading after the months made (it stays empty while maintained). */
export const FUTURE_PARTITION = 'p_future';

/** A partition as information_schema.PARTITIONS gives it: its name and PARTITION_DESCRIPTION. */
export interface Partition {
  name: string;
  /** `'2027-01-01'` (MySQL), `'2027-01-01 00:00:00'` or `MAXVALUE`. */
  description: string;
  /** TABLE_ROWS: an estimate (InnoDB), used for what a plan says only. */
  rows?: number;
}

const pad = (n: number) => String(n).padStart(2, '0');
/** Months since year 0 of the UTC month `ms` falls in. */
const monthsOf = (ms: number) => new Date(ms).getUTCFullYear() * 12 + new Date(ms).getUTCMonth();
const dayMs = (day: string) => Date.parse(`${day}T00:00:00Z`);

/** The first day (UTC) of the month `offset` months after the one `ms` falls in: `YYYY-MM-01`. */
export function monthStart(ms: number, offset = 0): string {
  const date = new Date(ms);
  const month = date.getUTCFullYear() * 12 + date.getUTCMonth() + offset;
  return `${Math.floor(month / 12)}-${pad((month % 12) + 1)}-01`;
}

/** The partition holding the month that starts on `start` (`YYYY-MM-01`): `p202612`. */
export const partitionName = (start: string): string => `p${start.slice(0, 4)}${start.slice(5, 7)}`;

/** A partition's upper bound as a day (`YYYY-MM-DD`), or null for MAXVALUE. */
export function upperBound(description: string): string | null {
  if (/^\s*maxvalue\s*$/i.test(description)) return null;
  const match = /^\s*'?(\d{4}-\d{2}-\d{2})( 00:00:00)?'?\s*$/.exec(description);
  if (!match) throw new Error(`not a monthly partition bound: ${description}`);
  return match[1]!;
}

const monthPartition = (start: string) => `PARTITION ${partitionName(start)} VALUES LESS THAN ('${monthStart(dayMs(start), 1)}')`;
const futurePartition = `PARTITION ${FUTURE_PARTITION} VALUES LESS THAN (MAXVALUE)`;

/** Months a table may be made with: MySQL allows 8 192 partitions; this is seventy years. */
export const MAX_MONTHS = 840;

/**
 * The PARTITION BY clause of a new readings table: from the month `fromMs` falls in (this month by
 * default; the first also takes anything older) to MONTHS_AHEAD after this one, then `p_future`.
 */
export function partitionClause(nowMs: number, fromMs: number = nowMs): string {
  const first = Math.max(Math.min(monthsOf(fromMs), monthsOf(nowMs)), monthsOf(nowMs) - MAX_MONTHS);
  const count = monthsOf(nowMs) - first + MONTHS_AHEAD + 1;
  const months = Array.from({ length: count }, (_, i) => monthPartition(monthStart(nowMs, first - monthsOf(nowMs) + i)));
  return `PARTITION BY RANGE COLUMNS(\`ts\`) (${[...months, futurePartition].join(', ')})`;
}

export interface MaintenancePlan {
  /** Months split off p_future (their first days), oldest first. */
  add: string[];
  /** Partitions dropped: every reading in them is older than the raw readings kept. */
  drop: string[];
  /** Readings the dropped partitions hold (the server's estimate). */
  dropRows: number;
  /** From when raw readings are kept after the plan runs (`YYYY-MM-DD`), or null when nothing is dropped. */
  rawFrom: string | null;
  statements: string[];
}

/**
 * What maintenance does to a partitioned table at `nowMs`: the months up to MONTHS_AHEAD from now
 * split off p_future, and with `keepRawMs` the partitions whose upper bound is at or before
 * `now - keepRawMs` dropped (all their rows are older; the rollups keep their sums). It never drops
 * p_future, the partition holding now, or the only partition left; a table not partitioned by
 * month (no p_future) gets no plan.
 */
export function maintenancePlan(table: string, partitions: readonly Partition[], nowMs: number, keepRawMs: number | null): MaintenancePlan {
  const dated = partitions
    .filter((p) => p.name !== FUTURE_PARTITION)
    .map((p) => ({ ...p, bound: upperBound(p.description) }))
    .filter((p): p is typeof p & { bound: string } => p.bound !== null)
    .sort((a, b) => (a.bound < b.bound ? -1 : 1));
  const none: MaintenancePlan = { add: [], drop: [], dropRows: 0, rawFrom: null, statements: [] };
  if (!partitions.some((p) => p.name === FUTURE_PARTITION) || dated.length === 0) return none;
  const add: string[] = [];
  const wanted = monthStart(nowMs, MONTHS_AHEAD + 1);
  for (let start = dated.at(-1)!.bound; start < wanted; start = monthStart(dayMs(start), 1)) add.push(start);
  const thisMonth = monthStart(nowMs);
  const cutoff = keepRawMs === null ? null : nowMs - keepRawMs;
  // Months split off a p_future that held rows (maintenance missed for months) may be old enough
  // to go at once: they are made, then dropped with the rest. The partition holding now (a month
  // made ahead at the least) always stays below p_future.
  const future = partitions.find((p) => p.name === FUTURE_PARTITION)!;
  const months = [...dated, ...add.map((start) => ({ name: partitionName(start), description: '', rows: 0, bound: monthStart(dayMs(start), 1) }))];
  const dropped = cutoff === null ? [] : months.filter((p) => dayMs(p.bound) <= cutoff && p.bound <= thisMonth);
  // What p_future held is not known month by month: all of it counted where its first month goes.
  const fromFuture = dropped.some((p) => add.includes(monthStart(dayMs(p.bound), -1))) ? Number(future.rows ?? 0) : 0;
  const statements: string[] = [];
  if (add.length > 0) {
    statements.push(`ALTER TABLE ${quoteTable(table)} REORGANIZE PARTITION ${FUTURE_PARTITION} INTO (${[...add.map(monthPartition), futurePartition].join(', ')})`);
  }
  if (dropped.length > 0) statements.push(...retireStatements(table, dropped.map((p) => p.name)));
  return {
    add,
    drop: dropped.map((p) => p.name),
    dropRows: dropped.reduce((sum, p) => sum + (p.rows ?? 0), 0) + fromFuture,
    rawFrom: dropped.at(-1)?.bound ?? null,
    statements,
  };
}

/**
 * Partitions dropped without holding up the webhook: DROP PARTITION deletes the partition's file
 * while it holds the table's metadata lock, and a month's file takes over a second to delete (1.3 s
 * for 26 million readings on this machine's disk), every insert waiting behind it. Each partition
 * is first swapped with an empty table of the same shape (EXCHANGE PARTITION: a rename of files, in
 * milliseconds), so the partitions dropped from the readings table are empty, and the file is
 * deleted with the side table, which nobody else uses. A side table left by a run stopped half-way
 * holds rows the table's comment already says are gone: it is dropped first.
 */
function retireStatements(table: string, partitions: readonly string[]): string[] {
  const events = quoteTable(table);
  const retiring = quoteTable(retiringTable(table));
  return [
    ...partitions.flatMap((name) => [
      `DROP TABLE IF EXISTS ${retiring}`,
      `CREATE TABLE ${retiring} LIKE ${events}`,
      `ALTER TABLE ${retiring} REMOVE PARTITIONING`,
      `ALTER TABLE ${events} EXCHANGE PARTITION ${name} WITH TABLE ${retiring}`,
    ]),
    `ALTER TABLE ${events} DROP PARTITION ${partitions.join(', ')}`,
    `DROP TABLE IF EXISTS ${retiring}`,
  ];
}

/** The table's partitions, in order (none: the table is not partitioned). */
export const PARTITIONS_SQL =
  'SELECT PARTITION_NAME AS name, PARTITION_DESCRIPTION AS description, TABLE_ROWS AS `rows` FROM information_schema.PARTITIONS ' +
  'WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND PARTITION_NAME IS NOT NULL ORDER BY PARTITION_ORDINAL_POSITION';
