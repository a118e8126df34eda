// The readings table's monthly partitions on MariaDB (templates/lambda/partitions.ts,
// maintenance.ts): a reading at any time is stored, maintenance makes months ahead and drops the
// old ones only once their sums are in the rollup, and a redelivery is looked up by (ts, uid) in
// one partition's newest pages. Sources: MySQL 8.0 reference, "RANGE COLUMNS partitioning",
// "ALTER TABLE Partition Operations" (REORGANIZE PARTITION moves the rows of the partitions it
// splits; DROP PARTITION deletes the partition's rows with it), "Exchanging Partitions and
// Subpartitions with Tables" (a partition and a table of the same shape trade rows), "Row Constructor Expression
// Optimization" (a (a, b) IN ((…), …) list is read as ranges of an index on (a, b)).
import { describe, expect, it } from 'vitest';
import { maintainPartitions, rawReadingsFrom } from '../../templates/lambda/maintenance.js';
import { PARTITIONS_SQL } from '../../templates/lambda/partitions.js';
import { fillRollup } from '../../templates/lambda/rollup.js';
import { createTableSql, migrate } from '../../templates/lambda/schema.js';
import { uidLookups } from '../../templates/lambda/statements.js';
import { freshDatabase, hasDatabase } from '../support/db.js';

const DAY = 86_400_000;
const MADE = Date.parse('2026-01-10T00:00:00Z');

describe.skipIf(!hasDatabase)('monthly partitions on MariaDB', () => {
  const made = async () => {
    const db = await freshDatabase({ table: 'none' });
    const query = (sql: string, values?: unknown[]) => db.query(sql, values ?? []);
    // The table as made in January 2026, then everything else migrate makes.
    await query(createTableSql('events', MADE));
    await migrate(query);
    return { db, query };
  };
  const partitionsOf = async (query: (sql: string, values?: unknown[]) => Promise<unknown>) =>
    ((await query(PARTITIONS_SQL, ['events'])) as Array<{ name: string; description: string }>).map((p) => `${p.name} < ${p.description}`);

  it('stores a reading at any time: before the first month, in it, and past the last one made', async () => {
    const { db, query } = await made();
    try {
      expect(await partitionsOf(query)).toEqual(["p202601 < '2026-02-01'", "p202602 < '2026-03-01'", "p202603 < '2026-04-01'", "p202604 < '2026-05-01'", 'p_future < MAXVALUE']);
      for (const ts of ['1000-01-01 00:00:00', '2026-01-15 12:00:00', '2026-04-30 23:59:59', '2026-05-01 00:00:00', '9999-12-31 23:59:59']) {
        await query('INSERT INTO events (ts, value, board, sensor) VALUES (?, 1, ?, ?)', [ts, 'b', 's']);
      }
      const count = async (partition: string) => ((await query(`SELECT COUNT(*) AS n FROM events PARTITION (${partition})`)) as Array<{ n: number }>)[0]!.n;
      expect([await count('p202601'), await count('p202604'), await count('p_future')]).toEqual([2, 1, 2]);
    } finally {
      await db.drop();
    }
  });

  it('maintenance months later: the missing months made (a reading already past them moved into its month), then old months dropped, the rollup kept', async () => {
    const { db, query } = await made();
    try {
      const readings = [
        ['2026-01-20 10:00:00', 1],
        ['2026-02-20 10:00:00', 2],
        ['2026-03-20 10:00:00', 3],
        ['2026-06-20 10:00:00', 4], // in p_future until maintenance makes June
      ];
      for (const [ts, value] of readings) await query('INSERT INTO events (ts, value, board, sensor) VALUES (?, ?, ?, ?)', [ts, value, 'b', 's']);
      const now = Date.parse('2026-06-25T00:00:00Z');

      // Asked to keep 100 days of raw readings before the rollup is complete: nothing is dropped.
      const early = await maintainPartitions(query, 'events', now, 100 * DAY);
      expect(early).toMatchObject({ added: ['2026-05-01', '2026-06-01', '2026-07-01', '2026-08-01', '2026-09-01'], dropped: [], rawFrom: null });
      expect(early.kept).toMatch(/15-minute rollup is not complete/);
      expect((await query('SELECT COUNT(*) AS n FROM events PARTITION (p202606)')) as unknown).toEqual([{ n: 1 }]);
      expect((await query('SELECT COUNT(*) AS n FROM events PARTITION (p_future)')) as unknown).toEqual([{ n: 0 }]);

      const admin = await db.admin();
      await fillRollup(admin, 'events').finally(() => admin.end());
      const result = await maintainPartitions(query, 'events', now, 100 * DAY);
      // 2026-06-25 - 100 days = 2026-03-17: January and February end before it.
      expect(result).toEqual({ added: [], dropped: ['p202601', 'p202602'], droppedRows: expect.any(Number), rawFrom: '2026-03-01' });
      expect(await query('SELECT CAST(ts AS CHAR) AS ts FROM events ORDER BY ts')).toEqual([{ ts: '2026-03-20 10:00:00' }, { ts: '2026-06-20 10:00:00' }]);
      expect(await rawReadingsFrom(query, 'events')).toBe('2026-03-01');
      // The sums of the dropped months are all still in the rollup.
      expect(await query('SELECT CAST(SUM(n) AS SIGNED) AS n, SUM(total) AS total FROM events_rollup')).toEqual([{ n: 4, total: 10 }]);
      expect((await partitionsOf(query))[0]).toBe("p202603 < '2026-04-01'");

      // Again at once: nothing to do, and it still knows from when raw readings are kept.
      expect(await maintainPartitions(query, 'events', now, 100 * DAY)).toEqual({ added: [], dropped: [], droppedRows: 0, rawFrom: '2026-03-01' });
    } finally {
      await db.drop();
    }
  });

  // A month's file takes over a second to delete (bench: retention_free_month_ms), and DROP
  // PARTITION deletes it under the table's lock: each month is swapped into a side table first
  // (MySQL 8.0 reference, "Exchanging Partitions and Subpartitions with Tables").
  it('old months leave through a side table, dropped after; a side table left by a stopped run does not stop the next', async () => {
    const { db, query } = await made();
    try {
      for (const ts of ['2026-01-20 10:00:00', '2026-02-20 10:00:00', '2026-03-20 10:00:00']) {
        await query('INSERT INTO events (ts, value, board, sensor) VALUES (?, ?, ?, ?)', [ts, 1, 'b', 's']);
      }
      const admin = await db.admin();
      await fillRollup(admin, 'events').finally(() => admin.end());
      // A run stopped after swapping January out: January's partition empty, its row in the side table.
      await query('CREATE TABLE events_retiring LIKE events');
      await query('ALTER TABLE events_retiring REMOVE PARTITIONING');
      await query('ALTER TABLE events EXCHANGE PARTITION p202601 WITH TABLE events_retiring');
      expect(await query('SELECT COUNT(*) AS n FROM events_retiring')).toEqual([{ n: 1 }]);

      const result = await maintainPartitions(query, 'events', Date.parse('2026-04-10T00:00:00Z'), 30 * DAY);
      expect(result).toMatchObject({ dropped: ['p202601', 'p202602'], rawFrom: '2026-03-01' });
      expect(await query('SELECT CAST(ts AS CHAR) AS ts FROM events')).toEqual([{ ts: '2026-03-20 10:00:00' }]);
      expect(await query("SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE 'events_retiring'")).toEqual([]);
    } finally {
      await db.drop();
    }
  });

  it('a table that is not partitioned (the tutorial’s, or made before) is left as it is', async () => {
    const db = await freshDatabase({ table: 'none' });
    try {
      const query = (sql: string, values?: unknown[]) => db.query(sql, values ?? []);
      await query('CREATE TABLE events (id int NOT NULL AUTO_INCREMENT PRIMARY KEY, ts datetime NOT NULL, value double NOT NULL, board varchar(64) NOT NULL, sensor varchar(128) NOT NULL)');
      await migrate(query);
      expect(await maintainPartitions(query, 'events', Date.now(), DAY)).toEqual({ added: [], dropped: [], droppedRows: 0, rawFrom: null });
      expect(await partitionsOf(query)).toEqual([]);
    } finally {
      await db.drop();
    }
  });

  it("a redelivery's look-up reads the (ts, uid) index as ranges, in the one partition its time falls in", async () => {
    const { db, query } = await made();
    try {
      await query("INSERT INTO events (ts, value, board, sensor, uid) SELECT '2026-01-01 00:00:00' + INTERVAL seq MINUTE, seq, 'b', 's', CONCAT('u', seq) FROM seq_1_to_5000");
      await query('ANALYZE TABLE events');
      const reading = (at: string, uid: string) => ({ board: 'b', sensor: 's', value: 1, uid, at: Date.parse(`${at}Z`) });
      // Two at one time (a group), three alone at theirs (a row-constructor list).
      const readings = [reading('2026-01-01T00:05:00', 'u5'), reading('2026-01-01T00:07:00', 'u7'), reading('2026-01-01T00:09:00', 'not-stored'), reading('2026-01-01T00:11:00', 'u11'), reading('2026-01-01T00:11:00', 'x')];
      const [lookup] = uidLookups('events', readings, true, 0);
      expect(lookup!.sql).toBe('SELECT `uid` FROM `events` WHERE (`ts` = ? AND `uid` IN (?)) OR (`ts`, `uid`) IN (?)');
      const [plan] = (await query(`EXPLAIN PARTITIONS ${lookup!.sql}`, lookup!.values)) as Array<{ partitions: string; type: string; key: string; rows: number }>;
      expect(plan).toMatchObject({ partitions: 'p202601', type: 'range', key: 'ts' });
      expect(Number(plan!.rows)).toBeLessThanOrEqual(5);
      expect(await query(lookup!.sql, lookup!.values)).toEqual([{ uid: 'u5' }, { uid: 'u7' }, { uid: 'u11' }]);
    } finally {
      await db.drop();
    }
  });
});
