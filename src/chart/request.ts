// Validated chart requests, from CLI options or the dashboard's query string alike.

import { UsageError } from '../errors.js';
import { AGGREGATES, type Aggregate, type SeriesRequest } from '../db/series.js';
import { BUCKET_UNITS, isValidTimeZone, MAX_BUCKETS, parseInstant, UNIT_SECONDS, type BucketUnit } from './time.js';

export interface RawChartOptions {
  since?: unknown;
  until?: unknown;
  bucket?: unknown;
  agg?: unknown;
  board?: unknown;
  sensor?: unknown;
  tz?: unknown;
}

export const CHART_DEFAULTS = { since: '24h', until: 'now', bucket: 'hour', agg: 'sum', tz: 'UTC' } as const;

function text(value: unknown, fallback: string): string {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : fallback;
}

function optionalText(value: unknown, name: string, max: number): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' || value.length > max) throw new UsageError(`${name} must be a name of at most ${max} characters`);
  return value;
}

export function resolveTimeZone(tz: string): string {
  if (tz.toLowerCase() === 'local') return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  if (tz.toUpperCase() === 'UTC' || tz.toUpperCase() === 'Z') return 'UTC';
  if (!isValidTimeZone(tz)) throw new UsageError(`--tz ${JSON.stringify(tz)} is not a time zone: use UTC, local or a name such as Europe/Berlin`);
  return tz;
}

/** The stored times a chart can cover: from 1970 (local midnight anywhere) to the end of MySQL's DATETIME. */
const EARLIEST = -86400;
const LATEST = Date.UTC(9999, 11, 31, 23, 59, 59) / 1000 + 1;

/** The range lies where stored times can (NaN included: the comparisons are written to refuse it). */
export function checkBounds(since: number, until: number): void {
  if (!(since >= EARLIEST)) throw new UsageError('--since is before 1970: no reading can be that old');
  if (!(until <= LATEST)) throw new UsageError('--until is after the year 9999, the last a DATETIME holds');
}

/**
 * Bounds a range before anything loops over it: the dashboard answers any web page's GET, and a
 * range of a million years of minutes must cost a comparison, not the process's memory.
 */
export function checkRange(since: number, until: number, bucket: BucketUnit): void {
  checkBounds(since, until);
  // Two extra: the first and last buckets may be partial, and a DST change adds one.
  if ((until - since) / UNIT_SECONDS[bucket] > MAX_BUCKETS + 2) {
    throw new UsageError(`that range has more than ${MAX_BUCKETS} ${bucket}s: choose a larger --bucket or a shorter range`);
  }
}

export function chartRequest(raw: RawChartOptions, table: string, nowSeconds: number): SeriesRequest {
  const tz = resolveTimeZone(text(raw.tz, CHART_DEFAULTS.tz));
  const bucket = text(raw.bucket, CHART_DEFAULTS.bucket);
  if (!BUCKET_UNITS.includes(bucket as BucketUnit)) throw new UsageError(`--bucket must be one of ${BUCKET_UNITS.join(', ')}`);
  const agg = text(raw.agg, CHART_DEFAULTS.agg);
  if (!AGGREGATES.includes(agg as Aggregate)) throw new UsageError(`--agg must be one of ${AGGREGATES.join(', ')}`);
  const now = Math.floor(nowSeconds);
  const since = parseInstant(text(raw.since, CHART_DEFAULTS.since), now, tz, '--since');
  const untilText = text(raw.until, CHART_DEFAULTS.until);
  // "now" includes the current second: a row stored a moment ago is on the chart.
  const until = untilText.toLowerCase() === 'now' ? now + 1 : parseInstant(untilText, now, tz, '--until');
  if (until <= since) throw new UsageError('--until must be later than --since');
  checkRange(since, until, bucket as BucketUnit);
  return {
    since,
    until,
    bucket: bucket as BucketUnit,
    agg: agg as Aggregate,
    tz,
    board: optionalText(raw.board, '--board', 64),
    sensor: optionalText(raw.sensor, '--sensor', 128),
    table,
  };
}
