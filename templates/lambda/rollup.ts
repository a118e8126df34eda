// The chart rollup: per series (board, sensor) and 15-minute bucket, the count, sum, minimum and
// maximum of the readings stored — enough for every aggregate the chart draws. 15 minutes
// because every UTC offset is a multiple of it, so an hour or a day in any time zone is a sum
// of whole buckets. The function adds each request's readings to it in the same transaction
// as the rows themselves; setup fills it from the rows stored before it existed. Pure SQL and
// arithmetic: the function, setup and the chart share it.

import type { Reading } from './payload.js';
import { companionTables, quoteTable } from './schema-names.js';
import { sqlTime } from './sql-time.js';
import { tableComment } from './table-comment.js';

export const ROLLUP_SECONDS = 900;

const rollupTable = (table: string): string => companionTables(table).rollup;

/** The rollup's table comment once it holds every stored reading: the chart then reads it. */
export const ROLLUP_COMPLETE = 'mbed-tsdb rollup: complete';
/** …and while setup is still filling it, how far (epoch seconds) it has got. */
export const rollupProgress = (upTo: number): string => `mbed-tsdb rollup: filled before ${upTo}`;

export function readRollupComment(comment: string | null | undefined): { complete: boolean; filledBefore: number | null } {
  if (comment === ROLLUP_COMPLETE) return { complete: true, filledBefore: null };
  const match = /^mbed-tsdb rollup: filled before (-?\d+)$/.exec(comment ?? '');
  return { complete: false, filledBefore: match ? Number(match[1]) : null };
}

/** Board and sensor compare in the rollup as in the events table: the same character set and collation. */
export interface TextCollation {
  charset: string;
  collation: string;
}

export function createRollupTableSql(table: string, board: TextCollation, sensor: TextCollation): string {
  return rollupShapedTableSql(rollupTable(table), board, sensor, rollupProgress(0));
}

/**
 * A table of the rollup's shape: per series (or, without `board`, per sensor across boards) and
 * bucket start, count, sum, minimum and maximum. Keyed by time first (what every chart reads a
 * range of), or with `seriesFirst` by board and sensor first (what a chart of one board seeks).
 */
export function rollupShapedTableSql(tableName: string, board: TextCollation | null, sensor: TextCollation, comment: string, seriesFirst = false): string {
  const name = (n: string) => {
    if (!/^[a-z0-9_]{1,64}$/i.test(n)) throw new Error(`invalid character set or collation ${JSON.stringify(n)}`);
    return n;
  };
  const text = (c: TextCollation) => `CHARACTER SET ${name(c.charset)} COLLATE ${name(c.collation)}`;
  return (
    `CREATE TABLE IF NOT EXISTS ${quoteTable(tableName)} (` +
    '`bucket` datetime NOT NULL, ' +
    (board ? `\`board\` varchar(64) ${text(board)} NOT NULL, ` : '') +
    `\`sensor\` varchar(128) ${text(sensor)} NOT NULL, ` +
    '`n` bigint unsigned NOT NULL, ' +
    '`total` double NOT NULL, ' +
    '`lo` double NOT NULL, ' +
    '`hi` double NOT NULL, ' +
    `PRIMARY KEY (${seriesFirst ? '' : '`bucket`, '}${board ? '`board`, ' : ''}\`sensor\`${seriesFirst ? ', `bucket`' : ''})` +
    `) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='${comment}'`
  );
}

/**
 * One request's readings as rollup rows: [bucket, board, sensor, n, total, lo, hi], one per
 * series and bucket touched. `at` is each reading's stored time (epoch ms).
 */
export function rollupRows(readings: readonly Reading[], at: (reading: Reading) => number): unknown[][] {
  type Row = [string, string, string, number, number, number, number];
  const rows: Row[] = [];
  // Found by board, then sensor, then bucket number: no key text is built per reading.
  const byBoard = new Map<string, Map<string, Map<number, Row>>>();
  // A bucket's DATETIME text is made once per bucket, not per reading (most share one).
  const bucketText = new Map<number, string>();
  for (const reading of readings) {
    const number = Math.floor(at(reading) / 1000 / ROLLUP_SECONDS);
    let bySensor = byBoard.get(reading.board);
    if (!bySensor) byBoard.set(reading.board, (bySensor = new Map()));
    let byBucket = bySensor.get(reading.sensor);
    if (!byBucket) bySensor.set(reading.sensor, (byBucket = new Map()));
    const row = byBucket.get(number);
    if (row) {
      row[3] += 1;
      row[4] += reading.value;
      if (reading.value < row[5]) row[5] = reading.value;
      if (reading.value > row[6]) row[6] = reading.value;
      continue;
    }
    let bucket = bucketText.get(number);
    if (bucket === undefined) bucketText.set(number, (bucket = sqlTime(number * ROLLUP_SECONDS * 1000)));
    const added: Row = [bucket, reading.board, reading.sensor, 1, reading.value, reading.value, reading.value];
    byBucket.set(number, added);
    rows.push(added);
  }
  return rows;
}

/** Adds rows to the rollup: counts and sums add up, the extremes widen. */
export function rollupUpsertSql(table: string): string {
  return (
    `INSERT INTO ${quoteTable(rollupTable(table))} (\`bucket\`, \`board\`, \`sensor\`, \`n\`, \`total\`, \`lo\`, \`hi\`) VALUES ? ` +
    'ON DUPLICATE KEY UPDATE `n` = `n` + VALUES(`n`), `total` = `total` + VALUES(`total`), `lo` = LEAST(`lo`, VALUES(`lo`)), `hi` = GREATEST(`hi`, VALUES(`hi`))'
  );
}

/**
 * Fills the rollup for [from, to) (epoch seconds on bucket boundaries) from the stored rows, in
 * one transaction, replacing what it had there. Events are locked first (a locking read of the
 * range), the rollup second — the order the function takes them in — so a reading stored
 * meanwhile waits, then adds itself on top; the two never deadlock over it.
 */
export function rollupFillStatements(table: string, from: number, to: number, options: { tsIndex?: boolean } = {}): Array<{ sql: string; values: unknown[] }> {
  const range = [sqlTime(from * 1000), sqlTime(to * 1000)];
  // Through the index on ts: the locks then cover the range, not every row the server scans.
  const events = `${quoteTable(table)}${options.tsIndex ? ' FORCE INDEX (`ts`)' : ''}`;
  const rollup = quoteTable(rollupTable(table));
  return [
    { sql: `SELECT COUNT(*) AS n FROM ${events} WHERE \`ts\` >= ? AND \`ts\` < ? LOCK IN SHARE MODE`, values: range },
    { sql: `DELETE FROM ${rollup} WHERE \`bucket\` >= ? AND \`bucket\` < ?`, values: range },
    {
      sql:
        `INSERT INTO ${rollup} (\`bucket\`, \`board\`, \`sensor\`, \`n\`, \`total\`, \`lo\`, \`hi\`) ` +
        // DATETIME arithmetic only: the session's time zone never enters.
        `SELECT CAST('1970-01-01' AS DATETIME) + INTERVAL ((TO_SECONDS(\`ts\`) - 62167219200) DIV ${ROLLUP_SECONDS}) * ${ROLLUP_SECONDS} SECOND AS b, ` +
        `\`board\`, \`sensor\`, COUNT(*), SUM(\`value\`), MIN(\`value\`), MAX(\`value\`) FROM ${events} ` +
        'WHERE `ts` >= ? AND `ts` < ? GROUP BY b, `board`, `sensor`',
      values: range,
    },
  ];
}

/** Marks how far the rollup is filled (setup resumes there), or that it is complete. */
export const rollupCommentSql = (table: string, comment: string): string => `ALTER TABLE ${quoteTable(rollupTable(table))} COMMENT = '${comment}'`;

/** The rollup's comment and whether it exists, from information_schema. */
export async function rollupStatus(query: (sql: string, values?: unknown[]) => Promise<unknown>, table: string): Promise<{ exists: boolean; complete: boolean; filledBefore: number | null }> {
  const comment = await tableComment(query, rollupTable(table));
  if (comment === null) return { exists: false, complete: false, filledBefore: null };
  return { exists: true, ...readRollupComment(comment) };
}

/** A connection that runs statements, in transactions when asked (mysql2's, rows first). */
export interface FillConnection {
  query(sql: string, values?: unknown[]): Promise<unknown>;
  beginTransaction(): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
}

/** A day of buckets per transaction: short enough not to hold the function's writes for long. */
export const FILL_CHUNK_SECONDS = 86_400;

export interface FillProgress {
  complete: boolean;
  /** Buckets before this (epoch seconds) are filled. */
  filledBefore: number | null;
  /** Where the stored rows end (exclusive, on a bucket boundary): the fill is done there. */
  end: number | null;
}

/**
 * Fills the rollup from the stored rows, a chunk at a time, from where an earlier run stopped
 * (the rollup's comment says), until done or `stop()` says so; then marks it complete. The
 * function must already be adding new readings to it: what is stored meanwhile, in a chunk
 * already filled or not, then counts exactly once.
 */
export async function fillRollup(
  connection: FillConnection,
  table: string,
  options: { stop?: () => boolean; onChunk?: (progress: FillProgress) => void; chunkSeconds?: number } = {},
): Promise<FillProgress> {
  const query = async (sql: string, values?: unknown[]) => ((await connection.query(sql, values)) as [unknown])[0];
  const status = await rollupStatus(query, table);
  if (!status.exists) throw new Error(`the rollup of ${table} does not exist (run the migration first)`);
  if (status.complete) return { complete: true, filledBefore: null, end: null };
  const [range] = (await query(`SELECT TO_SECONDS(MIN(\`ts\`)) - 62167219200 AS lo, TO_SECONDS(MAX(\`ts\`)) - 62167219200 AS hi FROM ${quoteTable(table)}`)) as Array<{ lo: number | null; hi: number | null }>;
  let filledBefore = status.filledBefore;
  const tsIndex = ((await query("SELECT 1 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND INDEX_NAME = 'ts' AND SEQ_IN_INDEX = 1 AND COLUMN_NAME = 'ts'", [table])) as unknown[]).length > 0;
  if (range?.lo !== null && range?.lo !== undefined && range.hi !== null) {
    const end = (Math.floor(Number(range.hi) / ROLLUP_SECONDS) + 1) * ROLLUP_SECONDS;
    let from = Math.max(Math.floor(Number(range.lo) / ROLLUP_SECONDS) * ROLLUP_SECONDS, filledBefore ?? -Infinity);
    while (from < end) {
      if (options.stop?.()) return { complete: false, filledBefore: from, end };
      const to = Math.min(from + (options.chunkSeconds ?? FILL_CHUNK_SECONDS), end);
      // A deadlock with a write of the function's (or a lock wait too long) undoes the chunk: again.
      for (let attempt = 1; ; attempt++) {
        await connection.beginTransaction();
        try {
          for (const statement of rollupFillStatements(table, from, to, { tsIndex })) await connection.query(statement.sql, statement.values);
          await connection.commit();
          break;
        } catch (error) {
          await connection.rollback().catch(() => undefined);
          const code = (error as { code?: string }).code;
          if (attempt >= 5 || (code !== 'ER_LOCK_DEADLOCK' && code !== 'ER_LOCK_WAIT_TIMEOUT')) throw error;
        }
      }
      await connection.query(rollupCommentSql(table, rollupProgress(to)));
      filledBefore = from = to;
      options.onChunk?.({ complete: false, filledBefore, end });
    }
  }
  await connection.query(rollupCommentSql(table, ROLLUP_COMPLETE));
  return { complete: true, filledBefore, end: null };
}
