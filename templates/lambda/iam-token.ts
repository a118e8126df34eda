// RDS IAM database authentication: the password is a short-lived token the function signs
// itself with its role's credentials, so no database password is in its configuration. The
// token is a SigV4-presigned `GET https://host:port/?Action=connect&DBUser=user` for the
// service rds-db, without its scheme, valid 15 minutes — what @aws-sdk/rds-signer makes (AWS
// docs, "Connecting to your DB instance using IAM authentication"). Signed here with
// node:crypto: the SDK's signer would add a quarter to the function's zip; a test checks
// that both sign alike.

import { createHash, createHmac } from 'node:crypto';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface IamAuth {
  region: string;
  credentials: AwsCredentials;
}

/** How long a token is accepted for connecting (an open connection outlives it). */
export const TOKEN_SECONDS = 900;

/** SigV4's URI encoding: RFC 3986 unreserved characters stay, everything else is %XX. */
const encode = (text: string) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();
const sha256Hex = (data: string) => createHash('sha256').update(data).digest('hex');

export function rdsAuthToken(input: { host: string; port: number; user: string; auth: IamAuth; now?: Date }): string {
  const { region, credentials } = input.auth;
  const longDate = (input.now ?? new Date()).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const day = longDate.slice(0, 8);
  const scope = `${day}/${region}/rds-db/aws4_request`;
  const hostHeader = `${input.host}:${input.port}`;
  // Listed in SigV4's canonical order (by byte value of the encoded name): no sorting needed.
  const query: Record<string, string> = {
    Action: 'connect',
    DBUser: input.user,
    'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
    'X-Amz-Credential': `${credentials.accessKeyId}/${scope}`,
    'X-Amz-Date': longDate,
    'X-Amz-Expires': String(TOKEN_SECONDS),
    ...(credentials.sessionToken ? { 'X-Amz-Security-Token': credentials.sessionToken } : {}),
    'X-Amz-SignedHeaders': 'host',
  };
  const canonicalQuery = Object.keys(query)
    .map((key) => `${encode(key)}=${encode(query[key]!)}`)
    .join('&');
  // No body: the payload hash is that of the empty string.
  const canonicalRequest = ['GET', '/', canonicalQuery, `host:${hostHeader}\n`, 'host', sha256Hex('')].join('\n');
  const stringToSign = ['AWS4-HMAC-SHA256', longDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, day), region), 'rds-db'), 'aws4_request');
  const signature = hmac(key, stringToSign).toString('hex');
  return `${hostHeader}/?${canonicalQuery}&X-Amz-Signature=${signature}`;
}

/**
 * The credentials Lambda gives the function's role, from its environment (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN) and its region (AWS_REGION).
 */
export function lambdaIamAuth(env: Record<string, string | undefined>): IamAuth | { missing: string[] } {
  const missing = ['AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'].filter((name) => !env[name]);
  if (missing.length > 0) return { missing };
  return {
    region: env.AWS_REGION!,
    credentials: {
      accessKeyId: env.AWS_ACCESS_KEY_ID!,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY!,
      ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
    },
  };
}
