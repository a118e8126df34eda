// Who the AWS credentials are, asked of STS (GetCallerIdentity needs no permission): setup asks
// it right after the region, so missing or expired credentials stop it before any other question,
// and the plan, status and teardown name the account they act in — as SAM, CDK and Copilot do.

import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { AwsClients } from './clients.js';
import { explainAwsError } from './errors.js';

export interface CallerIdentity {
  account: string;
  /** The user's or role's ARN (an assumed role shows its session). */
  arn: string;
}

export async function callerIdentity(aws: Pick<AwsClients, 'sts'>): Promise<CallerIdentity> {
  try {
    const answer = await (await aws.sts()).send(new GetCallerIdentityCommand({}));
    return { account: answer.Account ?? 'unknown', arn: answer.Arn ?? 'unknown' };
  } catch (error) {
    throw explainAwsError(error) ?? error;
  }
}

/** "account 123456789012 as arn:aws:iam::123456789012:user/alice" */
export function describeIdentity(identity: CallerIdentity): string {
  return `account ${identity.account} as ${identity.arn}`;
}
