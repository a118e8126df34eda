import { describe, expect, it } from 'vitest';
import { createAwsClients, MAX_ATTEMPTS } from '../../src/aws/clients.js';
import { UsageError } from '../../src/errors.js';

describe('AWS client factory', () => {
  it('needs a region', () => {
    expect(() => createAwsClients({ region: undefined, profile: undefined, env: {} })).toThrow(UsageError);
  });

  it('makes each client once, in the region, with retries preset', async () => {
    const aws = createAwsClients({ region: 'us-west-2', profile: undefined, env: {} });
    const iam = await aws.iam();
    expect(await aws.iam()).toBe(iam);
    expect(await iam.config.region()).toBe('us-west-2');
    expect(await iam.config.maxAttempts()).toBe(MAX_ATTEMPTS);
  });

  it('sends a service to its AWS_ENDPOINT_URL_<SERVICE>, else to AWS_ENDPOINT_URL (an emulator)', async () => {
    const aws = createAwsClients({
      region: 'eu-west-1',
      profile: undefined,
      env: { AWS_ENDPOINT_URL: 'http://localhost:4566', AWS_ENDPOINT_URL_RDS: 'http://localhost:5000' },
    });
    const endpoint = async (client: { config: { endpoint?: () => Promise<{ hostname?: string; port?: number }> } }) => {
      const resolved = await client.config.endpoint?.();
      return `${resolved?.hostname}:${resolved?.port}`;
    };
    expect(await endpoint(await aws.rds())).toBe('localhost:5000');
    expect(await endpoint(await aws.lambda())).toBe('localhost:4566');
  });
});
