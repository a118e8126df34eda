// The function's log events, read back: its own JSON lines (one per delivery, one per rejected
// notification, errors) and Lambda's platform lines, filtered and shown as a person reads them.

import { printable } from '../ui/printable.js';

export interface LogEvent {
  timestamp: number;
  message: string;
  eventId?: string;
}

export interface LogEntry {
  /** ISO 8601. */
  time: string;
  /** The function's own fields; absent for a platform line (START, REPORT, a timeout). */
  fields?: Record<string, unknown>;
  /** The line as Lambda logged it, when it is not the function's JSON. */
  raw?: string;
}

export type LogFilter = 'all' | 'rejected' | 'errors';

export function toEntry(event: LogEvent): LogEntry {
  const time = new Date(event.timestamp).toISOString();
  const text = event.message.trim();
  if (text.startsWith('{')) {
    try {
      const fields = JSON.parse(text) as unknown;
      if (fields && typeof fields === 'object' && !Array.isArray(fields)) return { time, fields: fields as Record<string, unknown> };
    } catch {
      // not the function's JSON: shown as it is
    }
  }
  return { time, raw: text };
}

const REJECTED = new Set(['notification not stored', 'body not stored', 'more notifications not stored']);
/** Lambda's routine lines around every invocation. */
const ROUTINE = /^(START|END|REPORT|INIT_START) /;

export function keep(entry: LogEntry, filter: LogFilter): boolean {
  if (entry.raw !== undefined) {
    if (ROUTINE.test(entry.raw)) return false;
    // Anything else Lambda says (a timeout, a crash) is an error.
    return filter !== 'rejected';
  }
  const msg = String(entry.fields!.msg ?? '');
  if (filter === 'rejected') return REJECTED.has(msg);
  if (filter === 'errors') return entry.fields!.level === 'error' || entry.fields!.level === 'warn';
  return true;
}

const clock = (iso: string) => iso.replace('T', ' ').replace('Z', '');

/**
 * One human line per delivery; a rejected notification whole, its payload decoded. What the
 * devices sent is shown escaped: JSON escapes C0 controls, not C1 or the bidirectional overrides.
 */
export function describeEntry(entry: LogEntry): string {
  return describeUnescaped(entry)
    .split('\n')
    .map(printable)
    .join('\n');
}

function describeUnescaped(entry: LogEntry): string {
  const at = clock(entry.time);
  if (entry.raw !== undefined) return `${at}  ${entry.raw}`;
  const f = entry.fields!;
  const msg = String(f.msg ?? '');
  const ms = typeof f.ms === 'number' ? `  ${f.ms} ms` : '';
  if (msg === 'stored' || msg === 'self-test stored and rolled back') {
    const counts = ['stored', 'duplicates', 'rejected', 'ignored']
      .map((k) => `${k} ${typeof f[k] === 'number' ? f[k] : 0}`)
      .join(' · ');
    const extra = ['devices', 'outcomes'].filter((k) => typeof f[k] === 'number' && (f[k] as number) > 0).map((k) => ` · ${k} ${f[k]}`).join('');
    return `${at}  ${msg === 'stored' ? 'delivery' : 'self-test'}: ${counts}${extra}${ms}`;
  }
  if (msg === 'notification not stored') {
    const item = f.notification as Record<string, unknown> | null | undefined;
    const payload = typeof item?.payload === 'string' ? decoded(item.payload) : null;
    return `${at}  ✗ rejected: ${String(f.reason ?? 'no reason given')}\n    ${JSON.stringify(item)}${payload !== null ? `\n    payload ${JSON.stringify(item!.payload)} = ${JSON.stringify(payload)}` : ''}`;
  }
  if (msg === 'body not stored') return `${at}  ✗ body not stored (${String(f.reason ?? '')}): ${JSON.stringify(f.body)}`;
  const rest = Object.entries(f)
    .filter(([k]) => !['level', 'msg', 'requestId', 'ms'].includes(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${at}  ${f.level === 'error' ? '✗ ' : ''}${msg}${rest ? ` (${rest})` : ''}${ms}`;
}

/** The payload as text, when it is base64 of printable UTF-8. */
function decoded(payload: string): string | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(payload)) return null;
  const text = Buffer.from(payload, 'base64').toString('utf8');
  return /^[\p{L}\p{N}\p{P}\p{S} ]*$/u.test(text) ? text : null;
}

/** `10m`, `2h`, `1d` back from now, or an ISO timestamp (`2026-11-28T08:00Z`) → epoch ms. */
export function parseSince(text: string, now: number): number | null {
  const back = /^(\d+)(s|m|h|d)$/.exec(text.trim());
  if (back) return now - Number(back[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[back[2] as 's' | 'm' | 'h' | 'd'];
  if (!/^\d{4}-\d{2}-\d{2}/.test(text.trim())) return null;
  const withZone = /T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text.trim()) ? `${text.trim()}Z` : text.trim();
  const ms = Date.parse(withZone);
  return Number.isNaN(ms) ? null : ms;
}
