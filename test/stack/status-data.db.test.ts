// status's §4 row, read from real tables: the one setup makes, the tutorial's own, and the ways
// a user's table can differ from what the function expects.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BYTES_PER_READING, lookAtData } from '../../src/stack/status-data.js';
import { reshapeNeed } from '../../templates/lambda/reshape.js';
import { fillRollup } from '../../templates/lambda/rollup.js';
import { settleHours } from '../../templates/lambda/rollup-hours.js';
import { migrate } from '../../templates/lambda/schema.js';
import { freshDatabase, hasDatabase, TUTORIAL_TABLE_SQL } from '../support/db.js';
import type { TestDatabase } from '../support/mariadb.js';

describe.skipIf(!hasDatabase)('status: the table (§4)', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await freshDatabase({ table: 'none' });
  });
  afterEach(async () => db.drop());

  const look = async () => {
    const admin = await db.admin();
    try {
      return await lookAtData(async (sql, values) => (await admin.query(sql, values))[0], 'events', []);
    } finally {
      await admin.end();
    }
  };
  const insert = (n: number) => db.query(`INSERT INTO events (ts, value, board, sensor) SELECT NOW(), seq, 'dev-1', '/3200/0/5501' FROM seq_1_to_${n}`);

  it('is ok for the table setup makes, with its rows counted, once the rollup is filled', async () => {
    const admin = await db.admin();
    await migrate(async (sql, values) => (await admin.query(sql, values))[0]);
    await insert(1234);
    expect((await look()).table).toEqual({ state: 'ok', ok: true, note: '1,234 rows; columns as the function expects; chart rollup still filling (run mbed-tsdb setup)' });
    await fillRollup(admin, 'events');
    await admin.end();
    expect((await look()).table).toEqual({ state: 'ok', ok: true, note: '1,234 rows; columns as the function expects' });
  });

  it('with the rollup complete, counts from the rollups and finds each series’ newest through the indexes: no reading is scanned', async () => {
    const admin = await db.admin();
    try {
      const query = async (sql: string, values?: unknown[]) => (await admin.query(sql, values))[0];
      await migrate(query);
      // Three days of two boards: hours old enough to be settled, and the last day's 15-minute buckets.
      await admin.query("INSERT INTO events (ts, value, board, sensor) SELECT NOW() - INTERVAL seq * 13 SECOND, seq, IF(seq MOD 2, 'dev-1', 'dev-2'), '/3200/0/5501' FROM seq_1_to_20000");
      await admin.query("INSERT INTO events (ts, value, board, sensor) VALUES (NOW() - INTERVAL 2 DAY, 42, 'dev-3', '/3303/0/5700')");
      await fillRollup(admin, 'events');
      expect(await settleHours(query, 'events')).toMatchObject({ series: expect.any(Number) });
      // A row put in behind the function's back is in no rollup: counted from the rollups, it is not there.
      await admin.query("INSERT INTO events (ts, value, board, sensor) VALUES (NOW(), 7, 'dev-1', '/3200/0/5501')");
      await admin.query('ANALYZE TABLE events');

      await admin.query('FLUSH STATUS');
      const seen = await lookAtData(query, 'events', []);
      const [handlers] = (await admin.query("SHOW SESSION STATUS WHERE Variable_name IN ('Handler_read_next', 'Handler_read_prev', 'Handler_read_rnd_next')")) as unknown as [Array<{ Value: string }>];
      const read = handlers.reduce((sum, h) => sum + Number(h.Value), 0);
      expect(read).toBeLessThan(5000);
      expect(seen.data).toMatchObject({ rows: 20001, deduplicated: true });
      expect(seen.data!.series).toEqual([
        { board: 'dev-1', sensor: '/3200/0/5501', rows: 10000, lastValue: 7, lastTs: expect.any(String) },
        // The last stored (as before the rollups: the highest id), here the oldest in time.
        { board: 'dev-2', sensor: '/3200/0/5501', rows: 10000, lastValue: 20000, lastTs: expect.any(String) },
        { board: 'dev-3', sensor: '/3303/0/5700', rows: 1, lastValue: 42, lastTs: expect.any(String) },
      ]);

      // What the tables take and their growth, from information_schema and the rollup: 20 001
      // readings over the last three days (20 000 × 13 s), a young table charged the measured bytes.
      const storage = seen.data!.storage!;
      expect(storage.readingsPerDay).toBeGreaterThan(20_001 / 3.02);
      expect(storage.readingsPerDay).toBeLessThan(20_001 / 2.98);
      expect(storage.bytesPerDay).toBeCloseTo(storage.readingsPerDay * BYTES_PER_READING, 6);
      expect(storage.tableBytes).toBeGreaterThan(0);
      expect(storage.usedBytes).toBeGreaterThan(storage.tableBytes);

      // dev-3's raw readings gone (retention dropped its month): still counted, no last value.
      await admin.query("DELETE FROM events WHERE board = 'dev-3'");
      const after = await lookAtData(query, 'events', []);
      expect(after.data!.series[2]).toEqual({ board: 'dev-3', sensor: '/3303/0/5700', rows: 1 });
    } finally {
      await admin.end();
    }
  });

  it('says a missing table stops the function (and reads no data)', async () => {
    const seen = await look();
    expect(seen.table).toMatchObject({ state: 'missing', ok: false, note: expect.stringContaining('run mbed-tsdb setup') });
    expect(seen.data).toBeNull();
  });

  it('names the narrow columns of the tutorial’s own table, and its missing uid', async () => {
    await db.query(TUTORIAL_TABLE_SQL);
    await insert(3);
    const { table } = await look();
    expect(table.state).toBe('no uid column');
    expect(table.ok).toBe(false);
    expect(table.note).toContain('3 rows');
    expect(table.note).toContain("board varchar(36), narrower than the service's 64: longer ones are skipped");
    expect(table.note).toContain("sensor varchar(45), narrower than the service's 128");
    expect(table.note).toContain('made before monthly partitions (inserts slow down as it grows, old readings cannot be dropped): run mbed-tsdb setup --reshape');
  });

  it.each([
    ['float', 'value float: readings it cannot hold are skipped'],
    ['decimal(8,2)', 'value decimal(8,2): readings it cannot hold are skipped, others rounded'],
    ['int(10) unsigned', 'value int(10) unsigned: readings it cannot hold are skipped, others rounded'],
  ])('says what a value column of type %s costs', async (type, note) => {
    const admin = await db.admin();
    await migrate(async (sql, values) => (await admin.query(sql, values))[0]);
    await admin.query(`ALTER TABLE events MODIFY value ${type} NOT NULL`);
    await admin.end();
    const { table } = await look();
    expect(table).toMatchObject({ state: 'ok', ok: true });
    expect(table.note).toContain(note);
  });

  it('makes ids BIGINT UNSIGNED; warns past half of an INT table’s ids, read without a scan', async () => {
    const admin = await db.admin();
    await migrate(async (sql, values) => (await admin.query(sql, values))[0]);
    const [[id]] = (await admin.query("SELECT COLUMN_TYPE AS type FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'events' AND COLUMN_NAME = 'id'")) as unknown as [
      Array<{ type: string }>,
    ];
    expect(id!.type).toBe('bigint(20) unsigned');
    await admin.query('ALTER TABLE events MODIFY `id` int(11) NOT NULL AUTO_INCREMENT');
    await admin.query('ALTER TABLE events AUTO_INCREMENT = 1073741823');
    await insert(1);
    expect((await look()).table).toMatchObject({ state: 'ok', ok: true });
    await insert(1);
    // Partitioned, so only the ids are said; setup --reshape then moves it (int ids are a reason to).
    expect(await reshapeNeed(async (sql, values) => (await admin.query(sql, values))[0], 'events')).toMatchObject({ needed: true, unpartitioned: false });
    expect((await look()).table).toEqual({
      state: 'ok',
      ok: false,
      note:
        '2 rows; columns as the function expects; chart rollup still filling (run mbed-tsdb setup); id int(11): 1,073,741,824 of 2,147,483,647 ids used, inserts fail at the last; ' +
        'widen it: mbed-tsdb setup --reshape moves the table to BIGINT UNSIGNED ids while the webhook keeps writing (ALTER TABLE `events` MODIFY `id` bigint unsigned NOT NULL AUTO_INCREMENT also does, but blocks writes while it rebuilds the table)',
    });
    await admin.end();
  });

  it('refuses a table without a column the function writes', async () => {
    const admin = await db.admin();
    await migrate(async (sql, values) => (await admin.query(sql, values))[0]);
    await admin.query('ALTER TABLE events DROP COLUMN sensor');
    await admin.end();
    expect((await look()).table).toMatchObject({ state: 'missing columns', ok: false, note: expect.stringContaining('no sensor') });
  });
});
