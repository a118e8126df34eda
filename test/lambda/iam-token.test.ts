// The function's RDS IAM token, checked by RDS's rules written independently (test/support/rds-iam-token.ts).
import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { lambdaIamAuth, rdsAuthToken } from '../../templates/lambda/iam-token.js';
import { verifyAuthToken } from '../support/rds-iam-token.js';

const AUTH = { region: 'eu-central-1', credentials: { accessKeyId: 'ASIATESTFUNCTION', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', sessionToken: 'FwoGZX+session/token=' } };
const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);
const check = (over: Partial<Parameters<typeof verifyAuthToken>[1]> = {}) => ({
  host: 'tsdb.abc123.eu-central-1.rds.amazonaws.com',
  port: 3306,
  user: 'tsdbuser_webhook',
  region: 'eu-central-1',
  secretOf: (id: string) => (id === AUTH.credentials.accessKeyId ? { secretAccessKey: AUTH.credentials.secretAccessKey, sessionToken: AUTH.credentials.sessionToken } : undefined),
  now: NOW + 60_000,
  ...over,
});

describe('RDS IAM authentication token', () => {
  const token = () => rdsAuthToken({ host: 'tsdb.abc123.eu-central-1.rds.amazonaws.com', port: 3306, user: 'tsdbuser_webhook', auth: AUTH, now: new Date(NOW) });

  it('is host:port/?… without a scheme, signed for rds-db, 15 minutes, and RDS accepts it', async () => {
    const text = await token();
    expect(text).toMatch(/^tsdb\.abc123\.eu-central-1\.rds\.amazonaws\.com:3306\/\?Action=connect&DBUser=tsdbuser_webhook&X-Amz-Algorithm=AWS4-HMAC-SHA256&/);
    expect(text).toContain('X-Amz-Expires=900');
    expect(text).toContain('%2Feu-central-1%2Frds-db%2Faws4_request');
    expect(text).not.toContain(AUTH.credentials.secretAccessKey);
    expect(verifyAuthToken(text, check())).toEqual({ ok: true, accessKeyId: 'ASIATESTFUNCTION' });
  });

  it.each([
    ['another user', { user: 'tsdbuser' }, 'signed for user tsdbuser_webhook, not tsdbuser'],
    ['another host', { host: 'other.rds.amazonaws.com' }, 'signed for tsdb.abc123'],
    ['another port', { port: 3307 }, 'not tsdb.abc123.eu-central-1.rds.amazonaws.com:3307'],
    ['another region', { region: 'us-east-1' }, 'signed for region eu-central-1'],
    ['after 15 minutes', { now: NOW + 15 * 60_000 + 1000 }, 'the token expired'],
    ['another secret key', { secretOf: () => ({ secretAccessKey: 'x', sessionToken: AUTH.credentials.sessionToken }) }, 'signature does not match'],
  ])('is refused for %s', async (_name, over, reason) => {
    expect(verifyAuthToken(await token(), check(over))).toEqual({ ok: false, reason: expect.stringContaining(reason) });
  });

  // A user name with characters encodeURIComponent leaves alone but SigV4 encodes (!'()*), and
  // ones both encode: the signature covers the encoded query, so any difference shows in it.
  it.each(['tsdbuser_webhook', "o'brien!(x)*", 'ü sp@ce+/='])('is signed as AWS’s own SigV4 signer (@smithy/signature-v4, as @aws-sdk/rds-signer uses it) signs it, for user %s', async (user) => {
    class Sha256 {
      private readonly h;
      constructor(secret?: string | Uint8Array) {
        this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', secret);
      }
      update(data: string | Uint8Array) {
        this.h.update(data);
      }
      async digest() {
        return new Uint8Array(this.h.digest());
      }
    }
    const signer = new SignatureV4({ service: 'rds-db', region: AUTH.region, credentials: AUTH.credentials, sha256: Sha256 as never });
    const host = 'tsdb.abc123.eu-central-1.rds.amazonaws.com';
    const presigned = await signer.presign(
      { method: 'GET', protocol: 'https:', hostname: host, port: 3306, path: '/', query: { Action: 'connect', DBUser: user }, headers: { host: `${host}:3306` } },
      { expiresIn: 900, signingDate: new Date(NOW) },
    );
    const ours = rdsAuthToken({ host, port: 3306, user, auth: AUTH, now: new Date(NOW) });
    expect(Object.fromEntries(new URLSearchParams(ours.split('?')[1]))).toEqual(presigned.query);
    // Names in canonical order, the signature last, as RDS reads them.
    const names = [...new URLSearchParams(ours.split('?')[1]).keys()];
    expect(names.slice(0, -1)).toEqual([...names.slice(0, -1)].sort());
    expect(names.at(-1)).toBe('X-Amz-Signature');
  });

  it('is refused when a byte of it changed', async () => {
    const text = (await token()).replace('DBUser=tsdbuser_webhook', 'DBUser=tsdbuser_webhooK');
    expect(verifyAuthToken(text, check({ user: 'tsdbuser_webhooK' }))).toEqual({ ok: false, reason: 'signature does not match' });
  });

  it('takes the role credentials from the Lambda environment, and names what is missing', () => {
    expect(lambdaIamAuth({ AWS_REGION: 'eu-central-1', AWS_ACCESS_KEY_ID: 'A', AWS_SECRET_ACCESS_KEY: 'S', AWS_SESSION_TOKEN: 'T' })).toEqual({
      region: 'eu-central-1',
      credentials: { accessKeyId: 'A', secretAccessKey: 'S', sessionToken: 'T' },
    });
    expect(lambdaIamAuth({ AWS_REGION: 'eu-central-1' })).toEqual({ missing: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] });
  });
});
