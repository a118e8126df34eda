// Log lines that can never throw and stay bounded. A rejected item is logged whole when it is
// of a sane size (the user gets it back with `mbed-tsdb logs`), cut with a marker when huge,
// and described when it cannot be serialized at all (nested 10⁵ deep); a request with
// thousands of bad items logs the first ones and one summary line for the rest.

import type { Log } from './handler.js';

/** The most of one item kept in a log line. */
export const ITEM_LOG_BYTES = 8 * 1024;
/** The most of one log line (CloudWatch takes 256 KB per event). */
export const LINE_LOG_BYTES = 64 * 1024;
/** Rejected items logged one by one per request; the rest are summed up. */
export const REJECTED_LOG_LINES = 100;

/** JSON.stringify that never throws: undefined when the value cannot be serialized. */
function tryJson(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

/** The item as it can be logged: itself, its JSON cut to a bound with a marker, or a description. */
export function loggable(item: unknown, maxBytes = ITEM_LOG_BYTES): { item: unknown; truncated?: number; unserializable?: string } {
  const json = tryJson(item);
  if (json === undefined) {
    return { item: null, unserializable: `${Array.isArray(item) ? 'array' : typeof item} nested too deeply (or cyclic) to serialize` };
  }
  if (json.length <= maxBytes) return { item };
  return { item: `${json.slice(0, maxBytes)}…`, truncated: json.length };
}

/** One line of JSON, within LINE_LOG_BYTES whatever the line holds. */
export function boundedJson(line: Record<string, unknown>): string {
  const json = tryJson(line);
  if (json !== undefined && json.length <= LINE_LOG_BYTES) return json;
  const bounded: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(line)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || value === null) {
      bounded[key] = typeof value === 'string' && value.length > ITEM_LOG_BYTES ? `${value.slice(0, ITEM_LOG_BYTES)}…` : value;
    } else {
      const kept = loggable(value);
      Object.assign(bounded, { [key]: kept.item }, kept.truncated ? { [`${key}Bytes`]: kept.truncated } : {}, kept.unserializable ? { [`${key}Error`]: kept.unserializable } : {});
    }
  }
  // Every value is now a primitive or loggable()'s item, so this cannot throw.
  return JSON.stringify(bounded);
}

/** Logs a request's rejected items: each of the first ones whole (bounded), then one summary. */
export function rejectedLog(log: Log, rejected: Array<{ item: unknown; reason: string }>, requestId: string | undefined): void {
  for (const { item, reason } of rejected.slice(0, REJECTED_LOG_LINES)) {
    const kept = loggable(item);
    log({
      level: 'warn',
      msg: 'notification not stored',
      reason,
      notification: kept.item,
      ...(kept.truncated ? { truncatedFrom: kept.truncated } : {}),
      ...(kept.unserializable ? { unserializable: kept.unserializable } : {}),
      requestId,
    });
  }
  const rest = rejected.slice(REJECTED_LOG_LINES);
  if (rest.length > 0) {
    const reasons: Record<string, number> = {};
    for (const { reason } of rest) {
      // Reasons quote a little of the item; the summary keeps their kinds.
      const kind = reason.replace(/"[^"]*"|\d+/g, '…').slice(0, 120);
      reasons[kind] = (reasons[kind] ?? 0) + 1;
    }
    log({ level: 'warn', msg: 'more notifications not stored', count: rest.length, reasons, requestId });
  }
}
