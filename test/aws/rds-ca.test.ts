// Where a region's RDS CA bundle is fetched from. GovCloud and China publish theirs at hosts of
// their own partitions (AWS "Using SSL/TLS to encrypt a connection" pages of each partition):
// the global truststore does not serve them.
import { describe, expect, it } from 'vitest';
import { bundledRegions, regionBundleUrl } from '../../src/aws/rds-ca.js';

describe('the RDS CA bundle of a region', () => {
  it.each([
    ['il-central-1', 'https://truststore.pki.rds.amazonaws.com/il-central-1/il-central-1-bundle.pem'],
    ['us-gov-west-1', 'https://truststore.pki.us-gov-west-1.rds.amazonaws.com/us-gov-west-1/us-gov-west-1-bundle.pem'],
    ['us-gov-east-1', 'https://truststore.pki.us-gov-west-1.rds.amazonaws.com/us-gov-east-1/us-gov-east-1-bundle.pem'],
    ['cn-north-1', 'https://rds-truststore.s3.cn-north-1.amazonaws.com.cn/cn-north-1/cn-north-1-bundle.pem'],
    ['cn-northwest-1', 'https://rds-truststore.s3.cn-north-1.amazonaws.com.cn/cn-northwest-1/cn-northwest-1-bundle.pem'],
  ])('%s: %s', (region, url) => {
    expect(regionBundleUrl(region)).toBe(url);
  });

  it('is fetched for GovCloud and China: the bundled CAs do not cover them', () => {
    for (const region of ['us-gov-west-1', 'us-gov-east-1', 'cn-north-1', 'cn-northwest-1']) expect(bundledRegions().has(region), region).toBe(false);
  });

  it('comes from the given truststore when one is set (MBED_TSDB_RDS_TRUSTSTORE_URL)', () => {
    expect(regionBundleUrl('cn-north-1', 'http://127.0.0.1:9/')).toBe('http://127.0.0.1:9/cn-north-1/cn-north-1-bundle.pem');
  });
});
