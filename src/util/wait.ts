// The one way to wait: poll until done, or retry a call while its error may heal. Every wait
// has a budget (a deadline on the injected clock, a number of attempts, or both), reports
// progress, and sleeps through the injected sleep, so tests run instantly and deterministically.

import { UserFacingError } from '../errors.js';
import { formatDuration } from './duration.js';

export const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export type Delay =
  /** The same pause every time (polling a status). */
  | { everyMs: number }
  /** Exponential back-off with jitter: half the capped delay plus up to as much again. */
  | { baseMs: number; maxMs: number; random?: () => number };

interface Budget {
  /** Give up once this much time has passed on the clock. */
  timeoutMs?: number;
  /** Give up after this many attempts, the first included. */
  attempts?: number;
}

export type WaitOptions = Budget &
  ({ timeoutMs: number } | { attempts: number }) & {
    /** What is waited for, for the progress and the timeout message: "database tsdb to be available". */
    what: string;
    delay: Delay;
    sleep: (ms: number) => Promise<void>;
    /**
     * The clock the deadline is measured on. Without one, the time spent sleeping here
     * counts (a clock of its own that runs only while this waits).
     */
    now?: () => number;
    /** Called before each pause: why it waits (the status or the error), and for how long. */
    onWait?: (info: { attempt: number; elapsedMs: number; delayMs: number; status: string }) => void;
  };

/** A wait ran out of its budget. `lastStatus` says where things stood; `cause` is the last error, if any. */
export class WaitTimeoutError extends UserFacingError {
  override name = 'WaitTimeoutError';
  constructor(
    readonly what: string,
    readonly elapsedMs: number,
    readonly lastStatus: string,
    cause?: unknown,
  ) {
    super(`gave up waiting for ${what} after ${formatDuration(elapsedMs)} (${lastStatus})`, { code: 'WAIT_TIMEOUT', cause });
  }
}

export type Poll<T> = { done: true; value: T } | { done: false; status: string };

export const done = <T>(value: T): Poll<T> => ({ done: true, value });
export const notYet = (status: string): Poll<never> => ({ done: false, status });

/** Polls until `poll` says done; throws WaitTimeoutError when the budget is spent. */
export async function waitFor<T>(poll: (attempt: number) => Promise<Poll<T>>, options: WaitOptions): Promise<T> {
  if (options.timeoutMs === undefined && options.attempts === undefined) throw new Error(`waiting for ${options.what} needs a budget`);
  const started = options.now?.();
  let slept = 0;
  const elapsed = () => (options.now && started !== undefined ? options.now() - started : slept);
  for (let attempt = 1; ; attempt++) {
    const result = await poll(attempt);
    if (result.done) return result.value;
    const delayMs = delayFor(options.delay, attempt);
    const outOfAttempts = options.attempts !== undefined && attempt >= options.attempts;
    const outOfTime = options.timeoutMs !== undefined && elapsed() + delayMs > options.timeoutMs;
    if (outOfAttempts || outOfTime) throw new WaitTimeoutError(options.what, elapsed(), result.status, lastError.get(result));
    options.onWait?.({ attempt, elapsedMs: elapsed(), delayMs, status: result.status });
    await options.sleep(delayMs);
    slept += delayMs;
  }
}

/** The error behind a "not yet" from retry, so the timeout can name it as its cause. */
const lastError = new WeakMap<object, unknown>();

export interface RetryOptions extends Omit<WaitOptions, 'what'> {
  /** What the call does, for the timeout message: "creating the function". */
  what?: string;
  /** Whether this error may heal by waiting; a string says how it is waiting ("the new role is not usable yet"). */
  shouldRetry: (error: unknown) => boolean | string;
  /** When the budget is spent: the last error itself (default), or a WaitTimeoutError whose cause it is. */
  onTimeout?: 'throw-last-error' | 'timeout-error';
}

/**
 * Calls `action` until it succeeds, waiting between attempts while its error may heal.
 * An error that may not is thrown at once.
 */
export async function retry<T>(action: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  try {
    return await waitFor<T>(
      async (attempt) => {
        try {
          return done(await action(attempt));
        } catch (error) {
          const verdict = options.shouldRetry(error);
          if (verdict === false) throw error;
          const status = notYet(typeof verdict === 'string' ? verdict : (error as Error)?.message ?? String(error));
          lastError.set(status, error);
          return status;
        }
      },
      { ...options, what: options.what ?? 'the call to succeed' } as WaitOptions,
    );
  } catch (error) {
    if (error instanceof WaitTimeoutError && options.onTimeout !== 'timeout-error' && error.cause !== undefined) throw error.cause;
    throw error;
  }
}

function delayFor(delay: Delay, attempt: number): number {
  if ('everyMs' in delay) return delay.everyMs;
  const cap = Math.min(delay.maxMs, delay.baseMs * 2 ** (attempt - 1));
  return Math.round(cap / 2 + ((delay.random ?? Math.random)() * cap) / 2);
}
