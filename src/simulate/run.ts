// The simulated Connector: readings made at --rate across the boards, queued, and PUT as the
// service does it — one request in flight, each taking everything queued since the last answer
// (up to --batch), a failed batch sent again with back-off (1 s doubling to 2 minutes) while
// later readings wait behind it. Time and sleep are injected so tests run on a fake clock.

import { notification, valueSource, type Notification, type SimulatedDevice } from './readings.js';

export interface Answer {
  status: number;
  text: string;
}

export interface SimulateInput {
  devices: SimulatedDevice[];
  resource: string;
  /** Notifications per second, over all boards. */
  rate: number;
  durationMs: number;
  /** Most items per PUT. */
  batch: number;
  /** With the stack's serialization: uid, timestamp and original-ep on every item. */
  izuma: boolean;
  /** Marks this run's uids: `sim-<runId>-<n>`. */
  runId: string;
  put(body: string): Promise<Answer>;
  now(): number;
  sleep(ms: number): Promise<void>;
  /** How long past the end a failing webhook is retried before the rest is given up. */
  giveUpAfterMs?: number;
  onProgress?(stats: SimulateStats): void;
  random?: () => number;
}

export interface SimulateStats {
  /** Readings made. */
  made: number;
  /** Readings in batches the webhook answered 200. */
  delivered: number;
  /** What the webhook's answers counted. */
  stored: number;
  duplicates: number;
  rejected: number;
  requests: number;
  /** Requests answered other than 200 (or not at all), each retried. */
  failed: number;
  /** Milliseconds per request, in order. */
  latencies: number[];
  /** Readings never delivered (the webhook kept failing past the give-up time). */
  undelivered: number;
  elapsedMs: number;
  /** This run's uids (Izuma shape), in the order made. */
  uids: string[];
}

export const FIRST_RETRY_MS = 1000;
export const MAX_RETRY_MS = 120_000;

export async function simulate(input: SimulateInput): Promise<SimulateStats> {
  const start = input.now();
  const end = start + input.durationMs;
  const total = Math.max(1, Math.floor((input.rate * input.durationMs) / 1000));
  const value = valueSource(input.resource, input.random);
  const stats: SimulateStats = { made: 0, delivered: 0, stored: 0, duplicates: 0, rejected: 0, requests: 0, failed: 0, latencies: [], undelivered: 0, elapsedMs: 0, uids: [] };
  const queue: Notification[] = [];
  const dueAt = (n: number) => start + (n * 1000) / input.rate;
  let retryMs = FIRST_RETRY_MS;

  for (;;) {
    while (stats.made < total && dueAt(stats.made) <= input.now()) {
      const n = stats.made++;
      const deviceIndex = n % input.devices.length;
      const uid = `sim-${input.runId}-${n}`;
      if (input.izuma) stats.uids.push(uid);
      queue.push(notification(input.devices[deviceIndex]!, input.resource, value(deviceIndex), input.izuma ? { uid, timestamp: Math.round(dueAt(n)) } : null));
    }
    if (queue.length === 0) {
      if (stats.made >= total) break;
      await input.sleep(Math.max(1, Math.ceil(dueAt(stats.made) - input.now())));
      continue;
    }
    const items = queue.slice(0, input.batch);
    const sentAt = input.now();
    const answer = await input.put(JSON.stringify({ notifications: items })).catch((error: unknown) => ({ status: 0, text: String((error as Error)?.message ?? error) }));
    stats.requests++;
    stats.latencies.push(input.now() - sentAt);
    if (answer.status === 200) {
      queue.splice(0, items.length);
      stats.delivered += items.length;
      const counts = parseCounts(answer.text);
      stats.stored += counts.stored;
      stats.duplicates += counts.duplicates;
      stats.rejected += counts.rejected;
      retryMs = FIRST_RETRY_MS;
    } else {
      stats.failed++;
      if (input.now() - end > (input.giveUpAfterMs ?? 5 * 60_000)) {
        stats.undelivered = queue.length + (total - stats.made);
        break;
      }
      await input.sleep(retryMs);
      retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
    }
    input.onProgress?.({ ...stats, elapsedMs: input.now() - start });
  }
  stats.elapsedMs = input.now() - start;
  return stats;
}

function parseCounts(text: string): { stored: number; duplicates: number; rejected: number } {
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    const n = (k: string) => (typeof body[k] === 'number' ? (body[k] as number) : 0);
    return { stored: n('stored'), duplicates: n('duplicates'), rejected: n('rejected') };
  } catch {
    return { stored: 0, duplicates: 0, rejected: 0 };
  }
}

/** The p-th percentile (0–100) of the values, nearest rank. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
