// Connections for the data commands, and database errors turned into what to do next.

import { createPool, type Pool } from 'mysql2/promise';
import { connectionOptions, describe } from '../../templates/lambda/store.js';
import { UserFacingError } from '../errors.js';
import type { DbTarget } from './target.js';

/** A small pool (the dashboard answers a few requests at once), checked before use. */
export async function openDatabase(target: DbTarget): Promise<Pool> {
  const pool = createPool({ ...connectionOptions(target.config), connectionLimit: 3, dateStrings: true });
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
  if (code === 'ECONNREFUSED') return new UserFacingError(`the database at ${where} refused the connection${hint}`);
  if (code === 'ETIMEDOUT' || code === 'ECONNRESET' || /timeout/i.test(message)) {
    return new UserFacingError(`no answer from the database at ${where}${hint || '; is it reachable from this network?'}`);
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new UserFacingError(`the database host ${host} is not known (from ${target.source})`);
  if (code === 'ER_ACCESS_DENIED_ERROR' || code === 'ER_DBACCESS_DENIED_ERROR') {
    return new UserFacingError(`the database refused user ${user} (from ${target.source}): check the user name and password`);
  }
  if (code === 'ER_BAD_DB_ERROR') return new UserFacingError(`the server at ${where} has no database ${database}`);
  if (code === 'ER_NO_SUCH_TABLE') return new UserFacingError(`database ${database} has no table ${table}: run mbed-tsdb setup to create it`);
  if (code === 'HANDSHAKE_NO_SSL_SUPPORT') {
    return new UserFacingError(`the database at ${where} does not offer TLS; add ?tls=off to --db-url only on a network you trust`);
  }
  if (/certificate|self[- ]signed|altnames|does not match/i.test(message)) {
    return new UserFacingError(
      `the TLS certificate of the database at ${where} was not accepted (${message}): pass --db-ca <file> when it is not signed by the Amazon RDS CA`,
    );
  }
  return new UserFacingError(`database error at ${where}: ${message}`);
}
