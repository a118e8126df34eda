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

describe('retries, through the SDK’s own middleware against a local endpoint', () => {
  it('rides out throttling and a 5xx before succeeding', async () => {
    const { createServer } = await import('node:http');
    const { GetRoleCommand } = await import('@aws-sdk/client-iam');
    let calls = 0;
    const server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        calls++;
        if (calls === 1) {
          response.writeHead(400, { 'content-type': 'text/xml' }).end('<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>1</RequestId></ErrorResponse>');
        } else if (calls === 2) {
          response.writeHead(503, { 'content-type': 'text/xml' }).end('<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceUnavailable</Code><Message>busy</Message></Error><RequestId>2</RequestId></ErrorResponse>');
        } else {
          response
            .writeHead(200, { 'content-type': 'text/xml' })
            .end('<GetRoleResponse><GetRoleResult><Role><RoleName>r</RoleName><Arn>arn:aws:iam::1:role/r</Arn><Path>/</Path><RoleId>AROA1</RoleId><CreateDate>2026-01-01T00:00:00Z</CreateDate></Role></GetRoleResult></GetRoleResponse>');
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const aws = createAwsClients({
        region: 'us-east-1',
        profile: undefined,
        env: { AWS_ENDPOINT_URL_IAM: `http://127.0.0.1:${port}` },
      });
      const iam = await aws.iam();
      iam.config.credentials = async () => ({ accessKeyId: 'test', secretAccessKey: 'test' });
      const role = await iam.send(new GetRoleCommand({ RoleName: 'r' }));
      expect(role.Role?.Arn).toBe('arn:aws:iam::1:role/r');
      expect(calls).toBe(3);
    } finally {
      server.close();
    }
  }, 30_000);
});

describe('a refusal through the real client stack', () => {
  it('names the permission from the command it was sending when AWS does not', async () => {
    const { createServer } = await import('node:http');
    const { GetFunctionCommand } = await import('@aws-sdk/client-lambda');
    const { explainAwsError } = await import('../../src/aws/errors.js');
    const server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        response.writeHead(403, { 'content-type': 'application/json', 'x-amzn-errortype': 'AccessDeniedException' }).end('{"Message":"Access denied"}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const aws = createAwsClients({ region: 'us-east-1', profile: undefined, env: { AWS_ENDPOINT_URL_LAMBDA: `http://127.0.0.1:${port}` } });
      const lambda = await aws.lambda();
      lambda.config.credentials = async () => ({ accessKeyId: 'test', secretAccessKey: 'test' });
      const error = await lambda.send(new GetFunctionCommand({ FunctionName: 'f' })).catch((e: unknown) => e);
      const explained = explainAwsError(error);
      expect(explained?.code).toBe('AWS_ACCESS_DENIED');
      expect(explained?.message).toContain('AWS refused lambda:GetFunction');
      expect(explained?.message).toContain('mbed-tsdb policy');
    } finally {
      server.close();
    }
  }, 30_000);
});
