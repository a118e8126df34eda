// How the function reads a database error decides the answer the service gets: a fault that passes
// is a 503 (redelivered later), a statement refused on its data is written around, anything else a
// 500. The codes are mysql2's names for the server's errors (and Node's for the network's).
import { describe as group, expect, it } from 'vitest';
import { asUnavailable, DATA_REFUSED, DatabaseUnavailableError, describe, isConnectionError, ShapeChangedError } from '../../templates/lambda/db-errors.js';

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

  it('knows the statements refused on their data', () => {
    expect([...DATA_REFUSED].sort()).toEqual(
      [
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
      ].sort(),
    );
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
