// Connections for the data commands, and database errors turned into what to do next.

import { createPool, type Pool } from 'mysql2/promise';
import { BACKSLASH_ESCAPES_SQL, connectionOptions, describe } from '../../templates/lambda/store.js';
import { UserFacingError, type ErrorCode } from '../errors.js';
import type { DbTarget } from './target.js';

/** A small pool (the dashboard answers a few requests at once), checked before use. */
export async function openDatabase(target: DbTarget): Promise<Pool> {
  const pool = createPool({ ...connectionOptions(target.config), connectionLimit: 3, dateStrings: true });
  // Each new connection's first command, which its queries queue behind (a filter stays a
  // value under any sql_mode). The event hands over mysql2's callback connection, not the
  // promise one its type names.
  pool.on('connection', (connection) => {
    const core = connection as unknown as { query(sql: string, done: (error: Error | null) => void): void; destroy(): void };
    core.query(BACKSLASH_ESCAPES_SQL, (error) => {
      if (error) core.destroy();
    });
  });
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw explainDbError(error, target);
  }
  return pool;
}

export function explainDbError(error: unknown, target: DbTarget): UserFacingError {
  const { host, port, user, database, table } = target.config;
  const code = (error as { code?: string } | null)?.code ?? '';
  const message = describe(error);
  const where = `${host}:${port} (from ${target.source})`;
  const hint = target.hint ? `; ${target.hint}` : '';
  const fail = (text: string, errorCode: ErrorCode) => new UserFacingError(text, { code: errorCode, cause: error });
  if (code === 'ECONNREFUSED') return fail(`the database at ${where} refused the connection${hint}`, 'DB_UNREACHABLE');
  if (code === 'ETIMEDOUT' || code === 'ECONNRESET' || /timeout/i.test(message)) {
    return fail(`no answer from the database at ${where}${hint || '; is it reachable from this network?'}`, 'DB_UNREACHABLE');
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return fail(`the database host ${host} is not known (from ${target.source})`, 'DB_UNREACHABLE');
  if (code === 'ER_ACCESS_DENIED_ERROR' || code === 'ER_DBACCESS_DENIED_ERROR') {
    return fail(`the database refused user ${user} (from ${target.source}): check the user name and password`, 'DB_ACCESS_DENIED');
  }
  if (code === 'ER_BAD_DB_ERROR') return fail(`the server at ${where} has no database ${database}`, 'DB_MISSING');
  if (code === 'ER_NO_SUCH_TABLE') return fail(`database ${database} has no table ${table}: run mbed-tsdb setup to create it`, 'DB_MISSING');
  if (code === 'HANDSHAKE_NO_SSL_SUPPORT') {
    return fail(`the database at ${where} does not offer TLS; add ?tls=off to --db-url only on a network you trust`, 'DB_TLS');
  }
  if (/certificate|self[- ]signed|altnames|does not match/i.test(message)) {
    return fail(
      `the TLS certificate of the database at ${where} was not accepted (${message}): pass --db-ca <file> when it is not signed by the Amazon RDS CA`,
      'DB_TLS',
    );
  }
  return fail(`database error at ${where}: ${message}`, 'DB_ERROR');
}
