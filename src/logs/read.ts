// Reading the function's log group: a range with FilterLogEvents (every page), and following it
// live — StartLiveTail where the region offers it, else polling FilterLogEvents over a window
// that reaches back past CloudWatch's ingestion delay, so late events are not lost, and each
// event shown once.

import { FilterLogEventsCommand, StartLiveTailCommand, type CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { LogEvent } from './entries.js';

/** How far each poll reaches back before the newest event seen: events can arrive this late. */
export const INGESTION_LAG_MS = 60_000;
export const POLL_MS = 2_000;

export async function readRange(client: CloudWatchLogsClient, group: string, startTime: number, endTime?: number): Promise<LogEvent[]> {
  const events: LogEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(new FilterLogEventsCommand({ logGroupName: group, startTime, ...(endTime !== undefined ? { endTime } : {}), ...(nextToken ? { nextToken } : {}) }));
    for (const e of page.events ?? []) events.push({ timestamp: e.timestamp ?? 0, message: e.message ?? '', ...(e.eventId ? { eventId: e.eventId } : {}) });
    nextToken = page.nextToken;
  } while (nextToken);
  // Pages interleave streams: in time order, stable.
  return events.sort((a, b) => a.timestamp - b.timestamp);
}

const keyOf = (e: LogEvent) => e.eventId ?? `${e.timestamp}:${e.message}`;

export interface FollowOptions {
  since: number;
  signal: AbortSignal;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  emit: (event: LogEvent) => void;
  /** Says which way it follows (live tail, or polling and why). */
  onMode?: (mode: string) => void;
}

/** Polls with no gaps and no repeats until the signal aborts. */
export async function followByPolling(client: CloudWatchLogsClient, group: string, options: FollowOptions): Promise<void> {
  const seen = new Map<string, number>();
  let newest = options.since;
  while (!options.signal.aborted) {
    const from = Math.max(options.since, newest - INGESTION_LAG_MS);
    for (const event of await readRange(client, group, from)) {
      const key = keyOf(event);
      if (seen.has(key)) continue;
      seen.set(key, event.timestamp);
      newest = Math.max(newest, event.timestamp);
      options.emit(event);
    }
    // Forget what the window no longer reaches.
    for (const [key, at] of seen) if (at < newest - 2 * INGESTION_LAG_MS) seen.delete(key);
    if (options.signal.aborted) break;
    await options.sleep(POLL_MS).catch(() => undefined);
  }
}

/**
 * History since `since`, then what arrives: through a live tail session when the region offers
 * one (started first, so nothing falls between the two), else by polling.
 */
export async function follow(client: CloudWatchLogsClient, group: string, groupArn: string | undefined, options: FollowOptions): Promise<void> {
  let stream: AsyncIterator<{ sessionUpdate?: { sessionResults?: Array<{ timestamp?: number; message?: string; logStreamName?: string }> } }> | null = null;
  if (groupArn) {
    try {
      const started = await client.send(new StartLiveTailCommand({ logGroupIdentifiers: [groupArn] }), { abortSignal: options.signal as never });
      stream = (started.responseStream as AsyncIterable<never>)[Symbol.asyncIterator]();
      options.onMode?.('live tail');
    } catch (error) {
      options.onMode?.(`polling every ${POLL_MS / 1000} s (live tail unavailable: ${(error as Error).name || (error as Error).message})`);
    }
  } else options.onMode?.(`polling every ${POLL_MS / 1000} s`);
  if (!stream) return followByPolling(client, group, options);

  const shown = new Set<string>();
  const startedAt = options.now();
  for (const event of await readRange(client, group, options.since)) {
    if (event.timestamp >= startedAt - INGESTION_LAG_MS) shown.add(`${event.timestamp}:${event.message}`);
    options.emit(event);
  }
  const aborted = new Promise<null>((resolve) => options.signal.addEventListener('abort', () => resolve(null), { once: true }));
  while (!options.signal.aborted) {
    const next = await Promise.race([stream.next(), aborted]);
    if (!next || next.done) break;
    for (const r of next.value.sessionUpdate?.sessionResults ?? []) {
      const event = { timestamp: r.timestamp ?? 0, message: r.message ?? '' };
      const key = `${event.timestamp}:${event.message}`;
      if (shown.has(key)) continue;
      options.emit(event);
    }
  }
  // Closes the session (the abort signal ends the real stream; no waiting for it).
  void stream.return?.()?.catch(() => undefined);
  // A live tail session ends on its own after three hours: go on by polling.
  if (!options.signal.aborted) {
    options.onMode?.(`polling every ${POLL_MS / 1000} s (the live tail session ended)`);
    await followByPolling(client, group, { ...options, since: options.now() - INGESTION_LAG_MS, emit: (e) => (shown.has(`${e.timestamp}:${e.message}`) ? undefined : options.emit(e)) });
  }
}
