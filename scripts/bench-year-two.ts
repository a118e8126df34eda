// `npm run bench -- year-two`: the write side at year-two sizes, on a server with the buffer pool
// of the db.t4g.micro setup creates (768 MB, O_DIRECT: MariaDB's default on Linux).
// - ingest_uid_1000_at_30m: a 1 000-reading request with fresh uids, through the bundled function,
//   into a table already holding 30 million readings with random uids, against the same request
//   into an empty table made the same way; _page_reads: InnoDB pages read from disk per such
//   request (Innodb_buffer_pool_reads), which does not depend on this machine's disk.
// - bytes_per_reading: the 30-million table's data and indexes and its rollups, per reading.
// - retention_drop_month_ms: a month of 26 million readings removed from the table as maintenance
//   does it (swapped into the side table, its emptied partition dropped), against DELETE of the
//   same rows (the table made again in between); retention_free_month_ms: the side table dropped
//   after, its file deleted (no lock on the readings table), against dropping the partition with
//   its rows in it, as maintenance did before.
// Generated tables are kept between runs (`bench_generated` says which are done).
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { createConnection, type Connection } from 'mysql2/promise';
import type * as FunctionModule from '../templates/lambda/index.js';
import { maintainPartitions } from '../templates/lambda/maintenance.js';
import { maintenancePlan, PARTITIONS_SQL, type Partition } from '../templates/lambda/partitions.js';
import { fillRollup } from '../templates/lambda/rollup.js';
import { createTableSql, migrate } from '../templates/lambda/schema.js';
import { companionTables } from '../templates/lambda/schema-names.js';
import { proxyEvent } from '../test/support/apigw.js';
import type { ServerAddress } from '../test/support/mariadb.js';
import { emit, median } from './bench-util.js';

const DATABASE = 'mbed_tsdb_bench_year_two';
const BIG = { table: 'events_30m', rows: 30_000_000 };
/** A month of ten boards once a second, give or take: 26 million readings. */
const MONTH = { table: 'events_month', rows: 26_000_000, start: '2026-10-01 00:00:00', seconds: 31 * 86_400 };
const EMPTY = 'events_empty';

const log = (text: string) => process.stderr.write(text);
const progress = (table: string, started: number, done: number, of: number) =>
  log(`\r${table}: ${done.toLocaleString('en')} of ${of.toLocaleString('en')} rows (${Math.round((Date.now() - started) / 1000)} s)    `);

async function dropWithCompanions(connection: Connection, table: string): Promise<void> {
  await connection.query(`DROP TABLE IF EXISTS ${[table, ...Object.values(companionTables(table))].join(', ')}`);
}

/**
 * `rows` readings of ten boards with random 32-character uids (as a message ID looks), spread
 * evenly over [from, from + seconds), inserted in time order by the server itself into a table
 * made as the function makes it today.
 */
async function generate(connection: Connection, table: string, rows: number, from: string, seconds: number, madeAtMs: number): Promise<void> {
  const started = Date.now();
  await dropWithCompanions(connection, table);
  await connection.query(createTableSql(table, madeAtMs));
  await migrate(async (sql, values) => (await connection.query(sql, values))[0], table);
  const chunk = 1_000_000;
  for (let first = 1; first <= rows; first += chunk) {
    const last = Math.min(first + chunk - 1, rows);
    await connection.query(
      `INSERT INTO ${table} (ts, value, board, sensor, uid) ` +
        `SELECT CAST(? AS DATETIME) + INTERVAL FLOOR(seq * ? / ?) SECOND, (seq * 7919 MOD 1000) / 10, CONCAT('0173a4e2c5a0000000000000000000', LPAD(seq MOD 10, 2, '0')), '/3303/0/5700', MD5(CONCAT(?, seq)) ` +
        `FROM seq_${first}_to_${last}`,
      [from, seconds, rows, table],
    );
    progress(table, started, last, rows);
  }
  log('\n');
}

async function generated(connection: Connection, name: string, rows: number, make: () => Promise<void>): Promise<void> {
  await connection.query('CREATE TABLE IF NOT EXISTS bench_generated (name varchar(64) PRIMARY KEY, rows_made bigint NOT NULL)');
  const [done] = (await connection.query('SELECT rows_made FROM bench_generated WHERE name = ?', [name])) as unknown as [Array<{ rows_made: number }>];
  if (Number(done[0]?.rows_made) === rows) return;
  await make();
  await connection.query('REPLACE INTO bench_generated VALUES (?, ?)', [name, rows]);
}

const sqlNow = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

/** The bundled function storing into one table of the bench's database. */
function functionFor(server: ServerAddress, dist: string, table: string) {
  const fn = createRequire(import.meta.url)(join(dist, 'index.js')) as typeof FunctionModule;
  const config = fn.readConfig({
    DB_HOST: server.host,
    DB_PORT: String(server.port),
    DB_USER: server.user,
    DB_PASSWORD: server.password,
    DB_NAME: DATABASE,
    DB_TABLE: table,
    DB_TLS: 'off',
    WEBHOOK_SECRET: 'bench-secret',
    DB_ROLLUP: 'on',
  });
  const store = config.ok && config.config.db ? fn.createStore(config.config.db, config.config.chunkRows) : null;
  const handler = fn.createHandler({ config, store: () => store!, log: () => undefined });
  return { handler, close: async () => store?.close() };
}

let delivery = 0;
/** A request of 1 000 readings from 10 boards with fresh random uids, stamped now by the service. */
function freshRequest() {
  delivery += 1;
  const now = Date.now();
  const notifications = Array.from({ length: 1000 }, (_, i) => ({
    ep: `0173a4e2c5a0000000000000000000${String(i % 10).padStart(2, '0')}`,
    path: '/3303/0/5700',
    ct: 'text/plain',
    payload: Buffer.from(String(i / 10)).toString('base64'),
    'max-age': 0,
    uid: `${(Math.random() * 2 ** 52).toString(16)}${delivery.toString(16)}${i.toString(16)}${Math.random().toString(16).slice(2)}`.slice(0, 32),
    timestamp: now,
  }));
  return proxyEvent({ headers: { 'content-type': 'application/json', 'x-mbed-tsdb-secret': 'bench-secret' }, body: JSON.stringify({ notifications }) });
}

async function poolReads(connection: Connection): Promise<number> {
  const [rows] = (await connection.query("SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_reads'")) as unknown as [Array<{ Value: string }>];
  return Number(rows[0]!.Value);
}

async function ingestAt30m(server: ServerAddress, dist: string, connection: Connection): Promise<void> {
  const now = Date.now();
  // 30 million readings over the 35 days before now: ten boards about once a second.
  await generated(connection, BIG.table, BIG.rows, async () => {
    const span = 35 * 86_400;
    await generate(connection, BIG.table, BIG.rows, sqlNow(now - span * 1000), span, now - span * 1000);
    const started = Date.now();
    await fillRollup(connection, BIG.table, { onChunk: (p) => log(`\r${BIG.table}: rollup filled to ${new Date(p.filledBefore! * 1000).toISOString().slice(0, 10)} (${Math.round((Date.now() - started) / 1000)} s)    `) });
    log('\n');
    await connection.query(`ANALYZE TABLE ${BIG.table}`);
  });
  // Months ahead, as maintenance keeps them: the new readings' month exists.
  await maintainPartitions(async (sql, values) => (await connection.query(sql, values))[0], BIG.table, now, null);
  await dropWithCompanions(connection, EMPTY);
  await connection.query(createTableSql(EMPTY, now));
  await migrate(async (sql, values) => (await connection.query(sql, values))[0], EMPTY);

  const big = functionFor(server, dist, BIG.table);
  const empty = functionFor(server, dist, EMPTY);
  const send = async (handler: typeof big.handler) => {
    const result = await handler(freshRequest());
    if (result.statusCode !== 200 || !result.body.includes('"stored":1000')) throw new Error(`function answered ${result.statusCode}: ${result.body}`);
  };
  // Warm: the containers connected, their shapes read, the newest pages of both tables in memory.
  for (let i = 0; i < 20; i++) await send(big.handler), await send(empty.handler);
  const intoBig: number[] = [];
  const intoEmpty: number[] = [];
  const reads: number[] = [];
  const timed = async (handler: typeof big.handler) => {
    const start = process.hrtime.bigint();
    await send(handler);
    return Number(process.hrtime.bigint() - start) / 1e6;
  };
  for (let i = 0; i < 60; i++) {
    const before = await poolReads(connection);
    if (i % 2) {
      intoBig.push(await timed(big.handler));
      reads.push((await poolReads(connection)) - before);
      intoEmpty.push(await timed(empty.handler));
    } else {
      intoEmpty.push(await timed(empty.handler));
      const between = await poolReads(connection);
      intoBig.push(await timed(big.handler));
      reads.push((await poolReads(connection)) - between);
    }
  }
  emit('ingest_uid_1000_at_30m', median(intoBig), 'ms', median(intoEmpty));
  emit('ingest_uid_1000_at_30m_page_reads', median(reads), 'ratio');
  await big.close();
  await empty.close();

  const tables = [BIG.table, companionTables(BIG.table).rollup, companionTables(BIG.table).rollupHour, companionTables(BIG.table).sensorHours];
  const [sizes] = (await connection.query('SELECT SUM(DATA_LENGTH + INDEX_LENGTH) AS bytes FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (?)', [tables])) as unknown as [Array<{ bytes: number }>];
  const [count] = (await connection.query(`SELECT COUNT(*) AS n FROM ${BIG.table}`)) as unknown as [Array<{ n: number }>];
  emit('bytes_per_reading', Number(sizes[0]!.bytes) / Number(count[0]!.n), 'bytes');
}

async function retentionDrop(connection: Connection): Promise<void> {
  const madeAt = Date.parse(`${MONTH.start.slice(0, 10)}T00:00:00Z`);
  const fill = () => generate(connection, MONTH.table, MONTH.rows, MONTH.start, MONTH.seconds, madeAt);
  const timed = async (sql: string) => {
    const start = process.hrtime.bigint();
    await connection.query(sql);
    return Number(process.hrtime.bigint() - start) / 1e6;
  };
  await generated(connection, MONTH.table, MONTH.rows, fill);
  // In mid-November with 14 days kept, October goes (and a month is made ahead, untimed).
  const partitions = (await connection.query(PARTITIONS_SQL, [MONTH.table]))[0] as Partition[];
  const plan = maintenancePlan(MONTH.table, partitions, Date.parse('2026-11-15T00:00:00Z'), 14 * 86_400_000);
  if (plan.drop.join() !== 'p202610') throw new Error(`the plan drops ${plan.drop.join(', ') || 'nothing'}, not October`);
  const retire = plan.statements.filter((sql) => !sql.includes('REORGANIZE'));
  for (const sql of plan.statements.filter((sql) => sql.includes('REORGANIZE'))) await connection.query(sql);
  let dropped = 0;
  for (const sql of retire.slice(0, -1)) dropped += await timed(sql);
  const freed = await timed(retire.at(-1)!);
  await connection.query('DELETE FROM bench_generated WHERE name = ?', [MONTH.table]);
  await fill();
  const droppedWithRows = await timed(`ALTER TABLE ${MONTH.table} DROP PARTITION p202610`);
  await connection.query('DELETE FROM bench_generated WHERE name = ?', [MONTH.table]);
  await fill();
  const deleted = await timed(`DELETE FROM ${MONTH.table} WHERE ts < '2026-11-01 00:00:00'`);
  await connection.query('DELETE FROM bench_generated WHERE name = ?', [MONTH.table]);
  // Made again for the next run while nothing is timed.
  await generated(connection, MONTH.table, MONTH.rows, fill);
  emit('retention_drop_month_ms', dropped, 'ms', deleted);
  emit('retention_free_month_ms', freed, 'ms', droppedWithRows);
}

export async function yearTwo(server: ServerAddress, dist: string): Promise<void> {
  const admin = await createConnection({ ...server });
  await admin.query(`CREATE DATABASE IF NOT EXISTS ${DATABASE}`);
  await admin.end();
  const connection = await createConnection({ ...server, database: DATABASE, timezone: 'Z' });
  try {
    await ingestAt30m(server, dist, connection);
    if (process.env.MBED_TSDB_BENCH_SKIP_DELETE !== '1') await retentionDrop(connection);
  } finally {
    await connection.end();
  }
}
