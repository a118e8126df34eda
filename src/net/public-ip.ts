// The desktop's public address, for the security-group rule that lets it reach the
// database: asked of AWS's IP echo service, or given with --cidr.

import { isIP } from 'node:net';
import { UsageError, UserFacingError } from '../errors.js';

export const IP_ECHO_URL = 'https://checkip.amazonaws.com';

export interface Cidr {
  /** e.g. 203.0.113.7/32 or 2001:db8::1/128 */
  cidr: string;
  family: 4 | 6;
}

/** A single address (made /32 or /128) or a CIDR block; 0.0.0.0/0 and ::/0 are refused. */
export function parseCidr(text: string, flag = '--cidr'): Cidr {
  const [address = '', prefixText, ...rest] = text.trim().split('/');
  const family = isIP(address);
  if ((family !== 4 && family !== 6) || rest.length > 0) {
    throw new UsageError(`${flag} ${JSON.stringify(text)} is not an IP address or CIDR block (e.g. 203.0.113.7/32)`);
  }
  const max = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max || (prefixText !== undefined && !/^\d+$/.test(prefixText))) {
    throw new UsageError(`${flag} ${JSON.stringify(text)}: the prefix length must be 0 to ${max}`);
  }
  if (prefix < 8) {
    throw new UsageError(`${flag} ${JSON.stringify(text)} opens the database to a large part of the internet; give your own address`);
  }
  return { cidr: `${normalise(address, family)}/${prefix}`, family };
}

function normalise(address: string, family: number): string {
  return family === 6 ? address.toLowerCase() : address;
}

/** Asks the echo service for this machine's public address, within a timeout. */
export async function detectPublicIp(options: { url?: string; timeoutMs?: number; fetch?: typeof fetch } = {}): Promise<Cidr> {
  const url = options.url ?? IP_ECHO_URL;
  const doFetch = options.fetch ?? globalThis.fetch;
  let text: string;
  try {
    const response = await doFetch(url, { signal: AbortSignal.timeout(options.timeoutMs ?? 5000), redirect: 'error' });
    if (!response.ok) throw new Error(`it answered ${response.status}`);
    text = (await response.text()).trim();
  } catch (error) {
    throw new UserFacingError(
      `could not find this computer's public IP address at ${url} (${(error as Error).message}): pass it with --cidr 203.0.113.7/32`, { code: "PUBLIC_IP", cause: error }
    );
  }
  const family = isIP(text);
  if (family !== 4 && family !== 6) {
    throw new UserFacingError(`${url} did not answer with an IP address: pass yours with --cidr 203.0.113.7/32`, { code: "PUBLIC_IP" });
  }
  return { cidr: `${normalise(text, family)}/${family === 4 ? 32 : 128}`, family };
}
