// The chart rollup as the function keeps it: in the same transaction as the rows, so the two
// never disagree — redeliveries, turned-away readings and the self-test never count.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshDatabase, hasDatabase } from '../support/db.js';
import { b64, counts, functionTarget, notification, webhookFor, type TestWebhook } from '../support/function.js';
import type { TestDatabase } from '../support/mariadb.js';
import { fillRollup } from '../../templates/lambda/rollup.js';

const RECEIVED = new Date('2026-11-28T10:15:30.456Z');
const DEVICE = '015f3850a657000000000001001002ab';
const BUTTON = '/3200/0/5501';

/** The rollup as it should be: computed from the stored rows. */
const FROM_EVENTS =
  "SELECT DATE_FORMAT(CAST('1970-01-01' AS DATETIME) + INTERVAL ((TO_SECONDS(ts) - 62167219200) DIV 900) * 900 SECOND, '%Y-%m-%d %H:%i:%s') AS bucket, board, sensor, " +
  'COUNT(*) AS n, SUM(value) AS total, MIN(value) AS lo, MAX(value) AS hi FROM events GROUP BY bucket, board, sensor ORDER BY bucket, board, sensor';
const ROLLUP = "SELECT DATE_FORMAT(bucket, '%Y-%m-%d %H:%i:%s') AS bucket, board, sensor, n, total, lo, hi FROM events_rollup ORDER BY bucket, board, sensor";

describe.skipIf(!hasDatabase)(`chart rollup kept by the function (${functionTarget})`, () => {
  let db: TestDatabase;
  let webhook: TestWebhook;

  beforeEach(async () => {
    db = await freshDatabase();
    webhook = await webhookFor(db, { DB_ROLLUP: 'on' }, () => RECEIVED);
  });
  afterEach(async () => {
    await webhook.close();
    await db.drop();
  });

  /** `single`: MariaDB gives a FLOAT's MIN/MAX back in single precision's shortest digits. */
  const agree = async (single = false) => {
    const [expected, actual] = await Promise.all([db.query(FROM_EVENTS), db.query(ROLLUP)]);
    const same = (r: Record<string, unknown>) => ({ ...r, n: Number(r.n), ...(single ? { lo: Math.fround(Number(r.lo)), hi: Math.fround(Number(r.hi)) } : {}) });
    expect(actual.map(same)).toEqual(expected.map(same));
    return actual;
  };

  it('adds each request’s readings to their 15-minute buckets, by series, with count, sum, min and max', async () => {
    const at = (iso: string) => Date.parse(iso);
    const reply = await webhook.put({
      notifications: [
        notification(DEVICE, BUTTON, b64('3'), { uid: 'a', timestamp: at('2026-11-28T10:00:00Z') }),
        notification(DEVICE, BUTTON, b64('5'), { uid: 'b', timestamp: at('2026-11-28T10:14:59Z') }),
        notification(DEVICE, BUTTON, b64('-2'), { uid: 'c', timestamp: at('2026-11-28T10:15:00Z') }),
        notification(DEVICE, '/3303/0/5700', b64('21.5'), { uid: 'd', timestamp: at('2026-11-28T10:01:00Z') }),
        notification('other', BUTTON, b64('7')),
      ],
    });
    expect(reply.json).toMatchObject({ stored: 5 });
    expect(await agree()).toEqual([
      { bucket: '2026-11-28 10:00:00', board: DEVICE, sensor: '/3200/0/5501', n: 2, total: 8, lo: 3, hi: 5 },
      { bucket: '2026-11-28 10:00:00', board: DEVICE, sensor: '/3303/0/5700', n: 1, total: 21.5, lo: 21.5, hi: 21.5 },
      { bucket: '2026-11-28 10:15:00', board: DEVICE, sensor: '/3200/0/5501', n: 1, total: -2, lo: -2, hi: -2 },
      { bucket: '2026-11-28 10:15:00', board: 'other', sensor: '/3200/0/5501', n: 1, total: 7, lo: 7, hi: 7 },
    ]);
  });

  it('never counts a redelivery, a reading turned away, or the self-test', async () => {
    const batch = [notification(DEVICE, BUTTON, b64('1'), { uid: 'u-1' }), notification(DEVICE, BUTTON, b64('2'), { uid: 'u-2' })];
    await webhook.put({ notifications: batch });
    // Delivered again with one new reading and one that is not a number; and the same uid twice.
    const again = await webhook.put({ notifications: [...batch, notification(DEVICE, BUTTON, b64('x')), notification(DEVICE, BUTTON, b64('4'), { uid: 'u-4' }), notification(DEVICE, BUTTON, b64('4'), { uid: 'u-4' })] });
    expect(again.json).toEqual(counts({ stored: 1, duplicates: 3, rejected: 1, devices: 1 }));
    const selftest = await webhook.put({ notifications: [notification('mbed-tsdb-selftest', '/0/0/0', b64('999'))] }, { 'Content-Type': 'application/json', 'X-Mbed-Tsdb-Selftest': '1' });
    expect(selftest.json).toMatchObject({ stored: 1, selftest: true });
    expect(await agree()).toEqual([{ bucket: '2026-11-28 10:15:00', board: DEVICE, sensor: BUTTON, n: 3, total: 7, lo: 1, hi: 4 }]);
  });

  it('stores a request’s rows and its rollup together or not at all', async () => {
    await db.query(
      "CREATE TRIGGER fault_666 BEFORE INSERT ON events FOR EACH ROW IF NEW.value = 666 THEN SIGNAL SQLSTATE 'HY000' SET MYSQL_ERRNO = 1205, MESSAGE_TEXT = 'Lock wait timeout exceeded'; END IF",
    );
    const reply = await webhook.put({ notifications: [notification(DEVICE, BUTTON, b64('1'), { uid: 'x-1' }), notification(DEVICE, BUTTON, b64('666'), { uid: 'x-2' })] });
    expect(reply.status).toBe(503);
    expect(await agree()).toEqual([]);
  });

  it('leaves a refused reading out of the rows and the rollup alike', async () => {
    await db.query("CREATE TRIGGER refuse_666 BEFORE INSERT ON events FOR EACH ROW IF NEW.value = 666 THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused'; END IF");
    const reply = await webhook.put({ notifications: [notification(DEVICE, BUTTON, b64('1'), { uid: 'x-1' }), notification(DEVICE, BUTTON, b64('666'), { uid: 'x-2' })] });
    expect(reply).toMatchObject({ status: 200, json: { stored: 1, rejected: 1 } });
    expect(await agree()).toEqual([{ bucket: '2026-11-28 10:15:00', board: DEVICE, sensor: BUTTON, n: 1, total: 1, lo: 1, hi: 1 }]);
  });

  it('is filled from the rows stored before, while the webhook keeps writing, every reading counted once', async () => {
    const received = RECEIVED.getTime();
    const old: unknown[][] = [];
    for (let i = 0; i < 20_000; i++) old.push([new Date(received - 20 * 3600_000 + i * 3_500).toISOString().slice(0, 19).replace('T', ' '), i % 17, `dev-${i % 4}`, BUTTON]);
    await db.query('INSERT INTO events (ts, value, board, sensor) VALUES ?', [old]);
    const connection = await (await import('mysql2/promise')).createConnection({ ...db.login, database: db.name });
    let writing = true;
    let sent = 0;
    const hook = webhook;
    // The service's deliveries meanwhile: late readings into hours being filled, and new ones.
    const writer = (async () => {
      while (writing || sent < 40) {
        const batch = Array.from({ length: 25 }, (_, i) =>
          notification(`dev-${i % 4}`, BUTTON, b64(String(i)), { uid: `w-${sent}-${i}`, timestamp: received - Math.floor(((sent * 25 + i) % 80) * 15 * 60_000) }),
        );
        // A deadlock or lock wait answers 503: the service sends the batch again.
        for (let attempt = 0; attempt < 5; attempt++) if ((await hook.put({ notifications: batch })).status === 200) break;
        sent += 1;
      }
    })();
    const fill = await fillRollup(connection, 'events', { chunkSeconds: 3600 }).finally(async () => {
      writing = false;
      await writer;
      await connection.end();
    });
    expect(fill.complete).toBe(true);
    expect(sent).toBeGreaterThanOrEqual(40);
    await agree();
  });

  it('leaves the rollup alone unless told to keep it (DB_ROLLUP)', async () => {
    const plain = await webhookFor(db, {}, () => RECEIVED);
    await plain.put({ notifications: [notification(DEVICE, BUTTON, b64('1'))] });
    await plain.close();
    expect(await db.query(ROLLUP)).toEqual([]);
  });

  it('sums a FLOAT column’s values as the column keeps them', async () => {
    await db.query('ALTER TABLE events MODIFY value FLOAT NOT NULL');
    const floaty = await webhookFor(db, { DB_ROLLUP: 'on' }, () => RECEIVED);
    await floaty.put({ notifications: [notification(DEVICE, BUTTON, b64('0.1')), notification(DEVICE, BUTTON, b64('0.2'))] });
    await floaty.close();
    const [row] = await agree(true);
    expect(row!.total).toBe(Math.fround(0.1) + Math.fround(0.2));
  });
});
