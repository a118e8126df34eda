// migrate (templates/lambda/schema.ts) on tables a user already has: the tutorial's own table gets
// uid, and the rollup compares names as the events table does.
import { describe, expect, it } from 'vitest';
import { migrate, webhookUserStatements } from '../../templates/lambda/schema.js';
import { freshDatabase, hasDatabase, TUTORIAL_TABLE_SQL } from '../support/db.js';

describe('webhookUserStatements', () => {
  it('refuses a user name that could write SQL', () => {
    expect(() => webhookUserStatements("x'@'%")).toThrow(new Error('invalid database user name "x\'@\'%"'));
  });
});

describe.skipIf(!hasDatabase)('migrate on existing tables', () => {
  const columnsOf = async (db: Awaited<ReturnType<typeof freshDatabase>>, table: string) =>
    db.query<{ name: string; type: string; charset: string | null; collation: string | null; nullable: string }>(
      'SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type, CHARACTER_SET_NAME AS charset, COLLATION_NAME AS collation, IS_NULLABLE AS nullable FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
      [table],
    );

  it("adds uid (ASCII, unique, NULL for the rows before) to the tutorial's table; the rollup takes its board's character set", async () => {
    const db = await freshDatabase({ table: 'none' });
    try {
      await db.query(TUTORIAL_TABLE_SQL);
      await db.query('ALTER TABLE events MODIFY `board` varchar(36) CHARACTER SET latin1 COLLATE latin1_swedish_ci NOT NULL');
      await db.query("INSERT INTO events (ts, value, board, sensor) VALUES ('2026-12-01 10:00:00', 1, 'b', 's')");
      const query = (sql: string, values?: unknown[]) => db.query(sql, values ?? []);
      await migrate(query);
      const uid = (await columnsOf(db, 'events')).find((c) => c.name === 'uid');
      expect(uid).toEqual({ name: 'uid', type: 'varchar(64)', charset: 'ascii', collation: 'ascii_bin', nullable: 'YES' });
      expect(await db.query("SHOW INDEX FROM events WHERE Key_name = 'uid'")).toHaveLength(1);
      expect(await db.query('SELECT uid FROM events')).toEqual([{ uid: null }]);
      const board = (await columnsOf(db, 'events_rollup')).find((c) => c.name === 'board');
      expect(board).toMatchObject({ charset: 'latin1', collation: 'latin1_swedish_ci' });
      // Again: nothing to add, nothing fails.
      await migrate(query);
      expect((await columnsOf(db, 'events')).filter((c) => c.name === 'uid')).toHaveLength(1);
    } finally {
      await db.drop();
    }
  });

  it('a table without a board column still gets a rollup, in utf8mb4', async () => {
    const db = await freshDatabase({ table: 'none' });
    try {
      await db.query('CREATE TABLE events (`id` int NOT NULL AUTO_INCREMENT PRIMARY KEY, `ts` datetime NOT NULL, `value` double NOT NULL, `sensor` varchar(45) NOT NULL)');
      await migrate((sql, values) => db.query(sql, values ?? []));
      expect((await columnsOf(db, 'events_rollup')).find((c) => c.name === 'board')).toMatchObject({ charset: 'utf8mb4', collation: 'utf8mb4_general_ci' });
    } finally {
      await db.drop();
    }
  });
});
