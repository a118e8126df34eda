import { describe, expect, it } from 'vitest';
import { bucketsBetween, formatLocal, isoSeconds, offsetAt, offsetSegments, parseInstant } from '../../src/chart/time.js';
import { UsageError } from '../../src/errors.js';

const at = (iso: string) => Date.parse(iso) / 1000;
const iso = (s: number) => new Date(s * 1000).toISOString().replace('.000', '');

describe('offsets', () => {
  it('knows New York switches to daylight time on 2026-03-08 07:00Z and back on 2026-11-01 06:00Z', () => {
    expect(offsetAt('America/New_York', at('2026-03-08T06:59:59Z'))).toBe(-5 * 3600);
    expect(offsetAt('America/New_York', at('2026-03-08T07:00:00Z'))).toBe(-4 * 3600);
    const segments = offsetSegments('America/New_York', at('2026-01-01T00:00:00Z'), at('2026-12-31T00:00:00Z'));
    expect(segments.map((s) => [iso(s.from), s.offset / 3600])).toEqual([
      ['2026-01-01T00:00:00Z', -5],
      ['2026-03-08T07:00:00Z', -4],
      ['2026-11-01T06:00:00Z', -5],
    ]);
  });

  it('reads the offset as Intl writes it, in the fast and the long way: LMT seconds, years 1 to 999 and after 9999', () => {
    // The oracle: formatToParts, the documented way to read a zone's wall clock.
    const oracle = (tz: string, t: number) => {
      const parts = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', era: 'short', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' }).formatToParts(t * 1000);
      const f = (type: string) => Number(parts.find((p) => p.type === type)!.value);
      const year = parts.find((p) => p.type === 'era')!.value === 'BC' ? 1 - f('year') : f('year');
      const wall = new Date(0);
      wall.setUTCFullYear(year, f('month') - 1, f('day'));
      wall.setUTCHours(f('hour'), f('minute'), f('second'), 0);
      return wall.getTime() / 1000 - t;
    };
    const zones = ['Europe/Amsterdam', 'America/St_Johns', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'Pacific/Chatham', 'America/New_York'];
    const instants = [at('1880-01-01T00:00:00Z'), at('1900-06-01T00:00:00Z'), at('1935-01-01T12:00:00Z'), at('2026-03-08T07:00:00Z'), at('2026-10-04T15:00:00Z'), -62135596800 + 200 * 86400, -60000000000, 253402300800 + 86400 * 400];
    for (let t = at('1970-01-01T00:00:00Z'); t < at('2040-01-01T00:00:00Z'); t += 7_777_777) instants.push(t);
    for (const tz of zones) for (const t of instants) expect(offsetAt(tz, t), `${tz} ${t}`).toBe(oracle(tz, t));
    // New York kept local mean time, -04:56:02, until 1883: seconds, not only minutes.
    expect(offsetAt('America/New_York', at('1880-01-01T00:00:00Z'))).toBe(-(4 * 3600 + 56 * 60 + 2));
  });

  it('has one segment for UTC and for zones without DST', () => {
    expect(offsetSegments('UTC', 0, 10 * 86400)).toEqual([{ from: 0, to: 10 * 86400, offset: 0 }]);
    expect(offsetSegments('Asia/Kolkata', 0, 10 * 86400)).toEqual([{ from: 0, to: 10 * 86400, offset: 5.5 * 3600 }]);
  });
});

describe('bucketsBetween', () => {
  const starts = (b: ReturnType<typeof bucketsBetween>) => b.map((x) => iso(x.start));

  it('gives whole UTC hours, the first widened to its start', () => {
    const b = bucketsBetween(at('2026-11-27T10:15:00Z'), at('2026-11-27T13:00:00Z'), 'hour', 'UTC');
    expect(starts(b)).toEqual(['2026-11-27T10:00:00Z', '2026-11-27T11:00:00Z', '2026-11-27T12:00:00Z']);
    expect(b.every((x) => x.end - x.start === 3600)).toBe(true);
  });

  it('aligns hours to local boundaries in a half-hour zone', () => {
    const b = bucketsBetween(at('2026-11-27T00:00:00Z'), at('2026-11-27T02:00:00Z'), 'hour', 'Asia/Kolkata');
    expect(starts(b)).toEqual(['2026-11-26T23:30:00Z', '2026-11-27T00:30:00Z', '2026-11-27T01:30:00Z']);
  });

  it('makes the repeated hour two buckets when daylight time ends', () => {
    const b = bucketsBetween(at('2026-11-01T04:00:00Z'), at('2026-11-01T08:00:00Z'), 'hour', 'America/New_York');
    expect(b.map((x) => [formatLocal(x.start, 'America/New_York', 'hour'), x.offset / 3600])).toEqual([
      ['2026-11-01 00:00', -4],
      ['2026-11-01 01:00', -4],
      ['2026-11-01 01:00', -5],
      ['2026-11-01 02:00', -5],
    ]);
  });

  it('skips the hour that does not exist when daylight time starts', () => {
    const b = bucketsBetween(at('2026-03-08T05:00:00Z'), at('2026-03-08T09:00:00Z'), 'hour', 'America/New_York');
    expect(b.map((x) => formatLocal(x.start, 'America/New_York', 'hour'))).toEqual([
      '2026-03-08 00:00',
      '2026-03-08 01:00',
      '2026-03-08 03:00',
      '2026-03-08 04:00',
    ]);
  });

  it('makes local days of 23 and 25 hours where DST changes', () => {
    const spring = bucketsBetween(at('2026-03-08T12:00:00Z'), at('2026-03-08T13:00:00Z'), 'day', 'America/New_York');
    expect(spring.map((x) => [iso(x.start), (x.end - x.start) / 3600])).toEqual([['2026-03-08T05:00:00Z', 23]]);
    const fall = bucketsBetween(at('2026-11-01T12:00:00Z'), at('2026-11-01T13:00:00Z'), 'day', 'America/New_York');
    expect(fall.map((x) => [iso(x.start), (x.end - x.start) / 3600])).toEqual([['2026-11-01T04:00:00Z', 25]]);
  });

  it('covers minutes without gaps or overlaps', () => {
    const b = bucketsBetween(at('2026-11-01T05:30:00Z'), at('2026-11-01T06:30:00Z'), 'minute', 'America/New_York');
    expect(b).toHaveLength(60);
    for (let i = 1; i < b.length; i++) expect(b[i]!.start).toBe(b[i - 1]!.end);
  });

  it('refuses ranges with too many buckets', () => {
    expect(() => bucketsBetween(0, 200 * 86400, 'minute', 'UTC')).toThrow(UsageError);
  });
});

describe('parseInstant', () => {
  const now = at('2026-11-28T12:00:00Z');
  it.each([
    ['now', '2026-11-28T12:00:00Z'],
    ['90m', '2026-11-28T10:30:00Z'],
    ['24h', '2026-11-27T12:00:00Z'],
    ['7d', '2026-11-21T12:00:00Z'],
    ['2w', '2026-11-14T12:00:00Z'],
    ['2026-11-01', '2026-11-01T00:00:00Z'],
    ['2026-11-01T08:00', '2026-11-01T08:00:00Z'],
    ['2026-11-01 08:00:30Z', '2026-11-01T08:00:30Z'],
    ['2026-11-01T08:00:30.000Z', '2026-11-01T08:00:30Z'],
    ['2026-11-01T08:00+01:00', '2026-11-01T07:00:00Z'],
    ['2026-11-01T08:00-0530', '2026-11-01T13:30:00Z'],
  ])('reads %s (UTC)', (text, expected) => {
    expect(iso(parseInstant(text, now, 'UTC', '--since'))).toBe(expected);
  });

  it('reads a wall-clock time in the chosen zone, the earlier one when it occurs twice', () => {
    expect(iso(parseInstant('2026-11-01', now, 'America/New_York', '--since'))).toBe('2026-11-01T04:00:00Z');
    expect(iso(parseInstant('2026-11-01T01:30', now, 'America/New_York', '--since'))).toBe('2026-11-01T05:30:00Z');
  });

  it.each(['yesterday', '7', '7y', '2026-02-30', '2026-11-01T25:00', ''])('refuses %j with a usage error', (text) => {
    expect(() => parseInstant(text, now, 'UTC', '--since')).toThrow(UsageError);
  });
});

describe('isoSeconds', () => {
  it('writes every instant as Date#toISOString does: leap days, century years, the ends of its range, fractions', () => {
    const edges = [0, 951782400, 951868800, 4107456000, 4107542400, 253402300799, 253402300800, -1, -62135596800, 1.5, 1796371200.25];
    for (const s of edges) expect(isoSeconds(s), String(s)).toBe(new Date(s * 1000).toISOString());
    let x = 12345;
    for (let i = 0; i < 20_000; i++) {
      x = (x * 1103515245 + 12345) % 2147483648;
      const s = Math.floor((x / 2147483648) * 253402300800);
      expect(isoSeconds(s)).toBe(new Date(s * 1000).toISOString());
    }
  });
});
