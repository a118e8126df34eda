// Moving a readings table made before partitions (the tutorial's, or this tool's before) to
// today's shape while the webhook keeps writing. A new table of today's shape, a month per
// partition from the oldest reading, is filled from the old one by id range, a bounded chunk per
// statement, how far written in its comment (a run stopped anywhere goes on from there), all but
// the newest ids. Then the swap: a second session locks both tables (LOCK TABLES … WRITE waits for
// the writes in flight and holds back new ones), copies the newest rows, and unlocks once an atomic
// RENAME TABLE from the first session is waiting — a pending exclusive lock is granted before the
// writes queued behind it, so the next write lands in the new table, which by then holds every row
// the old one has. (MariaDB refuses RENAME under LOCK TABLES, hence two sessions.) A redelivery of a
// reading stored just before the swap is then known as one: nothing counted twice. Ids are kept
// (the new table's next id is set well past the old one's), so a row is never copied twice, and the
// rollups — keyed by time — stay exact. The old table is kept as `<table>_before_reshape`.

import { PARTITIONS_SQL, FUTURE_PARTITION } from './partitions.js';
import type { FillConnection } from './rollup.js';
import { createTableSql } from './schema.js';
import { quoteTable } from './schema-names.js';
import { tableComment } from './table-comment.js';

/** Rows per copy statement: a few seconds of work, so the function's writes never wait long. */
export const RESHAPE_CHUNK_ROWS = 50_000;
/**
 * Ids left free for rows the old table takes between the last chunk and the rename (a few
 * batches at most: the service has one in flight).
 */
export const ID_GAP = 1_000_000;
/**
 * Ids this close to the newest are copied only after the rename. A write in flight takes its ids
 * when its INSERT starts and puts its rows in after: copied before, a range near the end could be
 * read (and marked done) between the two, and those rows lost. Once the rename has waited for every
 * write in flight, nothing moves in the old table. The writers hold far fewer ids than this: the
 * service has one batch in flight, and the function inserts at most 20 000 rows a statement.
 */
export const UNSETTLED_IDS = 100_000;
/** Rows a second a copy statement moves on a small RDS instance, for the plan's estimate. */
export const RESHAPE_ROWS_PER_SECOND = 20_000;

export const reshapedTable = (table: string): string => `${table}_reshaped`;
export const beforeReshapeTable = (table: string): string => `${table}_before_reshape`;

const progressComment = (id: number): string => `mbed-tsdb reshape: copied through id ${id}`;
export function readReshapeComment(comment: string | null | undefined): number | null {
  const match = /^mbed-tsdb reshape: copied through id (\d+)$/.exec(comment ?? '');
  return match ? Number(match[1]) : null;
}

type Query = (sql: string, values?: unknown[]) => Promise<unknown>;

export interface ReshapeNeed {
  /** The table exists and is not partitioned by month, or numbers readings with less than BIGINT (or a reshape was stopped half-way). */
  needed: boolean;
  /** It is not partitioned by month. */
  unpartitioned: boolean;
  /** The server's estimate of its rows and bytes, for the plan. */
  rows: number;
  bytes: number;
}

/** Whether the table is to be reshaped, without reading it: information_schema only. */
export async function reshapeNeed(query: Query, table: string): Promise<ReshapeNeed> {
  const rows = (await query('SELECT TABLE_NAME AS t, TABLE_ROWS AS n, DATA_LENGTH + INDEX_LENGTH AS b, TABLE_COMMENT AS c FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (?, ?)', [
    table,
    beforeReshapeTable(table),
  ])) as Array<{ t: string; n: number | string | null; b: number | string | null; c: string }>;
  const current = rows.find((r) => r.t === table);
  if (!current) return { needed: false, unpartitioned: false, rows: 0, bytes: 0 };
  // Renamed but the last rows not yet copied: not done.
  if (readReshapeComment(current.c) !== null) return { needed: true, unpartitioned: false, rows: 0, bytes: 0 };
  const partitions = (await query(PARTITIONS_SQL, [table])) as Array<{ name: string }>;
  const unpartitioned = !partitions.some((p) => p.name === FUTURE_PARTITION);
  const [id] = (await query("SELECT DATA_TYPE AS t FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = 'id'", [table])) as Array<{ t: string }>;
  const narrowIds = id !== undefined && id.t.toLowerCase() !== 'bigint';
  return { needed: unpartitioned || narrowIds, unpartitioned, rows: Number(current.n ?? 0), bytes: Number(current.b ?? 0) };
}

export interface ReshapeProgress {
  complete: boolean;
  /** Rows with ids up to this are copied. */
  copiedThrough: number;
  /** The old table's largest id when last looked. */
  lastId: number;
}

async function columnsOf(query: Query, table: string): Promise<Set<string>> {
  const rows = (await query('SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?', [table])) as Array<{ c: string }>;
  return new Set(rows.map((r) => r.c.toLowerCase()));
}

/** Copies the rows with from < id ≤ to; a row already there (a chunk copied again) is left as it is. */
async function copyRange(query: Query, from: string, to: string, uid: boolean, first: number, last: number): Promise<void> {
  await query(
    `INSERT INTO ${quoteTable(to)} (\`id\`, \`ts\`, \`value\`, \`board\`, \`sensor\`, \`uid\`) ` +
      `SELECT \`id\`, \`ts\`, \`value\`, \`board\`, \`sensor\`, ${uid ? '`uid`' : 'NULL'} FROM ${quoteTable(from)} WHERE \`id\` > ? AND \`id\` <= ? ` +
      `ON DUPLICATE KEY UPDATE ${quoteTable(to)}.\`id\` = ${quoteTable(to)}.\`id\``,
    [first, last],
  );
}

const maxId = async (query: Query, table: string) => Number(((await query(`SELECT COALESCE(MAX(\`id\`), 0) AS m FROM ${quoteTable(table)}`)) as Array<{ m: number | string }>)[0]!.m);

/**
 * Reshapes `table` (see above) until done or `stop()` says so; safe to run again at any point.
 * Needs the master user: it creates, alters and renames tables. The webhook's grants are by table
 * name, so they hold for the new table once it has the name.
 */
/** A second session of the same login, for the swap's lock. */
export interface LockSession {
  query(sql: string, values?: unknown[]): Promise<unknown>;
  end(): Promise<void>;
}

/** How long the swap waits for its RENAME to queue behind the lock before unlocking anyway. */
export const RENAME_QUEUE_LIMIT_MS = 30_000;

export async function reshapeTable(
  connection: FillConnection,
  table: string,
  options: { nowMs: number; second: () => Promise<LockSession>; chunkRows?: number; unsettledIds?: number; stop?: () => boolean; onChunk?: (progress: ReshapeProgress) => void },
): Promise<ReshapeProgress> {
  const query: Query = async (sql, values) => ((await connection.query(sql, values)) as [unknown])[0];
  const chunk = options.chunkRows ?? RESHAPE_CHUNK_ROWS;
  const unsettled = options.unsettledIds ?? UNSETTLED_IDS;
  const target = reshapedTable(table);
  const before = beforeReshapeTable(table);

  // Renamed already (stopped before the last rows were copied): copy them and finish.
  const renamedAt = readReshapeComment(await tableComment(query, table));
  if (renamedAt !== null) return finish(query, table, before, renamedAt);
  if (!(await reshapeNeed(query, table)).needed) return { complete: true, copiedThrough: 0, lastId: 0 };

  const resumed = readReshapeComment(await tableComment(query, target));
  let copied = resumed ?? 0;
  if (resumed === null) {
    const [range] = (await query(`SELECT MIN(\`ts\`) AS lo FROM ${quoteTable(table)}`)) as Array<{ lo: Date | string | null }>;
    const oldest = range?.lo ? (range.lo instanceof Date ? range.lo.getTime() : Date.parse(`${String(range.lo).replace(' ', 'T')}Z`)) : options.nowMs;
    await query(`DROP TABLE IF EXISTS ${quoteTable(target)}`);
    await query(createTableSql(target, options.nowMs, oldest));
    await query(`ALTER TABLE ${quoteTable(target)} COMMENT = '${progressComment(0)}'`);
  }
  const uid = (await columnsOf(query, table)).has('uid');
  let last = await maxId(query, table);
  while (last - unsettled - copied >= chunk) {
    if (options.stop?.()) return { complete: false, copiedThrough: copied, lastId: last };
    const to = copied + chunk;
    await copyRange(query, table, target, uid, copied, to);
    await query(`ALTER TABLE ${quoteTable(target)} COMMENT = '${progressComment(to)}'`);
    copied = to;
    options.onChunk?.({ complete: false, copiedThrough: copied, lastId: last });
    last = await maxId(query, table);
  }
  // The new table's next id past anything the old one may still take.
  const [next] = (await query('SELECT AUTO_INCREMENT AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?', [table])) as Array<{ n: number | string | null }>;
  await query(`ALTER TABLE ${quoteTable(target)} AUTO_INCREMENT = ${Math.max(Number(next?.n ?? 0), last + 1) + ID_GAP}`);
  copied = await lockedSwap(query, await options.second(), table, target, before, uid, copied);
  return finish(query, table, before, copied);
}

/**
 * The swap (see above): under the second session's lock the newest rows are copied, the first
 * session's RENAME queues, then the lock goes. Returns how far the new table then holds the old one.
 */
async function lockedSwap(query: Query, locker: LockSession, table: string, target: string, before: string, uid: boolean, copied: number): Promise<number> {
  const lockQuery: Query = async (sql, values) => ((await locker.query(sql, values)) as [unknown])[0];
  const [self] = (await query('SELECT CONNECTION_ID() AS id')) as Array<{ id: number | string }>;
  let locked = false;
  try {
    await lockQuery(`LOCK TABLES ${quoteTable(table)} WRITE, ${quoteTable(target)} WRITE`);
    locked = true;
    // Every write in flight has committed (the lock waited for it), and none starts until the rename.
    const last = await maxId(lockQuery, table);
    if (last > copied) await copyRange(lockQuery, table, target, uid, copied, last);
    await lockQuery(`ALTER TABLE ${quoteTable(target)} COMMENT = '${progressComment(Math.max(last, copied))}'`);
    const renamed = query(`RENAME TABLE ${quoteTable(table)} TO ${quoteTable(before)}, ${quoteTable(target)} TO ${quoteTable(table)}`);
    let failed: unknown = null;
    renamed.catch((error: unknown) => void (failed = error ?? new Error('RENAME TABLE failed')));
    const deadline = Date.now() + RENAME_QUEUE_LIMIT_MS;
    for (;;) {
      const [state] = (await lockQuery('SELECT STATE AS s FROM information_schema.PROCESSLIST WHERE ID = ?', [Number(self!.id)])) as Array<{ s: string | null }>;
      if (failed || /metadata lock/i.test(state?.s ?? '') || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await lockQuery('UNLOCK TABLES');
    locked = false;
    await renamed;
    return Math.max(last, copied);
  } finally {
    if (locked) await lockQuery('UNLOCK TABLES').catch(() => undefined);
    await locker.end().catch(() => undefined);
  }
}

/** After the rename: the rows from the last chunk on (the newest, and those the old table took meanwhile), then done. */
async function finish(query: Query, table: string, before: string, copied: number): Promise<ReshapeProgress> {
  const uid = (await columnsOf(query, before)).has('uid');
  const last = await maxId(query, before);
  if (last > copied) await copyRange(query, before, table, uid, copied, last);
  await query(`ALTER TABLE ${quoteTable(table)} COMMENT = ''`);
  return { complete: true, copiedThrough: last, lastId: last };
}
