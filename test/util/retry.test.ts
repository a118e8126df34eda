import { describe, expect, it } from 'vitest';
import { retry } from '../../src/util/retry.js';

describe('retry', () => {
  const base = { baseMs: 1000, maxMs: 8000, random: () => 1, shouldRetry: () => true };

  it('backs off exponentially up to the cap, without really sleeping', async () => {
    const slept: number[] = [];
    let calls = 0;
    const result = await retry(
      async () => {
        if (++calls < 6) throw new Error('role cannot be assumed');
        return 'created';
      },
      { ...base, attempts: 10, sleep: async (ms) => void slept.push(ms) },
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
    await expect(retry(fail, { ...base, attempts: 3, sleep: async () => undefined })).rejects.toThrow('failure 3');
    calls = 0;
    await expect(retry(fail, { ...base, attempts: 100, budgetMs: 3500, sleep: async () => undefined })).rejects.toThrow('failure 3');
  });

  it('does not retry what should not be retried', async () => {
    let calls = 0;
    await expect(
      retry(
        async () => {
          calls++;
          throw new Error('AccessDenied');
        },
        { ...base, attempts: 5, shouldRetry: () => false, sleep: async () => undefined },
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
      { ...base, attempts: 3, random: () => 0, sleep: async (ms) => void slept.push(ms) },
    );
    expect(slept).toEqual([500, 1000]);
  });
});
