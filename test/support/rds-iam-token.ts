// RDS's side of an IAM authentication token, written from the SigV4 specification (AWS docs,
// "Create a signed AWS API request" and "Authenticating requests: using query parameters") with
// node:crypto alone — independent of the signer the function uses.

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export interface TokenCheck {
  /** The endpoint the client was told to connect to. */
  host: string;
  port: number;
  user: string;
  region: string;
  /** Secret keys (and session tokens) by access key ID. */
  secretOf: (accessKeyId: string) => { secretAccessKey: string; sessionToken?: string } | undefined;
  /** Epoch ms. */
  now: number;
}

export type TokenVerdict = { ok: true; accessKeyId: string } | { ok: false; reason: string };

const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');
const encode = (text: string) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();

export function verifyAuthToken(token: string, check: TokenCheck): TokenVerdict {
  const match = /^([^/?#:]+):(\d+)\/\?(.*)$/.exec(token);
  if (!match) return { ok: false, reason: 'not host:port/?query' };
  const [, host, port, queryText] = match;
  if (host !== check.host || Number(port) !== check.port) return { ok: false, reason: `signed for ${host}:${port}, not ${check.host}:${check.port}` };
  const query = new Map<string, string>();
  for (const part of queryText!.split('&')) {
    const [key, value = ''] = part.split('=');
    query.set(decodeURIComponent(key!), decodeURIComponent(value));
  }
  if (query.get('Action') !== 'connect') return { ok: false, reason: 'Action is not connect' };
  if (query.get('DBUser') !== check.user) return { ok: false, reason: `signed for user ${query.get('DBUser')}, not ${check.user}` };
  if (query.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') return { ok: false, reason: 'not AWS4-HMAC-SHA256' };
  if (query.get('X-Amz-SignedHeaders') !== 'host') return { ok: false, reason: 'signed headers are not host' };
  const [accessKeyId, day, region, service, terminator] = (query.get('X-Amz-Credential') ?? '').split('/');
  if (service !== 'rds-db' || terminator !== 'aws4_request') return { ok: false, reason: 'not scoped to rds-db' };
  if (region !== check.region) return { ok: false, reason: `signed for region ${region}, not ${check.region}` };
  const keys = check.secretOf(accessKeyId ?? '');
  if (!keys) return { ok: false, reason: 'unknown access key' };
  if (keys.sessionToken !== undefined && query.get('X-Amz-Security-Token') !== keys.sessionToken) return { ok: false, reason: 'wrong session token' };
  const date = query.get('X-Amz-Date') ?? '';
  const signedAt = Date.UTC(+date.slice(0, 4), +date.slice(4, 6) - 1, +date.slice(6, 8), +date.slice(9, 11), +date.slice(11, 13), +date.slice(13, 15));
  const expires = Number(query.get('X-Amz-Expires'));
  if (!/^\d{8}T\d{6}Z$/.test(date) || date.slice(0, 8) !== day) return { ok: false, reason: 'bad X-Amz-Date' };
  if (!(expires > 0 && expires <= 900)) return { ok: false, reason: 'X-Amz-Expires must be 1 to 900' };
  if (check.now > signedAt + expires * 1000) return { ok: false, reason: 'the token expired' };
  if (signedAt > check.now + 5 * 60_000) return { ok: false, reason: 'the token is from the future' };

  const canonicalQuery = [...query.entries()]
    .filter(([key]) => key !== 'X-Amz-Signature')
    .map(([key, value]) => [encode(key), encode(value)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
  const canonicalRequest = ['GET', '/', canonicalQuery, `host:${host}:${port}\n`, 'host', EMPTY_SHA256].join('\n');
  const scope = `${day}/${region}/rds-db/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', date, scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${keys.secretAccessKey}`, day!), region!), 'rds-db'), 'aws4_request');
  const expected = hmac(signingKey, stringToSign);
  const given = Buffer.from(query.get('X-Amz-Signature') ?? '', 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'signature does not match' };
  return { ok: true, accessKeyId: accessKeyId! };
}
