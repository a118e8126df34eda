// Which AWS partition a region is in, and how its ARNs and host names are spelled there:
// `arn:aws:`/`.amazonaws.com` in most regions, `aws-cn`/`.amazonaws.com.cn` in China,
// `aws-us-gov` in GovCloud. Regions of the isolated partitions are refused.

import { UsageError } from '../errors.js';

export interface Partition {
  /** The partition in ARNs: aws, aws-cn, aws-us-gov. */
  partition: 'aws' | 'aws-cn' | 'aws-us-gov';
  /** Host names of the services: execute-api.<region>.<dnsSuffix>. */
  dnsSuffix: string;
}

export function partitionOf(region: string): Partition {
  if (region.startsWith('cn-')) return { partition: 'aws-cn', dnsSuffix: 'amazonaws.com.cn' };
  if (region.startsWith('us-gov-')) return { partition: 'aws-us-gov', dnsSuffix: 'amazonaws.com' };
  if (/^(us-iso|us-isob|eu-isoe|us-isof)-/.test(region)) {
    throw new UsageError(`${region} is in an isolated AWS partition, which mbed-tsdb does not support`);
  }
  return { partition: 'aws', dnsSuffix: 'amazonaws.com' };
}

/** The partition an ARN the account returned is in. */
export function partitionOfArn(arn: string): string {
  const partition = arn.split(':')[1];
  if (!arn.startsWith('arn:') || !partition) throw new Error(`not an ARN: ${arn}`);
  return partition;
}
