import { GetFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { functionPackage } from '../../src/stack/package.js';
import { accessStep } from '../../src/stack/steps/access.js';
import { configureStep } from '../../src/stack/steps/configure.js';
import { checkEnvironmentSize, functionStep, LOG_RETENTION_DAYS } from '../../src/stack/steps/function.js';
import { networkStep } from '../../src/stack/steps/network.js';
import { roleStep } from '../../src/stack/steps/role.js';
import { ConflictError } from '../../src/stack/step.js';
import { FakeAws } from '../support/aws-fake.js';
import { stepContext } from '../support/step-context.js';

describe('§5 function step', () => {
  let aws: FakeAws;
  beforeEach(() => {
    aws = new FakeAws().install();
  });
  afterEach(() => aws.restore());

  const ready = async () => {
    const ctx = stepContext({ state: { version: 1, stack: 'mbed-tsdb', webhookSecret: 'secret-123', database: { password: 'pw12345678' } as never } });
    aws.clock = () => ctx.clock.now;
    ctx.state.outputs = { role: await roleStep.apply(ctx), network: await networkStep.apply(ctx) };
    ctx.state.outputs.access = await accessStep.apply(ctx);
    return ctx;
  };

  it('creates the log group first, then the function in the VPC, retrying while the new role propagates, and waits for Active', async () => {
    const ctx = await ready();
    const output = await functionStep.apply(ctx);
    const pkg = await functionPackage();
    expect(aws.logs.groups.get('/aws/lambda/mbed_time_series_webhook')).toEqual({ retention: LOG_RETENTION_DAYS, tags: ctx.tags, events: [] });
    const createLog = aws.calls.findIndex((c) => c.command === 'CreateLogGroup');
    const createFn = aws.calls.findIndex((c) => c.command === 'CreateFunction');
    expect(createLog).toBeLessThan(createFn);
    // The role was brand new: the first attempts were refused, then it worked.
    expect(aws.callsOf('CreateFunction').length).toBeGreaterThan(1);
    const fn = aws.lambda.functions.get('mbed_time_series_webhook')!;
    const access = ctx.state.outputs!.access as { functionGroupId: string };
    expect(fn.request).toMatchObject({
      FunctionName: 'mbed_time_series_webhook',
      Runtime: 'nodejs24.x',
      Handler: 'index.handler',
      Role: 'arn:aws:iam::123456789012:role/mbed_time_series_database',
      VpcConfig: { SubnetIds: ['subnet-0a', 'subnet-0b', 'subnet-0c'], SecurityGroupIds: [access.functionGroupId] },
      Environment: { Variables: { WEBHOOK_SECRET: 'secret-123', DB_NAME: 'tsdb', DB_USER: 'tsdb_webhook', DB_TABLE: 'events', DB_TLS: 'rds' } },
      LoggingConfig: { LogFormat: 'Text', LogGroup: '/aws/lambda/mbed_time_series_webhook' },
      Tags: ctx.tags,
    });
    expect(fn.codeSha256).toBe(pkg.sha256);
    expect(output).toEqual({ name: 'mbed_time_series_webhook', arn: fn.arn, codeSha256: pkg.sha256 });
    expect(ctx.clock.now).toBeGreaterThanOrEqual(60_000);
  });

  // Terraform's aws_lambda_function retries these (internal/service/lambda/function.go,
  // retryFunctionOp): a new role's EC2 rights for a VPC function, in two wordings, and EC2 throttling.
  it('retries while the new role cannot yet call EC2 for the VPC, in both wordings, and while EC2 throttles', async () => {
    const ctx = await ready();
    aws.lambda.ec2Throttles = 2;
    await functionStep.apply(ctx);
    const messages = aws.calls.filter((c) => c.command === 'CreateFunction').length;
    expect(messages).toBeGreaterThanOrEqual(5);
    expect(aws.lambda.functions.has('mbed_time_series_webhook')).toBe(true);
    expect(aws.lambda.ec2Throttles).toBe(0);
    expect(ctx.log()).toContain('The provided execution role does not have permissions to call CreateNetworkInterface on EC2');
    expect(ctx.log()).toContain('DescribeNetworkInterfaces on EC2');
    expect(ctx.log()).toContain('throttled by EC2');
  });

  it('does not upload unchanged code again, and uploads changed code', async () => {
    const ctx = await ready();
    await functionStep.apply(ctx);
    ctx.clock.now += 120_000;
    const before = aws.mutatingCalls().length;
    await functionStep.apply(ctx);
    expect(aws.mutatingCalls()).toHaveLength(before);
    expect((await functionStep.plan(ctx))[0]).toMatchObject({ action: 'keep', detail: 'code unchanged' });
    aws.lambda.functions.get('mbed_time_series_webhook')!.codeSha256 = 'older';
    expect((await functionStep.plan(ctx))[0]).toMatchObject({ action: 'update' });
    await functionStep.apply(ctx);
    expect(aws.callsOf('UpdateFunctionCode')).toHaveLength(1);
  });

  it('wakes a function that went Inactive while idle, instead of waiting for it in vain', async () => {
    const ctx = await ready();
    aws.lambda.invoke = async () => ({ statusCode: 200, body: '{"pong":true}' });
    await functionStep.apply(ctx);
    ctx.clock.now += 15 * 24 * 60 * 60_000; // weeks without a reading
    const config = await (await ctx.aws.lambda()).send(new GetFunctionConfigurationCommand({ FunctionName: 'mbed_time_series_webhook' }));
    expect(config.State).toBe('Inactive');
    const started = ctx.clock.now;
    await functionStep.apply(ctx);
    expect(aws.callsOf('Invoke')).toEqual([{ FunctionName: 'mbed_time_series_webhook', Payload: '{"mbed-tsdb":"ping"}' }]);
    expect(ctx.clock.now - started).toBeLessThan(5 * 60_000);
    expect(ctx.log()).toContain('Inactive');
  });

  it('gives the function the database settings once the database is there: its own user, IAM authentication, no password', async () => {
    const ctx = await ready();
    await functionStep.apply(ctx);
    ctx.state.outputs!.database = { identifier: 'tsdb', engine: 'mysql', resourceId: 'db-ABC' };
    ctx.state.outputs!['database-ready'] = { host: 'tsdb.x.rds.amazonaws.com', port: 3306 };
    await configureStep.apply(ctx);
    expect(aws.lambda.functions.get('mbed_time_series_webhook')!.environment).toEqual({
      WEBHOOK_SECRET: 'secret-123',
      DB_NAME: 'tsdb',
      DB_USER: 'tsdb_webhook',
      DB_TABLE: 'events',
      DB_HOST: 'tsdb.x.rds.amazonaws.com',
      DB_PORT: '3306',
      DB_AUTH: 'iam',
      DB_ROLLUP: 'on',
      DB_MAINTENANCE_USER: 'tsdb_maintenance',
      KEEP_RAW_DAYS: 'forever',
      DB_TLS: 'rds',
    });
    expect(JSON.stringify(aws.lambda.functions.get('mbed_time_series_webhook')!.environment)).not.toContain('pw12345678');
    const before = aws.mutatingCalls().length;
    await configureStep.apply(ctx);
    expect(aws.mutatingCalls()).toHaveLength(before);
  });

  // "Lambda returns tag data only if you have explicit allow permissions for lambda:ListTags"
  // (GetFunctionResponse.Tags, SDK model): without it the function looked like someone else's.
  it('reads the tags explicitly, and names lambda:ListTags when it may not', async () => {
    const ctx = await ready();
    await functionStep.apply(ctx);
    ctx.clock.now += 120_000;
    aws.denied.add('lambda:ListTags');
    const refused = await functionStep.apply(ctx).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'AWS_ACCESS_DENIED' });
    expect((refused as Error).message).toContain('lambda:ListTags');
    expect((refused as Error).message).toContain('mbed-tsdb policy');
    // Teardown does not skip it silently either (its network interfaces would then hold the groups).
    await expect(functionStep.remove(ctx)).rejects.toMatchObject({ code: 'AWS_ACCESS_DENIED' });
    expect(aws.lambda.functions.size).toBe(1);
    aws.denied.clear();
    await functionStep.apply(ctx);
    expect(aws.callsOf('ListTags').length).toBeGreaterThan(0);
  });

  it('refuses an environment larger than Lambda keeps, naming what makes it large', () => {
    expect(checkEnvironmentSize({ A: 'x'.repeat(100) })).toEqual({ A: 'x'.repeat(100) });
    expect(() => checkEnvironmentSize({ DB_TLS_CA: 'x'.repeat(5000), DB_HOST: 'h' })).toThrow(/would be 50\d\d bytes, more than the 4096 Lambda keeps; largest: DB_TLS_CA \(5000 bytes\)/);
  });

  it('never adopts a function of the same name it did not make', async () => {
    const ctx = await ready();
    await functionStep.apply(ctx);
    aws.lambda.functions.get('mbed_time_series_webhook')!.tags = {};
    await expect(functionStep.plan(ctx)).rejects.toThrow(ConflictError);
    await functionStep.remove(ctx);
    expect(aws.lambda.functions.size).toBe(1);
  });

  it('removes the function and its log group', async () => {
    const ctx = await ready();
    await functionStep.apply(ctx);
    await functionStep.remove(ctx);
    expect(aws.lambda.functions.size).toBe(0);
    expect(aws.logs.groups.size).toBe(0);
  });
});
