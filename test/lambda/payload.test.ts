import { describe, expect, it } from 'vitest';
import { boundedJson, ITEM_LOG_BYTES, LINE_LOG_BYTES, loggable, REJECTED_LOG_LINES, rejectedLog } from '../../templates/lambda/log.js';
import { messageId, asyncOutcome, decodeBase64, deviceFact, parseWebhookBody, serviceTime, SERVICE_LIMITS, toReading } from '../../templates/lambda/payload.js';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const note = (payload: unknown, ep: unknown = 'dev-1', path: unknown = '/3200/0/5501') => ({ ep, path, payload });

const empty = { notifications: [], registrations: [], asyncResponses: [], ignored: 0 };

describe('parseWebhookBody', () => {
  it.each([null, undefined, '', '  \n'])('treats %j as the URL check: nothing to store', (body) => {
    expect(parseWebhookBody(body)).toEqual({ ok: true, message: empty });
  });

  it('sorts a message: readings, device registrations, subscription outcomes, and what it ignores', () => {
    expect(parseWebhookBody('{}')).toEqual({ ok: true, message: empty });
    const body = JSON.stringify({
      registrations: [{ ep: 'a' }],
      'reg-updates': [{ ep: 'b' }],
      'de-registrations': ['c'],
      'registrations-expired': ['d', 'e'],
      'async-responses': [{ id: '1', status: 200 }],
      somethingNew: { x: 1 },
    });
    expect(parseWebhookBody(body)).toEqual({ ok: true, message: { notifications: [], registrations: [{ ep: 'a' }, { ep: 'b' }], asyncResponses: [{ id: '1', status: 200 }], ignored: 4 } });
  });

  it('returns the notifications array as it is', () => {
    const items = [note('MQ=='), { anything: true }];
    expect(parseWebhookBody(JSON.stringify({ notifications: items }))).toEqual({ ok: true, message: { ...empty, notifications: items } });
  });

  it.each([
    ['{"notifications": [', 'body is not valid JSON'],
    ['[1,2]', 'body must be a JSON object'],
    ['42', 'body must be a JSON object'],
    ['"text"', 'body must be a JSON object'],
    ['{"notifications": {"ep": "x"}}', '"notifications" must be an array'],
  ])('refuses %s', (body, error) => {
    expect(parseWebhookBody(body)).toEqual({ ok: false, error });
  });
});

describe('toReading', () => {
  it.each([
    ['1', 1],
    ['-2.5', -2.5],
    ['1e3', 1000],
    [' 42\n', 42],
    ['65535', 65535],
    ['+7', 7],
    ['.5', 0.5],
    ['0', 0],
  ])('reads payload %j as %d', (text, value) => {
    expect(toReading(note(b64(text)))).toEqual({ ok: true, reading: { board: 'dev-1', sensor: '/3200/0/5501', value } });
  });

  it.each([
    ['', 'not a decimal number'],
    ['   ', 'not a decimal number'],
    ['abc', 'not a decimal number'],
    ['NaN', 'not a decimal number'],
    ['Infinity', 'not a decimal number'],
    ['-Infinity', 'not a decimal number'],
    ['0x10', 'not a decimal number'],
    ['1,5', 'not a decimal number'],
    ['1e999', 'not a finite number'],
    ['42\u00a0', 'not a decimal number'],
    ['４２', 'not a decimal number'],
  ])('rejects payload %j', (text, reason) => {
    const result = toReading(note(b64(text)));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toContain(reason);
  });

  it('rejects a payload whose bytes are not text, even around digits', () => {
    const result = toReading(note(Buffer.from([0x34, 0x32, 0xa0]).toString('base64')));
    expect(!result.ok && result.reason).toContain('not a decimal number');
  });

  it.each(['%%%not base64%%%', 'MQ', 'M Q==', 'MQ===', 'Nw==\n'])('rejects non-base64 payload %j', (payload) => {
    expect(toReading(note(payload))).toEqual({ ok: false, reason: '"payload" is not base64' });
  });

  it.each([[null], [42], [undefined]])('rejects a missing or non-string payload (%j)', (payload) => {
    expect(toReading(note(payload))).toEqual({ ok: false, reason: '"payload" is missing or not a string' });
  });

  it.each([
    [{ path: '/3200/0/5501', payload: 'MQ==' }, '"ep" is missing'],
    [note('MQ==', ''), '"ep" is missing'],
    [note('MQ==', 17), '"ep" is missing'],
    [{ ep: 'dev', payload: 'MQ==' }, '"path" is missing'],
    ['a string', 'not a JSON object'],
    [null, 'not a JSON object'],
    [[1], 'not a JSON object'],
  ])('rejects %j', (item, reason) => {
    const result = toReading(item);
    expect(!result.ok && result.reason).toContain(reason);
  });

  it('accepts names exactly as wide as the service allows and refuses one character more', () => {
    const ep64 = 'e'.repeat(SERVICE_LIMITS.board.maxChars);
    const path128 = `/${'p'.repeat(SERVICE_LIMITS.sensor.maxChars - 1)}`;
    expect(toReading(note('MQ==', ep64, path128)).ok).toBe(true);
    expect(toReading(note('MQ==', `${ep64}x`, path128))).toEqual({
      ok: false,
      reason: '"ep" is 65 characters; column board holds 64',
    });
    expect(toReading(note('MQ==', ep64, `${path128}x`))).toEqual({
      ok: false,
      reason: '"path" is 129 characters; column sensor holds 128',
    });
  });

  it('measures width in characters, as MySQL does, not in UTF-16 units or bytes', () => {
    const columns = { board: { maxChars: 3, charset: 'utf8mb4' }, sensor: SERVICE_LIMITS.sensor };
    expect(toReading(note('MQ==', '😀😀😀'), columns).ok).toBe(true);
    expect(toReading(note('MQ==', 'äöüß'), columns).ok).toBe(false);
  });

  it('checks the characters against the column charset', () => {
    const latin1 = { board: { maxChars: 36, charset: 'latin1' }, sensor: SERVICE_LIMITS.sensor };
    const utf8mb3 = { board: { maxChars: 36, charset: 'utf8mb3' }, sensor: SERVICE_LIMITS.sensor };
    expect(toReading(note('MQ==', 'café'), latin1).ok).toBe(true);
    expect(toReading(note('MQ==', 'дом'), latin1).ok).toBe(false);
    expect(toReading(note('MQ==', 'дом'), utf8mb3).ok).toBe(true);
    expect(toReading(note('MQ==', 'x😀'), utf8mb3).ok).toBe(false);
    expect(toReading(note('MQ==', 'bad\ud800'))).toEqual({ ok: false, reason: '"ep" is not well-formed Unicode' });
  });
});

describe('decodeBase64', () => {
  // A seeded generator keeps the cases the same on every run.
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const STRICT = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

  it('decodes what Buffer encodes, byte for byte', () => {
    for (let i = 0; i < 3000; i++) {
      const bytes = Buffer.from(Array.from({ length: Math.floor(random() * 24) }, () => Math.floor(random() * 256)));
      expect(decodeBase64(bytes.toString('base64'))).toBe(bytes.toString('latin1'));
    }
  });

  it('accepts exactly the strict, padded base64 strings', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/====- _\n.é';
    for (let i = 0; i < 20000; i++) {
      const text = Array.from({ length: Math.floor(random() * 10) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
      expect(decodeBase64(text) !== undefined, JSON.stringify(text)).toBe(STRICT.test(text));
    }
  });
});

// `timestamp` (include_timestamp) is "the time that the notification service receives the
// message"; the spec names no format (SerializationConfigObjectV2), so each plausible one is read.
describe('serviceTime', () => {
  const received = Date.parse('2026-11-28T12:00:00Z');
  it.each([
    ['epoch milliseconds', 1795867200000 - 3_600_000, '2026-11-28T11:00:00.000Z'],
    ['epoch seconds', 1795867200 - 7200, '2026-11-28T10:00:00.000Z'],
    ['epoch milliseconds as text', '1795863600000', '2026-11-28T11:00:00.000Z'],
    ['epoch seconds as text', '1795863600', '2026-11-28T11:00:00.000Z'],
    ['ISO 8601 with Z', '2026-11-28T09:30:15.250Z', '2026-11-28T09:30:15.250Z'],
    ['ISO 8601 with an offset', '2026-11-28T10:30:00+01:00', '2026-11-28T09:30:00.000Z'],
  ])('reads %s', (_name, raw, iso) => {
    expect(new Date(serviceTime(raw, received)!).toISOString()).toBe(iso);
  });

  it.each([
    ['absent', undefined],
    ['in the future by more than five minutes', '2026-11-28T12:06:00Z'],
    ['older than the service keeps events', '2026-11-27T11:00:00Z'],
    ['an ISO date without a zone', '2026-11-28T11:00:00'],
    ['not a time', 'yesterday'],
    ['not finite', Number.NaN],
  ])('does not believe a timestamp %s (the time of receipt is used)', (_name, raw) => {
    expect(serviceTime(raw, received)).toBeUndefined();
  });

  it('puts uid and a plausible timestamp on the reading', () => {
    const now = new Date(received);
    expect(toReading({ ...note('MQ=='), uid: 'abc-1', timestamp: received - 60_000 }, SERVICE_LIMITS, now)).toEqual({
      ok: true,
      reading: { board: 'dev-1', sensor: '/3200/0/5501', value: 1, uid: 'abc-1', at: received - 60_000 },
    });
    // A uid the column cannot hold as it is (longer than 64, not printable ASCII, or digest-like)
    // stands as its digest: every delivery of that message still has the same one.
    const long = toReading({ ...note('MQ=='), uid: 'x'.repeat(65) }, SERVICE_LIMITS, now);
    expect(long).toEqual({ ok: true, reading: { board: 'dev-1', sensor: '/3200/0/5501', value: 1, uid: expect.stringMatching(/^#[A-Za-z0-9_-]{43}$/) } });
    expect(toReading({ ...note('MQ=='), uid: 'x'.repeat(65) }, SERVICE_LIMITS, now)).toEqual(long);
    expect(messageId('x'.repeat(64))).toBe('x'.repeat(64));
    expect(messageId('#x')).not.toBe('#x');
    expect(messageId('ü')).toMatch(/^#/);
    expect(messageId('')).toBeUndefined();
    expect(messageId(42)).toBeUndefined();
  });
});

describe('device facts and subscription outcomes', () => {
  const received = Date.parse('2026-11-28T12:00:00Z');
  it('reads a registration: the device ID, the name it gave itself, its type', () => {
    expect(deviceFact({ ep: '015f3850a657000000000001001002ab', 'original-ep': 'my-board', ept: 'Light', resources: [] }, received)).toEqual({
      id: '015f3850a657000000000001001002ab',
      name: 'my-board',
      type: 'Light',
      registeredAt: received,
      seenAt: received,
    });
    expect(deviceFact({ ept: 'x' }, received)).toBeNull();
    expect(deviceFact({ ep: 'e'.repeat(65) }, received)).toBeNull();
  });

  it('reads an async response, with its error when it failed', () => {
    expect(asyncOutcome({ id: '9e3c96b8-c4d7', status: 412, error: 'PRECONDITION_FAILED', payload: '' }, received)).toEqual({
      ok: true,
      outcome: { id: '9e3c96b8-c4d7', status: 412, error: 'PRECONDITION_FAILED', at: received },
    });
    expect(asyncOutcome({ id: 'a', status: '200' }, received)).toEqual({ ok: true, outcome: { id: 'a', status: 200, at: received } });
    expect(asyncOutcome({ status: 200 }, received)).toMatchObject({ ok: false, reason: 'async response without an id' });
    expect(asyncOutcome({ id: 'a', status: 32768 }, received)).toMatchObject({ ok: false, reason: expect.stringContaining('not a status code') });
    expect(asyncOutcome({ id: 'a', status: -32768 }, received)).toMatchObject({ ok: true });
  });
});

describe('bounded logging', () => {
  it('keeps an item whole when small, cuts a huge one with a marker, describes one nested too deeply', () => {
    expect(loggable({ ep: 'a' })).toEqual({ item: { ep: 'a' } });
    const huge = loggable({ ep: 'x'.repeat(10 * 1024 * 1024) });
    expect(typeof huge.item).toBe('string');
    expect((huge.item as string).length).toBeLessThanOrEqual(ITEM_LOG_BYTES + 1);
    expect(huge.truncated).toBeGreaterThan(10 * 1024 * 1024);
    let deep: unknown = 'bottom';
    for (let i = 0; i < 100_000; i++) deep = { ep: deep };
    expect(loggable(deep)).toEqual({ item: null, unserializable: 'object nested too deeply (or cyclic) to serialize' });
    expect(() => boundedJson({ level: 'warn', msg: 'x', notification: deep })).not.toThrow();
    expect(boundedJson({ level: 'warn', msg: 'x', body: 'b'.repeat(1_000_000) }).length).toBeLessThanOrEqual(LINE_LOG_BYTES);
  });

  it('logs the first rejected items one by one and sums up the rest in one line', () => {
    const lines: Array<Record<string, unknown>> = [];
    const rejected = Array.from({ length: 175_000 }, (_, i) => ({ item: { ep: `bad-${i}` }, reason: i % 2 ? 'payload "x" is not a decimal number' : '"ep" is 70 characters; column board holds 64' }));
    rejectedLog((line) => lines.push(line), rejected, 'req-1');
    expect(lines).toHaveLength(REJECTED_LOG_LINES + 1);
    expect(lines.at(-1)).toEqual({
      level: 'warn',
      msg: 'more notifications not stored',
      count: 175_000 - REJECTED_LOG_LINES,
      reasons: { '… is … characters; column board holds …': 87_450, 'payload … is not a decimal number': 87_450 },
      requestId: 'req-1',
    });
  });
});
