// `npm run bench`: one JSON object per line,
// {"bench","value","unit","baseline","ratio"}, ratio = value / baseline measured side by side.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createConnection } from 'mysql2/promise';
import { proxyEvent } from '../test/support/apigw.js';
import { addressFromUrl, createTestDatabase, LocalMariaDb, type ServerAddress } from '../test/support/mariadb.js';
import { createTableSql } from '../templates/lambda/schema.js';
import type * as FunctionModule from '../templates/lambda/index.js';
// @ts-expect-error plain JavaScript helper shared with the test runner
import { lambdaNode } from './lambda-node.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist', 'lambda');

function emit(bench: string, value: number, unit: 'ms' | 'bytes' | 'ratio', baseline: number | null = null): void {
  const round = (n: number) => Math.round(n * 1000) / 1000;
  const line = { bench, value: round(value), unit, baseline: baseline === null ? null : round(baseline), ratio: baseline ? round(value / baseline) : null };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

async function time(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

async function ingest(server: ServerAddress): Promise<void> {
  const db = await createTestDatabase(server, 'bench');
  await db.query(createTableSql());
  const fn = createRequire(import.meta.url)(join(dist, 'index.js')) as typeof FunctionModule;
  const config = fn.readConfig({
    DB_HOST: db.login.host,
    DB_PORT: String(db.login.port),
    DB_USER: db.login.user,
    DB_PASSWORD: db.login.password,
    DB_NAME: db.name,
    DB_TLS: 'off',
    WEBHOOK_SECRET: 'bench-secret',
  });
  const store = config.ok ? fn.createStore(config.config.db, config.config.chunkRows) : null;
  const handler = fn.createHandler({ config, store: () => store!, log: () => undefined });
  const raw = await createConnection({ ...db.login, database: db.name, timezone: 'Z' });
  const rawInsert = 'INSERT INTO `events` (`ts`, `value`, `board`, `sensor`) VALUES ?';

  for (const [n, repeats] of [[1, 200], [100, 100], [1000, 40], [10000, 15]] as const) {
    const readings = Array.from({ length: n }, (_, i) => ({ ep: `cccdb1b6-9502-4001-9a5a-${String(i % 1000).padStart(12, '0')}`, path: '/3200/0/5501', value: i }));
    const body = JSON.stringify({
      notifications: readings.map((r) => ({ ep: r.ep, path: r.path, ct: 'text/plain', payload: Buffer.from(String(r.value)).toString('base64'), 'max-age': 0 })),
    });
    const event = proxyEvent({ headers: { 'content-type': 'application/json', 'x-mbed-tsdb-secret': 'bench-secret' }, body });
    const ts = new Date().toISOString().slice(0, 19).replace('T', ' ');
    const rows = readings.map((r) => [ts, r.value, r.ep, r.path]);
    const viaFunction = async () => {
      const result = await handler(event);
      if (result.statusCode !== 200) throw new Error(`function answered ${result.statusCode}: ${result.body}`);
    };
    const viaMysql2 = () => raw.query(rawInsert, [rows]);
    await viaFunction();
    await viaMysql2();
    const fnTimes: number[] = [];
    const rawTimes: number[] = [];
    for (let i = 0; i < repeats; i++) {
      // Alternate the order so neither side always runs on a warmer server.
      if (i % 2) {
        fnTimes.push(await time(viaFunction));
        rawTimes.push(await time(viaMysql2));
      } else {
        rawTimes.push(await time(viaMysql2));
        fnTimes.push(await time(viaFunction));
      }
    }
    emit(`ingest_${n}`, median(fnTimes), 'ms', median(rawTimes));
  }
  await raw.end();
  await store?.close();
  await db.drop();
}

function processMs(command: string, args: string[], repeats: number): number[] {
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = process.hrtime.bigint();
    const result = spawnSync(command, args, { stdio: 'ignore', cwd: root, env: { ...process.env, NO_COLOR: '1' } });
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}`);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return times;
}

/** Medians of two commands run alternately, so machine noise hits both alike. */
function sideBySide(a: [string, string[]], b: [string, string[]], repeats: number): [number, number] {
  const ta: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < repeats; i++) {
    ta.push(...processMs(a[0], a[1], 1));
    tb.push(...processMs(b[0], b[1], 1));
  }
  return [median(ta), median(tb)];
}

async function main(): Promise<void> {
  const manifest = JSON.parse(readFileSync(join(dist, 'manifest.json'), 'utf8')) as { zipBytes: number; jsBytes: number };
  emit('lambda_zip_bytes', manifest.zipBytes, 'bytes');
  emit('lambda_js_bytes', manifest.jsBytes, 'bytes');

  const node = (lambdaNode() as string | null) ?? process.execPath;
  const load = `require(${JSON.stringify(join(dist, 'index.js'))})`;
  const [withBundle, bare] = sideBySide([node, ['-e', load]], [node, ['-e', '0']], 25);
  emit('lambda_init_ms', withBundle - bare, 'ms');

  const [help, bareHere] = sideBySide([process.execPath, ['bin/mbed-tsdb.js', '--help']], [process.execPath, ['-e', '0']], 25);
  emit('cli_help_ms', help, 'ms', bareHere);

  const external = process.env.MBED_TSDB_TEST_MYSQL_URL;
  const local = external ? null : await LocalMariaDb.create();
  try {
    await ingest(external ? addressFromUrl(external) : local!.address());
  } finally {
    await local?.destroy();
  }
}

await main();
