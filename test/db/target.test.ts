// Which database a data command talks to (src/db/target.ts): --db-url, MBED_TSDB_DB_URL or the
// stack's state, with TLS, table and the hint that explains a refused connection. Pure apart from
// the state folder and --db-ca files, which live in a temporary directory.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveDbTarget, type DbTargetInput } from '../../src/db/target.js';
import { UsageError, UserFacingError } from '../../src/errors.js';
import { writeState, type DatabaseState } from '../../src/stack/state.js';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
let dir: string;
let env: Record<string, string | undefined>;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mbed-tsdb-target-'));
  env = { MBED_TSDB_STATE_DIR: join(dir, 'state') };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const resolve = (input: Partial<DbTargetInput>) => resolveDbTarget({ stack: 'tsdb', env, ...input });
const caught = (run: () => unknown): Error => {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
};
const caFile = (text = PEM) => {
  const path = join(dir, 'ca.pem');
  writeFileSync(path, text);
  return path;
};

describe('from a database URL', () => {
  it('takes every part of --db-url, with the RDS CA, port 3306 and table events by default', () => {
    expect(resolve({ dbUrl: 'mysql://admin:pw@db.example.com/tsdb' })).toEqual({
      config: { host: 'db.example.com', port: 3306, user: 'admin', password: 'pw', database: 'tsdb', table: 'events', tls: { kind: 'rds' }, connectTimeoutMs: 10_000 },
      source: '--db-url',
    });
  });

  it('falls back to MBED_TSDB_DB_URL, and says so', () => {
    env.MBED_TSDB_DB_URL = 'mysql://u:p@h:3307/other';
    const target = resolve({});
    expect(target.source).toBe('MBED_TSDB_DB_URL');
    expect(target.config).toMatchObject({ host: 'h', port: 3307, database: 'other' });
  });

  it('prefers --db-url over the environment', () => {
    env.MBED_TSDB_DB_URL = 'mysql://u:p@from-env/tsdb';
    expect(resolve({ dbUrl: 'mysql://u:p@from-flag/tsdb' }).config.host).toBe('from-flag');
  });

  it('decodes %-escapes in the user, password and database, and unwraps an IPv6 host', () => {
    const { config } = resolve({ dbUrl: 'mysql://us%40er:p%2Fw%25@[::1]:3310/my%5Fdb' });
    expect(config).toMatchObject({ host: '::1', port: 3310, user: 'us@er', password: 'p/w%', database: 'my_db' });
  });

  it('names the database tsdb when the URL has no path', () => {
    expect(resolve({ dbUrl: 'mysql://u:p@h' }).config.database).toBe('tsdb');
    expect(resolve({ dbUrl: 'mysql://u:p@h/' }).config.database).toBe('tsdb');
  });

  it.each([
    ['user name', 'mysql://%zz:p@h/tsdb'],
    ['password', 'mysql://u:%zz@h/tsdb'],
    ['database name', 'mysql://u:p@h/%zz'],
  ])('refuses a malformed %%-escape in the %s, naming it', (what, url) => {
    const error = caught(() => resolve({ dbUrl: url }));
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toBe(`the database URL has a malformed %-escape in its ${what}: write % as %25 (and other reserved characters as %XX)`);
  });

  it('refuses text that is not a URL, and another scheme', () => {
    const notUrl = caught(() => resolve({ dbUrl: 'db.example.com:3306' }));
    expect(notUrl).toBeInstanceOf(UsageError);
    expect(notUrl.message).toBe('the database URL must start with mysql://');
    const garbage = caught(() => resolve({ dbUrl: 'not a url' }));
    expect(garbage).toBeInstanceOf(UsageError);
    expect(garbage.message).toBe('the database URL is not a URL: use mysql://user:password@host:3306/tsdb');
    const http = caught(() => resolve({ dbUrl: 'http://u:p@h/tsdb' }));
    expect(http.message).toBe('the database URL must start with mysql://');
  });

  it('reads tls=off, tls=rds and tls=ca, with --db-ca where one is needed', () => {
    const ca = caFile();
    expect(resolve({ dbUrl: 'mysql://u:p@h/tsdb?tls=off' }).config.tls).toEqual({ kind: 'off' });
    expect(resolve({ dbUrl: 'mysql://u:p@h/tsdb?tls=rds' }).config.tls).toEqual({ kind: 'rds' });
    expect(resolve({ dbUrl: 'mysql://u:p@h/tsdb?tls=rds', dbCa: ca }).config.tls).toEqual({ kind: 'ca', pem: PEM });
    expect(resolve({ dbUrl: 'mysql://u:p@h/tsdb?tls=ca', dbCa: ca }).config.tls).toEqual({ kind: 'ca', pem: PEM });
    expect(resolve({ dbUrl: 'mysql://u:p@h/tsdb', dbCa: ca }).config.tls).toEqual({ kind: 'ca', pem: PEM });
    expect(resolve({ dbUrl: 'mysql://u:p@h/tsdb?tls=off', dbCa: ca }).config.tls).toEqual({ kind: 'off' });
  });

  it('refuses tls=ca without --db-ca, and an unknown tls mode', () => {
    const noCa = caught(() => resolve({ dbUrl: 'mysql://u:p@h/tsdb?tls=ca' }));
    expect(noCa).toBeInstanceOf(UsageError);
    expect(noCa.message).toBe('tls=ca in the database URL needs --db-ca <file>');
    const unknown = caught(() => resolve({ dbUrl: 'mysql://u:p@h/tsdb?tls=verify' }));
    expect(unknown).toBeInstanceOf(UsageError);
    expect(unknown.message).toBe('tls=verify in the database URL: use rds (default), ca or off');
  });

  it('takes the table from --table, else ?table=, else events; and checks it', () => {
    expect(resolve({ dbUrl: 'mysql://u:p@h/tsdb?table=readings' }).config.table).toBe('readings');
    expect(resolve({ dbUrl: 'mysql://u:p@h/tsdb?table=readings', table: 'flagged' }).config.table).toBe('flagged');
    const bad = caught(() => resolve({ dbUrl: 'mysql://u:p@h/tsdb?table=x;drop' }));
    expect(bad).toBeInstanceOf(UsageError);
    expect(bad.message).toBe('invalid table name "x;drop": letters, digits and _ only');
    expect(caught(() => resolve({ dbUrl: 'mysql://u:p@h/tsdb', table: 'a-b' })).message).toBe('invalid table name "a-b": letters, digits and _ only');
  });

  it('says that MySQL does not go through a configured proxy (without its credentials)', () => {
    env.HTTPS_PROXY = 'http://me:secret@proxy.example.com:3128';
    expect(resolve({ dbUrl: 'mysql://u:p@h/tsdb' }).hint).toBe(
      'a MySQL connection does not go through the HTTP proxy (http://proxy.example.com:3128): the database must be reachable directly from this network',
    );
  });
});

describe('--db-ca', () => {
  it('says which file could not be read, and why', () => {
    const missing = join(dir, 'nope.pem');
    const error = caught(() => resolve({ dbUrl: 'mysql://u:p@h/tsdb', dbCa: missing }));
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toMatch(new RegExp(`^cannot read --db-ca ${missing}: ENOENT`));
  });

  it('refuses a file that holds no PEM certificate', () => {
    const path = caFile('just text\n');
    const error = caught(() => resolve({ dbUrl: 'mysql://u:p@h/tsdb', dbCa: path }));
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toBe(`--db-ca ${path} holds no PEM certificate`);
  });
});

describe("from the stack's state", () => {
  const database: DatabaseState = { host: 'db.rds.example', port: 3306, user: 'admin', password: 'pw', name: 'tsdb', table: 'events', access: 'my-ip' };
  const save = (db: Partial<DatabaseState> | undefined, answers?: Record<string, unknown>) =>
    writeState(env, { version: 1, stack: 'tsdb', ...(db ? { database: { ...database, ...db } } : {}), ...(answers ? { answers } : {}) });

  it('tells the user to run setup when this machine knows no database for the stack', () => {
    for (const prepare of [() => undefined, () => save(undefined)]) {
      prepare();
      const error = caught(() => resolve({}));
      expect(error).toBeInstanceOf(UserFacingError);
      expect(error).not.toBeInstanceOf(UsageError);
      expect((error as UserFacingError).code).toBe('NO_DATABASE');
      expect(error.message).toBe(
        `no database known for stack tsdb on this machine (${join(env.MBED_TSDB_STATE_DIR!, 'tsdb.json')}): run mbed-tsdb setup, or pass --db-url mysql://user:password@host:3306/tsdb`,
      );
    }
  });

  it('connects as setup saved it, with the RDS CA and no hint when nothing explains a failure', () => {
    save({});
    expect(resolve({})).toEqual({
      config: { host: 'db.rds.example', port: 3306, user: 'admin', password: 'pw', database: 'tsdb', table: 'events', tls: { kind: 'rds' }, connectTimeoutMs: 10_000 },
      source: 'stack tsdb',
    });
  });

  it('uses the CA given to setup, unless another is given now', () => {
    save({}, { dbCaPem: 'SAVED' });
    expect(resolve({}).config.tls).toEqual({ kind: 'ca', pem: 'SAVED' });
    expect(resolve({ dbCa: caFile() }).config.tls).toEqual({ kind: 'ca', pem: PEM });
  });

  it('takes --table over the saved table, and the saved one over events', () => {
    save({ table: 'readings' });
    expect(resolve({}).config.table).toBe('readings');
    expect(resolve({ table: 'other' }).config.table).toBe('other');
    save({ table: undefined });
    expect(resolve({}).config.table).toBe('events');
    expect(caught(() => resolve({ table: 'no way' })).message).toBe('invalid table name "no way": letters, digits and _ only');
  });

  it('explains a private database, or the one address its security group admits', () => {
    save({ access: 'private', cidr: '203.0.113.7/32' });
    expect(resolve({}).hint).toBe('the database of stack tsdb is private (reachable only inside its VPC)');
    save({ cidr: '203.0.113.7/32' });
    expect(resolve({}).hint).toBe('its security group admits only 203.0.113.7/32: if your IP changed, run mbed-tsdb setup again to update it');
  });

  it('joins every hint that applies', () => {
    save({ cidr: '203.0.113.7/32' });
    env.http_proxy = 'http://proxy:8080';
    expect(resolve({}).hint).toBe(
      'its security group admits only 203.0.113.7/32: if your IP changed, run mbed-tsdb setup again to update it; ' +
        'a MySQL connection does not go through the HTTP proxy (http://proxy:8080): the database must be reachable directly from this network',
    );
  });
});
