// simulate against the function behind the local webhook adapter, storing into MariaDB: the
// body the service sends, one request at a time, retried as the service retries — through a
// database outage — and every reading stored exactly once. The service's behaviour is
// ../shared/reference/connector-api.md §9 (Izuma semantics), as the Connector fake models it.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from '../../templates/lambda/schema.js';
import { serveFunction } from '../support/apigw.js';
import { runCli } from '../support/cli.js';
import { freshDatabase, hasDatabase } from '../support/db.js';
import { webhookFor, type TestWebhook } from '../support/function.js';
import { createTestDatabase, LocalMariaDb, urlFromAddress, type TestDatabase } from '../support/mariadb.js';

const SECRET = 'simulate-secret-0123456789';

function virtualTime(start = Date.now()) {
  const clock = { now: start };
  return { clock, hooks: { now: () => clock.now, sleep: async (ms: number) => void (clock.now += ms) } };
}

describe.skipIf(!hasDatabase)('mbed-tsdb simulate', () => {
  let db: TestDatabase;
  let webhook: TestWebhook;
  let served: Awaited<ReturnType<typeof serveFunction>>;
  const bodies: Array<{ notifications: Array<Record<string, unknown>> }> = [];

  beforeEach(async () => {
    db = await freshDatabase();
    webhook = await webhookFor(db, { WEBHOOK_SECRET: SECRET });
    bodies.length = 0;
    served = await serveFunction(async (event) => {
      bodies.push(JSON.parse(event.body ?? '{}'));
      return webhook.handler(event);
    });
  });
  afterEach(async () => {
    await served.close();
    await webhook.close();
    await db.drop();
  });

  const dbUrl = () => `${urlFromAddress(db.login)}${db.name}?tls=off`;

  it('sends the service’s body shape, and every reading arrives once (--verify)', async () => {
    const { hooks } = virtualTime();
    const run = await runCli(['simulate', '--url', served.url, '--secret', SECRET, '--devices', '3', '--rate', '20', '--duration', '3s', '--verify', '--db-url', dbUrl(), '--json'], { hooks });
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary).toMatchObject({ sent: 60, delivered: 60, stored: 60, duplicates: 0, rejected: 0, undelivered: 0, rows: { rows: 60, missing: 0, duplicated: 0 } });
    const item = bodies[0]!.notifications[0]!;
    expect(Object.keys(item).sort()).toEqual(['ct', 'ep', 'max-age', 'original-ep', 'path', 'payload', 'timestamp', 'uid']);
    expect(item).toMatchObject({ ep: expect.stringMatching(/^[0-9a-f]{32}$/), path: '/3200/0/5501', ct: 'text/plain', 'original-ep': 'sim-board-1', 'max-age': 0 });
    expect(Buffer.from(String(item.payload), 'base64').toString()).toBe('1');
    // The button counter counts up per board; three boards take turns.
    const rows = await db.query<{ board: string; value: number }>('SELECT board, value FROM events ORDER BY id');
    expect(new Set(rows.map((r) => r.board)).size).toBe(3);
    expect(rows.filter((r) => r.board === rows[0]!.board).map((r) => r.value)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(summary.devices.map((d: { name: string }) => d.name)).toEqual(['sim-board-1', 'sim-board-2', 'sim-board-3']);
  });

  it('sends everything queued since the last answer, up to --batch, one request at a time', async () => {
    const { hooks } = virtualTime();
    // Slow answers: readings pile up behind the one request in flight.
    let inFlight = 0;
    let most = 0;
    await served.close();
    served = await serveFunction(async (event) => {
      inFlight++;
      most = Math.max(most, inFlight);
      bodies.push(JSON.parse(event.body ?? '{}'));
      // Long enough that well over --batch readings (1 a millisecond) pile up behind each answer,
      // however busy the machine: the largest body is then exactly --batch.
      await new Promise((resolve) => setTimeout(resolve, 120));
      try {
        return await webhook.handler(event);
      } finally {
        inFlight--;
      }
    });
    const slowClock = { ...hooks, now: () => Date.now() };
    const run = await runCli(['simulate', '--url', served.url, '--secret', SECRET, '--rate', '1000', '--duration', '500ms', '--batch', '40', '--db-url', dbUrl(), '--json'], {
      hooks: { now: slowClock.now, sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) },
    });
    expect(run.code, run.stderr).toBe(0);
    expect(most).toBe(1);
    expect(Math.max(...bodies.map((b) => b.notifications.length))).toBe(40);
    expect(bodies.length).toBeLessThan(500);
    expect(JSON.parse(run.stdout).rows).toMatchObject({ rows: 500, missing: 0, duplicated: 0 });
  });

  it('stops within a second of Ctrl+C while it backs off from a failing webhook (exit 130)', async () => {
    await served.close();
    served = await serveFunction(async () => ({ statusCode: 503, headers: {}, body: '{"message":"database unreachable"}' }));
    let stop!: () => void;
    const interrupted = new Promise<void>((resolve) => (stop = resolve));
    let stoppedAt = 0;
    const run = await runCli(['simulate', '--url', served.url, '--secret', SECRET, '--rate', '1', '--duration', '1s'], {
      hooks: {
        sleep: (ms) => {
          // In the back-off after the first failed request: Ctrl+C.
          if (ms >= 1000 && !stoppedAt) setTimeout(() => ((stoppedAt = Date.now()), stop()), 100);
          return new Promise((resolve) => setTimeout(resolve, ms));
        },
      },
      interrupted,
    });
    expect(run.code).toBe(130);
    expect(Date.now() - stoppedAt).toBeLessThan(1000);
  });

  it('--legacy sends the older Connector’s items (no uid, timestamp, original-ep), and --verify counts by board', async () => {
    const { hooks } = virtualTime();
    const run = await runCli(['simulate', '--url', served.url, '--secret', SECRET, '--legacy', '--resource', '/3303/0/5700', '--rate', '5', '--duration', '2s', '--verify', '--db-url', dbUrl(), '--json'], { hooks });
    expect(run.code, run.stderr).toBe(0);
    expect(Object.keys(bodies[0]!.notifications[0]!).sort()).toEqual(['ct', 'ep', 'max-age', 'path', 'payload']);
    const values = (await db.query<{ value: number }>('SELECT value FROM events')).map((r) => r.value);
    expect(values.every((v) => v > -10 && v < 45)).toBe(true);
    expect(JSON.parse(run.stdout).rows).toEqual({ rows: 10, missing: 0, duplicated: 0 });
  });

  it('fails --verify (exit 1) when readings are missing: a webhook that answers 200 and stores nothing', async () => {
    const { hooks } = virtualTime();
    await served.close();
    served = await serveFunction(async () => ({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"stored":0}' }));
    const run = await runCli(['simulate', '--url', served.url, '--secret', SECRET, '--rate', '5', '--duration', '1s', '--verify', '--db-url', dbUrl()], { hooks });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('verify failed: 5 reading(s) missing, 0 stored twice');
  });

  it.each([
    [['--devices', '0'], '--devices takes a whole number from 1'],
    [['--rate', 'fast'], '--rate takes notifications per second'],
    [['--duration', '5 minutes'], '--duration takes a duration such as 30s'],
    [['--batch', '20000'], '--batch takes a whole number from 1 to 10,000'],
    [['--resource', 'no-slash'], 'resource'],
  ])('refuses %j with a usage error', async (args, message) => {
    const run = await runCli(['simulate', '--url', served.url, ...args]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(bodies).toEqual([]);
  });

  it('says there is no webhook to send to without a stack or --url', async () => {
    const run = await runCli(['simulate'], { env: { MBED_TSDB_STATE_DIR: '/nonexistent/mbed-tsdb-simulate' } });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('no webhook known for stack mbed-tsdb on this machine: run mbed-tsdb setup, or pass --url and --secret');
  });
});

// A server of its own: the whole database goes away for a while in the middle of a run.
describe.skipIf(!hasDatabase)('mbed-tsdb simulate through a database outage', () => {
  let server: LocalMariaDb;
  beforeAll(async () => {
    server = await LocalMariaDb.create();
  }, 60_000);
  afterAll(async () => server?.destroy());

  it('ends with every reading stored once: the failed batches are sent again after the outage', async () => {
    const db = await createTestDatabase(server.address(), 'outage');
    await migrate((sql, values) => db.query(sql, values as never));
    const webhook = await webhookFor(db, { WEBHOOK_SECRET: SECRET, DB_CONNECT_TIMEOUT_MS: '1000' });
    const statuses: number[] = [];
    const served = await serveFunction(async (event) => {
      const result = await webhook.handler(event);
      statuses.push(result.statusCode);
      return result;
    });
    const { clock, hooks } = virtualTime();
    const start = clock.now;
    let phase = 'up' as 'up' | 'down' | 'back';
    const sleep = async (ms: number) => {
      await hooks.sleep(ms);
      // Down from the 2nd second of the run to the 6th.
      if (phase === 'up' && clock.now - start >= 2000) {
        phase = 'down';
        await server.stop();
      } else if (phase === 'down' && clock.now - start >= 6000) {
        phase = 'back';
        await server.start();
      }
    };
    try {
      const run = await runCli(
        ['simulate', '--url', served.url, '--secret', SECRET, '--devices', '4', '--rate', '10', '--duration', '10s', '--verify', '--db-url', `${urlFromAddress(db.login)}${db.name}?tls=off`, '--json'],
        { hooks: { now: hooks.now, sleep } },
      );
      expect(run.code, run.stderr).toBe(0);
      expect(statuses).toContain(503);
      const summary = JSON.parse(run.stdout);
      expect(summary.failedRequests).toBeGreaterThan(0);
      expect(summary).toMatchObject({ sent: 100, delivered: 100, undelivered: 0, rows: { rows: 100, missing: 0, duplicated: 0 } });
    } finally {
      if (phase === 'down') await server.start();
      await served.close();
      await webhook.close();
      await db.drop();
    }
  }, 60_000);
});
