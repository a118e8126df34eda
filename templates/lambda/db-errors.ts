// How the function reads a database error: a fault that passes (the service redelivers: 503), a
// statement refused on its data (the shape is read again, then the batch written piece by piece),
// or anything else. Shared by the store and the desktop's database code.

/** A statement found the table other than its shape said (altered since): read it again. */
export class ShapeChangedError extends Error {
  override name = 'ShapeChangedError';
}

/** The database could not be reached, or refused for a reason that may pass: worth retrying later. */
export class DatabaseUnavailableError extends Error {
  override name = 'DatabaseUnavailableError';
}

/**
 * A statement refused what it was given: the table changed under the container (its shape is read
 * again, once), or a value no check foresaw (a CHECK constraint, a trigger): the batch is then
 * written piece by piece and only the refused pieces are left out.
 */
export const DATA_REFUSED = new Set([
  'ER_DATA_TOO_LONG',
  'ER_BAD_FIELD_ERROR',
  'ER_NO_SUCH_TABLE',
  'ER_WARN_DATA_OUT_OF_RANGE',
  'ER_TRUNCATED_WRONG_VALUE_FOR_FIELD',
  'ER_TRUNCATED_WRONG_VALUE',
  'WARN_DATA_TRUNCATED',
  'ER_DATA_OUT_OF_RANGE',
  'ER_BAD_NULL_ERROR',
  'ER_CHECK_CONSTRAINT_VIOLATED',
  'ER_DIVISION_BY_ZERO',
  'ER_NO_REFERENCED_ROW_2',
  'ER_SIGNAL_EXCEPTION',
  'ER_CANT_AGGREGATE_2COLLATIONS',
  'ER_ILLEGAL_VALUE_FOR_TYPE',
]);

/**
 * MariaDB's ER_CONSTRAINT_FAILED (a CHECK constraint) is errno 4025 with SQLSTATE 23000; mysql2
 * names errors by MySQL's table, where 4025 is another error (ER_INNODB_AUTOEXTEND_SIZE_OUT_OF_RANGE,
 * SQLSTATE HY000), so MariaDB's is known by its number and state.
 */
const MARIADB_CONSTRAINT_FAILED = { errno: 4025, sqlState: '23000' };

/** The statement was refused on the data it was given (see DATA_REFUSED). */
export function isDataRefused(error: unknown): boolean {
  const e = error as { code?: string; errno?: number; sqlState?: string } | null;
  if (!e) return false;
  return DATA_REFUSED.has(e.code ?? '') || (e.errno === MARIADB_CONSTRAINT_FAILED.errno && e.sqlState === MARIADB_CONSTRAINT_FAILED.sqlState);
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

export function isConnectionError(error: unknown): boolean {
  if (error instanceof DatabaseUnavailableError) return true;
  const e = error as { fatal?: boolean; code?: string } | null;
  return Boolean(e && (e.fatal === true || (e.code !== undefined && CONNECTION_CODES.has(e.code))));
}

export function asUnavailable(error: unknown): Error {
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
