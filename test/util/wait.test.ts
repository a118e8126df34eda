import { describe, expect, it } from 'vitest';
import { done, notYet, retry, waitFor, WaitTimeoutError } from '../../src/util/wait.js';

describe('retry', () => {
  const backoff = { baseMs: 1000, maxMs: 8000, random: () => 1 };

  it('backs off exponentially up to the cap, without really sleeping', async () => {
    const slept: number[] = [];
    let calls = 0;
    const result = await retry(
      async () => {
        if (++calls < 6) throw new Error('role cannot be assumed');
        return 'created';
      },
      { delay: backoff, attempts: 10, shouldRetry: () => true, sleep: async (ms) => void slept.push(ms) },
    );
    expect(result).toBe('created');
    expect(slept).toEqual([1000, 2000, 4000, 8000, 8000]);
  });

  it('gives up after the attempts, or the time budget, with the last error', async () => {
    let calls = 0;
    const fail = async () => {
      calls++;
      throw new Error(`failure ${calls}`);
    };
    await expect(retry(fail, { delay: backoff, attempts: 3, shouldRetry: () => true, sleep: async () => undefined })).rejects.toThrow('failure 3');
    expect(calls).toBe(3);
    calls = 0;
    // 1 s + 2 s slept; the next 4 s would pass 3.5 s.
    await expect(retry(fail, { delay: backoff, timeoutMs: 3500, shouldRetry: () => true, sleep: async () => undefined })).rejects.toThrow('failure 3');
    expect(calls).toBe(3);
  });

  it('can give up with a timeout error whose cause is the last error', async () => {
    const error = await retry(
      async () => {
        throw new Error('DependencyViolation');
      },
      { what: 'the group to be free', delay: { everyMs: 10 }, attempts: 2, shouldRetry: () => 'in use', sleep: async () => undefined, onTimeout: 'timeout-error' },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WaitTimeoutError);
    expect((error as WaitTimeoutError).code).toBe('WAIT_TIMEOUT');
    expect((error as WaitTimeoutError).lastStatus).toBe('in use');
    expect(((error as WaitTimeoutError).cause as Error).message).toBe('DependencyViolation');
  });

  it('does not retry what should not be retried', async () => {
    let calls = 0;
    await expect(
      retry(
        async () => {
          calls++;
          throw new Error('AccessDenied');
        },
        { delay: backoff, attempts: 5, shouldRetry: () => false, sleep: async () => undefined },
      ),
    ).rejects.toThrow('AccessDenied');
    expect(calls).toBe(1);
  });

  it('spreads retries with jitter between half and all of the delay', async () => {
    const slept: number[] = [];
    await retry(
      async (attempt) => {
        if (attempt < 3) throw new Error('x');
      },
      { delay: { ...backoff, random: () => 0 }, attempts: 3, shouldRetry: () => true, sleep: async (ms) => void slept.push(ms) },
    );
    expect(slept).toEqual([500, 1000]);
  });
});

describe('waitFor', () => {
  it('polls at a fixed pace until done, reporting each status', async () => {
    const clock = { now: 0 };
    const seen: string[] = [];
    const states = ['creating', 'creating', 'backing-up', 'available'];
    const value = await waitFor(async (attempt) => (states[attempt - 1] === 'available' ? done(attempt) : notYet(states[attempt - 1]!)), {
      what: 'the database',
      delay: { everyMs: 15_000 },
      timeoutMs: 60_000,
      now: () => clock.now,
      sleep: async (ms) => void (clock.now += ms),
      onWait: ({ status, elapsedMs }) => seen.push(`${status}@${elapsedMs}`),
    });
    expect(value).toBe(4);
    expect(seen).toEqual(['creating@0', 'creating@15000', 'backing-up@30000']);
  });

  it('measures the deadline on the injected clock, which other work may also move', async () => {
    const clock = { now: 0 };
    let polls = 0;
    const error = await waitFor(async () => ((polls++, notYet('deleting'))), {
      what: 'the database to be deleted',
      delay: { everyMs: 10_000 },
      timeoutMs: 60_000,
      now: () => clock.now,
      // Something else running meanwhile moves the clock too.
      sleep: async (ms) => void (clock.now += ms + 20_000),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WaitTimeoutError);
    expect(polls).toBe(3); // 0, 30 s, 60 s: the next pause would end past the minute
    expect((error as Error).message).toBe('gave up waiting for the database to be deleted after 1m 00s (deleting)');
  });

  it('refuses to wait without a budget', async () => {
    await expect(waitFor(async () => notYet('x'), { what: 'nothing', delay: { everyMs: 1 }, sleep: async () => undefined } as never)).rejects.toThrow('needs a budget');
  });

  it('stops when the sleep is aborted (Ctrl+C)', async () => {
    const abort = new AbortController();
    const sleep = async () => {
      abort.abort();
      abort.signal.throwIfAborted();
    };
    await expect(waitFor(async () => notYet('x'), { what: 'x', delay: { everyMs: 1 }, attempts: 5, sleep })).rejects.toThrow(/abort/i);
  });
});
