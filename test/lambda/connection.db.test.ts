// The container's one connection (templates/lambda/connection.ts) against MariaDB: the options
// every session gets, reuse until the server may have closed it, and what a dropped, failed or
// discarded connection leaves for the next request.
import { createServer, type Server } from 'node:net';
import type { Connection } from 'mysql2/promise';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DbConfig } from '../../templates/lambda/config.js';
import { connectionKeeper, connectionOptions, withAuth } from '../../templates/lambda/connection.js';
import { DatabaseUnavailableError } from '../../templates/lambda/db-errors.js';
import { freshDatabase, hasDatabase } from '../support/db.js';
import type { TestDatabase } from '../support/mariadb.js';

const IAM = { region: 'eu-west-1', credentials: { accessKeyId: 'AKIA', secretAccessKey: 'secret' } };
const base: DbConfig = { host: 'db.example', port: 3306, user: 'u', password: 'pw', database: 'tsdb', table: 'events', tls: { kind: 'off' }, connectTimeoutMs: 2000 };

describe('connection options', () => {
  it('utf8mb4, UTC, keep-alive; no TLS when off', () => {
    expect(connectionOptions(base)).toEqual({
      host: 'db.example',
      port: 3306,
      user: 'u',
      password: 'pw',
      database: 'tsdb',
      charset: 'utf8mb4_general_ci',
      timezone: 'Z',
      connectTimeout: 2000,
      enableKeepAlive: true,
    });
  });

  it('verifies the server’s certificate and host name against the RDS bundle or the given CA', () => {
    const rds = connectionOptions({ ...base, tls: { kind: 'rds' } }).ssl as { ca: string[]; rejectUnauthorized: boolean; verifyIdentity: boolean };
    expect(rds.rejectUnauthorized).toBe(true);
    expect(rds.verifyIdentity).toBe(true);
    expect(rds.ca.length).toBeGreaterThan(10);
    expect(connectionOptions({ ...base, tls: { kind: 'ca', pem: 'PEM' } }).ssl).toEqual({ ca: 'PEM', rejectUnauthorized: true, verifyIdentity: true });
  });

  it('IAM: a signed token in place of the password, sent in clear only inside TLS', async () => {
    await expect(withAuth({ ...base, password: '', iam: IAM })).rejects.toThrow(new Error('IAM database authentication needs TLS'));
    const options = await withAuth({ ...base, password: '', tls: { kind: 'rds' }, iam: IAM });
    expect(options.password).toMatch(/^db\.example:3306\/\?Action=connect&DBUser=u&/);
    expect(options.enableCleartextPlugin).toBe(true);
    expect(await withAuth(base)).toEqual(connectionOptions(base));
  });
});

describe('the keeper, when the database cannot be reached', () => {
  let server: Server;
  let accepted = 0;
  beforeAll(async () => {
    // Accepts and hangs up at once: every connection attempt fails, and is counted.
    server = createServer((socket) => {
      accepted++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('says the database is unavailable, with the cause, and tries again on the next call', async () => {
    const keeper = connectionKeeper({ ...base, host: '127.0.0.1', port: (server.address() as { port: number }).port });
    const first = await keeper.connect().catch((error: unknown) => error);
    expect(first).toBeInstanceOf(DatabaseUnavailableError);
    expect((first as Error).cause).toBeInstanceOf(Error);
    await new Promise((resolve) => setTimeout(resolve, 10));
    await expect(keeper.connect()).rejects.toBeInstanceOf(DatabaseUnavailableError);
    expect(accepted).toBe(2);
    // Discarding or closing a connection that never opened is fine.
    await expect(keeper.discard()).resolves.toBeUndefined();
    await expect(keeper.close()).resolves.toBeUndefined();
  });
});

describe.skipIf(!hasDatabase)('the keeper on MariaDB', () => {
  let db: TestDatabase;
  let config: DbConfig;
  const kept: Array<ReturnType<typeof connectionKeeper>> = [];
  const keeper = (over: Partial<DbConfig> = {}) => {
    const made = connectionKeeper({ ...config, ...over });
    kept.push(made);
    return made;
  };
  const threadOf = async (connection: Connection) => ((await connection.query('SELECT CONNECTION_ID() AS id')) as unknown as [Array<{ id: number }>])[0][0]!.id;
  const alive = async (id: number) => (await db.query('SELECT 1 FROM information_schema.PROCESSLIST WHERE ID = ?', [id])).length === 1;
  const eventually = async (check: () => Promise<boolean>) => {
    for (let i = 0; i < 100 && !(await check()); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    return check();
  };

  beforeAll(async () => {
    db = await freshDatabase();
    config = { ...base, host: db.login.host, port: db.login.port, user: db.login.user, password: db.login.password, database: db.name, idleCloseSeconds: 7 };
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await Promise.all(kept.splice(0).map((k) => k.close()));
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('sets the session up: backslash escapes, wait_timeout, several statements per query, no FOUND_ROWS, no LOCAL INFILE', async () => {
    const connection = await keeper().connect();
    const [[session]] = (await connection.query("SELECT @@SESSION.wait_timeout AS wait, @@SESSION.sql_mode LIKE '%NO_BACKSLASH_ESCAPES%' AS nbe")) as unknown as [
      Array<{ wait: number; nbe: number }>,
    ];
    expect(session).toEqual({ wait: 7, nbe: 0 });
    const [results] = (await connection.query('SELECT 1 AS a; SELECT 2 AS b')) as unknown as [unknown[]];
    expect(results).toEqual([[{ a: 1 }], [{ b: 2 }]]);
    await connection.query('CREATE TABLE t (k INT PRIMARY KEY, v INT)');
    await connection.query('INSERT INTO t VALUES (1, 1)');
    const [same] = (await connection.query('INSERT INTO t VALUES (1, 1) ON DUPLICATE KEY UPDATE v = v')) as unknown as [{ affectedRows: number }];
    expect(same.affectedRows).toBe(0);
    await expect(connection.query("LOAD DATA LOCAL INFILE '/etc/hostname' INTO TABLE t")).rejects.toThrow();
  });

  it('keeps one connection while it is used, and replaces it once the server may have closed it (90 % of wait_timeout idle)', async () => {
    let now = 1_000_000;
    vi.spyOn(Date, 'now').mockImplementation(() => now);
    const k = keeper({ idleCloseSeconds: 1 });
    const first = await k.connect();
    const id = await threadOf(first);
    now += 899;
    expect(await k.connect()).toBe(first);
    now += 899;
    k.touch();
    now += 899;
    expect(await k.connect()).toBe(first);
    now += 900;
    const second = await k.connect();
    expect(second).not.toBe(first);
    expect(await threadOf(second)).not.toBe(id);
    expect(await eventually(async () => !(await alive(id)))).toBe(true);
  });

  it('forgets a connection that dropped between calls, so the next call opens another', async () => {
    const k = keeper();
    const first = await k.connect();
    const id = await threadOf(first);
    // Closed by the server while idle: mysql2 tells it as the connection's 'error' event.
    await db.query(`KILL ${id}`);
    await eventually(async () => (await k.connect()) !== first);
    const second = await k.connect();
    expect(second).not.toBe(first);
    expect(await threadOf(second)).not.toBe(id);
  });

  it('an error from an old connection does not drop the one that replaced it', async () => {
    let now = 1_000_000;
    vi.spyOn(Date, 'now').mockImplementation(() => now);
    const k = keeper({ idleCloseSeconds: 1 });
    const old = await k.connect();
    now += 5000;
    const current = await k.connect();
    expect(current).not.toBe(old);
    (old as unknown as { connection: { emit(event: string, error: Error): void } }).connection.emit('error', new Error('late'));
    expect(await k.connect()).toBe(current);
  });

  it('discard drops the connection now, and the next call opens another', async () => {
    const k = keeper();
    const first = await k.connect();
    const id = await threadOf(first);
    await k.discard();
    expect(await eventually(async () => !(await alive(id)))).toBe(true);
    const second = await k.connect();
    expect(await threadOf(second)).not.toBe(id);
  });

  it('close ends the connection', async () => {
    const k = keeper();
    const id = await threadOf(await k.connect());
    await k.close();
    expect(await eventually(async () => !(await alive(id)))).toBe(true);
  });
});
