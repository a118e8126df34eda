// How many notifications the service may put in one PUT (`serialization.max_chunk_size`): as many
// as keep a batch of the largest notifications the function takes under Lambda's 6 MB limit for a
// synchronous invocation — API Gateway would pass up to 10 MB, but Lambda refuses the event, the
// batch fails on every delivery and everything behind it waits until the callback is deleted.

import { MAX_PAYLOAD_CHARS, SERVICE_LIMITS, UID_MAX_CHARS } from '../../templates/lambda/payload.js';

/** Lambda quotas: "Invocation payload (request and response): 6 MB each for synchronous". */
export const LAMBDA_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024;
/** What the event holds besides the body: headers (API Gateway allows 10 KB of them), the request context. */
export const EVENT_OVERHEAD_BYTES = 64 * 1024;
/** The service's range for max_chunk_size (OpenAPI spec, SerializationConfigData). */
export const CHUNK_RANGE = { min: 100, max: 10_000 } as const;

/**
 * The most bytes one notification can take inside the Lambda event, everything escaped twice: in
 * the body the service sends (a code point outside the BMP as `\uD83D\uDE00`, 12 bytes) and again
 * in the event API Gateway builds around it (each backslash and quote escaped, 12 → 14).
 */
export function largestNotificationBytes(): number {
  const perCodePoint = 14;
  const perAsciiChar = 4; // a `"` or `\` in the body: `\"`, then `\\\"` in the event
  const text = (chars: number) => chars * perCodePoint;
  const fields = {
    ep: text(SERVICE_LIMITS.board.maxChars),
    path: text(SERVICE_LIMITS.sensor.maxChars),
    'original-ep': text(SERVICE_LIMITS.board.maxChars),
    uid: UID_MAX_CHARS * perAsciiChar,
    // base64 has `/`, which some serializers write as `\/`.
    payload: MAX_PAYLOAD_CHARS * 3,
    ct: 64 * perAsciiChar,
    'max-age': 20,
    timestamp: 20,
  };
  // Each key and its quotes, colon and comma, escaped in the event too; the braces.
  const punctuation = Object.keys(fields).reduce((sum, key) => sum + key.length + 8, 2);
  return Object.values(fields).reduce((sum, bytes) => sum + bytes, punctuation);
}

/** max_chunk_size: the most worst-case notifications that fit one synchronous invocation. */
export function maxChunkSize(): number {
  const fits = Math.floor((LAMBDA_SYNC_PAYLOAD_BYTES - EVENT_OVERHEAD_BYTES) / largestNotificationBytes());
  return Math.max(CHUNK_RANGE.min, Math.min(CHUNK_RANGE.max, fits));
}
