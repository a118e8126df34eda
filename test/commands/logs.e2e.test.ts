// mbed-tsdb logs on the fakes: the function's own log lines (written by the webhook as the
// Connector delivers) read back from the fake CloudWatch Logs — FilterLogEvents paged by
// nextToken, ingestion that lags and arrives out of order, StartLiveTail where the region has it.
// Sources (the SDK's service model, @aws-sdk/client-cloudwatch-logs commands/*.d.ts):
// FilterLogEventsCommand — "results include a nextToken, there might be more log events", each
// event with its ingestionTime; StartLiveTailCommand — one LiveTailSessionStart, then "every
// second, a LiveTailSessionUpdate … an empty array" when nothing came, a session ends after three
// hours, and it @throws InvalidOperationException (the fake's region without Live Tail).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { canStartMariaDb } from '../support/mariadb.js';
import { API_KEY, startWorld, type World } from '../support/setup-world.js';

const canRun = canStartMariaDb('the logs tests');
const GROUP = '/aws/lambda/mbed_time_series_webhook';

describe.skipIf(!canRun)('mbed-tsdb logs', () => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld();
  }, 120_000);
  beforeEach(async () => world.reset());
  afterAll(async () => world?.close());

  const logs = (extra: string[] = [], options: Parameters<World['cli']>[1] = {}) => world.cli(['logs', '--region', 'us-west-2', ...extra], options);
  const deliver = () =>
    world.connector.notify(API_KEY, [
      { ep: 'dev-1', path: '/3200/0/5501', value: '7' },
      { ep: 'dev-1', path: '/3200/0/5501', value: 'seven' },
    ]);

  it('shows one line per delivery with its counts and time, and each rejected notification whole, payload decoded', async () => {
    expect((await world.setup()).code).toBe(0);
    expect((await deliver()).status).toBe(200);
    // Pages of two: every page is read.
    world.aws.pageSize = 2;
    const run = await logs();
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/delivery: stored 1 · duplicates 0 · rejected 1 · ignored 0[^\n]* \d+ ms\n/);
    expect(run.stdout).toContain('✗ rejected: payload "seven" is not a decimal number');
    expect(run.stdout).toContain(`payload "${Buffer.from('seven').toString('base64')}" = "seven"`);
    expect(run.stdout).toMatch(/"ep":"dev-1","path":"\/3200\/0\/5501"/);
    // Lambda's routine lines stay out; the self-test of setup is a line of its own.
    expect(run.stdout).not.toContain('START RequestId');
    expect(run.stdout).not.toContain('REPORT RequestId');
    expect(world.aws.callsOf('FilterLogEvents').length).toBeGreaterThan(2);

    const json = await logs(['--json']);
    const lines = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.find((l) => l.msg === 'stored')).toMatchObject({ level: 'info', stored: 1, rejected: 1, requestId: expect.any(String), time: expect.stringMatching(/Z$/) });
    expect(lines.find((l) => l.msg === 'notification not stored')).toMatchObject({ reason: expect.stringContaining('not a decimal number'), notification: { ep: 'dev-1', payload: Buffer.from('seven').toString('base64') } });

    const rejected = await logs(['--filter', 'rejected', '--json']);
    expect(rejected.stdout.trim().split('\n').map((l) => JSON.parse(l).msg)).toEqual(['notification not stored']);
  });

  it('reads from the tags’ names alone (no state file), and says when the stack has no log group', async () => {
    expect((await world.setup()).code).toBe(0);
    await deliver();
    const run = await logs([], { env: { MBED_TSDB_STATE_DIR: '/nonexistent/mbed-tsdb-logs' } });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('delivery: stored 1');
    const none = await logs(['--stack', 'other']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no log group /aws/lambda/mbed_time_series_webhook-other in us-west-2');
  });

  it('--since takes a duration or a time, and refuses anything else', async () => {
    expect((await world.setup()).code).toBe(0);
    world.aws.writeLog(GROUP, JSON.stringify({ level: 'error', msg: 'storing failed', error: 'ER_DISK_FULL', ms: 5 }), { timestamp: world.clock.now - 3 * 3_600_000 });
    expect((await logs(['--since', '2h', '--filter', 'errors'])).stdout).not.toContain('storing failed');
    expect((await logs(['--since', '4h', '--filter', 'errors'])).stdout).toContain('✗ storing failed (error=ER_DISK_FULL)  5 ms');
    expect((await logs(['--since', new Date(world.clock.now - 4 * 3_600_000).toISOString()])).stdout).toContain('storing failed');
    const bad = await logs(['--since', 'yesterday']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--since takes a duration');
  });

  // Issue #25.8: what a device sent is shown escaped — JSON escapes C0 controls, not C1 (U+009B
  // is a one-character CSI) or the bidirectional overrides.
  it('shows a rejected notification’s device text escaped', async () => {
    expect((await world.setup()).code).toBe(0);
    world.aws.writeLog(GROUP, JSON.stringify({ level: 'warn', msg: 'notification not stored', reason: 'x', notification: { ep: 'dev\u009b2J\u202e', payload: 'wpsySg==' } }), {
      timestamp: world.clock.now,
    });
    const run = await logs(['--since', '1h', '--filter', 'rejected']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).not.toMatch(/[\u009b\u202e]/);
    expect(run.stdout).toContain('dev\\x9b2J\\u202e');
  });

  /** A stack, and `logs --follow` running on it with its live tail session open; `stop` is Ctrl+C. */
  async function following() {
    expect((await world.setup()).code).toBe(0);
    let stop!: () => void;
    const interrupted = new Promise<void>((resolve) => (stop = resolve));
    const running = logs(['--follow', '--since', '1m'], { interrupted });
    await until(() => world.aws.logs.tails.size === 1);
    return { running, stop };
  }

  it('--follow through a live tail: what the function writes while it runs, once', async () => {
    const { running, stop } = await following();
    await deliver();
    await deliver();
    await until(() => world.aws.callsOf('StartLiveTail').length === 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    stop();
    const run = await running;
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(`Following ${GROUP} (live tail)`);
    expect(run.stdout.match(/delivery: stored 1/g)).toHaveLength(2);
    // The session is closed.
    await until(() => world.aws.logs.tails.size === 0);
  });

  // "Live Tail sessions time out after three hours" with a SessionTimeoutException thrown from the
  // stream (CloudWatch Logs SDK model, StartLiveTailResponseStream): a new session is started, and
  // what was written between the two is read, so nothing is lost or shown twice.
  it('--follow through a live tail session that times out after three hours: a new one, nothing lost or repeated', async () => {
    const { running, stop } = await following();
    await deliver();
    await until(() => world.aws.logs.tails.size === 1 && world.aws.calls.filter((c) => c.command === 'StartLiveTail').length === 1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Three hours pass: the session ends at its next update, and what is written meanwhile never
    // reaches it (the event below is written before that update, so the session drops it).
    world.clock.now += 3 * 60 * 60_000;
    world.aws.writeLog(GROUP, JSON.stringify({ level: 'info', msg: 'stored', stored: 7, duplicates: 0, rejected: 0, ignored: 0, ms: 4 }));
    await until(() => world.aws.callsOf('StartLiveTail').length === 2 && world.aws.logs.tails.size === 1);
    await deliver();
    await new Promise((resolve) => setTimeout(resolve, 150));
    stop();
    const run = await running;
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.match(/delivery: stored 1 /g)).toHaveLength(2);
    expect(run.stdout.match(/delivery: stored 7 /g)).toHaveLength(1);
  });

  it('--follow by polling where there is no live tail: late events are not lost, none is shown twice', async () => {
    expect((await world.setup()).code).toBe(0);
    world.aws.logs.liveTail = false;
    const t0 = world.clock.now;
    let stop!: () => void;
    const interrupted = new Promise<void>((resolve) => (stop = resolve));
    let polls = 0;
    const sleep = async (ms: number) => {
      world.clock.now += ms;
      polls++;
      if (polls === 2) world.aws.writeLog(GROUP, JSON.stringify({ level: 'info', msg: 'stored', stored: 2, ms: 9 }), { timestamp: world.clock.now });
      // Ingested 20 s late, with a time before the one already shown.
      if (polls === 3) world.aws.writeLog(GROUP, JSON.stringify({ level: 'info', msg: 'stored', stored: 3, ms: 9 }), { timestamp: world.clock.now - 3000, delayMs: 20_000 });
      if (polls === 30) stop();
      await new Promise((resolve) => setImmediate(resolve));
    };
    const run = await logs(['--follow', '--since', new Date(t0).toISOString()], { interrupted, hooks: { sleep } });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('polling every 2 s (live tail unavailable: InvalidOperationException)');
    expect(run.stdout.match(/delivery: stored 2 /g)).toHaveLength(1);
    expect(run.stdout.match(/delivery: stored 3 /g)).toHaveLength(1);
  });
});

async function until(condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
