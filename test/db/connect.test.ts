// Database errors turned into what to do next (src/db/connect.ts explainDbError): each error
// code mysql2 and Node give gets its own message and exit code, naming where the settings came from.
import { describe, expect, it } from 'vitest';
import { explainDbError } from '../../src/db/connect.js';
import type { DbTarget } from '../../src/db/target.js';
import { UserFacingError } from '../../src/errors.js';

const target = (hint?: string): DbTarget => ({
  config: { host: 'db.example', port: 3307, user: 'admin', password: 'pw', database: 'tsdb', table: 'events', tls: { kind: 'rds' }, connectTimeoutMs: 10_000 },
  source: 'stack tsdb',
  ...(hint ? { hint } : {}),
});
const failure = (code: string | undefined, message = 'it failed') => Object.assign(new Error(message), code ? { code } : {});
const explain = (error: unknown, hint?: string) => {
  const explained = explainDbError(error, target(hint));
  expect(explained).toBeInstanceOf(UserFacingError);
  expect(explained.cause).toBe(error);
  return { message: explained.message, code: explained.code };
};
const WHERE = 'db.example:3307 (from stack tsdb)';

describe('explainDbError', () => {
  it('a refused connection, with the hint when there is one', () => {
    expect(explain(failure('ECONNREFUSED'))).toEqual({ message: `the database at ${WHERE} refused the connection`, code: 'DB_UNREACHABLE' });
    expect(explain(failure('ECONNREFUSED'), 'it is private')).toEqual({ message: `the database at ${WHERE} refused the connection; it is private`, code: 'DB_UNREACHABLE' });
  });

  it.each(['ETIMEDOUT', 'ECONNRESET'])('no answer (%s): the hint, else a question about the network', (code) => {
    expect(explain(failure(code))).toEqual({ message: `no answer from the database at ${WHERE}; is it reachable from this network?`, code: 'DB_UNREACHABLE' });
    expect(explain(failure(code), 'it is private')).toEqual({ message: `no answer from the database at ${WHERE}; it is private`, code: 'DB_UNREACHABLE' });
  });

  it('a timeout told only in the message (mysql2 connectTimeout) is no answer too', () => {
    expect(explain(failure(undefined, 'connect TIMEOUT'))).toEqual({ message: `no answer from the database at ${WHERE}; is it reachable from this network?`, code: 'DB_UNREACHABLE' });
  });

  it.each(['ENOTFOUND', 'EAI_AGAIN'])('an unknown host (%s)', (code) => {
    expect(explain(failure(code), 'ignored')).toEqual({ message: 'the database host db.example is not known (from stack tsdb)', code: 'DB_UNREACHABLE' });
  });

  it.each(['ER_ACCESS_DENIED_ERROR', 'ER_DBACCESS_DENIED_ERROR'])('a refused user (%s)', (code) => {
    expect(explain(failure(code))).toEqual({ message: 'the database refused user admin (from stack tsdb): check the user name and password', code: 'DB_ACCESS_DENIED' });
  });

  it('a missing database, and a missing table', () => {
    expect(explain(failure('ER_BAD_DB_ERROR'))).toEqual({ message: `the server at ${WHERE} has no database tsdb`, code: 'DB_MISSING' });
    expect(explain(failure('ER_NO_SUCH_TABLE'))).toEqual({ message: 'database tsdb has no table events: run mbed-tsdb setup to create it', code: 'DB_MISSING' });
  });

  it('a server without TLS', () => {
    expect(explain(failure('HANDSHAKE_NO_SSL_SUPPORT'))).toEqual({
      message: `the database at ${WHERE} does not offer TLS; add ?tls=off to --db-url only on a network you trust`,
      code: 'DB_TLS',
    });
  });

  it.each(['unable to verify the first certificate', 'self signed certificate in chain', 'self-signed', "Hostname/IP does not match certificate's altnames", 'host does not match'])(
    'a certificate not accepted: %s',
    (text) => {
      expect(explain(failure('SOME_TLS_CODE', text))).toEqual({
        message: `the TLS certificate of the database at ${WHERE} was not accepted (SOME_TLS_CODE: ${text}): pass --db-ca <file> when it is not signed by the Amazon RDS CA`,
        code: 'DB_TLS',
      });
    },
  );

  it('anything else, with what the server said', () => {
    expect(explain(failure('ER_PARSE_ERROR', 'You have an error in your SQL syntax'))).toEqual({
      message: `database error at ${WHERE}: ER_PARSE_ERROR: You have an error in your SQL syntax`,
      code: 'DB_ERROR',
    });
  });

  it('a thrown value that is not an error object', () => {
    expect(explain(null).code).toBe('DB_ERROR');
    expect(explain('plain text').code).toBe('DB_ERROR');
  });
});
