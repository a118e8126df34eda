// `mbed-tsdb dashboard` as a command: serves until Ctrl+C, refuses bad input up front.
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, hasDatabase } from '../support/db.js';
import { getJson } from '../support/http.js';
import { runCli } from '../support/cli.js';
import type { TestDatabase } from '../support/mariadb.js';

describe.skipIf(!hasDatabase)('mbed-tsdb dashboard', () => {
  let db: TestDatabase;
  let url: string;

  beforeAll(async () => {
    db = await freshDatabase();
    await db.query("INSERT INTO events (ts, value, board, sensor) VALUES (UTC_TIMESTAMP(), 1, 'dev', '/3200/0/5501')");
    url = `mysql://${db.login.user}:${encodeURIComponent(db.login.password)}@127.0.0.1:${db.login.port}/${db.name}?tls=off`;
  });
  afterAll(async () => db?.drop());

  it('prints its URL on stdout, serves the data on loopback, and stops cleanly on Ctrl+C', async () => {
    let stop!: () => void;
    const interrupted = new Promise<void>((resolve) => (stop = resolve));
    let announced!: (url: string) => void;
    const served = new Promise<string>((resolve) => (announced = resolve));
    const running = runCli(['dashboard', '--db-url', url, '--port', '0', '--no-open'], {
      interrupted,
      onStdout: (text) => text.includes('\n') && announced(text.trim()),
    });
    const address = await served;
    expect(address).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const series = await getJson(new URL('/api/series?since=1h&agg=count', address));
    expect(series.points.reduce((sum: number, p: { count: number }) => sum + p.count, 0)).toBe(1);
    stop();
    const run = await running;
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('dashboard stopped');
    await expect(fetch(address)).rejects.toThrow();
  });

  it('answers a name given with --allow-host, and no other', async () => {
    let stop!: () => void;
    const interrupted = new Promise<void>((resolve) => (stop = resolve));
    let announced!: (url: string) => void;
    const served = new Promise<string>((resolve) => (announced = resolve));
    const running = runCli(['dashboard', '--db-url', url, '--port', '0', '--no-open', '--allow-host', 'tsdb.home.arpa'], {
      interrupted,
      onStdout: (text) => text.includes('\n') && announced(text.trim()),
    });
    const address = new URL(await served);
    const { request } = await import('node:http');
    const status = (host: string) =>
      new Promise<number>((resolve, reject) => {
        request({ host: address.hostname, port: address.port, path: '/api/sources', headers: { host } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
          .on('error', reject)
          .end();
      });
    expect(await status(`tsdb.home.arpa:${address.port}`)).toBe(200);
    expect(await status(`other.home.arpa:${address.port}`)).toBe(421);
    stop();
    expect((await running).code).toBe(0);
  });

  it('refuses a port in use with exit 2', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    const run = await runCli(['dashboard', '--db-url', url, '--port', String(port), '--no-open']);
    blocker.close();
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`port ${port} is in use`);
  });

  it.each([
    [['--port', '70000'], '--port must be a whole number from 0 to 65535'],
    [['--refresh', '0'], '--refresh must be a whole number'],
    [['--since', 'later'], '--since "later"'],
    [['--allow-host', 'evil.example/path'], '--allow-host "evil.example/path" is not a host name'],
  ])('refuses %j before starting, with exit 2', async (flags, message) => {
    const run = await runCli(['dashboard', '--db-url', url, '--no-open', ...flags]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stdout).toBe('');
  });
});
