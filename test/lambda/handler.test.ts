// The handler's decisions — which status code, which log line, what goes to the store — with an
// in-memory Store standing in for the database. What the database does with a batch is tested
// against MariaDB (webhook.db, hostile.db, properties.db); here it is the answers around it: the
// service redelivers on anything but 2xx, so each code is a promise about what happens next.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { readConfig, type DbConfig, type FunctionConfig } from '../../templates/lambda/config.js';
import { createHandler, jsonLineLog, type LogLine, type ProxyEvent } from '../../templates/lambda/handler.js';
import { metricMembers } from '../../templates/lambda/metrics.js';
import { boundedJson } from '../../templates/lambda/log.js';
import { LOG_BYTES_PER_INVOCATION } from '../../src/cost/estimate.js';
import { DEVICE_COLUMNS, SERVICE_LIMITS } from '../../templates/lambda/payload.js';
import type { FillProgress } from '../../templates/lambda/rollup.js';
import { DatabaseUnavailableError, ShapeChangedError, type Batch, type MaintenanceResult, type ReshapeProgress, type Store, type TableShape, type WriteResult } from '../../templates/lambda/store.js';

const SHAPE: TableShape = { ...SERVICE_LIMITS, boardAlso: [], sensorAlso: [], uid: true, uidByTime: true, devices: true, deviceColumns: DEVICE_COLUMNS, asyncResponses: true, rollup: false };
const ENV = { DB_HOST: 'db.example', DB_USER: 'webhook', DB_PASSWORD: 'pw', WEBHOOK_SECRET: 's3cret' };
const RECEIVED = new Date('2026-12-05T12:00:00Z');
const b64 = (text: string) => Buffer.from(text).toString('base64');

type Write = { batch: Batch; receivedAt: Date; options: { rollback?: boolean; isolate?: boolean } | undefined };

/** A Store that keeps what it is asked to do and answers as told. */
function fakeStore(answers: { write?: Array<WriteResult | Error>; migrate?: Error; fill?: FillProgress | Error; maintain?: MaintenanceResult | Error; reshape?: ReshapeProgress | Error; shape?: TableShape; quiet?: number | Error } = {}) {
  const calls = { writes: [] as Write[], migrate: [] as Array<string | undefined>, fill: [] as number[], maintain: [] as Array<number | null>, reshape: [] as number[], quiet: [] as number[], close: 0, shape: 0 };
  const writes = [...(answers.write ?? [])];
  const store: Store = {
    shape: async () => {
      calls.shape++;
      return answers.shape ?? SHAPE;
    },
    write: async (batch, receivedAt, options) => {
      calls.writes.push({ batch, receivedAt, options });
      const answer = writes.shift() ?? { stored: batch.readings.length, duplicates: 0, refused: [] };
      if (answer instanceof Error) throw answer;
      return answer;
    },
    migrate: async (user) => {
      calls.migrate.push(user);
      if (answers.migrate) throw answers.migrate;
    },
    fillRollup: async (forMs) => {
      calls.fill.push(forMs);
      const fill = answers.fill ?? { complete: true, filledBefore: 100, end: 100 };
      if (fill instanceof Error) throw fill;
      return fill;
    },
    reshape: async (forMs) => {
      calls.reshape.push(forMs);
      const progress = answers.reshape ?? { complete: true, copiedThrough: 10, lastId: 10 };
      if (progress instanceof Error) throw progress;
      return progress;
    },
    maintain: async (keepRawMs) => {
      calls.maintain.push(keepRawMs);
      const result = answers.maintain ?? { added: [], dropped: [], droppedRows: 0, rawFrom: null };
      if (result instanceof Error) throw result;
      return result;
    },
    quietDevices: async (beforeMs) => {
      calls.quiet.push(beforeMs);
      const quiet = answers.quiet ?? 0;
      if (quiet instanceof Error) throw quiet;
      return quiet;
    },
    close: async () => {
      calls.close++;
    },
  };
  return { store, calls };
}

function harness(options: { env?: Record<string, string | undefined>; store?: ReturnType<typeof fakeStore>; now?: false } = {}) {
  const lines: LogLine[] = [];
  const fake = options.store ?? fakeStore();
  const opened: Array<{ db: DbConfig; config: FunctionConfig }> = [];
  const handler = createHandler({
    config: readConfig(options.env ?? ENV),
    store: (db, config) => {
      opened.push({ db, config });
      return fake.store;
    },
    log: (line) => lines.push(line),
    ...(options.now === false ? {} : { now: () => RECEIVED }),
  });
  return { handler, lines, calls: fake.calls, opened };
}

const put = (body: unknown, headers: Record<string, string> = { 'X-Mbed-Tsdb-Secret': 's3cret' }, extra: Partial<ProxyEvent> = {}): ProxyEvent => ({
  httpMethod: 'PUT',
  headers,
  body: typeof body === 'string' ? body : JSON.stringify(body),
  requestContext: { requestId: 'req-1' },
  ...extra,
});
const json = (result: { body: string }) => JSON.parse(result.body) as Record<string, unknown>;
const note = (ep: string, value: string, extra: Record<string, unknown> = {}) => ({ ep, path: '/3200/0/5501', payload: b64(value), ...extra });
const zero = { stored: 0, duplicates: 0, rejected: 0, ignored: 0, devices: 0, outcomes: 0 };

afterEach(() => vi.restoreAllMocks());

describe('requests the function does not store', () => {
  it('a misconfigured function answers 500 and logs what is wrong', async () => {
    const { handler, lines } = harness({ env: { DB_HOST: 'h', DB_USER: 'u', DB_PORT: 'x' } });
    const result = await handler(put({}));
    expect(result).toStrictEqual({ statusCode: 500, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: 'webhook function is misconfigured; see its logs' }) });
    expect(lines).toStrictEqual([{ level: 'error', msg: 'function is misconfigured', errors: ['DB_PORT must be an integer from 1 to 65535, not "x"'], requestId: 'req-1' }]);
  });

  it('answers methods other than PUT with 405 and Allow: PUT', async () => {
    const { handler } = harness();
    expect(await handler(put({}, undefined, { httpMethod: 'GET' }))).toStrictEqual({
      statusCode: 405,
      headers: { 'content-type': 'application/json', allow: 'PUT' },
      body: JSON.stringify({ error: 'use PUT' }),
    });
  });

  it('reads the method of an HTTP API or Function URL event (payload 2.0)', async () => {
    const { handler } = harness();
    const event: ProxyEvent = { version: '2.0', requestContext: { requestId: 'r', http: { method: 'put' } }, headers: { 'x-mbed-tsdb-secret': 's3cret' }, body: '{}' };
    expect(json(await handler(event))).toStrictEqual(zero);
  });

  it('an event with a request context but no method is a direct invocation', async () => {
    const { handler } = harness();
    const result = await handler({ requestContext: { requestId: 'r' } });
    expect(result.statusCode).toBe(400);
    expect(json(result).error).toMatch(/^not an HTTP request of API Gateway/);
  });

  it('refuses a request without the secret (401) and logs it', async () => {
    const { handler, lines, calls } = harness();
    const result = await handler(put({ notifications: [note('a', '1')] }, { 'x-mbed-tsdb-secret': 'wrong' }));
    expect(result).toMatchObject({ statusCode: 401, body: JSON.stringify({ error: 'missing or wrong secret header' }) });
    expect(lines).toStrictEqual([{ level: 'warn', msg: 'request without the webhook secret refused', requestId: 'req-1' }]);
    expect(calls.writes).toHaveLength(0);
  });

  it('reads a base64-encoded body (binary media types)', async () => {
    const { handler, calls } = harness();
    const body = Buffer.from(JSON.stringify({ notifications: [note('a', '1')] })).toString('base64');
    expect(json(await handler(put(body, undefined, { isBase64Encoded: true })))).toMatchObject({ stored: 1 });
    expect(calls.writes[0]!.batch.readings).toStrictEqual([{ board: 'a', sensor: '/3200/0/5501', value: 1 }]);
  });

  it('a body that is not a message is answered 200 (retrying cannot help) and kept whole in the log', async () => {
    const { handler, lines, calls } = harness();
    const result = await handler(put('{"notifications": 5}'));
    expect(result).toMatchObject({ statusCode: 200, body: JSON.stringify({ ...zero, malformed: true }) });
    expect(lines).toStrictEqual([{ level: 'warn', msg: 'body not stored', reason: '"notifications" must be an array', body: '{"notifications": 5}', requestId: 'req-1' }]);
    expect(calls.writes).toHaveLength(0);
  });

  it('a request without the secret header at all is refused too', async () => {
    const { handler } = harness();
    expect((await handler(put({ notifications: [note('a', '1')] }, {}))).statusCode).toBe(401);
    expect((await handler(put({ notifications: [note('a', '1')] }, { 'x-mbed-tsdb-secret': '' }))).statusCode).toBe(401);
  });

  it('answers a body with nothing to store with the counts of what it ignored', async () => {
    const { handler, calls } = harness();
    const result = await handler(put({ 'de-registrations': ['a', 'b'] }));
    expect(result.statusCode).toBe(200);
    expect(json(result)).toStrictEqual({ ...zero, ignored: 2 });
    expect(calls.shape).toBe(0);
  });

  it('a message that is only subscription outcomes is still work: 503 until the database is known', async () => {
    const { handler, lines } = harness({ env: {} });
    const result = await handler(put({ 'async-responses': [{ id: 'a', status: 200 }] }, {}));
    expect(result).toMatchObject({ statusCode: 503, body: JSON.stringify({ error: 'database not configured yet; retry later' }) });
    expect(lines).toStrictEqual([{ level: 'warn', msg: 'database not configured yet', items: 1, requestId: 'req-1' }]);
  });
});

describe('a stored request', () => {
  it('logs what it stored and how long it took, and answers the same counts', async () => {
    const { handler, lines, calls } = harness();
    const result = await handler(put({ notifications: [note('a', '1'), note('a', '2')], 'de-registrations': ['x'] }));
    expect(result.statusCode).toBe(200);
    expect(json(result)).toStrictEqual({ ...zero, stored: 2, ignored: 1, devices: 1 });
    expect(lines).toHaveLength(1);
    const { ms, ...line } = lines[0]!;
    expect(line).toStrictEqual({ level: 'info', msg: 'stored', ...zero, stored: 2, ignored: 1, devices: 1, requestId: 'req-1' });
    expect(ms).toBeGreaterThanOrEqual(0);
    expect(ms).toBeLessThan(10_000);
    expect(calls.writes[0]!.options).toStrictEqual({ rollback: false, isolate: false });
    expect(calls.writes[0]!.receivedAt).toBe(RECEIVED);
  });

  it('takes the time of receipt from the clock when none is injected', async () => {
    const { handler, calls } = harness({ now: false });
    const before = Date.now();
    expect((await handler(put({ notifications: [note('a', '1')] }))).statusCode).toBe(200);
    expect(calls.writes[0]!.receivedAt.getTime()).toBeGreaterThanOrEqual(before);
  });

  it('the self-test is written and rolled back, and says so', async () => {
    const { handler, lines, calls } = harness();
    const result = await handler(put({ notifications: [note('a', '1')] }, { 'x-mbed-tsdb-secret': 's3cret', 'X-Mbed-Tsdb-Selftest': '1' }));
    expect(json(result)).toStrictEqual({ ...zero, stored: 1, devices: 1, selftest: true });
    expect(lines[0]!.msg).toBe('self-test stored and rolled back');
    expect(calls.writes[0]!.options).toStrictEqual({ rollback: true, isolate: false });
  });

  it('what the database refused is counted as rejected, logged, and not counted as kept', async () => {
    const store = fakeStore();
    const { handler, lines } = harness({ store });
    const original = store.store.write;
    store.store.write = async (batch, at, options) => {
      await original(batch, at, options);
      return { stored: 1, duplicates: 1, refused: [{ item: batch.devices[0]!, reason: 'too long' }, { item: batch.outcomes[0]!, reason: 'bad' }] };
    };
    const result = await handler(put({ notifications: [note('a', '1')], registrations: [{ ep: 'b' }], 'async-responses': [{ id: 'o1', status: 200 }, { id: 'o2', status: 404 }] }));
    expect(json(result)).toStrictEqual({ ...zero, stored: 1, duplicates: 1, rejected: 2, devices: 1, outcomes: 1 });
    expect(lines.filter((l) => l.msg === 'notification not stored').map((l) => l.reason)).toStrictEqual(['the database refused it: too long', 'the database refused it: bad']);
  });

  it('without the devices and outcomes tables (a tutorial-made table) their items are ignored, not kept', async () => {
    const { handler } = harness({ store: fakeStore({ shape: { ...SHAPE, devices: false, asyncResponses: false } }) });
    const result = await handler(put({ notifications: [note('a', '1')], registrations: [{ ep: 'b' }, { ep: 'c' }], 'async-responses': [{ id: 'o1', status: 200 }], 'de-registrations': ['d'] }));
    expect(json(result)).toStrictEqual({ ...zero, stored: 1, ignored: 4 });
  });

  it('items it cannot read are rejected with their reasons; the rest is written', async () => {
    const { handler, lines, calls } = harness();
    const result = await handler(put({ notifications: [note('a', '1'), note('a', 'x')], registrations: [{ ept: 'no-id' }], 'async-responses': [{ id: 'o1', status: 'soon' }] }));
    expect(json(result)).toMatchObject({ stored: 1, rejected: 3 });
    expect(lines.filter((l) => l.msg === 'notification not stored').map((l) => [l.notification, l.reason])).toStrictEqual([
      [note('a', 'x'), 'payload "x" is not a decimal number'],
      [{ ept: 'no-id' }, 'registration without a device ID the devices table can hold'],
      [{ id: 'o1', status: 'soon' }, 'async response status soon is not a status code'],
    ]);
    expect(calls.writes[0]!.batch.outcomes).toStrictEqual([]);
  });

  it('a device is one fact: seen at the latest of its times, with the name and type it gave', async () => {
    const { handler, calls } = harness();
    const t = RECEIVED.getTime();
    await handler(
      put({
        registrations: [{ ep: 'a', 'original-ep': 'button', ept: 'kit', timestamp: t - 60_000 }],
        notifications: [note('a', '1', { timestamp: t - 120_000 }), note('a', '2', { timestamp: t - 1000 }), note('a', '3', { timestamp: t - 90_000 }), note('b', '4', { 'original-ep': 'knob' })],
      }),
    );
    expect(calls.writes[0]!.batch.devices).toStrictEqual([
      { id: 'a', seenAt: t - 1000, name: 'button', type: 'kit', registeredAt: t - 60_000 },
      { id: 'b', seenAt: t, name: 'knob' },
    ]);
  });
});

describe('when writing fails', () => {
  it('a table changed under the first attempt: its shape is read again and the batch written piece by piece', async () => {
    const store = fakeStore({ write: [new ShapeChangedError('column value changed')] });
    const { handler, lines, calls } = harness({ store });
    const result = await handler(put({ notifications: [note('a', '1')] }));
    expect(result.statusCode).toBe(200);
    expect(calls.shape).toBe(2);
    expect(calls.writes.map((w) => w.options)).toStrictEqual([{ rollback: false, isolate: false }, { rollback: false, isolate: true }]);
    expect(lines[0]).toStrictEqual({ level: 'warn', msg: 'table changed; reading its shape again', error: 'column value changed', requestId: 'req-1' });
  });

  it('changed again under the second attempt: 500, so the service redelivers', async () => {
    const { handler, lines, calls } = harness({ store: fakeStore({ write: [new ShapeChangedError('1'), new ShapeChangedError('2')] }) });
    const result = await handler(put({ notifications: [note('a', '1')] }));
    expect(result).toMatchObject({ statusCode: 500, body: JSON.stringify({ error: 'storing failed; retry later' }) });
    expect(calls.writes).toHaveLength(2);
    expect(lines.at(-1)).toMatchObject({ level: 'error', msg: 'storing failed', error: '2', items: 1, requestId: 'req-1' });
  });

  it('any other error is not retried here: 500 at once', async () => {
    const { handler, calls } = harness({ store: fakeStore({ write: [new Error('Duplicate entry')] }) });
    expect((await handler(put({ notifications: [note('a', '1')] }))).statusCode).toBe(500);
    expect(calls.writes).toHaveLength(1);
  });

  it('the database unavailable: 503 and a log line that says so, with the time spent', async () => {
    const { handler, lines } = harness({ store: fakeStore({ write: [new DatabaseUnavailableError('connect ETIMEDOUT')] }) });
    const result = await handler(put({ notifications: [note('a', '1')], registrations: [{ ep: 'b' }] }));
    expect(result).toMatchObject({ statusCode: 503, body: JSON.stringify({ error: 'database unavailable; retry later' }) });
    const { ms, ...line } = lines.at(-1)!;
    expect(line).toStrictEqual({ level: 'error', msg: 'database unavailable', error: 'connect ETIMEDOUT', items: 2, requestId: 'req-1' });
    expect(ms).toBeLessThan(10_000);
  });
});

describe('direct invocations', () => {
  const admin = { host: 'db.example', port: 3306, user: 'admin', password: 'master-pw' };

  it('ping wakes the function without the database', async () => {
    const { handler, opened } = harness();
    expect(json(await handler({ 'mbed-tsdb': 'ping' }))).toStrictEqual({ pong: true });
    expect(opened).toHaveLength(0);
  });

  it('migrate with the master login: on a store of its own, with the webhook user, closed after', async () => {
    const { handler, lines, calls, opened } = harness();
    const result = await handler({ 'mbed-tsdb': 'migrate', admin, webhookUser: 'webhook' });
    expect(result).toMatchObject({ statusCode: 200, body: JSON.stringify({ table: 'events' }) });
    expect(opened[0]!.db).toMatchObject({ host: 'db.example', port: 3306, user: 'admin', password: 'master-pw', database: 'tsdb', table: 'events' });
    expect(calls.migrate).toStrictEqual(['webhook']);
    expect(calls.close).toBe(1);
    expect(lines).toStrictEqual([{ level: 'info', msg: 'tables ready', table: 'events', user: 'webhook', requestId: undefined }]);
  });

  it('migrate with the master login but no webhook user names none', async () => {
    const { handler, lines, calls } = harness();
    await handler({ 'mbed-tsdb': 'migrate', admin, webhookUser: 42 });
    expect(calls.migrate).toStrictEqual([undefined]);
    expect(lines).toStrictEqual([{ level: 'info', msg: 'tables ready', table: 'events', requestId: undefined }]);
  });

  it.each([
    ['null', null],
    ['text', 'admin:pw@db'],
    ['no host', { ...admin, host: undefined }],
    ['no user', { ...admin, user: 7 }],
    ['no password', { ...admin, password: null }],
    ['a port that is not an integer', { ...admin, port: '3306' }],
  ])('a login that is not one (%s) is not used: migrate runs as the function itself, its store kept open', async (_, login) => {
    const { handler, lines, calls, opened } = harness();
    const result = await handler({ 'mbed-tsdb': 'migrate', admin: login, webhookUser: 'webhook' });
    expect(result.statusCode).toBe(200);
    expect(opened[0]!.db.user).toBe('webhook');
    expect(calls.migrate).toStrictEqual([undefined]);
    expect(calls.close).toBe(0);
    expect(lines).toStrictEqual([{ level: 'info', msg: 'tables ready', table: 'events', requestId: undefined }]);
  });

  it('migrate without a login and without a database: 503, nothing opened', async () => {
    const { handler, opened } = harness({ env: {} });
    const result = await handler({ 'mbed-tsdb': 'migrate' });
    expect(result).toMatchObject({ statusCode: 503, body: JSON.stringify({ error: 'the database is not configured yet (DB_HOST), and no login was given' }) });
    expect(opened).toHaveLength(0);
  });

  it('a failed migrate says why (503 when it may pass) and still closes the master login', async () => {
    for (const [error, code] of [[new DatabaseUnavailableError('unreachable'), 503], [new Error('denied'), 500]] as const) {
      const { handler, lines, calls } = harness({ store: fakeStore({ migrate: error }) });
      const result = await handler({ 'mbed-tsdb': 'migrate', admin });
      expect(result).toMatchObject({ statusCode: code, body: JSON.stringify({ error: error.message }) });
      expect(lines).toStrictEqual([{ level: 'error', msg: 'migrate failed', error: error.message, requestId: undefined }]);
      expect(calls.close).toBe(1);
    }
  });

  it('rollup: needs the master login', async () => {
    const { handler, opened } = harness();
    const result = await handler({ 'mbed-tsdb': 'rollup', admin: { ...admin, port: undefined } });
    expect(result).toMatchObject({ statusCode: 400, body: JSON.stringify({ error: "filling the rollup needs the master user's login (admin)" }) });
    expect(opened).toHaveLength(0);
  });

  it('rollup: fills for 20 s as the master user, says how far it got, closes', async () => {
    for (const progress of [{ complete: true, filledBefore: 7200, end: 7200 }, { complete: false, filledBefore: 3600, end: 7200 }]) {
      const { handler, lines, calls, opened } = harness({ store: fakeStore({ fill: progress }) });
      const result = await handler({ 'mbed-tsdb': 'rollup', admin, requestContext: { requestId: 'r-9' } });
      expect(result).toMatchObject({ statusCode: 200, body: JSON.stringify(progress) });
      expect(opened[0]!.db).toMatchObject({ user: 'admin', password: 'master-pw', database: 'tsdb' });
      expect(calls.fill).toStrictEqual([20_000]);
      expect(lines).toStrictEqual([{ level: 'info', msg: progress.complete ? 'rollup complete' : 'rollup filling', ...progress, requestId: 'r-9' }]);
      expect(calls.close).toBe(1);
    }
  });

  it('rollup: a failure says why (503 when it may pass) and closes', async () => {
    for (const [error, code] of [[new DatabaseUnavailableError('unreachable'), 503], [new Error('denied'), 500]] as const) {
      const { handler, lines, calls } = harness({ store: fakeStore({ fill: error }) });
      const result = await handler({ 'mbed-tsdb': 'rollup', admin });
      expect(result).toMatchObject({ statusCode: code, body: JSON.stringify({ error: error.message }) });
      expect(lines).toStrictEqual([{ level: 'error', msg: 'filling the rollup failed', error: error.message, requestId: undefined }]);
      expect(calls.close).toBe(1);
    }
  });

  it('reshape: needs the master login; reshapes for 20 s as the master user, says how far it got, closes; a failure says why', async () => {
    const { handler, opened } = harness();
    expect(await handler({ 'mbed-tsdb': 'reshape' })).toMatchObject({ statusCode: 400, body: JSON.stringify({ error: "reshaping the table needs the master user's login (admin)" }) });
    expect(opened).toHaveLength(0);
    for (const progress of [{ complete: false, copiedThrough: 50_000, lastId: 90_000 }, { complete: true, copiedThrough: 90_000, lastId: 90_000 }]) {
      const { handler, lines, calls, opened } = harness({ store: fakeStore({ reshape: progress }) });
      expect(await handler({ 'mbed-tsdb': 'reshape', admin, requestContext: { requestId: 'r-3' } })).toMatchObject({ statusCode: 200, body: JSON.stringify(progress) });
      expect(opened[0]!.db).toMatchObject({ user: 'admin', password: 'master-pw' });
      expect(calls.reshape).toStrictEqual([20_000]);
      expect(lines).toStrictEqual([{ level: 'info', msg: progress.complete ? 'table reshaped' : 'table reshaping', ...progress, requestId: 'r-3' }]);
      expect(calls.close).toBe(1);
    }
    for (const [error, code] of [[new DatabaseUnavailableError('unreachable'), 503], [new Error('denied'), 500]] as const) {
      const { handler, lines, calls } = harness({ store: fakeStore({ reshape: error }) });
      expect(await handler({ 'mbed-tsdb': 'reshape', admin })).toMatchObject({ statusCode: code, body: JSON.stringify({ error: error.message }) });
      expect(lines).toStrictEqual([{ level: 'error', msg: 'reshaping the table failed', error: error.message, requestId: undefined }]);
      expect(calls.close).toBe(1);
    }
  });

  it('scheduled maintenance: as the maintenance user with the role’s token, raw readings kept as configured; 503 until configured', async () => {
    const result = { added: ['2027-04-01'], dropped: [], droppedRows: 0, rawFrom: null };
    const configured = { ...ENV, DB_MAINTENANCE_USER: 'tsdb_maintenance', KEEP_RAW_DAYS: '90' };
    const { handler, lines, calls, opened } = harness({ env: configured, store: fakeStore({ maintain: result }) });
    expect(await handler({ 'mbed-tsdb': 'scheduled-maintenance', requestContext: { requestId: 'r-5' } })).toMatchObject({ statusCode: 200, body: JSON.stringify(result) });
    expect(opened[0]!.db).toMatchObject({ host: 'db.example', user: 'tsdb_maintenance', password: 'pw', database: 'tsdb' });
    expect(calls.maintain).toStrictEqual([90 * 86_400_000]);
    expect(lines).toStrictEqual([{ level: 'info', msg: 'maintenance done', ...result, requestId: 'r-5' }]);
    expect(calls.close).toBe(1);
    for (const env of [ENV, { ...ENV, DB_HOST: undefined, DB_MAINTENANCE_USER: 'm' }]) {
      const unconfigured = harness({ env });
      expect(await unconfigured.handler({ 'mbed-tsdb': 'scheduled-maintenance' })).toMatchObject({ statusCode: 503 });
      expect(unconfigured.opened).toHaveLength(0);
    }
    const failing = harness({ env: configured, store: fakeStore({ maintain: new DatabaseUnavailableError('unreachable') }) });
    expect(await failing.handler({ 'mbed-tsdb': 'scheduled-maintenance' })).toMatchObject({ statusCode: 503, body: JSON.stringify({ error: 'unreachable' }) });
    expect(failing.lines).toStrictEqual([{ level: 'error', msg: 'maintenance failed', error: 'unreachable', requestId: undefined }]);
  });

  // Issue #27: alerts count on metrics the function writes into its log lines (CloudWatch's
  // embedded metric format) — no API call in the request path, no route out of the VPC needed.
  it('on Lambda (AWS_LAMBDA_FUNCTION_NAME set) the stored line carries ReadingsStored as an embedded metric; a self-test does not', async () => {
    const onLambda = harness({ env: { ...ENV, AWS_LAMBDA_FUNCTION_NAME: 'mbed_time_series_webhook' } });
    await onLambda.handler(put({ notifications: [note('dev-1', '1'), note('dev-2', '2')] }));
    expect(onLambda.lines.at(-1)).toMatchObject({
      msg: 'stored',
      stored: 2,
      FunctionName: 'mbed_time_series_webhook',
      ReadingsStored: 2,
      _aws: { Timestamp: RECEIVED.getTime(), CloudWatchMetrics: [{ Namespace: 'mbed-tsdb', Dimensions: [['FunctionName']], Metrics: [{ Name: 'ReadingsStored', Unit: 'Count' }] }] },
    });
    await onLambda.handler(put({ notifications: [note('dev-1', '1')] }, { 'X-Mbed-Tsdb-Secret': 's3cret', 'X-Mbed-Tsdb-Selftest': '1' }));
    expect(onLambda.lines.at(-1)).not.toHaveProperty('_aws');
    // Off Lambda (tests, the desktop) there is no function to name: no metric.
    const local = harness();
    await local.handler(put({ notifications: [note('dev-1', '1')] }));
    expect(local.lines.at(-1)).not.toHaveProperty('_aws');
  });

  // The cost estimate bills each invocation LOG_BYTES_PER_INVOCATION of logs: Lambda's own three
  // lines and the function's. CloudWatch Logs bills each event's bytes and 26 more (its pricing page).
  it('a webhook request on Lambda logs no more than the cost estimate assumes', async () => {
    const requestId = '8f5e2d1c-3b4a-4c5d-9e6f-7a8b9c0d1e2f';
    const platform = [
      `START RequestId: ${requestId} Version: $LATEST`,
      `END RequestId: ${requestId}`,
      `REPORT RequestId: ${requestId}\tDuration: 1234.56 ms\tBilled Duration: 1235 ms\tMemory Size: 256 MB\tMax Memory Used: 123 MB\tInit Duration: 456.78 ms`,
    ];
    for (const readings of [1, 50]) {
      const onLambda = harness({ env: { ...ENV, AWS_LAMBDA_FUNCTION_NAME: 'mbed_time_series_webhook-my-longest-stack' } });
      await onLambda.handler(put({ notifications: Array.from({ length: readings }, (_, i) => note(`015f3850a657000000000001001002${String(i).padStart(2, '0')}`, '12345.678')) }, undefined, { requestContext: { requestId } }));
      const lines = [...platform, ...onLambda.lines.map((line) => boundedJson(line))];
      const billed = lines.reduce((sum, line) => sum + Buffer.byteLength(`${line}\n`) + 26, 0);
      expect(billed, lines.join('\n')).toBeLessThanOrEqual(LOG_BYTES_PER_INVOCATION);
    }
  });

  it('scheduled watch: as the maintenance user, counts devices quiet for QUIET_AFTER_MINUTES by the function’s clock, as the QuietDevices metric; 503 until configured', async () => {
    const configured = { ...ENV, DB_MAINTENANCE_USER: 'tsdb_maintenance', QUIET_AFTER_MINUTES: '30', AWS_LAMBDA_FUNCTION_NAME: 'fn' };
    const { handler, lines, calls, opened } = harness({ env: configured, store: fakeStore({ quiet: 3 }) });
    expect(await handler({ 'mbed-tsdb': 'scheduled-watch' })).toMatchObject({ statusCode: 200, body: JSON.stringify({ quietDevices: 3, quietAfterMinutes: 30 }) });
    expect(opened[0]!.db).toMatchObject({ user: 'tsdb_maintenance' });
    expect(calls.quiet).toStrictEqual([RECEIVED.getTime() - 30 * 60_000]);
    expect(lines).toStrictEqual([
      { level: 'info', msg: 'quiet devices counted', quietDevices: 3, quietAfterMinutes: 30, requestId: undefined, ...metricMembers('fn', RECEIVED.getTime(), { QuietDevices: 3 }) },
    ]);
    expect(calls.close).toBe(1);
    for (const env of [{ ...ENV, DB_MAINTENANCE_USER: 'tsdb_maintenance' }, { ...configured, DB_HOST: undefined }]) {
      const unconfigured = harness({ env });
      expect(await unconfigured.handler({ 'mbed-tsdb': 'scheduled-watch' })).toMatchObject({ statusCode: 503 });
      expect(unconfigured.opened).toHaveLength(0);
    }
  });

  it('maintain: needs the master login and a whole number of days (or null: forever)', async () => {
    const { handler, opened } = harness();
    expect(await handler({ 'mbed-tsdb': 'maintain', keepRawDays: 90 })).toMatchObject({ statusCode: 400, body: JSON.stringify({ error: "keeping the partitions needs the master user's login (admin)" }) });
    for (const keepRawDays of [0, -1, 1.5, '90', 2 ** 53]) {
      expect(await handler({ 'mbed-tsdb': 'maintain', admin, keepRawDays })).toMatchObject({ statusCode: 400, body: JSON.stringify({ error: 'keepRawDays must be a whole number of days, or null (forever)' }) });
    }
    expect(opened).toHaveLength(0);
  });

  it('maintain: keeps the partitions as the master user, says what it did, closes', async () => {
    const result = { added: ['2027-04-01'], dropped: ['p202612'], droppedRows: 26_000_000, rawFrom: '2027-01-01' };
    const { handler, lines, calls, opened } = harness({ store: fakeStore({ maintain: result }) });
    expect(await handler({ 'mbed-tsdb': 'maintain', admin, keepRawDays: 90, requestContext: { requestId: 'r-7' } })).toMatchObject({ statusCode: 200, body: JSON.stringify(result) });
    expect(await handler({ 'mbed-tsdb': 'maintain', admin })).toMatchObject({ statusCode: 200 });
    expect(opened[0]!.db).toMatchObject({ user: 'admin', password: 'master-pw', database: 'tsdb' });
    expect(calls.maintain).toStrictEqual([90 * 86_400_000, null]);
    expect(lines[0]).toStrictEqual({ level: 'info', msg: 'partitions kept', ...result, requestId: 'r-7' });
    expect(calls.close).toBe(2);
  });

  it('maintain: a failure says why (503 when it may pass) and closes', async () => {
    for (const [error, code] of [[new DatabaseUnavailableError('unreachable'), 503], [new Error('denied'), 500]] as const) {
      const { handler, lines, calls } = harness({ store: fakeStore({ maintain: error }) });
      const result = await handler({ 'mbed-tsdb': 'maintain', admin });
      expect(result).toMatchObject({ statusCode: code, body: JSON.stringify({ error: error.message }) });
      expect(lines).toStrictEqual([{ level: 'error', msg: 'keeping the partitions failed', error: error.message, requestId: undefined }]);
      expect(calls.close).toBe(1);
    }
  });
});

describe('jsonLineLog', () => {
  it('writes one bounded JSON object per line to stdout', () => {
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    jsonLineLog({ level: 'info', msg: 'stored', stored: 1 });
    expect(write).toHaveBeenCalledWith('{"level":"info","msg":"stored","stored":1}\n');
  });
});
