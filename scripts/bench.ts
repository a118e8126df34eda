// `npm run bench`: one JSON object per line,
// {"bench","value","unit","baseline","ratio"}, ratio = value / baseline measured side by side.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createConnection, createPool, type Connection } from 'mysql2/promise';
import { proxyEvent } from '../test/support/apigw.js';
import { addressFromUrl, createTestDatabase, LocalMariaDb, type ServerAddress } from '../test/support/mariadb.js';
import { migrate } from '../templates/lambda/schema.js';
import type * as FunctionModule from '../templates/lambda/index.js';
import { assembleSeries, planSeries, querySeries, type Series, type SeriesRequest, type SeriesRow } from '../src/db/series.js';
import { fillRollup } from '../templates/lambda/rollup.js';
import { settleHours } from '../templates/lambda/rollup-hours.js';
import { simulatedDevices } from '../src/simulate/readings.js';
import { percentile, simulate } from '../src/simulate/run.js';
import { serveFunction } from '../test/support/apigw.js';
import { emit, median } from './bench-util.js';
import { packageBench } from './bench-package.js';
import { yearTwo } from './bench-year-two.js';
import { lookAtData } from '../src/stack/status-data.js';
import { lambdaNode } from './lambda-node.mjs';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.AWS_EC2_METADATA_DISABLED ??= 'true';
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist', 'lambda');


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

/**
 * A database as setup leaves it (the rows' table and the chart rollup the function keeps with
 * them) and the bundled function storing into it, as deployed.
 */
async function benchFunction(server: ServerAddress, prefix: string) {
  const db = await createTestDatabase(server, prefix);
  const admin = await db.admin();
  await migrate(async (sql, values) => (await admin.query(sql, values))[0]);
  await admin.end();
  const fn = createRequire(import.meta.url)(join(dist, 'index.js')) as typeof FunctionModule;
  const env = {
    DB_HOST: db.login.host,
    DB_PORT: String(db.login.port),
    DB_USER: db.login.user,
    DB_PASSWORD: db.login.password,
    DB_NAME: db.name,
    DB_TLS: 'off',
    WEBHOOK_SECRET: 'bench-secret',
    DB_ROLLUP: 'on',
  };
  const config = fn.readConfig(env);
  const store = config.ok && config.config.db ? fn.createStore(config.config.db, config.config.chunkRows) : null;
  const handler = fn.createHandler({ config, store: () => store!, log: () => undefined });
  // More copies on the same store, serialising their log lines (then dropped) as on Lambda
  // (AWS_LAMBDA_FUNCTION_NAME set: the stored line carries its metric) or not.
  const logging = (functionName?: string) =>
    fn.createHandler({
      config: fn.readConfig({ ...env, ...(functionName ? { AWS_LAMBDA_FUNCTION_NAME: functionName } : {}) }),
      store: () => store!,
      log: (line) => void (logBytes += JSON.stringify(line).length),
    });
  return { db, handler, logging, close: async () => (await store?.close(), await db.drop()) };
}

let logBytes = 0;

async function ingest(server: ServerAddress): Promise<void> {
  const { db, handler, logging, close } = await benchFunction(server, 'bench');
  const raw = await createConnection({ ...db.login, database: db.name, timezone: 'Z' });
  const rawInsert = 'INSERT INTO `events` (`ts`, `value`, `board`, `sensor`) VALUES ?';

  // Batches from 1 000 boards touch 1 000 rollup rows; from one board, one.
  const cases = [[1, 200, 1000], [100, 100, 1000], [1000, 80, 1000], [10000, 21, 1000], [1000, 80, 1], [10000, 21, 1]] as const;
  for (const [n, repeats, boards] of cases) {
    const readings = Array.from({ length: n }, (_, i) => ({ ep: `cccdb1b6-9502-4001-9a5a-${String(i % boards).padStart(12, '0')}`, path: '/3200/0/5501', value: i }));
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
    emit(boards === 1 ? `ingest_${n}_one_board` : `ingest_${n}`, fnMedian, 'ms', rawMedian);
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
  // The metric in the stored line (CloudWatch embedded metric format): the same 100-reading
  // request through a copy that names itself as on Lambda, against one that does not.
  const onLambda = logging('mbed_time_series_webhook');
  const offLambda = logging();
  const hundred = proxyEvent({
    headers: { 'content-type': 'application/json', 'x-mbed-tsdb-secret': 'bench-secret' },
    body: JSON.stringify({ notifications: Array.from({ length: 100 }, (_, i) => ({ ep: `cccdb1b6-9502-4001-9a5a-${String(i).padStart(12, '0')}`, path: '/3200/0/5501', ct: 'text/plain', payload: Buffer.from(String(i)).toString('base64'), 'max-age': 0 })) }),
  });
  const stored = (h: typeof handler) => async () => {
    const result = await h(hundred);
    if (result.statusCode !== 200) throw new Error(`function answered ${result.statusCode}: ${result.body}`);
  };
  const [withMetric, without] = await alternate(stored(onLambda), stored(offLambda), 200);
  emit('ingest_100_metric_line', withMetric, 'ms', without);
  await raw.end();
  await close();
}

/** Chart queries over a million rows spread over 30 days (rollup filled), against the raw GROUP BY. */
async function chart(server: ServerAddress): Promise<void> {
  const db = await createTestDatabase(server, 'chart');
  const connection = await createConnection({ ...db.login, database: db.name, timezone: 'Z' });
  await migrate(async (sql, values) => (await connection.query(sql, values))[0]);
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
  await fillRollup(connection, 'events');
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
 * `simulate` against the function behind the local webhook adapter (real HTTP) into MariaDB:
 * the time to push N readings at --batch 1 and 1000, against raw mysql2 INSERTs of the same rows
 * in the same batches; and the requests' p50/p99 latency.
 */
async function simulateLocal(server: ServerAddress): Promise<void> {
  const { db, handler, close } = await benchFunction(server, 'sim');
  const served = await serveFunction(handler as never);
  const raw = await createConnection({ ...db.login, database: db.name, timezone: 'Z' });
  for (const [batch, readings] of [[1, 2000], [1000, 100_000]] as const) {
    const devices = simulatedDevices(1000);
    const run = () =>
      simulate({
        devices,
        resource: '/3200/0/5501',
        // All due within a millisecond: the run is as fast as the webhook answers.
        rate: readings * 1000,
        durationMs: 1,
        batch,
        izuma: true,
        runId: `bench${batch}x${Math.random().toString(36).slice(2, 8)}`,
        now: () => performance.now(),
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        put: async (body) => {
          const response = await fetch(served.url, { method: 'PUT', headers: { 'content-type': 'application/json', 'x-mbed-tsdb-secret': 'bench-secret' }, body });
          return { status: response.status, text: await response.text() };
        },
      });
    const ts = new Date().toISOString().slice(0, 19).replace('T', ' ');
    const rows = Array.from({ length: readings }, (_, i) => [ts, i, devices[i % devices.length]!.id, '/3200/0/5501', `raw-${batch}-${Math.random()}-${i}`]);
    const insertRaw = async () => {
      for (let i = 0; i < rows.length; i += batch) await raw.query('INSERT INTO `events` (`ts`, `value`, `board`, `sensor`, `uid`) VALUES ?', [rows.slice(i, i + batch).map((r) => [...r.slice(0, 4), `${r[4]}-${Math.random()}`])]);
    };
    const viaSimulate: number[] = [];
    const viaRaw: number[] = [];
    let latencies: number[] = [];
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      const stats = await run();
      viaSimulate.push(performance.now() - started);
      if (stats.stored !== readings) throw new Error(`simulate_local: ${stats.stored} of ${readings} stored`);
      latencies = latencies.concat(stats.latencies);
      viaRaw.push(await time(insertRaw));
    }
    emit(`simulate_local_${batch}`, median(viaSimulate), 'ms', median(viaRaw));
    emit(`simulate_local_${batch}_p50`, percentile(latencies, 50)!, 'ms');
    emit(`simulate_local_${batch}_p99`, percentile(latencies, 99)!, 'ms');
    process.stderr.write(`simulate_local_${batch}: ${Math.round(readings / (median(viaSimulate) / 1000))} readings/s (raw INSERT ${Math.round(readings / (median(viaRaw) / 1000))}/s)\n`);
  }
  await raw.end();
  await served.close();
  await close();
}

/** The generated tables of `chart_10m_30d` and `chart_100m_365d`: rows, days, name. */
const LARGE_CHARTS = [
  { name: 'chart_10m_30d', table: 'events_10m', rows: 10_000_000, days: 30, rawRepeats: 5 },
  { name: 'chart_100m_365d', table: 'events_100m', rows: 100_000_000, days: 365, rawRepeats: 3 },
] as const;
/** Where the generated rows end: charts are asked for the month or year before this instant. */
const LARGE_END = Date.parse('2026-11-01T00:00:00Z') / 1000;

/**
 * Ten boards' readings, `rows` of them spread evenly over `days`, made by the server itself
 * (the Sequence engine's seq_1_to_N) into a table made as the function makes it, then the
 * rollup filled as setup fills it. Kept between runs: `bench_generated` says which are done.
 */
async function generateLarge(connection: Connection, spec: (typeof LARGE_CHARTS)[number]): Promise<void> {
  await connection.query('CREATE TABLE IF NOT EXISTS bench_generated (name varchar(64) PRIMARY KEY, rows_made bigint NOT NULL)');
  const [done] = (await connection.query('SELECT rows_made FROM bench_generated WHERE name = ?', [spec.table])) as unknown as [Array<{ rows_made: number }>];
  if (Number(done[0]?.rows_made) === spec.rows) return;
  const started = Date.now();
  await connection.query(`DROP TABLE IF EXISTS ${spec.table}, ${spec.table}_rollup, ${spec.table}_rollup_hour, ${spec.table}_sensor_hours, ${spec.table}_devices, ${spec.table}_async_responses`);
  await migrate(async (sql, values) => (await connection.query(sql, values))[0], spec.table);
  const span = spec.days * 86400;
  const chunk = 1_000_000;
  for (let first = 1; first <= spec.rows; first += chunk) {
    const last = Math.min(first + chunk - 1, spec.rows);
    await connection.query(
      `INSERT INTO ${spec.table} (ts, value, board, sensor) ` +
        `SELECT FROM_UNIXTIME(? + FLOOR(seq * ? / ?)), (seq * 7919 MOD 1000) / 10, CONCAT('0173a4e2c5a0000000000000000000', LPAD(seq MOD 10, 2, '0')), '/3303/0/5700' ` +
        `FROM seq_${first}_to_${last}`,
      [LARGE_END - span, span, spec.rows],
    );
    process.stderr.write(`\r${spec.table}: ${last.toLocaleString('en')} of ${spec.rows.toLocaleString('en')} rows (${Math.round((Date.now() - started) / 1000)} s)`);
  }
  await fillRollup(connection, spec.table, {
    onChunk: (p) => process.stderr.write(`\r${spec.table}: rollup filled to ${new Date(p.filledBefore! * 1000).toISOString().slice(0, 10)} (${Math.round((Date.now() - started) / 1000)} s)    `),
  });
  await connection.query('ANALYZE TABLE ' + spec.table);
  await connection.query('REPLACE INTO bench_generated VALUES (?, ?)', [spec.table, spec.rows]);
  process.stderr.write(`\n${spec.table}: generated in ${Math.round((Date.now() - started) / 1000)} s\n`);
}

function checkSameSeries(name: string, a: Series, b: Series): void {
  const close = (x: number | null, y: number | null) => x === y || (x !== null && y !== null && Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(y)));
  const same = a.points.length === b.points.length && a.points.every((p, i) => p.start === b.points[i]!.start && p.count === b.points[i]!.count && close(p.value, b.points[i]!.value));
  if (!same || !a.points.some((p) => p.count > 0)) throw new Error(`${name}: the chart's answer differs from the raw query's`);
}

/**
 * The month and the year by hour over 10 and 100 million rows: `chart` (settled hours from the
 * hourly level, the last day from the 15-minute rollup, raw rows at
 * the edges) against today's raw GROUP BY on the same rows. The server has the buffer pool of
 * the db.t4g.micro setup creates (RDS gives InnoDB 3/4 of its 1 GB).
 */
async function chartLarge(server: ServerAddress): Promise<void> {
  const login = { ...server, database: 'mbed_tsdb_bench_chart', timezone: 'Z' as const };
  const admin = await createConnection({ ...server });
  await admin.query('CREATE DATABASE IF NOT EXISTS mbed_tsdb_bench_chart');
  await admin.end();
  const connection = await createConnection(login);
  for (const spec of LARGE_CHARTS) {
    await generateLarge(connection, spec);
    // As setup and the chart leave it: the hours a day and more ago summed (kept between runs too).
    const query = async (sql: string, values?: unknown[]) => (await connection.query(sql, values))[0];
    await migrate(query, spec.table);
    const started = Date.now();
    await settleHours(query, spec.table, { onChunk: (p) => process.stderr.write(`\r${spec.table}: hours settled to ${new Date(p.settledBefore * 1000).toISOString().slice(0, 10)} (${Math.round((Date.now() - started) / 1000)} s)    `) });
  }
  await connection.end();
  const pool = createPool({ ...login, connectionLimit: 1, dateStrings: true });
  for (const spec of LARGE_CHARTS) {
    // "Now" a little after the last row, as a chart of the last month or year would ask.
    const until = LARGE_END + 437;
    const request: SeriesRequest = { since: until - spec.days * 86400, until, bucket: 'hour', tz: 'UTC', agg: 'avg', table: spec.table };
    const plan = planSeries(request);
    const viaChart = () => querySeries(pool, request);
    const raw = () => pool.query(plan.sql, plan.values);
    // Both answer the same before either is timed.
    const fromChart = await viaChart();
    const fromRaw = assembleSeries(request, plan.buckets, (await raw())[0] as SeriesRow[]);
    checkSameSeries(spec.name, fromChart, fromRaw);
    const charted: number[] = [];
    const rawTimes: number[] = [];
    for (let i = 0; i < spec.rawRepeats; i++) {
      rawTimes.push(await time(raw));
      for (let j = 0; j < 7; j++) charted.push(await time(viaChart));
    }
    emit(spec.name, median(charted), 'ms', median(rawTimes));
  }
  await pool.end();
}

/**
 * status's database part (lookAtData: counts, newest values, storage) over chart-large's
 * 100-million-row table, against the first of the full scans it did before, once: COUNT(*) and
 * MAX(ts) of every row. (Its second, a GROUP BY of every row joined back by id, ran for more than
 * 48 minutes here before it was stopped: the baseline is a lower bound.)
 */
async function statusAt100m(server: ServerAddress): Promise<void> {
  const connection = await createConnection({ ...server, database: 'mbed_tsdb_bench_chart', timezone: 'Z' });
  const query = async (sql: string, values?: unknown[]) => (await connection.query(sql, values))[0];
  const table = LARGE_CHARTS[1].table;
  const timed: number[] = [];
  for (let i = 0; i < 7; i++) timed.push(await time(() => lookAtData(query, table, [])));
  const scan = await time(() => query(`SELECT COUNT(*) AS n, MAX(ts) AS newest FROM ${table}`));
  emit('status_at_100m_ms', median(timed), 'ms', scan);
  await connection.end();
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

/**
 * The mutation score of the data path takes hours (`npm run mutate`): printed from its last saved
 * summary, with the commit it measured, whether that tree had uncommitted changes, and when.
 */
function mutationScore(): void {
  const file = join(root, 'reports', 'mutation', 'summary.json');
  if (!existsSync(file)) {
    process.stderr.write('mutation_score_data_path: no saved report (npm run mutate)\n');
    return;
  }
  const summary = JSON.parse(readFileSync(file, 'utf8')) as { score: number; commit: string; dirty: boolean; measuredAt: string; counts: Record<string, number> };
  emit('mutation_score_data_path', summary.score, 'ratio', null, { commit: summary.commit, dirty: summary.dirty, measuredAt: summary.measuredAt, counts: summary.counts });
}

/** `npm run bench -- ingest chart`: only these groups (sizes, package, ingest, chart, simulate, chart-large, year-two, status-large, setup, mutation); all by default. */
const groups = new Set(process.argv.slice(2));
const wanted = (group: string) => groups.size === 0 || groups.has(group);

/** Where the large charts' generated rows are kept between runs (some GB). */
const largeDataDir = () => process.env.MBED_TSDB_BENCH_DATA ?? join(homedir(), '.cache', 'mbed-tsdb', 'bench-mariadb');

async function main(): Promise<void> {
  if (wanted('sizes')) await sizes();
  if (wanted('package')) await packageBench();
  const external = process.env.MBED_TSDB_TEST_MYSQL_URL;
  if (wanted('ingest') || wanted('chart') || wanted('simulate')) {
    const local = external ? null : await LocalMariaDb.create();
    try {
      const server = external ? addressFromUrl(external) : local!.address();
      if (wanted('ingest')) await ingest(server);
      if (wanted('chart')) await chart(server);
      if (wanted('simulate')) await simulateLocal(server);
    } finally {
      await local?.destroy();
    }
  }
  if (wanted('chart-large') || wanted('year-two') || wanted('status-large')) {
    const local = external ? null : await LocalMariaDb.create({ dir: largeDataDir(), bufferPool: '768M' });
    try {
      const server = external ? addressFromUrl(external) : local!.address();
      if (wanted('chart-large')) await chartLarge(server);
      if (wanted('year-two')) await yearTwo(server, dist);
      // After chart-large: its 100-million-row table, made and settled.
      if (wanted('status-large')) await statusAt100m(server);
    } finally {
      await local?.destroy();
    }
  }
  if (wanted('setup')) await setupTimeline();
  if (wanted('mutation')) mutationScore();
}

async function sizes(): Promise<void> {
  const manifest = JSON.parse(readFileSync(join(dist, 'manifest.json'), 'utf8')) as { zipBytes: number; jsBytes: number };
  emit('lambda_zip_bytes', manifest.zipBytes, 'bytes');
  emit('lambda_js_bytes', manifest.jsBytes, 'bytes');

  const node = (lambdaNode() as string | null) ?? process.execPath;
  const load = `require(${JSON.stringify(join(dist, 'index.js'))})`;
  const [withBundle, bare] = sideBySide([node, ['-e', load]], [node, ['-e', '0']], 25);
  emit('lambda_init_ms', withBundle - bare, 'ms');

  const [help, bareHere] = sideBySide([process.execPath, ['bin/mbed-tsdb.js', '--help']], [process.execPath, ['-e', '0']], 25);
  emit('cli_help_ms', help, 'ms', bareHere);
}

await main();
