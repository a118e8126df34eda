// The chart's hourly level: the 15-minute rollup summed per hour, for "settled" hours — hours no
// reading can arrive in any more. A year by hour then reads a quarter of the rows. The function
// accepts a reading at most OLDEST_SERVICE_TIME_MS old, so an hour that ended longer ago than
// that (plus an hour's margin for clocks and requests in flight) never changes again in the
// 15-minute rollup: summed once, it stays right, and the function never has to touch it. It is
// summed only from a complete 15-minute rollup, by the chart and by setup as time passes; its
// table comment says up to where. Pure SQL and arithmetic, shared by setup and the chart.

import { OLDEST_SERVICE_TIME_MS } from './payload.js';
import { readRollupComment, rollupShapedTableSql, type TextCollation } from './rollup.js';
import type { Query } from './schema.js';
import { companionTables, quoteTable } from './schema-names.js';
import { sqlTime } from './sql-time.js';

export const HOUR_SECONDS = 3600;
/** An hour is settled once it ended this long ago. */
export const SETTLE_AFTER_SECONDS = Math.ceil(OLDEST_SERVICE_TIME_MS / 1000) + HOUR_SECONDS;
/** Hours are summed a month at a time: each statement short, progress resumable. */
export const SETTLE_CHUNK_SECONDS = 30 * 86_400;

/** The hourly table's comment: every hour before this (epoch seconds) is summed. */
export const hourlySettled = (before: number): string => `mbed-tsdb hourly rollup: settled before ${before}`;

export function readHourlyComment(comment: string | null | undefined): number | null {
  const match = /^mbed-tsdb hourly rollup: settled before (\d+)$/.exec(comment ?? '');
  return match ? Number(match[1]) : null;
}

export function createHourlyTableSql(table: string, board: TextCollation, sensor: TextCollation): string {
  return rollupShapedTableSql(companionTables(table).rollupHour, board, sensor, hourlySettled(0));
}

/** The last hour start that is settled at `now` (epoch seconds): hours before it are. */
export const settledBefore = (now: number): number => Math.floor((now - SETTLE_AFTER_SECONDS) / HOUR_SECONDS) * HOUR_SECONDS;

/**
 * Sums the 15-minute rollup's [from, to) (hour boundaries) per hour into the hourly table.
 * Replaces what was there, so a second run — or two charts at once — writes the same rows.
 */
export function settleSql(table: string, from: number, to: number): { sql: string; values: unknown[] } {
  const { rollup, rollupHour } = companionTables(table);
  return {
    sql:
      `INSERT INTO ${quoteTable(rollupHour)} (\`bucket\`, \`board\`, \`sensor\`, \`n\`, \`total\`, \`lo\`, \`hi\`) ` +
      // DATETIME arithmetic only: the session's time zone never enters.
      `SELECT CAST('1970-01-01' AS DATETIME) + INTERVAL ((TO_SECONDS(\`bucket\`) - 62167219200) DIV ${HOUR_SECONDS}) * ${HOUR_SECONDS} SECOND AS h, ` +
      `\`board\`, \`sensor\`, SUM(\`n\`), SUM(\`total\`), MIN(\`lo\`), MAX(\`hi\`) FROM ${quoteTable(rollup)} ` +
      'WHERE `bucket` >= ? AND `bucket` < ? GROUP BY h, `board`, `sensor` ' +
      'ON DUPLICATE KEY UPDATE `n` = VALUES(`n`), `total` = VALUES(`total`), `lo` = VALUES(`lo`), `hi` = VALUES(`hi`)',
    values: [sqlTime(from * 1000), sqlTime(to * 1000)],
  };
}

/**
 * Both levels' state from their table comments, in one query: whether the 15-minute rollup is
 * complete, and up to where the hourly level is settled (0: nothing yet; null: no such table).
 */
export async function rollupLevelStatus(query: Query, table: string): Promise<{ complete: boolean; hourly: number | null }> {
  const { rollup, rollupHour } = companionTables(table);
  const rows = (await query('SELECT TABLE_NAME AS t, TABLE_COMMENT AS c FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (?, ?)', [rollup, rollupHour])) as Array<{ t: string; c: string }>;
  const comment = (name: string) => rows.find((r) => r.t === name)?.c;
  const hourly = comment(rollupHour);
  return { complete: readRollupComment(comment(rollup)).complete, hourly: hourly === undefined ? null : (readHourlyComment(hourly) ?? 0) };
}

export interface SettleOptions {
  /** Epoch seconds; the database's clock when absent (the function's is close to it, the desktop's may not be). */
  now?: number;
  /** Asked before each month: true stops there (the next run goes on). */
  stop?: () => boolean;
  onChunk?: (progress: { settledBefore: number; end: number }) => void;
}

/**
 * Settles the hours that have become settled since the last run, a month per statement, from
 * where the comment says. Nothing while the 15-minute rollup is not complete (its hours may
 * still change) or the hourly table is missing. Returns how far the hourly table then reaches.
 */
export async function settleHours(query: Query, table: string, options: SettleOptions = {}): Promise<number | null> {
  const status = await rollupLevelStatus(query, table);
  if (status.hourly === null || !status.complete) return null;
  const hourly = { settledBefore: status.hourly };
  const now = options.now ?? Number(((await query('SELECT UNIX_TIMESTAMP() AS now')) as Array<{ now: number | string }>)[0]!.now);
  const end = settledBefore(now);
  let from = hourly.settledBefore;
  if (from >= end) return from;
  if (from === 0) {
    // The first run starts at the rollup's first bucket (none: nothing to sum up to `end`).
    const [first] = (await query(`SELECT TO_SECONDS(MIN(\`bucket\`)) - 62167219200 AS lo FROM ${quoteTable(companionTables(table).rollup)}`)) as Array<{ lo: number | string | null }>;
    from = first?.lo === null || first?.lo === undefined ? end : Math.min(end, Math.floor(Number(first.lo) / HOUR_SECONDS) * HOUR_SECONDS);
  }
  while (from < end) {
    if (options.stop?.()) return hourly.settledBefore;
    const to = Math.min(from + SETTLE_CHUNK_SECONDS, end);
    const statement = settleSql(table, from, to);
    await query(statement.sql, statement.values);
    await markSettled(query, table, to);
    hourly.settledBefore = from = to;
    options.onChunk?.({ settledBefore: to, end });
  }
  if (hourly.settledBefore < end) await markSettled(query, table, end);
  return end;
}

const markSettled = (query: Query, table: string, before: number) => query(`ALTER TABLE ${quoteTable(companionTables(table).rollupHour)} COMMENT = '${hourlySettled(before)}'`);
