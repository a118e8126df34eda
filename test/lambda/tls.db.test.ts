// TLS to the database: on by default and verified; a server whose certificate the
// configured CA did not sign is refused rather than trusted.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readConfig } from '../../templates/lambda/config.js';
import { createTableSql } from '../../templates/lambda/schema.js';
import { connectionOptions } from '../../templates/lambda/store.js';
import { events } from '../support/db.js';
import { b64, functionEnv, functionTarget, notification, webhookFor } from '../support/function.js';
import { counts } from '../support/function.js';
import { createTestDatabase, canStartMariaDb, LocalMariaDb, makeTlsFiles, type TestDatabase } from '../support/mariadb.js';

const canRunOwnServer = canStartMariaDb('the TLS tests');

describe.skipIf(!canRunOwnServer)(`webhook function (${functionTarget}) over TLS`, () => {
  let dir: string;
  let server: LocalMariaDb;
  let db: TestDatabase;
  let caPem: string;
  let otherName: Awaited<ReturnType<typeof makeTlsFiles>>[number];
  const body = { notifications: [notification('dev', '/3200/0/5501', b64('1'))] };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mbed-tsdb-tls-'));
    const [tls, other] = await makeTlsFiles(dir, ['localhost', 'db.elsewhere.test']);
    if (!tls || !other) throw new Error('no certificates');
    otherName = other;
    caPem = readFileSync(tls.ca, 'utf8');
    server = await LocalMariaDb.create({ tls });
    db = await createTestDatabase(server.address());
    await db.query(createTableSql());
  });
  afterAll(async () => {
    await server?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('verifies against the Amazon RDS CA by default', () => {
    const env = functionEnv(db.login, db.name);
    delete (env as Record<string, string>).DB_TLS;
    const config = readConfig(env);
    expect(config.ok && config.config.db?.tls).toEqual({ kind: 'rds' });
    const options = config.ok && config.config.db ? connectionOptions(config.config.db) : {};
    expect(options.ssl).toMatchObject({ rejectUnauthorized: true, verifyIdentity: true });
    const ca = (options.ssl as { ca: string[] }).ca;
    expect(ca.length).toBeGreaterThan(10);
    expect(ca.every((pem) => pem.includes('BEGIN CERTIFICATE'))).toBe(true);
  });

  it('refuses a server the RDS CA did not sign: 503, nothing stored', async () => {
    const webhook = await webhookFor(db, { DB_TLS: 'rds', DB_HOST: 'localhost' });
    const reply = await webhook.put(body);
    expect(reply.status).toBe(503);
    expect(String(webhook.logs.at(-1)?.error)).toMatch(/certificate/i);
    expect(await events(db)).toEqual([]);
    await webhook.close();
  });

  it('stores over a verified, encrypted connection with a configured CA', async () => {
    const webhook = await webhookFor(db, { DB_TLS: 'ca', DB_TLS_CA: caPem, DB_HOST: 'localhost' });
    expect((await webhook.put(body)).json).toEqual(counts({ stored: 1, rejected: 0, ignored: 0 }));
    await webhook.close();

    const config = readConfig(functionEnv(db.login, db.name, { DB_TLS: 'ca', DB_TLS_CA: caPem, DB_HOST: 'localhost' }));
    if (!config.ok || !config.config.db) throw new Error(config.ok ? 'no database' : config.errors.join());
    const connection = await createConnection(connectionOptions(config.config.db));
    const [rows] = await connection.query("SHOW SESSION STATUS LIKE 'Ssl_cipher'");
    await connection.end();
    expect((rows as Array<{ Value: string }>)[0]?.Value).not.toBe('');
  });

  it('refuses a certificate from the right CA that names another host', async () => {
    await server.restartWithTls(otherName);
    const webhook = await webhookFor(db, { DB_TLS: 'ca', DB_TLS_CA: caPem, DB_HOST: 'localhost' });
    const reply = await webhook.put(body);
    expect(reply.status).toBe(503);
    expect(String(webhook.logs.at(-1)?.error)).toMatch(/altnames|does not match/i);
    await webhook.close();
  });
});
