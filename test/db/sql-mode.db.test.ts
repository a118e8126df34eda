// The data commands' connections under a server whose sql_mode reads backslashes as text:
// a board filter (from the command line or the dashboard's address) must stay a value. On a
// server of its own, since the global sql_mode changes here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/connect.js';
import { resolveDbTarget } from '../../src/db/target.js';
import { canStartMariaDb, createTestDatabase, LocalMariaDb, urlFromAddress, type TestDatabase } from '../support/mariadb.js';

const canRunOwnServer = canStartMariaDb('the sql_mode tests');

describe.skipIf(!canRunOwnServer)('database connections of the data commands', () => {
  let server: LocalMariaDb;
  let db: TestDatabase;

  beforeAll(async () => {
    server = await LocalMariaDb.create();
    db = await createTestDatabase(server.address());
  });
  afterAll(async () => {
    await server?.destroy();
  });

  it('keep a quoted value a value under NO_BACKSLASH_ESCAPES, on every connection of the pool', async () => {
    // MariaDB's SQL modes: under NO_BACKSLASH_ESCAPES "the backslash is just a regular
    // character", so mysql2's \' would end the string and the rest would be SQL.
    await db.query("SET GLOBAL sql_mode = CONCAT(@@GLOBAL.sql_mode, ',NO_BACKSLASH_ESCAPES')");
    const target = resolveDbTarget({ dbUrl: `${urlFromAddress(db.login)}${db.name}?tls=off`, stack: 'test', env: {} });
    const pool = await openDatabase(target);
    try {
      const board = "x' OR 1=1 #";
      // At once: the pool opens more connections, each of them set up before its first query.
      const answers = await Promise.all([1, 2, 3].map(() => pool.query('SELECT ? AS board, @@SESSION.sql_mode AS mode', [board])));
      for (const [rows] of answers) {
        const [row] = rows as Array<{ board: string; mode: string }>;
        expect(row).toMatchObject({ board });
        expect(row!.mode).not.toContain('NO_BACKSLASH_ESCAPES');
      }
    } finally {
      await pool.end();
      await db.query('SET GLOBAL sql_mode = DEFAULT');
    }
  });
});
