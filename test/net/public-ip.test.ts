import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { canonicalCidr, cidrContains, detectPublicIp, parseCidr, requireIpv4 } from '../../src/net/public-ip.js';
import { UsageError, UserFacingError } from '../../src/errors.js';

describe('parseCidr', () => {
  // As EC2 keeps them: host bits cleared, IPv6 in its shortest lower-case form (RFC 5952).
  it.each([
    ['203.0.113.7', '203.0.113.7/32', 4],
    ['203.0.113.0/24', '203.0.113.0/24', 4],
    ['203.0.113.7/24', '203.0.113.0/24', 4],
    ['2001:DB8::1', '2001:db8::1/128', 6],
    ['2001:db8:0:0:0:0:0:7', '2001:db8::7/128', 6],
    ['2001:db8::/48', '2001:db8::/48', 6],
    ['2001:db8:abcd:12ff::1/48', '2001:db8:abcd::/48', 6],
  ])('reads %s as %s', (text, cidr, family) => {
    expect(parseCidr(text)).toEqual({ cidr, family });
    expect(canonicalCidr(text.includes('/') ? text : `${text}/${family === 4 ? 32 : 128}`)).toBe(cidr);
  });

  it('says whether a block admits an address', () => {
    expect(cidrContains('203.0.113.0/24', '203.0.113.9/32')).toBe(true);
    expect(cidrContains('203.0.113.0/24', '203.0.114.9/32')).toBe(false);
    expect(cidrContains('203.0.113.9/32', '203.0.113.0/24')).toBe(false);
    expect(cidrContains('2001:db8::/32', '2001:db8:1::5/128')).toBe(true);
    expect(cidrContains('2001:db8::/32', '203.0.113.9/32')).toBe(false);
  });

  it('refuses an IPv6 desktop address for the IPv4-only database, with what to do', () => {
    expect(requireIpv4(parseCidr('203.0.113.7'), '--cidr').cidr).toBe('203.0.113.7/32');
    expect(() => requireIpv4(parseCidr('2001:db8::7'), '--cidr')).toThrow(/IPv6, but the database is reached over IPv4 only.*--access private/);
  });

  it.each(['0.0.0.0/0', '::/0', '10.0.0.0/4', 'example.com', '203.0.113.7/33', '203.0.113.7/x', '1.2.3.4/24/1', ''])('refuses %j', (text) => {
    expect(() => parseCidr(text)).toThrow(UsageError);
  });
});

describe('detectPublicIp', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  const echo = async (status: number, body: string, delayMs = 0): Promise<string> => {
    server = createServer((_request, response) => {
      setTimeout(() => response.writeHead(status).end(body), delayMs);
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server!.address() as AddressInfo).port}/`;
  };

  it('makes the echoed IPv4 address a /32 and an IPv6 one a /128', async () => {
    expect(await detectPublicIp({ url: await echo(200, '198.51.100.23\n') })).toEqual({ cidr: '198.51.100.23/32', family: 4 });
    server!.close();
    expect(await detectPublicIp({ url: await echo(200, '2001:db8::42\n') })).toEqual({ cidr: '2001:db8::42/128', family: 6 });
  });

  it.each([
    [500, '198.51.100.23', 0, /\(it answered 500\)/],
    [200, '<html>captive portal</html>', 0, /did not answer with an IP address/],
    // AbortSignal.timeout's own words: "The operation was aborted due to timeout".
    [200, '198.51.100.23', 3000, /\(The operation was aborted due to timeout\)/],
  ])('says to use --cidr when the service answers %i %j', async (status, body, delay, message) => {
    const url = await echo(status, body, delay);
    const error = await detectPublicIp({ url, timeoutMs: 300 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserFacingError);
    expect((error as UserFacingError).code).toBe('PUBLIC_IP');
    expect(String((error as Error).message)).toMatch(message);
    expect(String((error as Error).message)).toContain('--cidr');
  });
});
