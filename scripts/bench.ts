// `npm run bench`: one JSON object per line,
// {"bench","value","unit","baseline","ratio"}, ratio = value / baseline measured side by side.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createConnection, createPool } from 'mysql2/promise';
import { proxyEvent } from '../test/support/apigw.js';
import { addressFromUrl, createTestDatabase, LocalMariaDb, type ServerAddress } from '../test/support/mariadb.js';
import { createTableSql } from '../templates/lambda/schema.js';
import type * as FunctionModule from '../templates/lambda/index.js';
import { planSeries, querySeries, type SeriesRequest } from '../src/db/series.js';
// @ts-expect-error plain JavaScript helper shared with the test runner
import { lambdaNode } from './lambda-node.mjs';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.AWS_EC2_METADATA_DISABLED ??= 'true';
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

/** Medians of two measured actions after a warm-up, run in alternating order so neither always runs on a warmer server. */
async function alternate(a: () => Promise<unknown>, b: () => Promise<unknown>, repeats: number): Promise<[number, number]> {
  await a();
  await b();
  const ta: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < repeats; i++) {
    if (i % 2) {
      ta.push(await time(a));
      tb.push(await time(b));
    } else {
      tb.push(await time(b));
      ta.push(await time(a));
    }
  }
  return [median(ta), median(tb)];
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
  const store = config.ok && config.config.db ? fn.createStore(config.config.db, config.config.chunkRows) : null;
  const handler = fn.createHandler({ config, store: () => store!, log: () => undefined });
  const raw = await createConnection({ ...db.login, database: db.name, timezone: 'Z' });
  const rawInsert = 'INSERT INTO `events` (`ts`, `value`, `board`, `sensor`) VALUES ?';

  for (const [n, repeats] of [[1, 200], [100, 100], [1000, 80], [10000, 21]] as const) {
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
    const [fnMedian, rawMedian] = await alternate(viaFunction, viaMysql2, repeats);
    emit(`ingest_${n}`, fnMedian, 'ms', rawMedian);
  }

  // Izuma's deliveries carry a uid per reading: INSERT IGNORE in a transaction (redeliveries
  // skipped with INSERT rights alone), against a plain INSERT of the same rows.
  let batch = 0;
  for (const [n, repeats] of [[1, 200], [1000, 80]] as const) {
    const events = Array.from({ length: repeats * 2 + 2 }, () => {
      batch += 1;
      const notifications = Array.from({ length: n }, (_, i) => ({
        ep: `cccdb1b6-9502-4001-9a5a-${String(i % 1000).padStart(12, '0')}`,
        path: '/3200/0/5501',
        ct: 'text/plain',
        payload: Buffer.from(String(i)).toString('base64'),
        'max-age': 0,
        uid: `fn-${batch}-${i}`,
        timestamp: Date.now(),
      }));
      return proxyEvent({ headers: { 'content-type': 'application/json', 'x-mbed-tsdb-secret': 'bench-secret' }, body: JSON.stringify({ notifications }) });
    });
    const ts = new Date().toISOString().slice(0, 19).replace('T', ' ');
    let next = 0;
    const viaFunction = async () => {
      const result = await handler(events[next++]!);
      if (result.statusCode !== 200) throw new Error(`function answered ${result.statusCode}: ${result.body}`);
    };
    const rawBatches = Array.from({ length: repeats + 1 }, (_, b) =>
      Array.from({ length: n }, (_, i) => [ts, i, `cccdb1b6-9502-4001-9a5a-${String(i % 1000).padStart(12, '0')}`, '/3200/0/5501', `raw-${n}-${b}-${i}`]),
    );
    let rawNext = 0;
    const viaMysql2 = () => raw.query('INSERT INTO `events` (`ts`, `value`, `board`, `sensor`, `uid`) VALUES ?', [rawBatches[rawNext++]]);
    const [fnMedian, rawMedian] = await alternate(viaFunction, viaMysql2, repeats);
    emit(`ingest_uid_${n}`, fnMedian, 'ms', rawMedian);
  }
  await raw.end();
  await store?.close();
  await db.drop();
}

/** Chart queries over a million rows spread over 30 days, against the same GROUP BY run raw. */
async function chart(server: ServerAddress): Promise<void> {
  const db = await createTestDatabase(server, 'chart');
  await db.query(createTableSql());
  const connection = await createConnection({ ...db.login, database: db.name, timezone: 'Z' });
  const now = Math.floor(Date.now() / 1000);
  const total = 1_000_000;
  const span = 30 * 86400;
  const batch = 20_000;
  for (let start = 0; start < total; start += batch) {
    const rows = [];
    for (let i = start; i < start + batch; i++) {
      const ts = new Date((now - Math.floor((i / total) * span) - 1) * 1000).toISOString().slice(0, 19).replace('T', ' ');
      rows.push([ts, i % 7, `cccdb1b6-9502-4001-9a5a-00000000000${i % 5}`, i % 3 ? '/3200/0/5501' : '/3303/0/5700']);
    }
    await connection.query('INSERT INTO events (ts, value, board, sensor) VALUES ?', [rows]);
  }
  await connection.query('ANALYZE TABLE events');
  const pool = createPool({ ...db.login, database: db.name, connectionLimit: 1, dateStrings: true });
  for (const [name, seconds] of [['24h', 86400], ['7d', 7 * 86400], ['30d', 30 * 86400]] as const) {
    const request: SeriesRequest = { since: now - seconds, until: now + 1, bucket: 'hour', tz: 'UTC', agg: 'sum', table: 'events' };
    const plan = planSeries(request);
    const viaChart = () => querySeries(pool, request);
    const raw = () => pool.query(plan.sql, plan.values);
    const [chartMedian, rawMedian] = await alternate(viaChart, raw, 21);
    emit(`chart_1m_${name}`, chartMedian, 'ms', rawMedian);
  }
  await pool.end();
  await connection.end();
  await db.drop();
}

/**
 * setup under virtual time: AWS answers from the fake after 100 ms a call, the database is
 * available 300 s after it is requested, a function Active 60 s after creation, a new role
 * usable after 10 s, a configuration update done after 5 s. Reported against the critical
 * path's lower bound (the database chain: the calls it cannot do without, the boot, the update).
 */
async function setupTimeline(): Promise<void> {
  const { startWorld } = await import('../test/support/setup-world.js');
  const { VirtualClock } = await import('../test/support/virtual-clock.js');
  const world = await startWorld();
  try {
    const clock = new VirtualClock();
    const CALL_MS = 100;
    world.aws.clock = () => clock.now;
    world.aws.latency = () => clock.sleep(CALL_MS);
    Object.assign(world.aws.rds, { bootMs: 300_000 });
    Object.assign(world.aws.lambda, { activeMs: 60_000, roleDelayMs: 10_000, updateMs: 5_000 });
    const run = await clock.run(world.setup([], { hooks: { sleep: clock.sleep, now: () => clock.now } }));
    if (run.code !== 0) throw new Error(`setup failed in the timeline: ${run.stderr}`);
    // Lower bound: VPC + subnets (2), two security groups and the rule (3), subnet group and
    // instance (2), the boot, one look that sees it available (1), the function update (1) and
    // its 5 s, one look that sees it done (1): nothing on the database's chain can go faster.
    const bound = 9 * CALL_MS + 300_000 + 5_000;
    emit('setup_timeline', clock.now, 'ms', bound);
  } finally {
    await world.close();
  }
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
    const server = external ? addressFromUrl(external) : local!.address();
    await ingest(server);
    await chart(server);
    await setupTimeline();
  } finally {
    await local?.destroy();
  }
}

await main();
