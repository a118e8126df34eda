import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../support/virtual-clock.js';

describe('VirtualClock (for the setup timeline bench)', () => {
  it('runs concurrent sleeps side by side: the total is the longest chain, not the sum', async () => {
    const clock = new VirtualClock();
    const ends: Record<string, number> = {};
    const chain = async (name: string, steps: number[]) => {
      for (const ms of steps) await clock.sleep(ms);
      ends[name] = clock.now;
    };
    await clock.run(Promise.all([chain('database', [100, 300_000]), chain('function', [10_000, 60_000, 100])]));
    expect(ends).toEqual({ function: 70_100, database: 300_100 });
    expect(clock.now).toBe(300_100);
  });
});
