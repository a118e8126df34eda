// The one place AWS SDK clients are made: region, profile, endpoint overrides (for
// emulators) and retries preset. Each SDK package is loaded the first time it is used.

import type { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { PricingClient } from '@aws-sdk/client-pricing';
import type { RDSClient } from '@aws-sdk/client-rds';
import type { SchedulerClient } from '@aws-sdk/client-scheduler';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { STSClient } from '@aws-sdk/client-sts';
import type { Agent as HttpAgent } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import type { AwsCredentialIdentity } from '@smithy/types';
import { UsageError } from '../errors.js';
import type { ClientName } from './permissions.js';

export interface AwsSettings {
  region: string | undefined;
  profile: string | undefined;
  /** Flags, environment and .env merged: AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> are read here. */
  env: Record<string, string | undefined>;
  /** Agents that go through the proxy (HTTPS_PROXY/NO_PROXY), when one is set. */
  agents?: { httpAgent: HttpAgent; httpsAgent: HttpsAgent } | undefined;
}

export interface AwsClients {
  readonly region: string;
  iam(): Promise<IAMClient>;
  ec2(): Promise<EC2Client>;
  rds(): Promise<RDSClient>;
  lambda(): Promise<LambdaClient>;
  apiGateway(): Promise<APIGatewayClient>;
  logs(): Promise<CloudWatchLogsClient>;
  scheduler(): Promise<SchedulerClient>;
  sns(): Promise<SNSClient>;
  cloudwatch(): Promise<CloudWatchClient>;
  /** The Price List Query API, at its own endpoint (priceListRegion), whatever the stack's region. */
  pricing(): Promise<PricingClient>;
  sts(): Promise<STSClient>;
}

/**
 * The Price List Query API answers at us-east-1, eu-central-1 and ap-south-1 only (cn-northwest-1
 * in China), with every region's prices: "AWS Price List Query API endpoints", Billing user guide.
 */
export function priceListRegion(region: string): string {
  return region.startsWith('cn-') ? 'cn-northwest-1' : 'us-east-1';
}

type Named = { middlewareStack: { add(middleware: unknown, options: { step: 'initialize'; name: string }): void } };

/**
 * Marks every failure with the command that was being sent, so an AccessDenied whose message
 * names no action can still be explained with the permission it needed.
 */
function nameFailures<T extends Named>(client: T, name: ClientName): T {
  client.middlewareStack.add(
    (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
      try {
        return await next(args);
      } catch (error) {
        if (error && typeof error === 'object') Object.assign(error, { $command: { client: name, command: (context.commandName ?? '').replace(/Command$/, '') } });
        throw error;
      }
    },
    { step: 'initialize', name: 'mbedTsdbNameFailures' },
  );
  return client;
}

/** Throttling and 5xx are retried by the SDK's standard strategy; a few more attempts ride out bursts. */
export const MAX_ATTEMPTS = 8;

export function endpointFor(env: Record<string, string | undefined>, service: string): string | undefined {
  return env[`AWS_ENDPOINT_URL_${service}`] || env.AWS_ENDPOINT_URL || undefined;
}

/**
 * The SDK's releases after January 2027 need Node 22; mbed-tsdb pins releases that run on
 * Node 20 (package.json), so their notice about it is for this package's maintainers only.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export function createAwsClients(settings: AwsSettings): AwsClients {
  const region = settings.region;
  if (!region) {
    throw new UsageError('no AWS region: pass --region (e.g. us-west-2) or set AWS_REGION');
  }
  // Behind a proxy, the credential chain's own calls (SSO, STS for a role to assume) go through
  // it too: their inner clients do not inherit the outer client's handler unless told.
  const agents = settings.agents;
  let chain: Promise<() => Promise<AwsCredentialIdentity>> | undefined;
  const credentials = agents
    ? async () =>
        (await (chain ??= import('@aws-sdk/credential-provider-node').then(({ defaultProvider }) =>
          defaultProvider({ ...(settings.profile ? { profile: settings.profile } : {}), clientConfig: { requestHandler: agents } }),
        )))()
    : undefined;
  const config = (service: string, at = region) => {
    const endpoint = endpointFor(settings.env, service);
    return {
      region: at,
      maxAttempts: MAX_ATTEMPTS,
      ...(settings.profile ? { profile: settings.profile } : {}),
      ...(endpoint ? { endpoint } : {}),
      ...(agents ? { requestHandler: agents, credentials } : {}),
    };
  };
  const once = <T extends Named>(client: ClientName, make: () => Promise<T>): (() => Promise<T>) => {
    let made: Promise<T> | undefined;
    return () => (made ??= make().then((c) => nameFailures(c, client)));
  };
  return {
    region,
    iam: once('iam', async () => new (await import('@aws-sdk/client-iam')).IAMClient(config('IAM'))),
    ec2: once('ec2', async () => new (await import('@aws-sdk/client-ec2')).EC2Client(config('EC2'))),
    rds: once('rds', async () => new (await import('@aws-sdk/client-rds')).RDSClient(config('RDS'))),
    lambda: once('lambda', async () => new (await import('@aws-sdk/client-lambda')).LambdaClient(config('LAMBDA'))),
    apiGateway: once('api-gateway', async () => new (await import('@aws-sdk/client-api-gateway')).APIGatewayClient(config('API_GATEWAY'))),
    logs: once('cloudwatch-logs', async () => new (await import('@aws-sdk/client-cloudwatch-logs')).CloudWatchLogsClient(config('CLOUDWATCH_LOGS'))),
    scheduler: once('scheduler', async () => new (await import('@aws-sdk/client-scheduler')).SchedulerClient(config('SCHEDULER'))),
    sns: once('sns', async () => new (await import('@aws-sdk/client-sns')).SNSClient(config('SNS'))),
    cloudwatch: once('cloudwatch', async () => new (await import('@aws-sdk/client-cloudwatch')).CloudWatchClient(config('CLOUDWATCH'))),
    pricing: once('pricing', async () => new (await import('@aws-sdk/client-pricing')).PricingClient(config('PRICING', priceListRegion(region)))),
    sts: once('sts', async () => new (await import('@aws-sdk/client-sts')).STSClient(config('STS'))),
  };
}
