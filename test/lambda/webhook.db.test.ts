// The webhook function against a real MariaDB: status codes and the rows they leave.
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { events, freshDatabase, hasDatabase, TUTORIAL_TABLE_SQL } from '../support/db.js';
import { b64, functionTarget, notification, webhookFor, type TestWebhook } from '../support/function.js';
import { counts } from '../support/function.js';
import type { TestDatabase } from '../support/mariadb.js';
import { httpApiEvent, proxyEvent } from '../support/apigw.js';

const RECEIVED = new Date('2026-11-28T10:15:30.456Z');
const RECEIVED_TS = '2026-11-28 10:15:30';
const EP = 'cccdb1b6-9502-4001-9a5a-69621147ac87';
const BUTTON = '/3200/0/5501';

describe.skipIf(!hasDatabase)(`webhook function (${functionTarget}) on MariaDB`, () => {
  let db: TestDatabase;
  let webhook: TestWebhook;
  const opened: TestWebhook[] = [];

  const open = async (env: Record<string, string> = {}) => {
    const created = await webhookFor(db, env, () => RECEIVED);
    opened.push(created);
    return created;
  };

  beforeEach(async () => {
    db = await freshDatabase();
    webhook = await open();
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((w) => w.close()));
    await db.drop();
  });
  afterAll(() => undefined);

  it('stores one notification as one row stamped with the time of receipt in UTC', async () => {
    // A service timestamp that is not plausible (far older than the service keeps events) is not believed.
    const reply = await webhook.put({ notifications: [notification(EP, BUTTON, b64('7'), { timestamp: '1999-01-01T00:00:00Z' })] });
    expect(reply).toEqual({ status: 200, json: counts({ stored: 1, devices: 1 }) });
    expect(await events(db)).toEqual([{ id: 1, ts: RECEIVED_TS, value: 7, board: EP, sensor: BUTTON }]);
  });

  it('stores a batch, with two updates of one path, notes the device and the subscription outcome, and ignores the rest', async () => {
    const reply = await webhook.put({
      notifications: [notification(EP, BUTTON, 'Nw=='), notification(EP, BUTTON, 'OA==')],
      'reg-updates': [{ ep: EP, ept: 'test', q: false, resources: [{ path: BUTTON, rt: 'Button', obs: true }] }],
      'async-responses': [{ id: '1073741829#521f9d17', status: 200, payload: 'MQ==' }],
      'de-registrations': ['015f3850a657000000000001001002ab'],
    });
    expect(reply).toEqual({ status: 200, json: counts({ stored: 2, ignored: 1, devices: 1, outcomes: 1 }) });
    expect((await events(db)).map((r) => r.value)).toEqual([7, 8]);
  });

  it('stores the good payloads of a request and logs each bad one whole', async () => {
    const good = [['1', 1], ['-2.5', -2.5], ['1e3', 1000], [' 42\n', 42]] as const;
    const bad = ['', 'abc', 'NaN', 'Infinity'];
    const notifications = [
      ...good.map(([text], i) => notification(`good-${i}`, BUTTON, b64(text))),
      ...bad.map((text, i) => notification(`bad-${i}`, BUTTON, b64(text))),
      notification('bad-base64', BUTTON, '%%%not-base64%%%'),
    ];
    const reply = await webhook.put({ notifications });
    expect(reply).toEqual({ status: 200, json: counts({ stored: 4, rejected: 5, devices: 4 }) });
    expect((await events(db)).map((r) => [r.board, r.value])).toEqual(good.map(([, value], i) => [`good-${i}`, value]));
    const rejected = webhook.logs.filter((line) => line.msg === 'notification not stored');
    expect(rejected.map((line) => line.notification)).toEqual(notifications.slice(4));
    expect(rejected.every((line) => line.level === 'warn' && typeof line.reason === 'string')).toBe(true);
  });

  it('turns away names longer than the columns and keeps the rest of the batch', async () => {
    const ep64 = 'e'.repeat(64);
    const path128 = `/${'p'.repeat(127)}`;
    const reply = await webhook.put({
      notifications: [
        notification(ep64, path128, b64('1')),
        notification(`${ep64}x`, BUTTON, b64('2')),
        notification(EP, `${path128}x`, b64('3')),
        notification(EP, BUTTON, b64('4')),
      ],
    });
    expect(reply).toEqual({ status: 200, json: counts({ stored: 2, rejected: 2, devices: 2 }) });
    expect((await events(db)).map((r) => [r.board, r.sensor, r.value])).toEqual([
      [ep64, path128, 1],
      [EP, BUTTON, 4],
    ]);
  });

  it('stores SQL-looking names verbatim and leaves the table intact', async () => {
    const ep = "x'); DROP TABLE events; --";
    const path = "/3200/0/5501' OR '1'='1\\";
    const reply = await webhook.put({ notifications: [notification(ep, path, b64('5')), notification('`;--', '"', b64('6'))] });
    expect(reply.status).toBe(200);
    expect((await events(db)).map((r) => [r.board, r.sensor])).toEqual([
      [ep, path],
      ['`;--', '"'],
    ]);
  });

  it.each([
    ['an empty body', null],
    ['{}', '{}'],
    ['a message without notifications', JSON.stringify({ registrations: [{ ep: EP, resources: [] }] })],
  ])('answers the URL check (%s) with 200 and writes nothing', async (_name, body) => {
    const result = await webhook.handler(proxyEvent({ headers: { 'Content-Type': 'application/json' }, body }));
    expect(result.statusCode).toBe(200);
    expect(await events(db)).toEqual([]);
  });

  // The service redelivers anything not answered 2xx, holding back all later batches for up
  // to a day (registerWebhook, Izuma spec): a body no retry can fix is answered 200, kept in the log.
  it.each([
    ['malformed JSON', '{"notifications": [{"ep": ', 'body is not valid JSON'],
    ['a JSON array', '[{"ep":"a"}]', 'body must be a JSON object'],
    ['notifications that are not an array', '{"notifications": {"ep": "a"}}', '"notifications" must be an array'],
  ])('answers %s with 200, logs it whole, and writes nothing', async (_name, body, reason) => {
    const reply = await webhook.put(body);
    expect(reply).toEqual({ status: 200, json: { ...counts({}), malformed: true } });
    expect(webhook.logs.at(-1)).toMatchObject({ level: 'warn', msg: 'body not stored', reason, body });
    expect(await events(db)).toEqual([]);
  });

  describe('Izuma serialization (uid, timestamp, original-ep)', () => {
    const DEVICE = '015f3850a657000000000001001002ab';
    const at = (iso: string) => Date.parse(iso);

    it('stores a reading delivered again (same uid) once, and says it was a duplicate', async () => {
      const batch = { notifications: [notification(DEVICE, BUTTON, b64('1'), { uid: 'u-1' }), notification(DEVICE, BUTTON, b64('2'), { uid: 'u-2' })] };
      expect((await webhook.put(batch)).json).toEqual(counts({ stored: 2, devices: 1 }));
      // The service did not get the answer and delivers the batch again, with one more reading.
      const again = { notifications: [...batch.notifications, notification(DEVICE, BUTTON, b64('3'), { uid: 'u-3' })] };
      expect((await webhook.put(again)).json).toEqual(counts({ stored: 1, duplicates: 2, devices: 1 }));
      expect((await events(db)).map((r) => r.value)).toEqual([1, 2, 3]);
      // The same uid twice in one batch is stored once too.
      expect((await webhook.put({ notifications: [notification(DEVICE, BUTTON, b64('4'), { uid: 'u-4' }), notification(DEVICE, BUTTON, b64('4'), { uid: 'u-4' })] })).json).toEqual(
        counts({ stored: 1, duplicates: 1, devices: 1 }),
      );
    });

    // A redelivery is known by its uid before storing; a name too long for a column narrowed
    // since is turned away after the table is read again, never stored cut short.
    it('never stores a name cut short when the table narrowed under the container, redeliveries included', async () => {
      expect((await webhook.put({ notifications: [notification('first', BUTTON, b64('1'), { uid: 'n-1' })] })).status).toBe(200);
      await db.query('ALTER TABLE events MODIFY board varchar(20) NOT NULL');
      const reply = await webhook.put({ notifications: [notification(EP, BUTTON, b64('2'), { uid: 'n-2' }), notification('short-board', BUTTON, b64('3'), { uid: 'n-3' }), notification('first', BUTTON, b64('1'), { uid: 'n-1' })] });
      expect(reply.json).toEqual(counts({ stored: 1, duplicates: 1, rejected: 1, devices: 2 }));
      expect((await events(db)).map((r) => r.board)).toEqual(['first', 'short-board']);
    });

    it('stamps each reading with the time the service received it, when plausible', async () => {
      const reply = await webhook.put({
        notifications: [
          notification(DEVICE, BUTTON, b64('1'), { timestamp: at('2026-11-28T04:05:06Z') }),
          notification(DEVICE, BUTTON, b64('2'), { timestamp: '2026-11-28T08:00:00Z' }),
          notification(DEVICE, BUTTON, b64('3'), { timestamp: at('2026-11-29T00:00:00Z') }),
          notification(DEVICE, BUTTON, b64('4')),
        ],
      });
      expect(reply.json).toEqual(counts({ stored: 4, devices: 1 }));
      expect((await events(db)).map((r) => [r.value, r.ts])).toEqual([
        [1, '2026-11-28 04:05:06'],
        [2, '2026-11-28 08:00:00'],
        [3, RECEIVED_TS], // in the future: not believed
        [4, RECEIVED_TS],
      ]);
    });

    it('keeps the devices it hears of: ID, the name it gave itself, its type, when it registered and was last seen', async () => {
      await webhook.put({ registrations: [{ ep: DEVICE, 'original-ep': 'kitchen-button', ept: 'mbed-os-example', q: false, resources: [] }] });
      await webhook.put({ notifications: [notification(DEVICE, BUTTON, b64('1'), { 'original-ep': 'kitchen-button', timestamp: at('2026-11-28T10:00:00Z') })] });
      await webhook.put({ notifications: [notification('0123456789abcdef0123456789abcdef', BUTTON, b64('1'))] });
      expect(await db.query('SELECT device_id, endpoint_name, endpoint_type, registered_at, last_seen FROM events_devices ORDER BY device_id')).toEqual([
        { device_id: '0123456789abcdef0123456789abcdef', endpoint_name: null, endpoint_type: null, registered_at: null, last_seen: RECEIVED_TS },
        { device_id: DEVICE, endpoint_name: 'kitchen-button', endpoint_type: 'mbed-os-example', registered_at: RECEIVED_TS, last_seen: RECEIVED_TS },
      ]);
    });

    it('writes a device again only with news or once last_seen would lag a minute (templates/lambda/device-memory.ts)', async () => {
      let now = RECEIVED.getTime();
      const clocked = await webhookFor(db, {}, () => new Date(now));
      opened.push(clocked);
      const lastSeen = async () => (await db.query<{ last_seen: string; endpoint_name: string | null }>('SELECT last_seen, endpoint_name FROM events_devices'))[0];
      const press = (extra: Record<string, unknown> = {}) => clocked.put({ notifications: [notification(DEVICE, BUTTON, b64('1'), extra)] });
      await press();
      expect(await lastSeen()).toEqual({ last_seen: RECEIVED_TS, endpoint_name: null });
      // Rows change under the function's feet; what it wrote lately it does not write again.
      await db.query("UPDATE events_devices SET last_seen = '2000-01-01 00:00:00'");
      now += 59_000;
      await press();
      expect(await lastSeen()).toEqual({ last_seen: '2000-01-01 00:00:00', endpoint_name: null });
      await press({ 'original-ep': 'kitchen-button' });
      expect(await lastSeen()).toEqual({ last_seen: '2026-11-28 10:16:29', endpoint_name: 'kitchen-button' });
      now += 60_000;
      await press();
      expect((await lastSeen())!.last_seen).toBe('2026-11-28 10:17:29');
      expect((await events(db)).length).toBe(4);
    });

    it('records the outcome of a subscription that was answered 202', async () => {
      const reply = await webhook.put({ 'async-responses': [{ id: 'ok-1', status: 200 }, { id: 'bad-1', status: 412, error: 'PRECONDITION_FAILED' }] });
      expect(reply.json).toEqual(counts({ outcomes: 2 }));
      expect(await db.query('SELECT id, status, error FROM events_async_responses ORDER BY id')).toEqual([
        { id: 'bad-1', status: 412, error: 'PRECONDITION_FAILED' },
        { id: 'ok-1', status: 200, error: null },
      ]);
    });
  });

  it('runs the self-test through everything and leaves no row', async () => {
    const reply = await webhook.put({ notifications: [notification('mbed-tsdb-selftest', '/0/0/0', b64('123'))] }, { 'Content-Type': 'application/json', 'X-Mbed-Tsdb-Selftest': '1' });
    expect(reply.json).toMatchObject({ stored: 1, selftest: true });
    expect(await events(db)).toEqual([]);
    expect(await db.query('SELECT * FROM events_devices')).toEqual([]);
  });

  it('reads the table again when it was altered under the container, and stores what still fits', async () => {
    expect((await webhook.put({ notifications: [notification('first', BUTTON, b64('1'))] })).status).toBe(200);
    // Somebody narrows board after the container read the table's shape.
    await db.query('ALTER TABLE events MODIFY board varchar(20) NOT NULL');
    const reply = await webhook.put({ notifications: [notification(EP, BUTTON, b64('2')), notification('short-board', BUTTON, b64('3'))] });
    expect(reply.json).toEqual(counts({ stored: 1, rejected: 1, devices: 1 }));
    expect((await events(db)).map((r) => r.value)).toEqual([1, 3]);
    expect(webhook.logs.some((l) => l.msg === 'table changed; reading its shape again')).toBe(true);
  });

  // MariaDB's numeric types (mariadb.com/kb: FLOAT is single precision, at most ±3.402823466E+38;
  // DECIMAL(M,D) holds M digits, D after the point; UNSIGNED no negatives): a value that does not
  // fit fails the whole INSERT in strict mode ("Out of range value"), so it is turned away alone.
  it.each([
    ['FLOAT', ['3.4e38', '-1.5'], ['1e39', '3.4028235e38', '-1e39']],
    ['DECIMAL(6,2)', ['9999.99', '-9999.994', '0.001'], ['10000', '-10000', '9999.996']],
    ['DOUBLE UNSIGNED', ['0', '1e288'], ['-0.5']],
    ['SMALLINT', ['32767', '-32768', '12.4'], ['32768', '-32769', '32767.6']],
    ['INT UNSIGNED', ['4294967295'], ['4294967296', '-1']],
  ])('stores what fits a %s value column and turns away, one by one, what does not', async (type, fit, misfit) => {
    await db.query(`ALTER TABLE events MODIFY value ${type} NOT NULL`);
    const reply = await webhook.put({ notifications: [...fit, ...misfit].map((v) => notification(EP, BUTTON, b64(v))) });
    expect(reply.status, JSON.stringify(reply.json)).toBe(200);
    expect(reply.json).toMatchObject({ stored: fit.length, rejected: misfit.length });
    expect((await events(db)).length).toBe(fit.length);
    expect(webhook.logs.filter((l) => String(l.reason ?? '').includes('does not fit the value column'))).toHaveLength(misfit.length);
  });

  it('never lets one request’s rollback undo another’s rows (two at once on one container)', async () => {
    // A fault that passes (a lock wait timeout) in the middle of the second request's insert.
    await db.query(
      "CREATE TRIGGER fault_666 BEFORE INSERT ON events FOR EACH ROW IF NEW.value = 666 THEN SIGNAL SQLSTATE 'HY000' SET MYSQL_ERRNO = 1205, MESSAGE_TEXT = 'Lock wait timeout exceeded'; END IF",
    );
    const good = { notifications: Array.from({ length: 200 }, (_, i) => notification(EP, BUTTON, b64(String(i)))) };
    const bad = { notifications: [...Array.from({ length: 200 }, (_, i) => notification('other', BUTTON, b64(String(1000 + i)))), notification('other', BUTTON, b64('666'))] };
    const [a, b] = await Promise.all([webhook.put(good), webhook.put(bad)]);
    expect(a.status).toBe(200);
    expect(b.status).toBe(503);
    expect((await events(db)).map((r) => r.board)).toEqual(Array(200).fill(EP));
  });

  it.each([
    ['an HTTP API (API Gateway v2)', false],
    ['a Lambda Function URL', true],
  ])('takes the payload format 2.0 event of %s the same way', async (_name, functionUrl) => {
    const secured = await open({ WEBHOOK_SECRET: 'v2-secret-0123456789' });
    const body = JSON.stringify({ notifications: [notification(EP, BUTTON, b64('7'))] });
    const put = await secured.handler(httpApiEvent({ functionUrl, headers: { 'Content-Type': 'application/json', 'X-Mbed-Tsdb-Secret': 'v2-secret-0123456789' }, body }) as never);
    expect(put.statusCode, put.body).toBe(200);
    expect(JSON.parse(put.body)).toMatchObject({ stored: 1 });
    const encoded = await secured.handler(httpApiEvent({ functionUrl, headers: { 'X-Mbed-Tsdb-Secret': 'v2-secret-0123456789' }, body: Buffer.from(body).toString('base64'), isBase64Encoded: true }) as never);
    expect(JSON.parse(encoded.body)).toMatchObject({ stored: 1 });
    expect((await secured.handler(httpApiEvent({ functionUrl, body }) as never)).statusCode).toBe(401);
    expect((await secured.handler(httpApiEvent({ functionUrl, method: 'GET' }) as never)).statusCode).toBe(405);
    expect((await events(db)).map((r) => r.value)).toEqual([7, 7]);
  });

  it('answers methods other than PUT with 405', async () => {
    const result = await webhook.handler(proxyEvent({ method: 'POST', body: '{}' }));
    expect(result.statusCode).toBe(405);
  });

  it('reads a base64-encoded body as API Gateway passes binary media', async () => {
    const body = Buffer.from(JSON.stringify({ notifications: [notification(EP, BUTTON, b64('9'))] })).toString('base64');
    const result = await webhook.handler(proxyEvent({ body, isBase64Encoded: true }));
    expect(result.statusCode).toBe(200);
    expect((await events(db)).map((r) => r.value)).toEqual([9]);
  });

  describe('with a webhook secret', () => {
    const SECRET = 's3cret-value-0123456789';
    const body = { notifications: [notification(EP, BUTTON, b64('1'))] };

    it.each([
      ['no header', {}],
      ['a wrong value', { 'x-mbed-tsdb-secret': 'wrong' }],
      ['a prefix of the value', { 'x-mbed-tsdb-secret': SECRET.slice(0, -1) }],
      ['the value under another header', { authorization: SECRET }],
    ])('answers a request with %s with 401 and writes nothing', async (_name, headers) => {
      const secured = await open({ WEBHOOK_SECRET: SECRET });
      const reply = await secured.put(body, { 'Content-Type': 'application/json', ...headers });
      expect(reply.status).toBe(401);
      expect(await events(db)).toEqual([]);
      expect(JSON.stringify(secured.logs)).not.toContain(SECRET);
    });

    it('also refuses the URL check without the secret, and accepts it with', async () => {
      const secured = await open({ WEBHOOK_SECRET: SECRET });
      expect((await secured.put('{}', {})).status).toBe(401);
      expect((await secured.put('{}', { 'X-Mbed-Tsdb-Secret': SECRET })).status).toBe(200);
    });

    it('stores with the right value, whatever the header name case', async () => {
      const secured = await open({ WEBHOOK_SECRET: SECRET, WEBHOOK_SECRET_HEADER: 'X-Webhook-Token' });
      const reply = await secured.put(body, { 'x-WEBHOOK-token': SECRET });
      expect(reply).toEqual({ status: 200, json: counts({ stored: 1, devices: 1 }) });
      expect(await events(db)).toHaveLength(1);
    });
  });

  it('stores a 20 000-notification request whole', async () => {
    const notifications = Array.from({ length: 20_000 }, (_, i) => notification(`dev-${i % 50}`, BUTTON, b64(String(i))));
    const reply = await webhook.put({ notifications });
    expect(reply).toEqual({ status: 200, json: counts({ stored: 20_000, devices: 50 }) });
    const [summary] = await db.query<{ n: number; total: number }>('SELECT COUNT(*) AS n, SUM(value) AS total FROM events');
    expect(Number(summary!.n)).toBe(20_000);
    expect(Number(summary!.total)).toBe((19_999 * 20_000) / 2);
  });

  it('fits rows into a tutorial-exact table (varchar(36)/varchar(45)) and turns away a 40-character endpoint name', async () => {
    await db.query('DROP TABLE events, events_devices, events_async_responses');
    await db.query(TUTORIAL_TABLE_SQL);
    const tutorial = await open();
    const ep40 = 'f'.repeat(40);
    const reply = await tutorial.put({
      notifications: [
        notification(EP, BUTTON, b64('1')),
        notification(ep40, BUTTON, b64('2')),
        notification(EP, `/${'r'.repeat(45)}`, b64('3')),
        notification(EP, BUTTON, b64('4')),
      ],
    });
    // The tutorial's table alone: no devices table, no uid, and the rest still works.
    expect(reply).toEqual({ status: 200, json: counts({ stored: 2, rejected: 2 }) });
    expect((await events(db)).map((r) => r.value)).toEqual([1, 4]);
    const reasons = tutorial.logs.filter((l) => l.msg === 'notification not stored').map((l) => l.reason);
    expect(reasons).toEqual(['"ep" is 40 characters; column board holds 36', '"path" is 46 characters; column sensor holds 45']);
  });

  it.each([
    ['one statement', '5000'],
    ['chunks of 100 in one transaction', '100'],
  ])('stores a request whole or not at all when the database fails part-way (%s)', async (_name, chunkRows) => {
    // A fault that passes (a lock wait timeout) at the 1000th row: 503, and nothing of the request kept.
    await db.query(
      "CREATE TRIGGER fault_999 BEFORE INSERT ON events FOR EACH ROW IF NEW.value = 999 THEN SIGNAL SQLSTATE 'HY000' SET MYSQL_ERRNO = 1205, MESSAGE_TEXT = 'Lock wait timeout exceeded'; END IF",
    );
    const chunked = await open({ INSERT_CHUNK_ROWS: chunkRows });
    const notifications = Array.from({ length: 1000 }, (_, i) => notification(EP, BUTTON, b64(String(i))));
    const reply = await chunked.put({ notifications });
    expect(reply.status).toBe(503);
    expect(await events(db)).toEqual([]);
    expect(chunked.logs.at(-1)).toMatchObject({ level: 'error', error: expect.stringContaining('Lock wait timeout exceeded') });

    const fine = await chunked.put({ notifications: notifications.slice(0, 999) });
    expect(fine.json).toEqual(counts({ stored: 999, devices: 1 }));
    expect(await events(db)).toHaveLength(999);
  });

  it.each([
    ['one statement', '5000'],
    ['chunks of 100 in one transaction', '100'],
  ])('leaves out alone what the database refuses (a trigger) and stores the rest once (%s)', async (_name, chunkRows) => {
    await db.query(
      "CREATE TRIGGER refuse_999 BEFORE INSERT ON events FOR EACH ROW IF NEW.value IN (7, 999) THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused'; END IF",
    );
    const chunked = await open({ INSERT_CHUNK_ROWS: chunkRows });
    const notifications = Array.from({ length: 1000 }, (_, i) => notification(EP, BUTTON, b64(String(i)), { uid: `u-${i}` }));
    const reply = await chunked.put({ notifications });
    expect(reply).toEqual({ status: 200, json: counts({ stored: 998, rejected: 2, devices: 1 }) });
    expect((await events(db)).map((r) => r.value)).toEqual(Array.from({ length: 1000 }, (_, i) => i).filter((v) => v !== 7 && v !== 999));
    expect(chunked.logs.filter((l) => l.msg === 'notification not stored').map((l) => l.reason)).toEqual([
      expect.stringContaining('refused'),
      expect.stringContaining('refused'),
    ]);
    // Delivered again: nothing stored twice, the two still refused.
    expect((await chunked.put({ notifications })).json).toEqual(counts({ duplicates: 998, rejected: 2, devices: 1 }));
  });

  it('reconnects after the database dropped its connection', async () => {
    expect((await webhook.put({ notifications: [notification(EP, BUTTON, b64('1'))] })).status).toBe(200);
    const sessions = await db.query<{ id: number }>(
      'SELECT ID AS id FROM information_schema.PROCESSLIST WHERE USER = ?',
      [db.login.user],
    );
    expect(sessions.length).toBeGreaterThan(0);
    for (const { id } of sessions) await db.query(`KILL CONNECTION ${Number(id)}`);
    const reply = await webhook.put({ notifications: [notification(EP, BUTTON, b64('2'))] });
    expect(reply).toEqual({ status: 200, json: counts({ stored: 1, devices: 1 }) });
    expect((await events(db)).map((r) => r.value)).toEqual([1, 2]);
  });

  it('answers 503 (setup may still be making it) and says so in its log when the table does not exist', async () => {
    await db.query('DROP TABLE events');
    const reply = await webhook.put({ notifications: [notification(EP, BUTTON, b64('1'))] });
    expect(reply.status).toBe(503);
    expect(webhook.logs.at(-1)).toMatchObject({ level: 'error', error: expect.stringContaining('does not exist') });
  });

  it('answers 500 without touching the database when misconfigured', async () => {
    const broken = await open({ DB_TABLE: 'events; DROP TABLE events' });
    const reply = await broken.put({ notifications: [notification(EP, BUTTON, b64('1'))] });
    expect(reply.status).toBe(500);
    expect(broken.logs[0]).toMatchObject({ level: 'error', msg: 'function is misconfigured' });
    // The six tables the migration made (events and its companions), none dropped.
    expect(await db.query('SHOW TABLES')).toHaveLength(6);
  });

  describe('before setup knows the database (no DB_HOST)', () => {
    it('answers the URL check with 200, so the webhook can be registered while the database boots', async () => {
      const early = await open({ DB_HOST: '', WEBHOOK_SECRET: 'early-secret' });
      expect((await early.put('{}', { 'x-mbed-tsdb-secret': 'early-secret' })).status).toBe(200);
      expect((await early.put('{}', {})).status).toBe(401);
    });

    it('answers readings with 503, so the Connector keeps them and retries', async () => {
      const early = await open({ DB_HOST: '' });
      const reply = await early.put({ notifications: [notification(EP, BUTTON, b64('1'))] });
      expect(reply).toEqual({ status: 503, json: { error: 'database not configured yet; retry later' } });
      expect(await events(db)).toEqual([]);
    });
  });

  describe('migrate, invoked directly (private mode)', () => {
    it('creates the table when missing and keeps an existing one', async () => {
      await db.query('DROP TABLE events');
      const first = await webhook.handler({ 'mbed-tsdb': 'migrate' } as never);
      expect(first).toMatchObject({ statusCode: 200, body: JSON.stringify({ table: 'events' }) });
      const [created] = await db.query<{ 'Create Table': string }>('SHOW CREATE TABLE events');
      expect(created!['Create Table']).toContain('`board` varchar(64) NOT NULL');
      expect((await webhook.put({ notifications: [notification(EP, BUTTON, b64('3'))] })).status).toBe(200);
      expect((await webhook.handler({ 'mbed-tsdb': 'migrate' } as never)).statusCode).toBe(200);
      expect((await events(db)).map((r) => r.value)).toEqual([3]);
    });

    it('answers a ping (the wake-up of an Inactive function) without the database', async () => {
      const early = await open({ DB_HOST: '' });
      expect(await early.handler({ 'mbed-tsdb': 'ping' } as never)).toMatchObject({ statusCode: 200, body: '{"pong":true}' });
    });

    it('refuses any other direct invocation', async () => {
      expect((await webhook.handler({ 'mbed-tsdb': 'drop' } as never)).statusCode).toBe(400);
      const unknown = await webhook.handler({} as never);
      expect(unknown.statusCode).toBe(400);
      expect(JSON.parse(unknown.body).error).toContain('not an HTTP request of API Gateway (REST or HTTP API) or a Function URL');
    });
  });

  it('never writes the database password into its log', async () => {
    await db.query('DROP TABLE events');
    await webhook.put({ notifications: [notification(EP, BUTTON, b64('1'))] });
    expect(JSON.stringify(webhook.logs)).not.toContain(db.login.password);
  });
});
