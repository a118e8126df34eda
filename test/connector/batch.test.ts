// max_chunk_size keeps a batch of the largest notifications the function takes under Lambda's
// 6 MB limit for a synchronous invocation (Lambda quotas), measured on the event API Gateway
// builds around the body — with every character escaped as badly as a serializer may.
import { describe, expect, it } from 'vitest';
import { CHUNK_RANGE, LAMBDA_SYNC_PAYLOAD_BYTES, largestNotificationBytes, maxChunkSize } from '../../src/connector/batch.js';
import { IZUMA_SERIALIZATION } from '../../src/connector/client.js';
import { MAX_PAYLOAD_CHARS, SERVICE_LIMITS, UID_MAX_CHARS } from '../../templates/lambda/payload.js';
import { proxyEvent } from '../support/apigw.js';

/** JSON with every non-ASCII code point and `/` escaped (`\uD83D\uDE00`, `\/`): the longest a serializer writes it. */
function escapedJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).replace(/\//g, '\\/');
}

const astral = (n: number) => '😀'.repeat(n);
const quotes = (n: number) => '"\\'.repeat(n / 2);

/** One notification as large as the function takes: every field at its limit, in its costliest characters. */
const largest = (i: number) => ({
  ep: astral(SERVICE_LIMITS.board.maxChars),
  path: astral(SERVICE_LIMITS.sensor.maxChars),
  ct: quotes(64),
  payload: 'A/+'.repeat(MAX_PAYLOAD_CHARS / 4) + 'AAAA'.slice(0, MAX_PAYLOAD_CHARS % 4 === 0 ? 0 : 4),
  'max-age': 99999999999999999999,
  uid: quotes(UID_MAX_CHARS),
  timestamp: 17330000000000000000 + i,
  'original-ep': astral(SERVICE_LIMITS.board.maxChars),
});

describe('max_chunk_size', () => {
  it('is what the service allows (100 to 10000), and what the callback registers', () => {
    expect(maxChunkSize()).toBeGreaterThanOrEqual(CHUNK_RANGE.min);
    expect(maxChunkSize()).toBeLessThanOrEqual(CHUNK_RANGE.max);
    expect(IZUMA_SERIALIZATION.max_chunk_size).toBe(maxChunkSize());
  });

  it('counts one notification at no less than it takes in the event', () => {
    const one = JSON.stringify(proxyEvent({ body: escapedJson({ notifications: [largest(0)] }) }));
    const empty = JSON.stringify(proxyEvent({ body: escapedJson({ notifications: [] }) }));
    expect(Buffer.byteLength(one) - Buffer.byteLength(empty)).toBeLessThanOrEqual(largestNotificationBytes());
  });

  it('keeps a whole batch of the largest notifications under Lambda’s 6 MB, with 10 KB of headers', () => {
    const body = escapedJson({ notifications: Array.from({ length: maxChunkSize() }, (_, i) => largest(i)) });
    const headers = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`x-header-${i}`, 'h'.repeat(240)]));
    const event = JSON.stringify(proxyEvent({ body, headers }));
    expect(Buffer.byteLength(event)).toBeLessThan(LAMBDA_SYNC_PAYLOAD_BYTES);
    // …and the default of 10000 would not have.
    expect(Buffer.byteLength(event) * (CHUNK_RANGE.max / maxChunkSize())).toBeGreaterThan(LAMBDA_SYNC_PAYLOAD_BYTES);
  });
});
