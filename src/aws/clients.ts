// The one place AWS SDK clients are made: region, profile, endpoint overrides (for
// emulators) and retries preset. Each SDK package is loaded the first time it is used.

import type { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { RDSClient } from '@aws-sdk/client-rds';
import { UsageError } from '../errors.js';

export interface AwsSettings {
  region: string | undefined;
  profile: string | undefined;
  /** Flags, environment and .env merged: AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> are read here. */
  env: Record<string, string | undefined>;
}

export interface AwsClients {
  readonly region: string;
  iam(): Promise<IAMClient>;
  ec2(): Promise<EC2Client>;
  rds(): Promise<RDSClient>;
  lambda(): Promise<LambdaClient>;
  apiGateway(): Promise<APIGatewayClient>;
  logs(): Promise<CloudWatchLogsClient>;
}

/** Throttling and 5xx are retried by the SDK's standard strategy; a few more attempts ride out bursts. */
export const MAX_ATTEMPTS = 8;

export function endpointFor(env: Record<string, string | undefined>, service: string): string | undefined {
  return env[`AWS_ENDPOINT_URL_${service}`] || env.AWS_ENDPOINT_URL || undefined;
}

export function createAwsClients(settings: AwsSettings): AwsClients {
  const region = settings.region;
  if (!region) {
    throw new UsageError('no AWS region: pass --region (e.g. us-west-2) or set AWS_REGION');
  }
  const config = (service: string) => {
    const endpoint = endpointFor(settings.env, service);
    return {
      region,
      maxAttempts: MAX_ATTEMPTS,
      ...(settings.profile ? { profile: settings.profile } : {}),
      ...(endpoint ? { endpoint } : {}),
    };
  };
  const once = <T>(make: () => Promise<T>): (() => Promise<T>) => {
    let made: Promise<T> | undefined;
    return () => (made ??= make());
  };
  return {
    region,
    iam: once(async () => new (await import('@aws-sdk/client-iam')).IAMClient(config('IAM'))),
    ec2: once(async () => new (await import('@aws-sdk/client-ec2')).EC2Client(config('EC2'))),
    rds: once(async () => new (await import('@aws-sdk/client-rds')).RDSClient(config('RDS'))),
    lambda: once(async () => new (await import('@aws-sdk/client-lambda')).LambdaClient(config('LAMBDA'))),
    apiGateway: once(async () => new (await import('@aws-sdk/client-api-gateway')).APIGatewayClient(config('API_GATEWAY'))),
    logs: once(async () => new (await import('@aws-sdk/client-cloudwatch-logs')).CloudWatchLogsClient(config('CLOUDWATCH_LOGS'))),
  };
}
