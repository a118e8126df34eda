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
  return { cidr: canonical(address, family, prefix), family };
}

/**
 * A block as EC2 keeps it: host bits cleared (203.0.113.7/24 → 203.0.113.0/24) and IPv6 in its
 * shortest lower-case form, so what is asked for and what EC2 returns compare equal.
 */
export function canonicalCidr(text: string): string {
  const [address = '', prefixText] = text.trim().split('/');
  const family = isIP(address);
  if (family !== 4 && family !== 6) return text;
  const prefix = prefixText === undefined ? (family === 4 ? 32 : 128) : Number(prefixText);
  return Number.isInteger(prefix) ? canonical(address, family, prefix) : text;
}

function canonical(address: string, family: 4 | 6, prefix: number): string {
  const bits = family === 4 ? 32 : 128;
  const value = family === 4 ? address.split('.').reduce((acc, octet) => (acc << 8n) | BigInt(octet), 0n) : ipv6Value(address);
  const masked = value & (((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - prefix)) - 1n));
  if (family === 4) return `${[24n, 16n, 8n, 0n].map((shift) => (masked >> shift) & 255n).join('.')}/${prefix}`;
  const words = Array.from({ length: 8 }, (_, i) => ((masked >> BigInt(112 - 16 * i)) & 0xffffn).toString(16)).join(':');
  // The URL parser writes IPv6 in its canonical, compressed form (RFC 5952).
  return `${new URL(`http://[${words}]/`).hostname.slice(1, -1)}/${prefix}`;
}

function ipv6Value(address: string): bigint {
  // Canonical text first (it expands an embedded IPv4 tail), then eight 16-bit words.
  const text = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  const [head = '', tail] = text.split('::');
  const front = head ? head.split(':') : [];
  const back = tail ? tail.split(':') : [];
  const words = tail === undefined ? front : [...front, ...Array(8 - front.length - back.length).fill('0'), ...back];
  return words.reduce((acc, word) => (acc << 16n) | BigInt(`0x${word || '0'}`), 0n);
}

/**
 * The default VPC and the RDS instance mbed-tsdb makes are reached over IPv4 only: an IPv6
 * desktop address in the security group would admit nothing.
 */
export function requireIpv4(cidr: Cidr, where: string): Cidr {
  if (cidr.family === 4) return cidr;
  throw new UsageError(
    `${where} ${cidr.cidr} is IPv6, but the database is reached over IPv4 only: give this computer's IPv4 address ` +
      '(https://checkip.amazonaws.com answers over IPv4) with --cidr, or choose --access private',
  );
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
    // The proxy's own words (it refused, it wants credentials) say more than "could not find".
    if (error instanceof UserFacingError) throw error;
    throw new UserFacingError(
      `could not find this computer's public IP address at ${url} (${(error as Error).message}): pass it with --cidr 203.0.113.7/32`, { code: "PUBLIC_IP", cause: error }
    );
  }
  const family = isIP(text);
  if (family !== 4 && family !== 6) {
    throw new UserFacingError(`${url} did not answer with an IP address: pass yours with --cidr 203.0.113.7/32`, { code: "PUBLIC_IP" });
  }
  return { cidr: canonical(text, family, family === 4 ? 32 : 128), family };
}

/** Whether the block admits the other (an address is a /32 or /128 block). */
export function cidrContains(block: string, inner: string): boolean {
  const [blockAddress = '', blockPrefix] = block.split('/');
  const [innerAddress = '', innerPrefix] = inner.split('/');
  const family = isIP(blockAddress);
  if (family === 0 || family !== isIP(innerAddress)) return false;
  const max = family === 4 ? 32 : 128;
  const outer = Number(blockPrefix ?? max);
  if (Number(innerPrefix ?? max) < outer) return false;
  return canonicalCidr(`${innerAddress}/${outer}`) === canonicalCidr(`${blockAddress}/${outer}`);
}
