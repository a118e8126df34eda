// How the function reads a database error decides the answer the service gets: a fault that passes
// is a 503 (redelivered later), a statement refused on its data is written around, anything else a
// 500. The codes are mysql2's names for the server's errors (and Node's for the network's).
import { describe as group, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { asUnavailable, DATA_REFUSED, DatabaseUnavailableError, describe, isConnectionError, isDataRefused, ShapeChangedError } from '../../templates/lambda/db-errors.js';

// mysql2's table of error names (not among its package exports: read from its folder).
const mysqlErrors = createRequire(import.meta.url)(`${createRequire(import.meta.url).resolve('mysql2').replace(/index\.js$/, '')}lib/constants/errors.js`) as Record<string, unknown>;

const coded = (code: string, message = `failed: ${code}`, extra: Record<string, unknown> = {}) => Object.assign(new Error(message), { code, ...extra });

group('database errors', () => {
  it.each(['PROTOCOL_CONNECTION_LOST', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN'])(
    '%s is the connection failing: retried on a new one, else 503',
    (code) => {
      expect(isConnectionError(coded(code))).toBe(true);
      const unavailable = asUnavailable(coded(code, 'gone'));
      expect(unavailable).toBeInstanceOf(DatabaseUnavailableError);
      expect(unavailable.message).toBe(`${code}: gone`);
      expect((unavailable as Error & { cause?: unknown }).cause).toMatchObject({ code });
    },
  );

  it('takes a fatal error, or one already said to be unavailable, as the connection failing', () => {
    expect(isConnectionError(coded('ER_SOMETHING', 'x', { fatal: true }))).toBe(true);
    expect(isConnectionError(new DatabaseUnavailableError('down'))).toBe(true);
    expect(isConnectionError(coded('ER_SOMETHING', 'x', { fatal: false }))).toBe(false);
    expect(isConnectionError(new Error('no code'))).toBe(false);
    expect(isConnectionError(null)).toBe(false);
    const already = new DatabaseUnavailableError('down');
    expect(asUnavailable(already)).toBe(already);
  });

  it.each([
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
  ])('%s passes by itself: 503, not retried on a new connection', (code) => {
    expect(isConnectionError(coded(code))).toBe(false);
    expect(asUnavailable(coded(code))).toBeInstanceOf(DatabaseUnavailableError);
  });

  it('keeps any other error as it is (500), and makes a non-Error one an Error', () => {
    const other = coded('ER_PARSE_ERROR');
    expect(asUnavailable(other)).toBe(other);
    const made = asUnavailable('plain text');
    expect(made).toBeInstanceOf(Error);
    expect(made).not.toBeInstanceOf(DatabaseUnavailableError);
    expect(made.message).toBe('plain text');
    expect(asUnavailable(undefined).message).toBe('undefined');
  });

  it('names only codes mysql2 gives (it names errors by MySQL\'s table)', () => {
    const known = new Set(Object.keys(mysqlErrors));
    expect([...DATA_REFUSED].filter((code) => !known.has(code))).toEqual([]);
    expect(DATA_REFUSED.size).toBeGreaterThanOrEqual(15);
  });

  it.each([
    ['a value too long', { code: 'ER_DATA_TOO_LONG', errno: 1406, sqlState: '22001' }, true],
    ['a CHECK constraint on MySQL', { code: 'ER_CHECK_CONSTRAINT_VIOLATED', errno: 3819, sqlState: 'HY000' }, true],
    ['a CHECK constraint on MariaDB (errno 4025, named by MySQL\'s table)', { code: 'ER_INNODB_AUTOEXTEND_SIZE_OUT_OF_RANGE', errno: 4025, sqlState: '23000' }, true],
    ['MySQL\'s own 4025 (a DDL error)', { code: 'ER_INNODB_AUTOEXTEND_SIZE_OUT_OF_RANGE', errno: 4025, sqlState: 'HY000' }, false],
    ['another state with that number', { errno: 4025, sqlState: '22001' }, false],
    ['a lock timeout', { code: 'ER_LOCK_WAIT_TIMEOUT', errno: 1205, sqlState: 'HY000' }, false],
    ['no error at all', null, false],
  ])('%s: refused on its data is %s', (_what, error, refused) => {
    expect(isDataRefused(error === null ? null : Object.assign(new Error('x'), error))).toBe(refused);
  });

  it('describes an error by its code and message, once each', () => {
    expect(describe(coded('ER_X', 'broke'))).toBe('ER_X: broke');
    expect(describe(coded('ER_X', 'ER_X: broke'))).toBe('ER_X: broke');
    expect(describe(new Error('no code'))).toBe('no code');
    expect(describe(new AggregateError([new Error('a'), coded('ECONNREFUSED', 'b')], ''))).toBe('a; ECONNREFUSED: b');
    expect(describe(new AggregateError([], ''))).toBe('AggregateError');
    expect(describe(Object.assign(new Error(''), { name: 'Quiet' }))).toBe('Quiet');
    expect(describe(42)).toBe('42');
    expect(new ShapeChangedError('x').name).toBe('ShapeChangedError');
    expect(new DatabaseUnavailableError('x').name).toBe('DatabaseUnavailableError');
  });
});
