// The function's configuration from its Lambda environment (templates/lambda/config.ts): the
// defaults setup relies on, and each wrong value named with what would be right.
import { describe, expect, it } from 'vitest';
import { readConfig, type ConfigResult } from '../../templates/lambda/config.js';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const BASE = { DB_HOST: 'db.example', DB_USER: 'webhook', DB_PASSWORD: 'pw' };
const IAM_ENV = { AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKIA', AWS_SECRET_ACCESS_KEY: 'secret' };
const errorsOf = (result: ConfigResult) => (result.ok ? [] : result.errors);
const configOf = (result: ConfigResult) => {
  if (!result.ok) throw new Error(`config refused: ${result.errors.join('; ')}`);
  return result.config;
};

describe('readConfig', () => {
  it('fills every default setup leaves out', () => {
    expect(configOf(readConfig(BASE))).toEqual({
      db: { host: 'db.example', port: 3306, user: 'webhook', password: 'pw', database: 'tsdb', table: 'events', tls: { kind: 'rds' }, connectTimeoutMs: 5000, idleCloseSeconds: 60 },
      database: { database: 'tsdb', table: 'events', tls: { kind: 'rds' }, connectTimeoutMs: 5000, idleCloseSeconds: 60 },
      secret: null,
      chunkRows: 20000,
      maintenance: null,
    });
  });

  it('the scheduled maintenance: its user, and raw readings kept some days or forever', () => {
    expect(configOf(readConfig({ ...BASE, DB_MAINTENANCE_USER: 'tsdb_maintenance' })).maintenance).toEqual({ user: 'tsdb_maintenance', keepRawDays: null });
    expect(configOf(readConfig({ ...BASE, DB_MAINTENANCE_USER: 'm', KEEP_RAW_DAYS: 'forever' })).maintenance).toEqual({ user: 'm', keepRawDays: null });
    expect(configOf(readConfig({ ...BASE, DB_MAINTENANCE_USER: 'm', KEEP_RAW_DAYS: '90' })).maintenance).toEqual({ user: 'm', keepRawDays: 90 });
    expect(configOf(readConfig({ ...BASE, DB_MAINTENANCE_USER: 'm', KEEP_RAW_DAYS: '36500' })).maintenance).toEqual({ user: 'm', keepRawDays: 36500 });
    for (const days of ['0', '36501', '1.5', 'ever']) {
      expect(errorsOf(readConfig({ ...BASE, DB_MAINTENANCE_USER: 'm', KEEP_RAW_DAYS: days }))).toEqual([`KEEP_RAW_DAYS must be an integer from 1 to 36500, not ${JSON.stringify(days)}`]);
    }
    // Without its user, none (a stack set up before it).
    expect(configOf(readConfig({ ...BASE, KEEP_RAW_DAYS: '90' })).maintenance).toBeNull();
  });

  it('has no database until DB_HOST is set, and then needs DB_USER', () => {
    expect(configOf(readConfig({})).db).toBeNull();
    expect(errorsOf(readConfig({ DB_HOST: 'h' }))).toEqual(['DB_USER is not set']);
    expect(errorsOf(readConfig({ DB_HOST: 'h', DB_USER: '' }))).toEqual(['DB_USER is not set']);
    // The password may be empty (a user without one).
    expect(configOf(readConfig({ DB_HOST: 'h', DB_USER: 'u' })).db?.password).toBe('');
  });

  it('takes every value given', () => {
    const config = configOf(
      readConfig({
        ...BASE,
        DB_PORT: '3307',
        DB_NAME: 'other',
        DB_TABLE: 'readings',
        DB_CONNECT_TIMEOUT_MS: '100',
        DB_IDLE_CLOSE_SECONDS: '28800',
        DB_ROLLUP: 'on',
        WEBHOOK_SECRET: 's3cret',
        WEBHOOK_SECRET_HEADER: 'X-Custom-Header',
        INSERT_CHUNK_ROWS: '50000',
      }),
    );
    expect(config.db).toMatchObject({ port: 3307, database: 'other', table: 'readings', connectTimeoutMs: 100, idleCloseSeconds: 28800, rollup: true });
    expect(config.secret).toEqual({ header: 'x-custom-header', value: 's3cret' });
    expect(config.chunkRows).toBe(50000);
    expect(configOf(readConfig({ ...BASE, WEBHOOK_SECRET: 's' })).secret).toEqual({ header: 'x-mbed-tsdb-secret', value: 's' });
    expect(configOf(readConfig({ ...BASE, DB_ROLLUP: 'yes' })).db).not.toHaveProperty('rollup');
  });

  it.each([
    ['DB_PORT', '0', 1, 65535],
    ['DB_PORT', '65536', 1, 65535],
    ['DB_PORT', '33.5', 1, 65535],
    ['DB_PORT', 'http', 1, 65535],
    ['DB_CONNECT_TIMEOUT_MS', '99', 100, 60000],
    ['DB_CONNECT_TIMEOUT_MS', '60001', 100, 60000],
    ['DB_IDLE_CLOSE_SECONDS', '0', 1, 28800],
    ['DB_IDLE_CLOSE_SECONDS', '28801', 1, 28800],
    ['INSERT_CHUNK_ROWS', '0', 1, 50000],
    ['INSERT_CHUNK_ROWS', '50001', 1, 50000],
  ])('refuses %s=%s, naming the range', (name, raw, min, max) => {
    expect(errorsOf(readConfig({ ...BASE, [name]: raw }))).toEqual([`${name} must be an integer from ${min} to ${max}, not ${JSON.stringify(raw)}`]);
  });

  it('takes the ends of each range', () => {
    const low = configOf(readConfig({ ...BASE, DB_PORT: '1', DB_CONNECT_TIMEOUT_MS: '100', DB_IDLE_CLOSE_SECONDS: '1', INSERT_CHUNK_ROWS: '1' }));
    expect([low.db?.port, low.database.connectTimeoutMs, low.database.idleCloseSeconds, low.chunkRows]).toEqual([1, 100, 1, 1]);
    const high = configOf(readConfig({ ...BASE, DB_PORT: '65535', DB_CONNECT_TIMEOUT_MS: '60000', DB_IDLE_CLOSE_SECONDS: '28800', INSERT_CHUNK_ROWS: '50000' }));
    expect([high.db?.port, high.database.connectTimeoutMs, high.database.idleCloseSeconds, high.chunkRows]).toEqual([65535, 60000, 28800, 50000]);
  });

  it('refuses a table name that is not letters, digits and _', () => {
    expect(errorsOf(readConfig({ ...BASE, DB_TABLE: 'a-b' }))).toEqual(['DB_TABLE must be letters, digits and _ (at most 64)']);
  });

  describe('TLS', () => {
    it('off, rds, or a CA file shipped in the package', () => {
      expect(configOf(readConfig({ ...BASE, DB_TLS: 'off' })).database.tls).toEqual({ kind: 'off' });
      expect(configOf(readConfig({ ...BASE, DB_TLS: 'rds' })).database.tls).toEqual({ kind: 'rds' });
      const files = (name: string) => (name === 'db-ca.pem' ? PEM : undefined);
      expect(configOf(readConfig({ ...BASE, DB_TLS: 'ca-file' }, files)).database.tls).toEqual({ kind: 'ca', pem: PEM });
    });

    it('refuses ca-file when the package has no certificate of that name', () => {
      const message = "DB_TLS=ca-file, but the function's package has no db-ca.pem";
      expect(errorsOf(readConfig({ ...BASE, DB_TLS: 'ca-file' }))).toEqual([message]);
      expect(errorsOf(readConfig({ ...BASE, DB_TLS: 'ca-file' }, () => 'not a certificate'))).toEqual([message]);
      expect(errorsOf(readConfig({ ...BASE, DB_TLS: 'ca-file' }, (name) => (name === 'other.pem' ? PEM : undefined)))).toEqual([message]);
    });

    it('ca: the older stacks’ CA in DB_TLS_CA, which is then needed', () => {
      expect(configOf(readConfig({ ...BASE, DB_TLS: 'ca', DB_TLS_CA: PEM })).database.tls).toEqual({ kind: 'ca', pem: PEM });
      expect(errorsOf(readConfig({ ...BASE, DB_TLS: 'ca' }))).toEqual(['DB_TLS_CA is not set']);
    });

    it('refuses another mode', () => {
      expect(errorsOf(readConfig({ ...BASE, DB_TLS: 'verify-full' }))).toEqual(['DB_TLS must be rds, ca-file, ca or off, not "verify-full"']);
    });
  });

  describe('IAM authentication', () => {
    const IAM = { DB_HOST: 'db.example', DB_USER: 'webhook', DB_AUTH: 'iam', ...IAM_ENV };

    it('signs with the role’s credentials, with no password', () => {
      const db = configOf(readConfig(IAM)).db;
      expect(db?.password).toBe('');
      expect(db?.iam).toEqual({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIA', secretAccessKey: 'secret' } });
      expect(configOf(readConfig({ ...BASE, DB_AUTH: 'password' })).db).not.toHaveProperty('iam');
    });

    it('names the Lambda variables that are missing', () => {
      expect(errorsOf(readConfig({ DB_HOST: 'h', DB_USER: 'u', DB_AUTH: 'iam', AWS_REGION: 'r' }))).toEqual([
        "DB_AUTH=iam needs the Lambda environment's AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY",
      ]);
    });

    it('needs TLS, and no password beside it', () => {
      expect(errorsOf(readConfig({ ...IAM, DB_TLS: 'off' }))).toEqual(['DB_AUTH=iam needs TLS (DB_TLS other than off)']);
      expect(errorsOf(readConfig({ ...IAM, DB_PASSWORD: 'pw' }))).toEqual(['DB_AUTH=iam and DB_PASSWORD do not go together: remove the password']);
    });

    it('refuses another method', () => {
      expect(errorsOf(readConfig({ ...BASE, DB_AUTH: 'kerberos' }))).toEqual(['DB_AUTH must be password or iam, not "kerberos"']);
    });
  });

  it('reports every wrong value at once', () => {
    expect(errorsOf(readConfig({ DB_HOST: 'h', DB_PORT: 'x', DB_TABLE: '-', DB_TLS: 'no', DB_AUTH: 'no' }))).toHaveLength(5);
  });
});
