// Virtual time for timelines: sleeps complete in order of their wake time, and time jumps to
// the next wake-up whenever nothing else is running, so five simulated minutes take a moment.

export class VirtualClock {
  now = 0;
  private timers: Array<{ at: number; seq: number; resolve: () => void }> = [];
  private seq = 0;

  sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      this.timers.push({ at: this.now + Math.max(0, ms), seq: this.seq++, resolve });
    });

  /** Runs the work to its end, advancing time whenever every task is asleep. */
  async run<T>(work: Promise<T>): Promise<T> {
    let settled = false;
    const result = work.finally(() => {
      settled = true;
    });
    while (!settled) {
      // Let real I/O and promise chains run until no new sleep is registered for a while.
      let before = -1;
      let quiet = 0;
      while (!settled && quiet < 3) {
        await new Promise((resolve) => setTimeout(resolve, 2));
        quiet = this.seq === before ? quiet + 1 : 0;
        before = this.seq;
      }
      if (settled || this.timers.length === 0) continue;
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers.shift()!;
      this.now = Math.max(this.now, next.at);
      next.resolve();
    }
    return result;
  }
}
