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

type LiveTail = AsyncIterator<{ sessionUpdate?: { sessionResults?: Array<{ timestamp?: number; message?: string }> } }>;

/** A live tail session of the group, or why there is none. */
async function startLiveTail(client: CloudWatchLogsClient, groupArn: string, signal: AbortSignal): Promise<LiveTail | Error> {
  try {
    const started = await client.send(new StartLiveTailCommand({ logGroupIdentifiers: [groupArn] }), { abortSignal: signal as never });
    return (started.responseStream as AsyncIterable<never>)[Symbol.asyncIterator]();
  } catch (error) {
    return error as Error;
  }
}

/**
 * History since `since`, then what arrives: through live tail sessions when the region offers
 * them, else by polling. Each session is started before the history (or the gap since the last
 * session) is read, so nothing falls between; a session ends after three hours
 * (SessionTimeoutException, thrown from its stream) and the next one takes over.
 */
export async function follow(client: CloudWatchLogsClient, group: string, groupArn: string | undefined, options: FollowOptions): Promise<void> {
  if (!groupArn) {
    options.onMode?.(`polling every ${POLL_MS / 1000} s`);
    return followByPolling(client, group, options);
  }
  // What was shown, by time and text (a live tail result has no event ID), for the overlap windows.
  const shown = new Map<string, number>();
  let newest = options.since;
  const show = (event: LogEvent) => {
    const key = `${event.timestamp}:${event.message}`;
    if (shown.has(key)) return;
    shown.set(key, event.timestamp);
    newest = Math.max(newest, event.timestamp);
    options.emit(event);
  };
  const aborted = new Promise<null>((resolve) => options.signal.addEventListener('abort', () => resolve(null), { once: true }));
  for (let session = 1; !options.signal.aborted; session++) {
    const stream = await startLiveTail(client, groupArn, options.signal);
    if (stream instanceof Error) {
      options.onMode?.(`polling every ${POLL_MS / 1000} s (live tail unavailable: ${stream.name || stream.message})`);
      return followByPolling(client, group, { ...options, since: session === 1 ? options.since : Math.max(options.since, newest - INGESTION_LAG_MS), emit: show });
    }
    if (session === 1) options.onMode?.('live tail');
    // The history, or what came while no session was open: from a little before the newest shown.
    for (const event of await readRange(client, group, session === 1 ? options.since : Math.max(options.since, newest - INGESTION_LAG_MS))) show(event);
    for (const [key, at] of shown) if (at < newest - 2 * INGESTION_LAG_MS) shown.delete(key);
    const ended = await drain(stream, aborted, show);
    // Closes the session (the abort signal ends the real stream; no waiting for it).
    void stream.return?.()?.catch(() => undefined);
    if (ended instanceof Error && ended.name !== 'SessionTimeoutException') throw ended;
  }
}

/** Shows what a session sends until it ends: null when it closed or Ctrl+C came, else its error. */
async function drain(stream: LiveTail, aborted: Promise<null>, show: (event: LogEvent) => void): Promise<Error | null> {
  try {
    for (;;) {
      const next = await Promise.race([stream.next(), aborted]);
      if (!next || next.done) return null;
      for (const r of next.value.sessionUpdate?.sessionResults ?? []) show({ timestamp: r.timestamp ?? 0, message: r.message ?? '' });
    }
  } catch (error) {
    return error as Error;
  }
}
