import { describe, expect, it } from 'vitest';
import { partitionOf, partitionOfArn } from '../../src/aws/partition.js';
import { integrationUri, webhookUrl } from '../../src/stack/steps/api.js';
import { rolePolicies } from '../../src/stack/steps/role.js';

// ARN and endpoint forms per partition: AWS General Reference, "Amazon Resource Names" and
// "Service endpoints" (China: amazonaws.com.cn; GovCloud: arn:aws-us-gov).
describe('partitions', () => {
  it.each([
    ['us-west-2', 'aws', 'https://abc123.execute-api.us-west-2.amazonaws.com/test/webhook'],
    ['cn-northwest-1', 'aws-cn', 'https://abc123.execute-api.cn-northwest-1.amazonaws.com.cn/test/webhook'],
    ['us-gov-west-1', 'aws-us-gov', 'https://abc123.execute-api.us-gov-west-1.amazonaws.com/test/webhook'],
  ])('%s is in %s, and its ARNs and webhook URL say so', (region, partition, url) => {
    expect(partitionOf(region).partition).toBe(partition);
    expect(webhookUrl('abc123', region, 'test', 'webhook')).toBe(url);
    expect(integrationUri(region, `arn:${partition}:lambda:${region}:1:function:f`)).toMatch(new RegExp(`^arn:${partition}:apigateway:${region}:lambda:path/`));
    for (const policy of rolePolicies(region)) expect(policy.startsWith(`arn:${partition}:iam::aws:policy/service-role/`)).toBe(true);
  });

  it('refuses the isolated partitions, and reads the partition of an ARN', () => {
    expect(() => partitionOf('us-iso-east-1')).toThrow('isolated AWS partition');
    expect(partitionOfArn('arn:aws-cn:iam::123456789012:role/r')).toBe('aws-cn');
  });
});
