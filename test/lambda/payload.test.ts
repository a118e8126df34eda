import { describe, expect, it } from 'vitest';
import { decodeBase64, parseWebhookBody, SERVICE_LIMITS, toReading } from '../../templates/lambda/payload.js';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const note = (payload: unknown, ep: unknown = 'dev-1', path: unknown = '/3200/0/5501') => ({ ep, path, payload });

describe('parseWebhookBody', () => {
  it.each([null, undefined, '', '  \n'])('treats %j as the URL check: nothing to store', (body) => {
    expect(parseWebhookBody(body)).toEqual({ ok: true, notifications: [], ignored: 0 });
  });

  it('accepts {} and a message with only other keys, counting their items as ignored', () => {
    expect(parseWebhookBody('{}')).toEqual({ ok: true, notifications: [], ignored: 0 });
    const body = JSON.stringify({
      'reg-updates': [{ ep: 'a' }, { ep: 'b' }],
      'de-registrations': ['c'],
      'async-responses': [{ id: '1', status: 200 }],
    });
    expect(parseWebhookBody(body)).toEqual({ ok: true, notifications: [], ignored: 4 });
  });

  it('returns the notifications array as it is', () => {
    const items = [note('MQ=='), { anything: true }];
    expect(parseWebhookBody(JSON.stringify({ notifications: items }))).toEqual({ ok: true, notifications: items, ignored: 0 });
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
