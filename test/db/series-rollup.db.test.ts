// The chart from the rollup answers as the raw query does: a property test over random rows,
// ranges, time zones (DST changes and 45-minute offsets included), filters and aggregates, with
// the per-series hourly level settled over the first half of the rows and the per-sensor one
// over the first quarter (as a stack that had the first before the second), so ranges start,
// end and straddle both. Counts, minima and maxima agree exactly; sums and averages to the last bits
// floating-point addition in another order may change.
import { createConnection, type Connection } from 'mysql2/promise';
import { createPool, type Pool } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGGREGATES, assembleSeries, planSeries, querySeries, type SeriesRequest, type SeriesRow } from '../../src/db/series.js';
import { planRollupSeries } from '../../src/db/series-rollup.js';
import { seriesRange } from '../../src/db/series-sql.js';
import { fillRollup, rollupStatus } from '../../templates/lambda/rollup.js';
import { rollupLevelStatus, SETTLE_AFTER_SECONDS, settledBefore, settleHours, type HourLevels } from '../../templates/lambda/rollup-hours.js';
import { maintainPartitions } from '../../templates/lambda/maintenance.js';
import { createTableSql, migrate } from '../../templates/lambda/schema.js';
import { freshDatabase, hasDatabase } from '../support/db.js';
import type { TestDatabase } from '../support/mariadb.js';

/** A small seeded generator (mulberry32): a failing case is the same case again. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEED = Number(process.env.ROLLUP_SEED ?? 20261128);
const START = Date.parse('2026-03-01T00:00:00Z') / 1000;
const SPAN = 70 * 86400; // over the spring DST changes of both hemispheres' zones below
const ZONES = ['UTC', 'America/New_York', 'Europe/Berlin', 'Asia/Kolkata', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'Pacific/Chatham', 'America/St_Johns'];
const BOARDS = ['board-a', 'board-b', 'Board-A'];
const SENSORS = ['/3200/0/5501', '/3303/0/5700'];
const CASES = Number(process.env.ROLLUP_CASES ?? 300);
/** The per-series hourly level is settled up to here in the property test: the middle of the rows… */
const MIDDLE = START + SPAN / 2;
/** …and the per-sensor one up to here. */
const QUARTER = START + SPAN / 4;
const SETTLED: HourLevels = { series: MIDDLE, sensor: QUARTER };
/** A database of its own holding these rows (SQL tuples of ts, value, board, sensor), dropped after. */
async function withFreshDatabase(rows: string, use: (query: (sql: string, values?: unknown[]) => Promise<unknown>, connection: Connection) => Promise<void>): Promise<void> {
  const fresh = await freshDatabase();
  const connection = await createConnection({ ...fresh.login, database: fresh.name });
  try {
    await connection.query(`INSERT INTO events (ts, value, board, sensor) VALUES ${rows}`);
    await use(async (sql, values) => (await connection.query(sql, values))[0], connection);
  } finally {
    await connection.end();
    await fresh.drop();
  }
}

/** A reading's time: clustered on bucket edges and DST instants as well as anywhere in the span. */
const randomTs = (rand: () => number): number =>
  rand() < 0.2 ? START + Math.floor(rand() * (SPAN / 900)) * 900 - (rand() < 0.5 ? 1 : 0) : START + Math.floor(rand() * SPAN);

/** A chart request over any range, zone, aggregate and filter of the generated rows. */
function randomRequest(rand: () => number): SeriesRequest {
  const pick = <T,>(list: readonly T[]) => list[Math.floor(rand() * list.length)]!;
  const since = START - 86400 + Math.floor(rand() * (SPAN + 86400));
  const until = since + 1 + Math.floor(rand() * (rand() < 0.3 ? 3 * 86400 : 30 * 86400));
  return {
    since,
    until,
    bucket: rand() < 0.6 ? 'hour' : 'day',
    tz: pick(ZONES),
    agg: pick(AGGREGATES),
    ...(rand() < 0.45 ? { board: pick(BOARDS) } : {}),
    ...(rand() < 0.3 ? { sensor: pick(SENSORS) } : {}),
    table: 'events',
  };
}

/** Counts, minima and maxima exactly; sums and averages to the last bits another order of addition may change. */
function expectSameValue(got: number | null, want: number | null, agg: SeriesRequest['agg'], where: string): void {
  if (want === null || got === null || agg === 'count' || agg === 'min' || agg === 'max') expect(got, where).toBe(want);
  else expect(Math.abs(got - want), where).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(want)));
}

const tablesOf = (plan: ReturnType<typeof planRollupSeries>) => (plan?.parts ?? []).map((p) => /FROM `(\w+)`/.exec(p.sql)![1]!);

describe.skipIf(!hasDatabase)('chart from the rollup', () => {
  let db: TestDatabase;
  let pool: Pool;

  beforeAll(async () => {
    db = await freshDatabase();
    const rand = random(SEED);
    const rows: unknown[][] = [];
    for (let i = 0; i < 6000; i++) {
      const ts = randomTs(rand);
      const value = rand() < 0.5 ? Math.floor(rand() * 100) - 20 : Math.round((rand() * 1000 - 300) * 1e3) / 1e3;
      rows.push([new Date(ts * 1000).toISOString().slice(0, 19).replace('T', ' '), value, BOARDS[Math.floor(rand() * BOARDS.length)], SENSORS[Math.floor(rand() * SENSORS.length)]]);
    }
    await db.query('INSERT INTO events (ts, value, board, sensor) VALUES ?', [rows]);
    const connection = await createConnection({ ...db.login, database: db.name });
    const query = async (sql: string, values?: unknown[]) => (await connection.query(sql, values))[0];
    expect((await rollupStatus(query, 'events')).complete).toBe(false);
    const fill = await fillRollup(connection, 'events');
    expect(fill.complete).toBe(true);
    expect((await rollupStatus(query, 'events')).complete).toBe(true);
    // Settled as it would be at this instant: the hours that ended a day and a quarter before.
    expect(await settleHours(query, 'events', { now: MIDDLE + SETTLE_AFTER_SECONDS })).toEqual({ series: MIDDLE, sensor: MIDDLE });
    // The per-sensor level made anew (as migrate adds it to a stack that had only the per-series
    // one) and settled later, not as far: each level goes on from its own mark.
    await query('DROP TABLE events_sensor_hours');
    await migrate(query, 'events');
    expect((await rollupLevelStatus(query, 'events')).hours).toEqual({ series: MIDDLE, sensor: 0 });
    expect(await settleHours(query, 'events', { now: QUARTER + SETTLE_AFTER_SECONDS })).toEqual(SETTLED);
    expect((await rollupLevelStatus(query, 'events')).hours).toEqual(SETTLED);
    await connection.end();
    pool = createPool({ ...db.login, database: db.name, connectionLimit: 1, dateStrings: true });
    // As RDS MySQL 8 runs by default: a selected column must be grouped by or aggregated.
    await pool.query("SET SESSION sql_mode = CONCAT(@@sql_mode, ',ONLY_FULL_GROUP_BY')");
  }, 120_000);
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  const raw = async (request: SeriesRequest) => {
    const plan = planSeries(request);
    const [rows] = await pool.query(plan.sql, plan.values);
    return assembleSeries(request, plan.buckets, rows as SeriesRow[]);
  };

  it(`answers ${CASES} random requests as the raw rows do (seed ${SEED})`, async () => {
    const rand = random(SEED + 1);
    let fromRollup = 0;
    let fromHours = 0;
    let fromSensorHours = 0;
    for (let c = 0; c < CASES; c++) {
      const request = randomRequest(rand);
      const expected = await raw(request);
      const actual = await querySeries(pool, request, undefined, { settleHours: false });
      const tables = tablesOf(planRollupSeries(request, SETTLED));
      if (tables.length > 0) fromRollup += 1;
      if (tables.includes('events_rollup_hour')) fromHours += 1;
      if (tables.includes('events_sensor_hours')) fromSensorHours += 1;
      // Lord Howe's summer (+11:00) is whole hours; its winter (+10:30) and the change are not.
      if (seriesRange(request).segments.some((s) => s.offset % 3600 !== 0)) expect(tables.filter((t) => t.includes('hour'))).toEqual([]);
      // Sums across boards cannot answer for one board; the per-series level is for one board.
      if (request.board !== undefined) expect(tables).not.toContain('events_sensor_hours');
      else expect(tables).not.toContain('events_rollup_hour');
      const where = `case ${c}: ${JSON.stringify(request)}`;
      expect(actual.points.map((p) => [p.start, p.count]), where).toEqual(expected.points.map((p) => [p.start, p.count]));
      for (const [i, point] of actual.points.entries()) {
        const want = expected.points[i]!.value;
        expectSameValue(point.value, want, request.agg, where);
      }
    }
    expect(fromRollup).toBe(CASES);
    // Of 300 cases, 32 and 24 (seed 20261128): three zones in eight are whole hours, ranges are random.
    expect(fromHours).toBeGreaterThan(CASES / 20);
    expect(fromSensorHours).toBeGreaterThan(CASES / 20);
  });

  /** Per hour and series (or, `perSensor`, per hour and sensor across boards), from the rows or from a level. */
  const hourSums = (table: 'events' | 'events_rollup_hour' | 'events_sensor_hours', before: number, perSensor = table === 'events_sensor_hours') => {
    const hour = "DATE_FORMAT(ts, '%Y-%m-%d %H:00:00')";
    const keys = perSensor ? "'' AS board, sensor" : 'board, sensor';
    const sql =
      table === 'events'
        ? `SELECT ${hour} AS h, ${keys}, COUNT(*) AS n, SUM(value) AS total, MIN(value) AS lo, MAX(value) AS hi FROM events WHERE ts < FROM_UNIXTIME(?) GROUP BY h, ${perSensor ? 'sensor' : 'board, sensor'}`
        : `SELECT DATE_FORMAT(bucket, '%Y-%m-%d %H:%i:%s') AS h, ${keys}, n, total, lo, hi FROM ${table} WHERE bucket < FROM_UNIXTIME(?)`;
    // Board names compare as the column's collation says ('board-a' and 'Board-A' are one series):
    // which spelling a group shows is the server's choice, so both are compared in lower case.
    const key = (r: Record<string, unknown>) => `${String(r.h)} ${String(r.board)} ${String(r.sensor)}`;
    return pool.query(`SET time_zone = '+00:00'`).then(() => pool.query(sql, [before])).then(([rows]) =>
      (rows as Array<Record<string, unknown>>)
        .map((r) => ({ ...r, board: String(r.board).toLowerCase(), n: Number(r.n), total: Math.round(Number(r.total) * 1e6) / 1e6 }))
        .sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0)),
    );
  };

  it('reads what the plan says: hours from the rollup once it is complete, minutes from the rows in one query', async () => {
    const asked: string[] = [];
    const recording = { query: (sql: string, values?: unknown) => (asked.push(sql), pool.query(sql, values as never[])) } as unknown as Pick<Pool, 'query'>;
    const hours: SeriesRequest = { since: START + 86400, until: START + 8 * 86400, bucket: 'hour', tz: 'UTC', agg: 'sum', table: 'events' };
    const fromRollup = await querySeries(recording, hours, undefined, { settleHours: false });
    expect(asked.some((sql) => sql.includes('`events_rollup`') || sql.includes('`events_sensor_hours`'))).toBe(true);
    // Every board: no device names to look up.
    expect(asked.filter((sql) => sql.includes('events_devices'))).toEqual([]);
    expect(fromRollup.points.map((p) => p.count)).toEqual((await raw(hours)).points.map((p) => p.count));
    asked.length = 0;
    const minutes: SeriesRequest = { ...hours, until: hours.since + 3600, bucket: 'minute' };
    const minuteSeries = await querySeries(recording, minutes, undefined, { settleHours: false });
    expect(asked[0]).toContain('FROM `events`');
    // The rows in one query; a chart that starts empty also reads the table's comment (retention).
    expect(asked).toHaveLength(minuteSeries.points[0]!.count === 0 ? 2 : 1);
    expect(asked.slice(1).every((sql) => sql.includes('information_schema.TABLES'))).toBe(true);
    // A board is looked up by name once; with the IDs it stands for already known, not again.
    asked.length = 0;
    await querySeries(recording, { ...minutes, board: 'board-a' }, undefined, { settleHours: false });
    expect(asked.filter((sql) => sql.includes('events_devices')).length).toBeGreaterThan(0);
    asked.length = 0;
    const known = await querySeries(recording, { ...minutes, board: 'board-a', boardIds: ['board-a'] }, undefined, { settleHours: false });
    expect(asked.filter((sql) => sql.includes('events_devices'))).toEqual([]);
    expect(asked).toHaveLength(known.points[0]!.count === 0 ? 2 : 1);
  });

  it('holds each settled hour as the rows sum it, per series and per sensor, and nothing after', async () => {
    expect(await hourSums('events_rollup_hour', MIDDLE)).toEqual(await hourSums('events', MIDDLE));
    expect(await hourSums('events_rollup_hour', START + SPAN + 86400)).toEqual(await hourSums('events', MIDDLE));
    expect(await hourSums('events_sensor_hours', QUARTER)).toEqual(await hourSums('events', QUARTER, true));
    expect(await hourSums('events_sensor_hours', START + SPAN + 86400)).toEqual(await hourSums('events', QUARTER, true));
  });

  it('answers when settling is refused (a user who may only read), from the 15-minute rollup', async () => {
    const admin = await createConnection({ ...db.server });
    const reader = { user: `ro_${process.pid}`, password: 'read-only' };
    await admin.query('CREATE USER ?@? IDENTIFIED BY ?', [reader.user, '%', reader.password]);
    await admin.query(`GRANT SELECT ON \`${db.name}\`.* TO ?@?`, [reader.user, '%']);
    const readOnly = createPool({ ...db.server, ...reader, database: db.name, connectionLimit: 1, dateStrings: true });
    try {
      const request: SeriesRequest = { since: START, until: START + SPAN, bucket: 'day', tz: 'UTC', agg: 'sum', table: 'events' };
      const answer = await querySeries(readOnly, request);
      expect(answer.points.map((p) => p.count)).toEqual((await raw(request)).points.map((p) => p.count));
      expect((await rollupLevelStatus((sql, values) => pool.query(sql, values).then(([rows]) => rows), 'events')).hours).toEqual(SETTLED);
    } finally {
      await readOnly.end();
      await admin.query('DROP USER ?@?', [reader.user, '%']);
      await admin.end();
    }
  });

  it('settles, when charting, the hours that have become settled since (by the database clock)', async () => {
    const request: SeriesRequest = { since: START - 86400, until: START + SPAN + 86400, bucket: 'hour', tz: 'Europe/Berlin', agg: 'avg', table: 'events' };
    const answer = await querySeries(pool, request);
    const query = (sql: string, values?: unknown[]) => pool.query(sql, values).then(([rows]) => rows);
    const [{ now }] = (await query('SELECT UNIX_TIMESTAMP() AS now')) as [{ now: number }];
    const settled = Math.floor((Number(now) - SETTLE_AFTER_SECONDS) / 3600) * 3600;
    expect((await rollupLevelStatus(query, 'events')).hours).toEqual({ series: settled, sensor: settled });
    expect(tablesOf(planRollupSeries(request, { series: settled, sensor: settled }))).toEqual(['events_sensor_hours']);
    expect(await hourSums('events_rollup_hour', settled)).toEqual(await hourSums('events', settled));
    expect(await hourSums('events_sensor_hours', settled)).toEqual(await hourSums('events', settled, true));
    const expected = await raw(request);
    expect(answer.points.map((p) => [p.start, p.count])).toEqual(expected.points.map((p) => [p.start, p.count]));
  });

  it('makes again, empty, a per-series level keyed by time first (the first version\'s), and settles it again', async () => {
    await withFreshDatabase("('2026-01-01 10:00:00', 1, 'b', '/1/0/1'), ('2026-01-01 10:20:00', 3, 'b', '/1/0/1'), ('2026-01-01 11:00:00', 5, 'c', '/1/0/1')", async (query, connection) => {
      await fillRollup(connection, 'events');
      await query('DROP TABLE events_rollup_hour');
      await query(
        "CREATE TABLE events_rollup_hour (bucket datetime NOT NULL, board varchar(64) NOT NULL, sensor varchar(128) NOT NULL, n bigint unsigned NOT NULL, total double NOT NULL, lo double NOT NULL, hi double NOT NULL, PRIMARY KEY (bucket, board, sensor)) COMMENT='mbed-tsdb hourly rollup: settled before 1767268800'",
      );
      await query("INSERT INTO events_rollup_hour VALUES ('2026-01-01 10:00:00', 'b', '/1/0/1', 2, 4, 1, 3)");
      await migrate(query, 'events');
      const key = (await query("SELECT GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX) AS k FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'events_rollup_hour' AND INDEX_NAME = 'PRIMARY'")) as [{ k: string }];
      expect(key[0].k).toBe('board,sensor,bucket');
      expect((await rollupLevelStatus(query, 'events')).hours.series).toBe(0);
      await settleHours(query, 'events', { now: Date.parse('2026-01-03T00:00:00Z') / 1000 });
      expect(await query("SELECT DATE_FORMAT(bucket, '%H') AS h, board, n, total FROM events_rollup_hour ORDER BY h, board")).toEqual([
        { h: '10', board: 'b', n: 2, total: 4 },
        { h: '11', board: 'c', n: 1, total: 5 },
      ]);
      // Made as this version makes it, it is kept.
      await migrate(query, 'events');
      expect(await query('SELECT COUNT(*) AS n FROM events_rollup_hour')).toEqual([{ n: 2 }]);
    });
  });

  it('tells its progress after each month: every level summed up to there, until the end', async () => {
    await withFreshDatabase("('2026-01-01 10:00:00', 1, 'b', 's'), ('2026-02-20 10:00:00', 2, 'b', 's'), ('2026-03-25 10:00:00', 3, 'c', 's')", async (query, connection) => {
      expect((await fillRollup(connection, 'events')).complete).toBe(true);
      const now = Date.parse('2026-04-01T00:00:00Z') / 1000;
      const progress: Array<{ settledBefore: number; end: number }> = [];
      const reach = await settleHours(query, 'events', { now, onChunk: (p) => progress.push(p) });
      const end = settledBefore(now);
      expect(reach).toEqual({ series: end, sensor: end });
      expect(progress.every((p) => p.end === end)).toBe(true);
      // A month of one level, then of the other: what is reported is the level behind (0: not begun).
      const first = Date.parse('2026-01-01T10:00:00Z') / 1000;
      const month = 30 * 86400;
      expect(progress.map((p) => p.settledBefore)).toEqual([0, first + month, first + month, first + 2 * month, first + 2 * month, end]);
    });
  });

  it('settles nothing while the 15-minute rollup is not complete', async () => {
    await withFreshDatabase("('2026-01-01 10:00:00', 1, 'b', '/1/0/1')", async (query) => {
      expect(await settleHours(query, 'events')).toBeNull();
      expect((await rollupLevelStatus(query, 'events')).hours).toEqual({ series: 0, sensor: 0 });
    });
  });

  it('reads the rollup for whole buckets and the rows only at the edges', () => {
    const request: SeriesRequest = { since: START + 100, until: START + 86400 + 700, bucket: 'hour', tz: 'UTC', agg: 'sum', table: 'events' };
    const plan = planRollupSeries(request)!;
    expect(tablesOf(plan)).toEqual(['events_rollup', 'events']);
    expect(planRollupSeries({ ...request, bucket: 'minute' })).toBeNull();
    // Settled hours from the hourly levels, the rest of the whole buckets from the 15-minute one.
    // Every board: the per-sensor level; one board: the per-series one.
    const hours = { series: START + 10 * 3600, sensor: START + 4 * 3600 };
    expect(tablesOf(planRollupSeries(request, hours))).toEqual(['events_sensor_hours', 'events_rollup', 'events']);
    expect(tablesOf(planRollupSeries({ ...request, sensor: '/3303/0/5700' }, hours))).toEqual(['events_sensor_hours', 'events_rollup', 'events']);
    expect(tablesOf(planRollupSeries({ ...request, board: 'board-a' }, hours))).toEqual(['events_rollup_hour', 'events_rollup', 'events']);
    expect(tablesOf(planRollupSeries(request, { series: START + 10 * 3600, sensor: null }))).toEqual(['events_rollup', 'events']);
    expect(tablesOf(planRollupSeries({ ...request, board: 'board-a' }, { series: null, sensor: START + 10 * 3600 }))).toEqual(['events_rollup', 'events']);
    expect(tablesOf(planRollupSeries({ ...request, tz: 'Asia/Kolkata' }, hours)).filter((t) => t.includes('hour'))).toEqual([]);
  });
});

// Issue #26: with monthly partitions and a raw retention, raw months go; the rollups keep their
// sums. Charts by hour and day of any period answer as the raw rows did (an untouched copy of
// them is the oracle), but for a bucket the range cuts before the raw readings kept, whose raw part
// is gone — and then the chart says from when raw readings are kept.
describe.skipIf(!hasDatabase)('chart from the rollup, with raw months dropped', () => {
  let db: TestDatabase;
  let pool: Pool;
  const RETAINED_CASES = Math.max(50, Math.floor(CASES / 2));
  /** What maintenance leaves: March and April dropped at this instant with 30 days kept. */
  const DROPPED_AT = Date.parse('2026-06-01T00:00:00Z');

  beforeAll(async () => {
    db = await freshDatabase({ table: 'none' });
    const connection = await createConnection({ ...db.login, database: db.name });
    const query = async (sql: string, values?: unknown[]) => (await connection.query(sql, values))[0];
    // Made in March, a month per partition from there, as a stack of that age has it.
    await query(createTableSql('events', START * 1000));
    await migrate(query, 'events');
    await query('CREATE TABLE events_all LIKE events');
    await query('ALTER TABLE events_all REMOVE PARTITIONING');
    const rand = random(SEED + 7);
    const rows: unknown[][] = [];
    for (let i = 0; i < 4000; i++) {
      const ts = randomTs(rand);
      rows.push([new Date(ts * 1000).toISOString().slice(0, 19).replace('T', ' '), Math.floor(rand() * 100) - 20, BOARDS[Math.floor(rand() * BOARDS.length)], SENSORS[Math.floor(rand() * SENSORS.length)]]);
    }
    await query('INSERT INTO events (ts, value, board, sensor) VALUES ?', [rows]);
    await query('INSERT INTO events_all (ts, value, board, sensor) VALUES ?', [rows]);
    expect((await fillRollup(connection, 'events')).complete).toBe(true);
    await settleHours(query, 'events', { now: MIDDLE + SETTLE_AFTER_SECONDS });
    const kept = await maintainPartitions(query, 'events', DROPPED_AT, 30 * 86_400_000);
    expect(kept).toMatchObject({ dropped: ['p202603', 'p202604'], rawFrom: '2026-05-01' });
    await connection.end();
    pool = createPool({ ...db.login, database: db.name, connectionLimit: 1, dateStrings: true });
  }, 120_000);
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  it(`answers ${RETAINED_CASES} random requests as all the raw rows did, but for buckets cut before the raw readings kept (seed ${SEED})`, async () => {
    const rand = random(SEED + 8);
    const rawFrom = Date.parse('2026-05-01T00:00:00Z');
    let before = 0;
    for (let c = 0; c < RETAINED_CASES; c++) {
      const request = randomRequest(rand);
      const { since, until } = request;
      const oracle = planSeries({ ...request, table: 'events_all' });
      const expected = assembleSeries(request, oracle.buckets, (await pool.query(oracle.sql, oracle.values))[0] as SeriesRow[]);
      const actual = await querySeries(pool, request, undefined, { settleHours: false });
      const where = `case ${c}: ${JSON.stringify(request)}`;
      expect(actual.rawFrom, where).toBe(since * 1000 < rawFrom ? '2026-05-01' : undefined);
      if (since * 1000 < rawFrom) before += 1;
      for (const [i, point] of actual.points.entries()) {
        const want = expected.points[i]!;
        // A bucket the range cuts, begun before the raw readings kept: its raw part is gone.
        const cut = (i === 0 && Date.parse(point.start) < since * 1000) || (i === actual.points.length - 1 && Date.parse(point.end) > until * 1000);
        if (cut && Date.parse(point.start) < rawFrom) continue;
        expect([point.start, point.count], where).toEqual([want.start, want.count]);
        expectSameValue(point.value, want.value, request.agg, where);
      }
    }
    // About as many start before the raw readings kept as after.
    expect(before).toBeGreaterThan(RETAINED_CASES / 5);
  });
});
