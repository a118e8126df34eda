// Retries with exponential back-off. The sleep is injected so tests run instantly and
// deterministically; the bound is in attempts and, optionally, in total waiting time.

export interface RetryOptions {
  /** Attempts in all, the first included. */
  attempts: number;
  baseMs: number;
  maxMs: number;
  /** Stop waiting once this much time has been spent sleeping. */
  budgetMs?: number;
  shouldRetry: (error: unknown) => boolean;
  sleep: (ms: number) => Promise<void>;
  /** 0..1; default Math.random. The jitter (half the delay) keeps many clients from retrying in step. */
  random?: () => number;
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
}

export const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function retry<T>(action: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const random = options.random ?? Math.random;
  let slept = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      return await action(attempt);
    } catch (error) {
      const cap = Math.min(options.maxMs, options.baseMs * 2 ** (attempt - 1));
      const delayMs = Math.round(cap / 2 + (random() * cap) / 2);
      const outOfBudget = options.budgetMs !== undefined && slept + delayMs > options.budgetMs;
      if (attempt >= options.attempts || outOfBudget || !options.shouldRetry(error)) throw error;
      options.onRetry?.({ attempt, delayMs, error });
      await options.sleep(delayMs);
      slept += delayMs;
    }
  }
}
