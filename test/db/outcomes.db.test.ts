// The recorded outcomes of 202-accepted subscriptions (src/db/outcomes.ts), read from MariaDB
// as status and subscribe read them: by id, none for ids not yet answered, and none at all
// when the function has not made the table.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/connect.js';
import { poolQuery } from '../../src/db/devices.js';
import { outcomesOf, readOutcomes } from '../../src/db/outcomes.js';
import { resolveDbTarget } from '../../src/db/target.js';
import { freshDatabase, hasDatabase } from '../support/db.js';
import type { TestDatabase } from '../support/mariadb.js';

describe.skipIf(!hasDatabase)('outcomes of async responses', () => {
  let db: TestDatabase;
  let bare: TestDatabase;
  const urlOf = (d: TestDatabase) => `mysql://${encodeURIComponent(d.login.user)}:${encodeURIComponent(d.login.password)}@${d.login.host}:${d.login.port}/${d.name}?tls=off`;
  const query = (d: TestDatabase) => (sql: string, values?: unknown[]) => d.query(sql, values ?? []);

  beforeAll(async () => {
    db = await freshDatabase();
    bare = await freshDatabase({ table: 'none' });
    await db.query(
      "INSERT INTO events_async_responses (id, status, error, received_at) VALUES ('a-1', 200, NULL, NOW()), ('a-2', 404, 'NOT_FOUND', NOW()), ('other', 200, NULL, NOW())",
    );
  });
  afterAll(async () => {
    await db?.drop();
    await bare?.drop();
  });

  it('gives the outcome of each id asked that arrived, status as a number', async () => {
    const found = await outcomesOf(query(db), 'events', ['a-1', 'a-2', 'not-yet']);
    expect([...found.entries()].sort()).toEqual([
      ['a-1', { status: 200, error: null }],
      ['a-2', { status: 404, error: 'NOT_FOUND' }],
    ]);
  });

  it('asks nothing for no ids, and finds nothing where the table is missing', async () => {
    const asked: string[] = [];
    const counting = (sql: string, values?: unknown[]) => {
      asked.push(sql);
      return db.query(sql, values ?? []);
    };
    expect((await outcomesOf(counting, 'events', [])).size).toBe(0);
    expect(asked).toEqual([]);
    expect((await outcomesOf(query(bare), 'events', ['a-1'])).size).toBe(0);
    expect((await outcomesOf(query(db), 'other_table', ['a-1'])).size).toBe(0);
  });

  it("reads them from the stack's database (here named by MBED_TSDB_DB_URL)", async () => {
    const env = { MBED_TSDB_DB_URL: urlOf(db), MBED_TSDB_STATE_DIR: '/nonexistent' };
    const found = await readOutcomes(env, 'tsdb', ['a-2']);
    expect([...found.entries()]).toEqual([['a-2', { status: 404, error: 'NOT_FOUND' }]]);
    // No ids: no database needed at all (this URL could not be reached).
    expect((await readOutcomes({ MBED_TSDB_DB_URL: 'mysql://u:p@127.0.0.1:1/x?tls=off' }, 'tsdb', [])).size).toBe(0);
  });

  it('openDatabase checks the connection before use, and explains a failure', async () => {
    const pool = await openDatabase(resolveDbTarget({ stack: 'tsdb', env: { MBED_TSDB_DB_URL: urlOf(db) } }));
    try {
      expect(await poolQuery(pool)('SELECT 2 AS two')).toEqual([{ two: 2 }]);
    } finally {
      await pool.end();
    }
    const wrong = `mysql://${db.login.user}:wrong-password@${db.login.host}:${db.login.port}/${db.name}?tls=off`;
    await expect(openDatabase(resolveDbTarget({ stack: 'tsdb', env: { MBED_TSDB_DB_URL: wrong } }))).rejects.toMatchObject({ code: 'DB_ACCESS_DENIED' });
  });
});
