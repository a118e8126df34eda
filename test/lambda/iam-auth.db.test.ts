// The function logs in with RDS IAM authentication, as its own user with only the rights it
// needs: against a stand-in for RDS's front door (token checked: signature, expiry, host, port,
// user, region; clear text only inside TLS; IAM enabled; rds-db:connect) over a real MariaDB.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readConfig, type DbConfig } from '../../templates/lambda/config.js';
import { ensureWebhookUser, migrate } from '../../templates/lambda/schema.js';
import { createStore } from '../../templates/lambda/store.js';
import { canStartMariaDb, createTestDatabase, LocalMariaDb, makeTlsFiles, type TestDatabase } from '../support/mariadb.js';
import { startRdsStandIn, type RdsStandIn } from '../support/rds-standin.js';

const canRun = canStartMariaDb('the IAM authentication tests');
const ROLE_KEYS = { accessKeyId: 'ASIAFUNCTIONROLE01', secretAccessKey: 'function-role-secret-key-0123456789', sessionToken: 'function-role-session' };
const USER = 'tsdb_webhook';

describe.skipIf(!canRun)('the function on RDS IAM database authentication', () => {
  let dir: string;
  let server: LocalMariaDb;
  let db: TestDatabase;
  let standIn: RdsStandIn;
  let caPem: string;
  let iamEnabled = true;
  let mayConnect = true;
  let now = Date.now();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mbed-tsdb-iam-'));
    const [tls] = await makeTlsFiles(dir, ['localhost']);
    caPem = readFileSync(tls!.ca, 'utf8');
    server = await LocalMariaDb.create({ tls: tls! });
    db = await createTestDatabase(server.address());
    standIn = await startRdsStandIn({
      backend: { host: '127.0.0.1', port: server.port },
      tls: tls!,
      host: 'localhost',
      region: 'eu-central-1',
      secretOf: (id) => (id === ROLE_KEYS.accessKeyId ? ROLE_KEYS : undefined),
      refuse: (id, user) => (mayConnect && id === ROLE_KEYS.accessKeyId && user === USER ? null : `no rds-db:connect for ${id} as ${user}`),
      iamEnabled: () => iamEnabled,
      now: () => now,
    });
    // The master user, through the front door: the tables, then the webhook's user.
    const master = await createConnection({ ...server.address(), host: 'localhost', port: standIn.port, database: db.name, ssl: { ca: caPem } });
    const query = async (sql: string, values?: unknown[]) => (await master.query(sql, values))[0];
    await migrate(query);
    await ensureWebhookUser(query, USER);
    await ensureWebhookUser(query, USER); // again: nothing changes
    await master.end();
  }, 120_000);
  beforeEach(() => {
    iamEnabled = true;
    mayConnect = true;
    now = Date.now();
  });
  afterAll(async () => {
    await standIn?.close();
    await server?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const config = (over: Record<string, string> = {}): DbConfig => {
    const result = readConfig(
      { DB_HOST: 'localhost', DB_PORT: String(standIn.port), DB_USER: USER, DB_NAME: db.name, DB_AUTH: 'iam', DB_TLS: 'ca', DB_TLS_CA: caPem, AWS_REGION: 'eu-central-1', AWS_ACCESS_KEY_ID: ROLE_KEYS.accessKeyId, AWS_SECRET_ACCESS_KEY: ROLE_KEYS.secretAccessKey, AWS_SESSION_TOKEN: ROLE_KEYS.sessionToken, ...over },
    );
    if (!result.ok) throw new Error(result.errors.join('; '));
    return result.config.db!;
  };
  const reading = (value: number) => ({ readings: [{ board: 'dev', sensor: '/3200/0/5501', value, uid: `uid-${value}-${Math.random()}` }], devices: [{ id: 'dev', name: 'kitchen', seenAt: Date.now() }], outcomes: [{ id: `a-${value}`, status: 200, at: Date.now() }] });

  it('stores readings, device facts and outcomes as its own user, with a token and no password', async () => {
    const store = createStore(config(), 100);
    try {
      expect(config().password).toBe('');
      expect(await store.write(reading(1), new Date())).toEqual({ refused: [], stored: 1, duplicates: 0 });
      expect((await db.query<{ value: number }>('SELECT value FROM events')).map((r) => r.value)).toContain(1);
    } finally {
      await store.close();
    }
    expect(standIn.iamUsers.has(USER)).toBe(true);
  });

  it('may not read the readings, change the tables, or touch anything else', async () => {
    const token = (await import('../../templates/lambda/iam-token.js')).rdsAuthToken;
    const connection = await createConnection({
      host: 'localhost',
      port: standIn.port,
      user: USER,
      password: token({ host: 'localhost', port: standIn.port, user: USER, auth: { region: 'eu-central-1', credentials: ROLE_KEYS } }),
      database: db.name,
      ssl: { ca: caPem },
      enableCleartextPlugin: true,
    });
    try {
      for (const sql of ['SELECT value FROM events', 'DROP TABLE events', 'ALTER TABLE events ADD COLUMN x int', 'DELETE FROM events', 'CREATE TABLE other (id int)', 'SELECT * FROM mysql.user', 'CREATE USER x']) {
        await expect(connection.query(sql), sql).rejects.toMatchObject({ code: expect.stringMatching(/DENIED|ER_SPECIFIC_ACCESS/) });
      }
    } finally {
      await connection.end();
    }
  });

  it.each([
    ['IAM authentication is off on the database', () => void (iamEnabled = false), 'not enabled'],
    ['its role may not rds-db:connect as that user', () => void (mayConnect = false), 'no rds-db:connect'],
    ['the token is 20 minutes old when it arrives', () => void (now = Date.now() + 20 * 60_000), 'expired'],
  ])('is refused (503, retried) when %s', async (_name, change, reason) => {
    change();
    const store = createStore(config(), 100);
    try {
      await expect(store.write(reading(2), new Date())).rejects.toMatchObject({ name: 'DatabaseUnavailableError' });
      expect(standIn.refusals.at(-1)).toEqual({ user: USER, reason: expect.stringContaining(reason) });
    } finally {
      await store.close();
    }
  });

  it('makes the tables and its user when invoked with the master login (private mode), keeping no trace of it', async () => {
    const fresh = await createTestDatabase(server.address());
    const logs: unknown[] = [];
    const { createHandler } = await import('../../templates/lambda/handler.js');
    const config = readConfig({ DB_USER: USER, DB_NAME: fresh.name, DB_TLS: 'ca', DB_TLS_CA: caPem, WEBHOOK_SECRET: 's' });
    const handler = createHandler({ config, store: (db, c) => createStore(db, c.chunkRows), log: (line) => logs.push(line) });
    const admin = { host: 'localhost', port: standIn.port, user: 'root', password: 'no-such-password' };
    const refused = await handler({ 'mbed-tsdb': 'migrate', admin, webhookUser: 'tsdb_private' } as never);
    expect(refused.statusCode).toBe(503);
    const made = await handler({ 'mbed-tsdb': 'migrate', admin: { ...admin, password: '' }, webhookUser: 'tsdb_private' } as never);
    expect(made.statusCode, made.body).toBe(200);
    expect((await fresh.query<{ t: string }>('SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY t', [fresh.name])).map((r) => r.t)).toEqual([
      'events',
      'events_async_responses',
      'events_devices',
      'events_rollup',
      'events_rollup_hour',
      'events_sensor_hours',
    ]);
    expect(standIn.iamUsers.has('tsdb_private')).toBe(true);
    expect(JSON.stringify(logs)).not.toContain('no-such-password');
    await fresh.drop();
  });

  it('refuses IAM authentication without TLS, and a password beside it', () => {
    expect(readConfig({ DB_HOST: 'h', DB_USER: USER, DB_AUTH: 'iam', DB_TLS: 'off', AWS_REGION: 'r', AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 's' })).toEqual({
      ok: false,
      errors: ['DB_AUTH=iam needs TLS (DB_TLS other than off)'],
    });
    expect(readConfig({ DB_HOST: 'h', DB_USER: USER, DB_AUTH: 'iam', DB_PASSWORD: 'x', AWS_REGION: 'r', AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 's' })).toMatchObject({
      ok: false,
      errors: [expect.stringContaining('remove the password')],
    });
  });
});
