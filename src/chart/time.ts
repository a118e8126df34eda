// Time ranges and buckets for charts, in UTC or any IANA time zone, with DST handled.
// Pure: instants are epoch seconds; the only clock is the `now` the caller passes.

import { UsageError } from '../errors.js';
import { sqlTime } from '../../templates/lambda/sql-time.js';

export type BucketUnit = 'minute' | 'hour' | 'day';
export const BUCKET_UNITS: readonly BucketUnit[] = ['minute', 'hour', 'day'];
export const UNIT_SECONDS: Record<BucketUnit, number> = { minute: 60, hour: 3600, day: 86400 };
/** More bars than this is not a chart any more (a minute per bar for ten weeks). */
export const MAX_BUCKETS = 100_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let format = formatters.get(tz);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(tz, format);
  }
  return format;
}

export function isValidTimeZone(tz: string): boolean {
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** "12/5/2026, 13:45:07", as en-US writes a wall clock with hourCycle h23. */
const US_WALL_CLOCK = /^(\d{1,2})\/(\d{1,2})\/(\d{4}), (\d{2}):(\d{2}):(\d{2})$/;

function wallClock(tz: string, epochSeconds: number): WallClock {
  // format() and a pattern is about three times faster than formatToParts, which a year's
  // offset probes call some thousands of times; other years' texts go the long way.
  const text = US_WALL_CLOCK.exec(formatter(tz).format(epochSeconds * 1000));
  if (text) return { month: Number(text[1]), day: Number(text[2]), year: Number(text[3]), hour: Number(text[4]), minute: Number(text[5]), second: Number(text[6]) };
  const fields: Record<string, number> = {};
  for (const part of formatter(tz).formatToParts(epochSeconds * 1000)) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  return fields as unknown as WallClock;
}

/** Seconds east of UTC in `tz` at that instant. */
export function offsetAt(tz: string, epochSeconds: number): number {
  if (tz === 'UTC') return 0;
  const t = Math.floor(epochSeconds);
  const w = wallClock(tz, t);
  // setUTCFullYear, not Date.UTC, which reads years 0 to 99 as 1900 to 1999.
  const wall = new Date(0);
  wall.setUTCFullYear(w.year, w.month - 1, w.day);
  return wall.getTime() / 1000 + w.hour * 3600 + w.minute * 60 + w.second - t;
}

/** A stretch of time with one UTC offset. */
export interface Segment {
  from: number;
  to: number;
  offset: number;
}

/** The segments that cover [from, to), cut to it. */
export function clipSegments(segments: Segment[], from: number, to: number): Segment[] {
  return segments.filter((s) => s.to > from && s.from < to).map((s) => ({ from: Math.max(s.from, from), to: Math.min(s.to, to), offset: s.offset }));
}

/** The UTC offsets of `tz` over [from, to), split at each change (DST and the like). */
export function offsetSegments(tz: string, from: number, to: number): Segment[] {
  const segments: Segment[] = [];
  // Offsets never change twice within six hours (tzdb's closest are weeks apart), so probing
  // every six hours finds every change; a binary search then finds its exact second.
  const step = to - from > 400 * 86400 ? 86400 : 6 * 3600;
  let start = from;
  let offset = offsetAt(tz, from);
  for (let probe = from + step; probe < to + step; probe += step) {
    const at = Math.min(probe, to);
    const next = offsetAt(tz, at);
    if (next === offset) continue;
    // Binary search for the first second of the new offset.
    let lo = at - step;
    let hi = at;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (offsetAt(tz, mid) === offset) lo = mid;
      else hi = mid;
    }
    segments.push({ from: start, to: hi, offset });
    start = hi;
    offset = offsetAt(tz, hi);
  }
  segments.push({ from: start, to, offset });
  return segments.filter((s) => s.to > s.from);
}

export interface Bucket {
  /** Epoch seconds, inclusive. */
  start: number;
  /** Epoch seconds, exclusive. */
  end: number;
  /** Identity shared with the SQL side: local bucket number, plus the offset below a day (see bucketKey). */
  key: number;
  offset: number;
}

/**
 * A bucket's identity from the SQL side's `k` (the local bucket number) and, below a day, `o`
 * (the offset: an hour repeated when DST ends is two buckets): one number, k·2¹⁸ + o + 2¹⁷
 * (offsets are within ±2¹⁷ s, k·2¹⁸ stays an exact integer for any year to 9999 by minute).
 */
export function bucketKeyOf(unit: BucketUnit, k: number, offset: number): number {
  return unit === 'day' ? k : k * 262_144 + offset + 131_072;
}

/** The bucket key of an instant under a known offset; the SQL query computes the same. */
export function bucketKey(unit: BucketUnit, epochSeconds: number, offset: number): number {
  return bucketKeyOf(unit, Math.floor((epochSeconds + offset) / UNIT_SECONDS[unit]), offset);
}

/**
 * Every bucket from the one holding `since` to the one holding the last second before
 * `until`: local minutes, hours or days. A repeated hour (DST ends) is two buckets; a
 * skipped one (DST starts) is none; a day is 23 to 25 hours long where DST changes.
 */
export function bucketsBetween(since: number, until: number, unit: BucketUnit, tz: string): Bucket[] {
  return bucketsAndOffsets(since, until, unit, tz).buckets;
}

/**
 * The buckets, and the zone's offsets they were made from: segments covering the range and two
 * days either side (so the first and last buckets are whole), for callers that need both.
 */
export function bucketsAndOffsets(since: number, until: number, unit: BucketUnit, tz: string): { buckets: Bucket[]; segments: Segment[] } {
  const segments = offsetSegments(tz, since - 2 * 86400, Math.max(until, since + 1) + 2 * 86400);
  return { buckets: until <= since ? [] : bucketsIn(segments, since, until, unit), segments };
}

function bucketsIn(segments: Segment[], since: number, until: number, unit: BucketUnit): Bucket[] {
  const size = UNIT_SECONDS[unit];
  const points: Array<{ at: number; offset: number }> = [];
  for (const segment of segments) {
    points.push({ at: segment.from, offset: segment.offset });
    const first = Math.ceil((segment.from + segment.offset) / size) * size - segment.offset;
    for (let t = first; t < segment.to; t += size) {
      if (t !== segment.from) points.push({ at: t, offset: segment.offset });
    }
    if (points.length > MAX_BUCKETS * 2) {
      throw new UsageError(`that range has more than ${MAX_BUCKETS} ${unit}s: choose a larger --bucket or a shorter range`);
    }
  }
  const end = segments.at(-1)!.to;
  const buckets: Bucket[] = [];
  for (let i = 0; i < points.length; i++) {
    const { at, offset } = points[i]!;
    const next = i + 1 < points.length ? points[i + 1]!.at : end;
    const key = bucketKey(unit, at, offset);
    const last = buckets.at(-1);
    if (last && last.key === key) last.end = next;
    else buckets.push({ start: at, end: next, key, offset });
  }
  const wanted = buckets.filter((b) => b.end > since && b.start < until);
  if (wanted.length > MAX_BUCKETS) {
    throw new UsageError(`that range has more than ${MAX_BUCKETS} ${unit}s: choose a larger --bucket or a shorter range`);
  }
  return wanted;
}

const DURATION = /^(\d+)\s*(s|sec|m|min|h|hr|d|w)$/i;
const DURATION_SECONDS: Record<string, number> = { s: 1, sec: 1, m: 60, min: 60, h: 3600, hr: 3600, d: 86400, w: 604800 };
// Fractions of a second are accepted (chart --json's own `start` values) and dropped: buckets are whole seconds.
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * A --since/--until value: `now`, a duration back from now (`90m`, `24h`, `7d`, `2w`), or a
 * timestamp (`2026-11-01`, `2026-11-01T08:00`, `…:30.000Z`, `…+01:00`); without a zone, in `tz`.
 */
export function parseInstant(text: string, now: number, tz: string, flag: string): number {
  const value = text.trim();
  if (value.toLowerCase() === 'now') return now;
  const duration = DURATION.exec(value);
  if (duration) return now - Number(duration[1]) * DURATION_SECONDS[duration[2]!.toLowerCase()]!;
  const stamp = TIMESTAMP.exec(value);
  if (stamp) {
    const [, y, mo, d, h = '0', mi = '0', s = '0', zone] = stamp;
    const wall = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)) / 1000;
    const check = new Date(wall * 1000);
    if (check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d) || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) {
      throw new UsageError(`${flag} ${JSON.stringify(text)} is not a real date and time`);
    }
    if (zone) {
      if (zone.toUpperCase() === 'Z') return wall;
      const sign = zone.startsWith('-') ? -1 : 1;
      const digits = zone.slice(1).replace(':', '');
      return wall - sign * (Number(digits.slice(0, 2)) * 3600 + Number(digits.slice(2)) * 60);
    }
    return fromWallClock(wall, tz);
  }
  throw new UsageError(
    `${flag} ${JSON.stringify(text)} is neither a duration (90m, 24h, 7d, 2w) nor a timestamp (2026-11-01, 2026-11-01T08:00Z)`,
  );
}

/** The instant a wall-clock time in `tz` names (the earlier one when it occurs twice). */
function fromWallClock(wall: number, tz: string): number {
  const candidates = new Set<number>();
  for (const probe of [wall - 86400, wall, wall + 86400]) candidates.add(wall - offsetAt(tz, probe));
  const exact = [...candidates].filter((t) => t + offsetAt(tz, t) === wall).sort((a, b) => a - b);
  // A time skipped by DST does not exist: take the instant the clocks jumped over it.
  return exact[0] ?? wall - offsetAt(tz, wall - 86400);
}

/** "2026-11-28 10:00" in `tz`; days without the time. */
export function formatLocal(epochSeconds: number, tz: string, unit: BucketUnit): string {
  return formatWithOffset(epochSeconds, offsetAt(tz, epochSeconds), unit);
}

/** The same, for an instant whose UTC offset is already known (cheaper than asking Intl). */
export function formatWithOffset(epochSeconds: number, offset: number, unit: BucketUnit): string {
  const local = epochSeconds + offset;
  if (!inRange(local)) {
    const iso = new Date(local * 1000).toISOString();
    return unit === 'day' ? iso.slice(0, 10) : `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
  }
  const days = Math.floor(local / 86400);
  return unit === 'day' ? dayText(days) : `${dayText(days)} ${clockText(local - days * 86400).slice(0, 5)}`;
}

const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
/** The last day written: a chart's buckets come in order, most share their day. */
let lastDay = { days: NaN, text: '' };
/** Times of day written so far, by second of the day (a chart has a few distinct ones). */
const clocks = new Map<number, string>();

function dayText(days: number): string {
  if (lastDay.days !== days) lastDay = { days, text: civilDay(days) };
  return lastDay.text;
}

function clockText(second: number): string {
  let text = clocks.get(second);
  if (text === undefined) {
    text = `${TWO_DIGITS[Math.floor(second / 3600)]}:${TWO_DIGITS[Math.floor((second % 3600) / 60)]}:${TWO_DIGITS[second % 60]}`;
    if (clocks.size < 4096) clocks.set(second, text);
  }
  return text;
}

const inRange = (epochSeconds: number) => Number.isInteger(epochSeconds) && epochSeconds >= 0 && epochSeconds < 253402300800;

/**
 * `new Date(epochSeconds * 1000).toISOString()` for whole seconds, by integer arithmetic (the
 * proleptic Gregorian calendar, days to year, month and day as in Howard Hinnant's
 * civil_from_days) and texts made once: a chart of a year by hour writes three times per
 * bucket, and Date#toISOString costs over a microsecond each.
 */
export function isoSeconds(epochSeconds: number): string {
  if (!inRange(epochSeconds)) return new Date(epochSeconds * 1000).toISOString();
  const days = Math.floor(epochSeconds / 86400);
  return `${dayText(days)}T${clockText(epochSeconds - days * 86400)}.000Z`;
}

function civilDay(days: number): string {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const dayOfEra = z - era * 146097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36524) - Math.floor(dayOfEra / 146096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return `${String(year).padStart(4, '0')}-${TWO_DIGITS[month]}-${TWO_DIGITS[day]}`;
}

export function formatOffset(offset: number): string {
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return `${sign}${pad(Math.floor(abs / 3600))}:${pad(Math.floor((abs % 3600) / 60))}`;
}

/** The UTC DATETIME text MySQL compares `ts` with. */
export function toSqlDateTime(epochSeconds: number): string {
  return sqlTime(epochSeconds * 1000);
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
