// The chart's hourly levels: the 15-minute rollup summed per hour, for "settled" hours — hours no
// reading can arrive in any more — once per series, and once per sensor across all boards (what
// a chart of every board reads: a row an hour per sensor however many boards report). A year by
// hour then reads a quarter of the rows, or a board count's fraction of that. The function
// accepts a reading at most OLDEST_SERVICE_TIME_MS old, so an hour that ended longer ago than
// that (plus an hour's margin for clocks and requests in flight) never changes again in the
// 15-minute rollup: summed once, it stays right, and the function never has to touch it. They are
// summed only from a complete 15-minute rollup, by the chart and by setup as time passes; each
// table's comment says up to where. Pure SQL and arithmetic, shared by setup and the chart.

import { OLDEST_SERVICE_TIME_MS } from './payload.js';
import { readRollupComment, rollupShapedTableSql, type TextCollation } from './rollup.js';
import type { Query } from './schema.js';
import { companionTables, quoteTable } from './schema-names.js';
import { readRawFrom } from './maintenance.js';
import { sqlTime } from './sql-time.js';

export const HOUR_SECONDS = 3600;
/** An hour is settled once it ended this long ago. */
export const SETTLE_AFTER_SECONDS = Math.ceil(OLDEST_SERVICE_TIME_MS / 1000) + HOUR_SECONDS;
/** Hours are summed a month at a time: each statement short, progress resumable. */
export const SETTLE_CHUNK_SECONDS = 30 * 86_400;

/** An hourly table's comment: every hour before this (epoch seconds) is summed. */
export const hourlySettled = (before: number): string => `mbed-tsdb hourly rollup: settled before ${before}`;

export function readHourlyComment(comment: string | null | undefined): number | null {
  const match = /^mbed-tsdb hourly rollup: settled before (\d+)$/.exec(comment ?? '');
  return match ? Number(match[1]) : null;
}

/** The hourly levels: per series (board and sensor), and per sensor across boards. */
export type HourLevel = 'series' | 'sensor';
export const HOUR_LEVELS: readonly HourLevel[] = ['series', 'sensor'];
/** Per level, every hour before this (epoch seconds) is summed; 0: nothing yet; null: no such table. */
export type HourLevels = Record<HourLevel, number | null>;

const levelTable = (table: string, level: HourLevel): string => (level === 'series' ? companionTables(table).rollupHour : companionTables(table).sensorHours);
const levelKeys = (level: HourLevel): string => (level === 'series' ? '`board`, `sensor`' : '`sensor`');

/**
 * The per-series level serves charts of one board only (every board reads the per-sensor one):
 * keyed by board, sensor and time, such a chart seeks its board's rows instead of reading every
 * board's hours in the range.
 */
export function createHourlyTableSql(table: string, level: HourLevel, board: TextCollation, sensor: TextCollation): string {
  const series = level === 'series';
  return rollupShapedTableSql(levelTable(table, level), series ? board : null, sensor, hourlySettled(0), series);
}

/**
 * Makes the hourly levels that are missing. A per-series level keyed by time first (as the
 * first version made it) is made again, empty: it holds nothing that cannot be summed again
 * from the 15-minute rollup, and the next setup or chart does.
 */
export async function ensureHourlyTables(query: Query, table: string, board: TextCollation, sensor: TextCollation): Promise<void> {
  const series = levelTable(table, 'series');
  const first = (await query("SELECT COLUMN_NAME AS c FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND INDEX_NAME = 'PRIMARY' AND SEQ_IN_INDEX = 1", [series])) as Array<{ c: string }>;
  if (first[0] && first[0].c.toLowerCase() === 'bucket') await query(`DROP TABLE ${quoteTable(series)}`);
  for (const level of HOUR_LEVELS) await query(createHourlyTableSql(table, level, board, sensor));
}

/** The last hour start that is settled at `now` (epoch seconds): hours before it are. */
export const settledBefore = (now: number): number => Math.floor((now - SETTLE_AFTER_SECONDS) / HOUR_SECONDS) * HOUR_SECONDS;

/**
 * Sums the 15-minute rollup's [from, to) (hour boundaries) per hour into a level's table.
 * Replaces what was there, so a second run — or two charts at once — writes the same rows.
 */
export function settleSql(table: string, level: HourLevel, from: number, to: number): { sql: string; values: unknown[] } {
  const keys = levelKeys(level);
  return {
    sql:
      `INSERT INTO ${quoteTable(levelTable(table, level))} (\`bucket\`, ${keys}, \`n\`, \`total\`, \`lo\`, \`hi\`) ` +
      // DATETIME arithmetic only: the session's time zone never enters.
      `SELECT CAST('1970-01-01' AS DATETIME) + INTERVAL ((TO_SECONDS(\`bucket\`) - 62167219200) DIV ${HOUR_SECONDS}) * ${HOUR_SECONDS} SECOND AS h, ` +
      `${keys}, SUM(\`n\`), SUM(\`total\`), MIN(\`lo\`), MAX(\`hi\`) FROM ${quoteTable(companionTables(table).rollup)} ` +
      `WHERE \`bucket\` >= ? AND \`bucket\` < ? GROUP BY h, ${keys} ` +
      'ON DUPLICATE KEY UPDATE `n` = VALUES(`n`), `total` = VALUES(`total`), `lo` = VALUES(`lo`), `hi` = VALUES(`hi`)',
    values: [sqlTime(from * 1000), sqlTime(to * 1000)],
  };
}

/**
 * Every level's state from the table comments, in one query: whether the 15-minute rollup exists
 * and is complete, up to where each hourly level is settled, and from when the raw readings are kept.
 */
export async function rollupLevelStatus(query: Query, table: string): Promise<{ exists: boolean; complete: boolean; hours: HourLevels; rawFrom: string | null }> {
  const { rollup } = companionTables(table);
  const names = [rollup, ...HOUR_LEVELS.map((level) => levelTable(table, level)), table];
  const rows = (await query('SELECT TABLE_NAME AS t, TABLE_COMMENT AS c FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (?, ?, ?, ?)', names)) as Array<{ t: string; c: string }>;
  const comment = (name: string) => rows.find((r) => r.t === name)?.c;
  const settled = (level: HourLevel) => {
    const found = comment(levelTable(table, level));
    return found === undefined ? null : (readHourlyComment(found) ?? 0);
  };
  return { exists: comment(rollup) !== undefined, complete: readRollupComment(comment(rollup)).complete, hours: { series: settled('series'), sensor: settled('sensor') }, rawFrom: readRawFrom(comment(table)) };
}

export interface SettleOptions {
  /** Epoch seconds; the database's clock when absent (the function's is close to it, the desktop's may not be). */
  now?: number;
  /** Asked before each month: true stops there (the next run goes on). */
  stop?: () => boolean;
  /** `settledBefore`: every level is summed up to there. */
  onChunk?: (progress: { settledBefore: number; end: number }) => void;
}

/**
 * Settles the hours that have become settled since the last run, a month per statement, the
 * level furthest behind first, each from where its comment says. Nothing while the 15-minute
 * rollup is not complete (its hours may still change); nothing for a missing table. Returns
 * how far each level then reaches (null: not settled at all).
 */
export async function settleHours(query: Query, table: string, options: SettleOptions = {}): Promise<HourLevels | null> {
  const status = await rollupLevelStatus(query, table);
  if (!status.complete) return null;
  const reach = { ...status.hours };
  const levels = HOUR_LEVELS.filter((level) => reach[level] !== null);
  if (levels.length === 0) return reach;
  const now = options.now ?? Number(((await query('SELECT UNIX_TIMESTAMP() AS now')) as Array<{ now: number | string }>)[0]!.now);
  const end = settledBefore(now);
  let first: number | undefined;
  for (;;) {
    const level = levels.reduce((a, b) => (reach[b]! < reach[a]! ? b : a));
    let from = reach[level]!;
    if (from >= end) return reach;
    if (from === 0) {
      // A first run starts at the rollup's first bucket (none: nothing to sum up to `end`).
      if (first === undefined) {
        const [row] = (await query(`SELECT TO_SECONDS(MIN(\`bucket\`)) - 62167219200 AS lo FROM ${quoteTable(companionTables(table).rollup)}`)) as Array<{ lo: number | string | null }>;
        first = row?.lo === null || row?.lo === undefined ? end : Math.min(end, Math.floor(Number(row.lo) / HOUR_SECONDS) * HOUR_SECONDS);
      }
      from = first;
    }
    if (options.stop?.()) return reach;
    const to = Math.min(from + SETTLE_CHUNK_SECONDS, end);
    if (from < to) {
      const statement = settleSql(table, level, from, to);
      await query(statement.sql, statement.values);
    }
    await query(`ALTER TABLE ${quoteTable(levelTable(table, level))} COMMENT = '${hourlySettled(to)}'`);
    reach[level] = to;
    options.onChunk?.({ settledBefore: Math.min(...levels.map((l) => reach[l]!)), end });
  }
}
