// A throwaway MariaDB for tests: `mariadbd` in a temp dir on a free loopback port,
// or the server named by MBED_TSDB_TEST_MYSQL_URL.

import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createConnection, type Connection } from 'mysql2/promise';

const run = promisify(execFile);

export interface ServerAddress {
  host: string;
  port: number;
  user: string;
  password: string;
}

export interface TlsFiles {
  ca: string;
  cert: string;
  key: string;
}

export function findMariadbd(): string | null {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin', '/usr/local/mysql/bin'];
  for (const dir of dirs) {
    for (const name of ['mariadbd', 'mysqld']) {
      const path = join(dir, name);
      if (dir && existsSync(path)) return path;
    }
  }
  return null;
}

/** Whether this machine can start a MariaDB of its own; in CI it must, or `what` would not run. */
export function canStartMariaDb(what: string): boolean {
  const found = findMariadbd() !== null;
  if (!found && process.env.CI) throw new Error(`CI: mariadbd is required for ${what}`);
  return found;
}

export function addressFromUrl(url: string): ServerAddress {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 3306),
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
  };
}

export function urlFromAddress(address: ServerAddress): string {
  return `mysql://${encodeURIComponent(address.user)}:${encodeURIComponent(address.password)}@${address.host}:${address.port}/`;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** A MariaDB server process of our own, which tests may stop and start again. */
export class LocalMariaDb {
  private process: ChildProcess | null = null;
  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly binary: string,
    private tls: TlsFiles | null,
    private readonly bufferPool = '128M',
    private readonly keep = false,
    private readonly serverArgs: readonly string[] = [],
  ) {}

  /** Restarts the server with other certificate files. */
  async restartWithTls(tls: TlsFiles): Promise<void> {
    await this.stop();
    this.tls = tls;
    await this.start();
  }

  readonly address = (): ServerAddress => ({ host: '127.0.0.1', port: this.port, user: 'root', password: '' });

  /**
   * `dir`: a folder kept between runs (the bench's generated tables), made on first use;
   * `bufferPool`: InnoDB's buffer pool (128M: small, like the smallest RDS class's share);
   * `serverArgs`: more of mariadbd's options (a test's own server settings).
   */
  static async create(options: { tls?: TlsFiles; dir?: string; bufferPool?: string; serverArgs?: string[] } = {}): Promise<LocalMariaDb> {
    const binary = findMariadbd();
    if (!binary) throw new Error('mariadbd not found: install mariadb-server or set MBED_TSDB_TEST_MYSQL_URL');
    const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'mbed-tsdb-mariadb-'));
    const server = new LocalMariaDb(dir, await freePort(), binary, options.tls ?? null, options.bufferPool, options.dir !== undefined, options.serverArgs);
    if (options.dir && existsSync(join(dir, 'data', 'mysql'))) {
      await server.start();
      return server;
    }
    mkdirSync(dir, { recursive: true });
    const installer = join(binary, '..', '..', 'bin', 'mariadb-install-db');
    const args = [
      '--no-defaults',
      `--datadir=${join(dir, 'data')}`,
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
      ...(process.getuid?.() === 0 ? ['--user=root'] : []),
    ];
    await run(existsSync(installer) ? installer : 'mariadb-install-db', args, { timeout: 60_000 });
    await server.start();
    return server;
  }

  async start(): Promise<void> {
    if (this.process) return;
    const args = [
      '--no-defaults',
      `--datadir=${join(this.dir, 'data')}`,
      `--socket=${join(this.dir, 'mysqld.sock')}`,
      `--pid-file=${join(this.dir, 'mysqld.pid')}`,
      `--log-error=${join(this.dir, 'error.log')}`,
      `--port=${this.port}`,
      '--bind-address=127.0.0.1',
      '--skip-log-bin',
      `--innodb-buffer-pool-size=${this.bufferPool}`,
      '--innodb-flush-log-at-trx-commit=2',
      '--max-connections=200',
      ...(process.getuid?.() === 0 ? ['--user=root'] : []),
      ...(this.tls ? [`--ssl-ca=${this.tls.ca}`, `--ssl-cert=${this.tls.cert}`, `--ssl-key=${this.tls.key}`] : []),
      ...this.serverArgs,
    ];
    const child = spawn(this.binary, args, { stdio: 'ignore' });
    this.process = child;
    child.once('exit', () => {
      if (this.process === child) this.process = null;
    });
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const connection = await createConnection({ ...this.address(), connectTimeout: 1000 });
        await connection.end();
        return;
      } catch (error) {
        if (!this.process || Date.now() > deadline) {
          throw new Error(`mariadbd did not start (see ${join(this.dir, 'error.log')}): ${String(error)}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  async stop(): Promise<void> {
    const child = this.process;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await exited;
  }

  /** Stops the server and removes its files, unless they are kept between runs. */
  async destroy(): Promise<void> {
    await this.stop();
    if (this.keep) return;
    rmSync(this.dir, { recursive: true, force: true });
  }
}

let databaseCounter = 0;

/** A fresh, empty database on the given server, and a user who may only use it. */
export async function createTestDatabase(server: ServerAddress, prefix = 'tsdb'): Promise<TestDatabase> {
  const suffix = `${process.pid}_${Date.now().toString(36)}_${databaseCounter++}`;
  const name = `${prefix}_${suffix}`.slice(0, 60);
  const user = `u_${suffix}`.slice(0, 32);
  const password = `pw-${Math.random().toString(36).slice(2)}'"\\;`;
  const admin = await createConnection({ ...server, multipleStatements: false });
  try {
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
    await admin.query('CREATE USER ?@? IDENTIFIED BY ?', [user, '%', password]);
    await admin.query(`GRANT ALL ON \`${name}\`.* TO ?@?`, [user, '%']);
  } finally {
    await admin.end();
  }
  return new TestDatabase(server, name, { ...server, user, password });
}

export class TestDatabase {
  constructor(
    readonly server: ServerAddress,
    readonly name: string,
    readonly login: ServerAddress,
  ) {}

  /** A connection as the server's administrator, to inspect or rearrange the database. */
  async admin(): Promise<Connection> {
    return createConnection({ ...this.server, database: this.name, timezone: 'Z', dateStrings: true });
  }

  async query<T = Record<string, unknown>>(sql: string, values: unknown[] = []): Promise<T[]> {
    const connection = await this.admin();
    try {
      const [rows] = await connection.query(sql, values);
      return rows as T[];
    } finally {
      await connection.end();
    }
  }

  async drop(): Promise<void> {
    const connection = await createConnection({ ...this.server });
    try {
      await connection.query(`DROP DATABASE IF EXISTS \`${this.name}\``);
      await connection.query('DROP USER IF EXISTS ?@?', [this.login.user, '%']);
    } finally {
      await connection.end();
    }
  }
}

/** A self-signed CA and server certificates signed by it, each naming only `serverName`. */
export async function makeTlsFiles(dir: string, serverNames: string[] = ['localhost']): Promise<TlsFiles[]> {
  const path = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => run('openssl', args, { timeout: 30_000 });
  await openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=mbed-tsdb test CA',
    '-keyout', path('ca.key'), '-out', path('ca.pem'));
  const files: TlsFiles[] = [];
  for (const [i, name] of serverNames.entries()) {
    writeFileSync(path(`san${i}.ext`), `subjectAltName=DNS:${name}\n`);
    await openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`, '-keyout', path(`server${i}.key`),
      '-out', path(`server${i}.csr`));
    await openssl('x509', '-req', '-in', path(`server${i}.csr`), '-CA', path('ca.pem'), '-CAkey', path('ca.key'),
      '-CAcreateserial', '-days', '2', '-extfile', path(`san${i}.ext`), '-out', path(`server${i}.pem`));
    files.push({ ca: path('ca.pem'), cert: path(`server${i}.pem`), key: path(`server${i}.key`) });
  }
  return files;
}
