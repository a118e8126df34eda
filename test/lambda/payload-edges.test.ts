// The payload parser at its edges: each boundary a column, the service or the decoder has, on
// both sides, and the exact reasons a user reads in the log. Written against the mutants the
// first `npm run mutate` left alive (reports/mutation): every case here tells a real rule from
// an off-by-one or a dropped check.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  asyncOutcome,
  columnValue,
  decodeBase64,
  deviceFact,
  MAX_PAYLOAD_CHARS,
  messageId,
  NEWEST_SERVICE_TIME_MS,
  numberColumn,
  parseWebhookBody,
  READING_MAX,
  serviceTime,
  SERVICE_LIMITS,
  OLDEST_SERVICE_TIME_MS,
  toReading,
  type ReadingColumns,
  type TextColumn,
} from '../../templates/lambda/payload.js';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const note = (payload: unknown, ep: unknown = 'dev-1', path: unknown = '/3200/0/5501') => ({ ep, path, payload });
const sha = (text: string) => `#${createHash('sha256').update(text, 'utf8').digest('base64url')}`;
const reasonOf = (parse: { ok: boolean; reason?: string }) => (parse.ok ? 'stored' : parse.reason);

describe('numberColumn: the range MariaDB gives each numeric type', () => {
  it('DOUBLE and REAL hold every finite double, and no negative one when UNSIGNED', () => {
    expect(numberColumn('double', 'double', 22, null)).toStrictEqual({ type: 'double', min: -Number.MAX_VALUE, max: Number.MAX_VALUE });
    expect(numberColumn('REAL', 'REAL', 22, null)).toStrictEqual({ type: 'real', min: -Number.MAX_VALUE, max: Number.MAX_VALUE });
    expect(numberColumn('double', 'double unsigned', 22, null)).toStrictEqual({ type: 'double unsigned', min: 0, max: Number.MAX_VALUE });
    expect(numberColumn('real', 'double unsigned', 22, null).min).toBe(0);
  });

  it('a type it does not know is taken as holding anything (the server decides), UNSIGNED or not', () => {
    expect(numberColumn('bit', 'bit(8) unsigned', 8, null)).toStrictEqual({ type: 'bit(8) unsigned', min: -Number.MAX_VALUE, max: Number.MAX_VALUE });
  });

  it('DECIMAL and NUMERIC: precision minus scale digits before the point', () => {
    expect(numberColumn('numeric', 'decimal(6,2)', 6, 2)).toStrictEqual({ type: 'decimal(6,2)', min: -9999.99, max: 9999.99, scale: 2 });
    expect(numberColumn('decimal', 'decimal(6,2) unsigned', 6, 2)).toStrictEqual({ type: 'decimal(6,2) unsigned', min: 0, max: 9999.99, scale: 2 });
  });

  it('integers by their byte widths; a BIGINT bound is the largest double inside it', () => {
    expect(numberColumn('int', 'int(11)', 10, 0)).toStrictEqual({ type: 'int(11)', min: -2147483648, max: 2147483647, scale: 0 });
    expect(numberColumn('int', 'int(10) unsigned', 10, 0)).toStrictEqual({ type: 'int(10) unsigned', min: 0, max: 4294967295, scale: 0 });
    expect(numberColumn('bigint', 'bigint(20)', 19, 0).max).toBe(9223372036854774784);
    expect(numberColumn('bigint', 'bigint(20) unsigned', 20, 0).max).toBe(18446744073709549568);
    expect(numberColumn('bigint', 'bigint(20) unsigned', 20, 0).max).toBeLessThan(2 ** 64);
    expect(numberColumn('bigint', 'bigint(20)', 19, 0).max).toBeLessThan(2 ** 63);
  });
});

describe('columnValue', () => {
  it('FLOAT has single precision and its own range', () => {
    expect(numberColumn('float', 'float', 12, null)).toStrictEqual({ type: 'float', min: -3.402823466e38, max: 3.402823466e38 });
    expect(columnValue(0.1, numberColumn('double', 'double', 22, null))).toBe(0.1);
  });

  it('rounds half away from zero to the column\'s digits, as the server does', () => {
    const int = numberColumn('int', 'int(11)', 10, 0);
    expect([2.5, -2.5, 2.4, -2.4].map((v) => columnValue(v, int))).toEqual([3, -3, 2, -2]);
    const money = numberColumn('decimal', 'decimal(6,2)', 6, 2);
    expect([1.234, -1.236, 9999.994, 9999.995, -9999.995].map((v) => columnValue(v, money))).toEqual([1.23, -1.24, 9999.99, null, null]);
  });

  it('takes both ends of an integer range and nothing past them', () => {
    const int = numberColumn('int', 'int(11)', 10, 0);
    expect([2147483647, -2147483648, 2147483648, -2147483649].map((v) => columnValue(v, int))).toEqual([2147483647, -2147483648, null, null]);
  });

  it('FLOAT keeps single precision, UNSIGNED or not', () => {
    expect(columnValue(0.1, numberColumn('float', 'float unsigned', 12, null))).toBe(Math.fround(0.1));
    expect(columnValue(0.1, numberColumn('float', 'float', 12, null))).toBe(Math.fround(0.1));
    expect(columnValue(1e39, numberColumn('float', 'float', 12, null))).toBeNull();
    const columns: ReadingColumns = { ...SERVICE_LIMITS, value: numberColumn('float', 'float', 12, null) };
    expect(reasonOf(toReading(note(b64('1e39')), columns))).toBe('value 1e+39 does not fit the value column (float)');
  });
});

describe('parseWebhookBody at its edges', () => {
  it('a list given as null is no list at all', () => {
    expect(parseWebhookBody('{"notifications":null,"async-responses":null}')).toStrictEqual({
      ok: true,
      message: { notifications: [], registrations: [], asyncResponses: [], ignored: 0 },
    });
  });

  it('a JSON null body is not an object', () => {
    expect(parseWebhookBody('null')).toStrictEqual({ ok: false, error: 'body must be a JSON object' });
    expect(parseWebhookBody('[1]')).toStrictEqual({ ok: false, error: 'body must be a JSON object' });
  });
});

describe('readings at the limits', () => {
  it('takes a reading exactly ±READING_MAX and refuses the next double out', () => {
    for (const value of [READING_MAX, -READING_MAX]) {
      expect(toReading(note(b64(String(value))))).toStrictEqual({ ok: true, reading: { board: 'dev-1', sensor: '/3200/0/5501', value } });
    }
    const beyond = READING_MAX * (1 + Number.EPSILON);
    expect(reasonOf(toReading(note(b64(String(beyond)))))).toBe(`value ${beyond} is beyond ±9.7e+288: sums of such readings could leave DOUBLE`);
  });

  it('a reading has uid and at only when the service gave them', () => {
    const now = new Date('2026-12-05T12:00:00Z');
    expect(toReading({ ...note(b64('1')), uid: '', timestamp: 'soon' }, undefined, now)).toStrictEqual({ ok: true, reading: { board: 'dev-1', sensor: '/3200/0/5501', value: 1 } });
    expect(toReading({ ...note(b64('1')), uid: 'u-1', timestamp: now.getTime() }, undefined, now)).toStrictEqual({
      ok: true,
      reading: { board: 'dev-1', sensor: '/3200/0/5501', value: 1, uid: 'u-1', at: now.getTime() },
    });
  });

  it(`a payload of exactly ${MAX_PAYLOAD_CHARS} characters is read; one more is refused before decoding`, () => {
    const longest = b64(`${' '.repeat(65)}1`);
    expect(longest).toHaveLength(MAX_PAYLOAD_CHARS);
    expect(toReading(note(longest))).toMatchObject({ ok: true, reading: { value: 1 } });
    expect(reasonOf(toReading(note(`${longest.slice(0, -4)}MSAg`.padEnd(92, 'A'))))).toBe('"payload" is 92 characters, longer than the 88 a reading may have');
  });

  it('names what is not a number, trimmed and cut at 40 characters', () => {
    expect(reasonOf(toReading(note(b64(' abc '))))).toBe('payload "abc" is not a decimal number');
    expect(reasonOf(toReading(note(b64(` ${'x'.repeat(60)} `))))).toBe(`payload "${'x'.repeat(40)}" is not a decimal number`);
    expect(reasonOf(toReading(note(b64(' 1e999 '))))).toBe('payload "1e999" is not a finite number');
    expect(reasonOf(toReading(note(b64(` ${'1'.repeat(60)}e999 `))))).toBe(`payload "${'1'.repeat(40)}" is not a finite number`);
  });
});

describe('messageId', () => {
  it('keeps a uid of printable ASCII only: one with a space is its digest', () => {
    expect(messageId('a b')).toBe(sha('a b'));
    expect(messageId('ab')).toBe('ab');
    expect(messageId('é')).toBe(sha('é'));
    expect(sha('é')).toHaveLength(44);
  });
});

describe('serviceTime', () => {
  const at = Date.parse('2023-11-14T22:13:20Z');

  it('reads ISO 8601 without seconds, with ±hhmm offsets, with white space around it', () => {
    expect(serviceTime('2023-11-14T22:13Z', at)).toBe(at - 20_000);
    expect(serviceTime('2023-11-14T23:13:20+0100', at)).toBe(at);
    expect(serviceTime('  2023-11-14T22:13:20Z  ', at)).toBe(at);
  });

  it('refuses what only looks like ISO 8601: an expanded year, an impossible date', () => {
    expect(serviceTime('+002023-11-14T22:13:20Z', at)).toBeUndefined();
    expect(serviceTime('2023-13-45T99:99Z', at)).toBeUndefined();
  });

  it('reads epoch seconds with a fraction and white space; 1e11 and above are milliseconds', () => {
    expect(serviceTime(`${at / 1000}.25`, at)).toBe(at + 250);
    expect(serviceTime(`${at / 1000}.5`, at)).toBe(at + 500);
    expect(serviceTime(`  ${at / 1000}  `, at)).toBe(at);
    expect(serviceTime(1e11, 1e11)).toBe(1e11);
    expect(serviceTime('100000000000', 1e11)).toBe(1e11);
    expect(serviceTime(99_999_999_999, 99_999_999_999_000)).toBe(99_999_999_999_000);
  });

  it(`believes a time up to ${NEWEST_SERVICE_TIME_MS / 60_000} minutes ahead, not a millisecond more`, () => {
    expect(serviceTime(at + NEWEST_SERVICE_TIME_MS, at)).toBe(at + NEWEST_SERVICE_TIME_MS);
    expect(serviceTime(at + NEWEST_SERVICE_TIME_MS + 1, at)).toBeUndefined();
  });

  it(`believes a time up to ${OLDEST_SERVICE_TIME_MS / 60_000} minutes old, not a millisecond more`, () => {
    expect(serviceTime(at - OLDEST_SERVICE_TIME_MS, at)).toBe(at - OLDEST_SERVICE_TIME_MS);
    expect(serviceTime(at - OLDEST_SERVICE_TIME_MS - 1, at)).toBeUndefined();
  });
});

describe('device facts', () => {
  it('null, text and arrays are no registration', () => {
    expect(deviceFact(null, 0)).toBeNull();
    expect(deviceFact('dev-1', 0)).toBeNull();
    expect(deviceFact(['dev-1'], 0)).toBeNull();
  });
});

describe('asyncOutcome at the outcomes table’s limits', () => {
  const ok = (item: Record<string, unknown>) => asyncOutcome(item, 1000);
  const reason = (item: unknown) => {
    const parsed = asyncOutcome(item, 1000);
    return parsed.ok ? 'kept' : parsed.reason;
  };

  it('refuses what is not an object or has no id, with the reason', () => {
    expect(reason(null)).toBe('async response is not a JSON object');
    expect(reason([])).toBe('async response is not a JSON object');
    expect(reason('1')).toBe('async response is not a JSON object');
    expect(reason({ id: '', status: 200 })).toBe('async response without an id');
    expect(reason({ id: 7, status: 200 })).toBe('async response without an id');
  });

  it('an id of up to 128 printable ASCII characters, checked from its first to its last', () => {
    expect(ok({ id: 'i'.repeat(128), status: 200 })).toStrictEqual({ ok: true, outcome: { id: 'i'.repeat(128), status: 200, at: 1000 } });
    const refused = 'async response id is not up to 128 printable ASCII characters';
    expect(reason({ id: 'i'.repeat(129), status: 200 })).toBe(refused);
    expect(reason({ id: '\u00e9abc', status: 200 })).toBe(refused);
    expect(reason({ id: 'abc\u00e9', status: 200 })).toBe(refused);
    expect(reason({ id: 'a\u0001c', status: 200 })).toBe(refused);
    expect(ok({ id: 'a b', status: 200 }).ok).toBe(true);
  });

  it('a status is a SMALLINT number or three digits', () => {
    expect(ok({ id: 'a', status: -32768 })).toMatchObject({ ok: true, outcome: { status: -32768 } });
    expect(ok({ id: 'a', status: 32767 })).toMatchObject({ ok: true, outcome: { status: 32767 } });
    expect(ok({ id: 'a', status: '404' })).toMatchObject({ ok: true, outcome: { status: 404 } });
    expect(reason({ id: 'a', status: -32769 })).toBe('async response status -32769 is not a status code');
    expect(reason({ id: 'a', status: 32768 })).toBe('async response status 32768 is not a status code');
    expect(reason({ id: 'a', status: '2000' })).toBe('async response status 2000 is not a status code');
    expect(reason({ id: 'a', status: '1200' })).toBe('async response status 1200 is not a status code');
    expect(reason({ id: 'a', status: ['200'] })).toBe('async response status 200 is not a status code');
    expect(reason({ id: 'a', status: '9'.repeat(50) })).toBe(`async response status ${'9'.repeat(40)} is not a status code`);
  });

  it('keeps an error text only when it is text, up to 255 characters, lone surrogates as U+FFFD', () => {
    expect(ok({ id: 'a', status: 500 })).toStrictEqual({ ok: true, outcome: { id: 'a', status: 500, at: 1000 } });
    expect(ok({ id: 'a', status: 500, error: 42 })).toStrictEqual({ ok: true, outcome: { id: 'a', status: 500, at: 1000 } });
    expect(ok({ id: 'a', status: 500, error: '' })).toStrictEqual({ ok: true, outcome: { id: 'a', status: 500, at: 1000 } });
    const error = (text: string) => {
      const parsed = ok({ id: 'a', status: 500, error: text });
      return parsed.ok ? parsed.outcome.error : undefined;
    };
    expect(error('x'.repeat(300))).toBe('x'.repeat(255));
    expect(error('\u{1F600}'.repeat(300))).toBe('\u{1F600}'.repeat(255));
    expect(error('a\ud800b\udfffc')).toBe('a\ufffdb\ufffdc');
    expect(error('\ud7ff\ue000')).toBe('\ud7ff\ue000');
  });
});

describe('text columns', () => {
  const column = (charset: string, maxChars = 64, name?: string): TextColumn => ({ maxChars, charset, ...(name ? { name } : {}) });
  const inBoard = (ep: string, board: TextColumn) => reasonOf(toReading(note(b64('1'), ep), { board, sensor: column('utf8mb4', 128) } satisfies ReadingColumns));

  it('counts a surrogate pair as one character across the whole astral range', () => {
    // U+10000 (d800 dc00), U+103FF (d800 dfff), U+10FC00 (dbff dc00), U+10FFFF (dbff dfff).
    const astral = ['\u{10000}', '\u{103FF}', '\u{10FC00}', '\u{10FFFF}'].map((c) => c.repeat(16)).join('');
    expect(inBoard(astral, column('utf8mb4'))).toBe('stored');
    expect(inBoard(`${astral}x`, column('utf8mb4'))).toBe('"ep" is 65 characters; column board holds 64');
    expect(inBoard(`${astral}x`, column('utf8mb4', 64, 'events_rollup.board'))).toBe('"ep" is 65 characters; column events_rollup.board holds 64');
  });

  it('names the column and charset that cannot store a character', () => {
    expect(inBoard('\u{1F600}', column('utf8mb3'))).toBe('"ep" has characters that column board (utf8mb3) cannot store');
    expect(inBoard('\u{1F600}', column('utf8mb3', 64, 'events_devices.endpoint_name'))).toBe('"ep" has characters that column events_devices.endpoint_name (utf8mb3) cannot store');
  });

  it('utf8 is utf8mb3: the Basic Multilingual Plane, C1 controls included', () => {
    expect(inBoard('é\uffff', column('utf8'))).toBe('stored');
    expect(inBoard('\u0085', column('utf8mb3'))).toBe('stored');
    expect(inBoard('\u{10000}', column('utf8'))).not.toBe('stored');
  });

  it('an unknown charset is trusted with ASCII only', () => {
    expect(inBoard('abc~', column('ascii'))).toBe('stored');
    expect(inBoard('abcé', column('ascii'))).toBe('"ep" has characters that column board (ascii) cannot store');
  });

  it('latin1 (cp1252) takes ÿ and the five undefined C1 codes, not the other C1 controls', () => {
    expect(inBoard('ÿ\u00a0€', column('latin1'))).toBe('stored');
    for (const kept of ['\u0081', '\u008d', '\u008f', '\u0090', '\u009d']) expect(inBoard(kept, column('latin1'))).toBe('stored');
    for (const refused of ['\u0080', '\u0085', '\u009f', '\u0100']) expect(inBoard(refused, column('latin1'))).toBe('"ep" has characters that column board (latin1) cannot store');
  });
});

describe('decodeBase64 at its edges', () => {
  it('all-zero sextets are bytes, not an error', () => {
    expect(decodeBase64('AAAA')).toBe('\0\0\0');
    expect(decodeBase64('AA==')).toBe('\0');
    expect(decodeBase64('AAA=')).toBe('\0\0');
  });

  it('refuses a bad third digit before padding, and digits outside ASCII', () => {
    expect(decodeBase64('QQ?=')).toBeUndefined();
    expect(decodeBase64('\u0080AAA')).toBeUndefined();
    expect(decodeBase64('A\u0080AA')).toBeUndefined();
    expect(decodeBase64('AAA\u0080')).toBeUndefined();
  });
});
