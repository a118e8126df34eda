// The database going away: the function must answer 5xx (so the Connector redelivers)
// and leave nothing half-written; when the server is back, it reconnects by itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTableSql } from '../../templates/lambda/schema.js';
import { events } from '../support/db.js';
import { b64, functionTarget, notification, webhookFor, type TestWebhook } from '../support/function.js';
import { counts } from '../support/function.js';
import { createTestDatabase, canStartMariaDb, LocalMariaDb, type TestDatabase } from '../support/mariadb.js';

const canRunOwnServer = canStartMariaDb('the database-down tests');

describe.skipIf(!canRunOwnServer)(`webhook function (${functionTarget}) when the database is down`, () => {
  let server: LocalMariaDb;
  let db: TestDatabase;
  let webhook: TestWebhook;
  const batch = (n: number, from = 0) => ({
    notifications: Array.from({ length: n }, (_, i) => notification('dev', '/3200/0/5501', b64(String(from + i)))),
  });

  beforeAll(async () => {
    server = await LocalMariaDb.create();
    db = await createTestDatabase(server.address());
    await db.query(createTableSql());
    webhook = await webhookFor(db, { DB_CONNECT_TIMEOUT_MS: '2000', INSERT_CHUNK_ROWS: '500' });
  });
  afterAll(async () => {
    await webhook?.close();
    await server?.destroy();
  });

  it('answers 503 while the server is stopped, stores nothing, and recovers when it is back', async () => {
    expect((await webhook.put(batch(3))).json).toEqual(counts({ stored: 3, rejected: 0, ignored: 0 }));

    await server.stop();
    const down = await webhook.put(batch(2000, 100));
    expect(down.status).toBe(503);
    expect(webhook.logs.at(-1)).toMatchObject({ level: 'error', msg: 'database unavailable', items: 2000 });
    // The URL check needs no database, so registering the callback still works.
    expect((await webhook.put('{}')).status).toBe(200);

    await server.start();
    expect((await events(db)).map((r) => r.value)).toEqual([0, 1, 2]);
    const back = await webhook.put(batch(2000, 100));
    expect(back).toEqual({ status: 200, json: counts({ stored: 2000, rejected: 0, ignored: 0 }) });
    expect(await events(db)).toHaveLength(2003);
  });

  it('answers 503 on a cold start with the server down', async () => {
    await server.stop();
    try {
      const cold = await webhookFor(db, { DB_CONNECT_TIMEOUT_MS: '2000' });
      expect((await cold.put(batch(1))).status).toBe(503);
      await cold.close();
    } finally {
      await server.start();
    }
  });
});
