// A request's writes as the server sees them: the readings, their rollup rows and the
// transaction around them in one query (one round trip), and what that must not cost —
// atomicity when a statement in the query fails, and values that stay values under any
// sql_mode. On a server of its own: its general log shows every query, and the global
// sql_mode changes here.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from '../../templates/lambda/schema.js';
import { events } from '../support/db.js';
import { b64, functionTarget, notification, webhookFor, type TestWebhook } from '../support/function.js';
import { canStartMariaDb, createTestDatabase, LocalMariaDb, type TestDatabase } from '../support/mariadb.js';

const canRunOwnServer = canStartMariaDb('the one-query tests');
const BUTTON = '/3200/0/5501';

describe.skipIf(!canRunOwnServer)(`a request's writes as the server sees them (${functionTarget})`, () => {
  let server: LocalMariaDb;
  let db: TestDatabase;
  let webhook: TestWebhook;

  beforeAll(async () => {
    server = await LocalMariaDb.create({ serverArgs: ['--general-log=1', '--log-output=TABLE'] });
  });
  afterAll(async () => {
    await server?.destroy();
  });
  beforeEach(async () => {
    db = await createTestDatabase(server.address());
    await migrate((sql, values) => db.query(sql, values as never));
  });
  afterEach(async () => {
    await webhook?.close();
    await db.query("SET GLOBAL sql_mode = DEFAULT");
    await db.drop();
  });

  /** The queries the function's user sent since the log was last emptied. */
  const functionQueries = async () =>
    (await db.query<{ q: string }>("SELECT CONVERT(argument USING utf8mb4) AS q FROM mysql.general_log WHERE command_type = 'Query' AND user_host LIKE CONCAT(?, '[%') ORDER BY event_time", [db.login.user])).map((r) => r.q);

  it('stores readings with their rollup rows in one query that opens and commits the transaction', async () => {
    webhook = await webhookFor(db, { DB_ROLLUP: 'on' });
    // The first request also connects and reads the tables' shape.
    expect((await webhook.put({ notifications: [notification('a', BUTTON, b64('1'))] })).json).toMatchObject({ stored: 1 });
    await db.query('TRUNCATE TABLE mysql.general_log');

    const reply = await webhook.put({ notifications: [notification('a', BUTTON, b64('2')), notification('b', BUTTON, b64('3'))] });
    expect(reply.json).toMatchObject({ stored: 2 });
    const queries = await functionQueries();
    expect(queries).toHaveLength(1);
    expect(queries[0]).toMatch(/^START TRANSACTION;INSERT INTO `events` .*;INSERT INTO `events_rollup` .*;COMMIT$/s);
    expect(await db.query('SELECT board, n, total FROM events_rollup ORDER BY board')).toEqual([
      { board: 'a', n: 2, total: 3 },
      { board: 'b', n: 1, total: 3 },
    ]);
  });

  it('looks a redelivery up by (ts, uid) on a table made today, by uid on one whose uid is unique alone; each stores it once', async () => {
    const now = new Date('2026-11-28T10:20:00Z');
    webhook = await webhookFor(db, {}, () => now);
    const delivery = (ts: string) => ({ notifications: [notification('a', BUTTON, b64('1'), { uid: 'm-1', timestamp: ts }), notification('a', BUTTON, b64('2'), { uid: 'm-2' })] });
    expect((await webhook.put(delivery('2026-11-28T10:19:30Z'))).json).toMatchObject({ stored: 2 });
    await db.query('TRUNCATE TABLE mysql.general_log');
    // The service sends it again with the same timestamp; m-2 had none, so it stands at the time received.
    expect((await webhook.put(delivery('2026-11-28T10:19:30Z'))).json).toMatchObject({ stored: 0, duplicates: 2 });
    expect(await functionQueries()).toEqual(["SELECT `uid` FROM `events` WHERE (`ts`, `uid`) IN (('2026-11-28 10:19:30', 'm-1'), ('2026-11-28 10:20:00', 'm-2'))"]);

    // A table whose uid is unique on its own (as migrate leaves the tutorial's): by uid.
    await webhook.close();
    await db.query('ALTER TABLE events REMOVE PARTITIONING');
    await db.query('ALTER TABLE events DROP INDEX `ts`, ADD UNIQUE KEY `uid` (`uid`), ADD KEY `ts` (`ts`)');
    webhook = await webhookFor(db, {}, () => now);
    await db.query('TRUNCATE TABLE mysql.general_log');
    expect((await webhook.put(delivery('2026-11-28T10:19:31Z'))).json).toMatchObject({ stored: 0, duplicates: 2 });
    expect((await functionQueries()).filter((q) => q.startsWith('SELECT `uid`'))).toEqual(["SELECT `uid` FROM `events` WHERE `uid` IN ('m-1', 'm-2')"]);
    expect(await events(db)).toHaveLength(2);
  });

  it('reads the tables’ shape again after a minute: a table reshaped meanwhile is looked up by its new key', async () => {
    let now = new Date('2026-11-28T10:20:00Z');
    await db.query('ALTER TABLE events REMOVE PARTITIONING');
    await db.query('ALTER TABLE events DROP INDEX `ts`, ADD UNIQUE KEY `uid` (`uid`), ADD KEY `ts` (`ts`)');
    webhook = await webhookFor(db, {}, () => now);
    const delivery = (n: number) => ({ notifications: [notification('a', BUTTON, b64('1'), { uid: `m-${n}`, timestamp: now.toISOString() })] });
    expect((await webhook.put(delivery(1))).json).toMatchObject({ stored: 1 });
    // Reshaped to today's keys (as setup's reshape leaves it), 59 s later: still the shape it read.
    await db.query('ALTER TABLE events DROP INDEX `uid`, DROP INDEX `ts`, ADD UNIQUE KEY `ts` (`ts`, `uid`)');
    now = new Date(now.getTime() + 59_000);
    await db.query('TRUNCATE TABLE mysql.general_log');
    expect((await webhook.put(delivery(2))).json).toMatchObject({ stored: 1 });
    expect((await functionQueries()).filter((q) => q.startsWith('SELECT `uid`'))).toEqual(["SELECT `uid` FROM `events` WHERE `uid` IN ('m-2')"]);
    // A minute after it was read: read again, and the new key used.
    now = new Date(now.getTime() + 2_000);
    await db.query('TRUNCATE TABLE mysql.general_log');
    expect((await webhook.put(delivery(3))).json).toMatchObject({ stored: 1 });
    expect((await functionQueries()).filter((q) => q.startsWith('SELECT `uid`'))).toEqual(["SELECT `uid` FROM `events` WHERE (`ts`, `uid`) IN (('2026-11-28 10:21:01', 'm-3'))"]);
  });

  it('leaves nothing of a request whose rollup statement fails, and the next request starts clean', async () => {
    webhook = await webhookFor(db, { DB_ROLLUP: 'on' }, () => new Date('2026-11-28T10:20:00Z'));
    await db.query("INSERT INTO events_rollup VALUES ('2026-11-28 10:15:00', 'full', ?, 99, 0, 0, 0)", [BUTTON]);
    // A failure that is not about the data (a CHECK constraint is: its reading would be left out
    // alone): the rollup's statement refused as a privilege would refuse it.
    await db.query(
      "CREATE TRIGGER refuse BEFORE INSERT ON events_rollup FOR EACH ROW IF NEW.board = 'full' THEN SIGNAL SQLSTATE '42000' SET MYSQL_ERRNO = 1142, MESSAGE_TEXT = 'INSERT command denied to user for table events_rollup'; END IF",
    );

    // The readings' INSERT runs first in the query; the rollup's then fails.
    const refused = await webhook.put({ notifications: [notification('ok', BUTTON, b64('1')), notification('full', BUTTON, b64('1')), notification('full', BUTTON, b64('2'))] });
    expect(refused.status).toBe(500);
    expect(await events(db)).toEqual([]);

    // Left open, that transaction would be committed by the next one's START TRANSACTION.
    await db.query('DROP TRIGGER refuse');
    const next = await webhook.put({ notifications: [notification('ok', BUTTON, b64('7'))] });
    expect(next.json).toMatchObject({ stored: 1, rejected: 0 });
    expect((await events(db)).map((r) => [r.board, r.value])).toEqual([['ok', 7]]);
  });

  it('leaves out alone a reading whose rollup row a CHECK constraint refuses (MariaDB errno 4025), and stores the rest', async () => {
    webhook = await webhookFor(db, { DB_ROLLUP: 'on' }, () => new Date('2026-11-28T10:20:00Z'));
    await db.query("INSERT INTO events_rollup VALUES ('2026-11-28 10:15:00', 'full', ?, 99, 0, 0, 0)", [BUTTON]);
    await db.query('ALTER TABLE events_rollup ADD CONSTRAINT refuse CHECK (n < 100)');
    try {
      const reply = await webhook.put({ notifications: [notification('ok', BUTTON, b64('1')), notification('full', BUTTON, b64('1'))] });
      expect(reply.status).toBe(200);
      expect(reply.json).toMatchObject({ stored: 1, rejected: 1 });
      expect((await events(db)).map((r) => r.board)).toEqual(['ok']);
    } finally {
      await db.query('ALTER TABLE events_rollup DROP CONSTRAINT refuse');
    }
  });

  it('keeps a quote in a board name text when the server reads backslashes as text (sql_mode NO_BACKSLASH_ESCAPES)', async () => {
    // MariaDB's SQL modes: under NO_BACKSLASH_ESCAPES "the backslash is just a regular
    // character"; mysql2 escapes a quote as \' — the quote would end the string, hex literals
    // need no quotes, and # comments out the rest of the query.
    await db.query("SET GLOBAL sql_mode = CONCAT('NO_BACKSLASH_ESCAPES,', @@GLOBAL.sql_mode)");
    webhook = await webhookFor(db, { DB_ROLLUP: 'on' });
    const board = "',0x2f78),(NOW(),666,0x78,0x79)#";
    const reply = await webhook.put({ notifications: [notification(board, BUTTON, b64('1')), notification('plain', BUTTON, b64('2'))] });
    expect(reply.json).toMatchObject({ stored: 2, rejected: 0 });
    expect((await events(db)).map((r) => [r.board, r.sensor, r.value])).toEqual([
      [board, BUTTON, 1],
      ['plain', BUTTON, 2],
    ]);
    expect(await db.query('SELECT board, sensor, n FROM events_rollup ORDER BY n, board')).toEqual([
      { board, sensor: BUTTON, n: 1 },
      { board: 'plain', sensor: BUTTON, n: 1 },
    ]);
  });
});
