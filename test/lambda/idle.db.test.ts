// Aurora Serverless v2 pauses at 0 ACU only while no user connection is open ("Scaling to zero
// ACUs with automatic pause and resume": any user connection keeps it running). A Lambda
// container is frozen between requests and cannot close anything then, so the function's session
// asks the server to close it after a minute without a statement (wait_timeout), and the next
// request opens a new one — without a failed delivery.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTableSql } from '../../templates/lambda/schema.js';
import { events, freshDatabase, hasDatabase } from '../support/db.js';
import { b64, functionTarget, notification, webhookFor, type TestWebhook } from '../support/function.js';
import type { TestDatabase } from '../support/mariadb.js';

describe.skipIf(!hasDatabase)(`webhook function (${functionTarget}) between requests`, () => {
  let db: TestDatabase;
  let webhook: TestWebhook;
  beforeAll(async () => {
    db = await freshDatabase();
    await db.query(createTableSql());
  });
  afterAll(async () => {
    await webhook?.close();
    await db?.drop();
  });

  const sessions = async () =>
    Number(((await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()', [db.name]))[0]!).n);

  it('leaves no connection open a minute (here: DB_IDLE_CLOSE_SECONDS=1) after its last request, and the next request still stores', async () => {
    webhook = await webhookFor(db, { DB_IDLE_CLOSE_SECONDS: '1' });
    const put = (value: string) => webhook.put({ notifications: [notification('dev', '/3200/0/5501', b64(value))] });
    expect((await put('1')).json).toMatchObject({ stored: 1 });
    expect(await sessions()).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(await sessions()).toBe(0);
    expect(await put('2')).toMatchObject({ status: 200, json: { stored: 1 } });
    expect((await events(db)).map((r) => r.value)).toEqual([1, 2]);
    expect(webhook.logs.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('asks for a minute by default', async () => {
    const { readConfig } = await import('../../templates/lambda/config.js');
    const read = readConfig({ DB_HOST: 'h', DB_USER: 'u', DB_TLS: 'off' });
    expect(read.ok && read.config.db?.idleCloseSeconds).toBe(60);
  });
});
