import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { API_THROTTLE, apiStep } from '../../src/stack/steps/api.js';
import { ConflictError } from '../../src/stack/step.js';
import { FakeAws, SimulatedCrash, type CrashMode } from '../support/aws-fake.js';
import { stepContext } from '../support/step-context.js';

const FN_ARN = 'arn:aws:lambda:us-west-2:123456789012:function:mbed_time_series_webhook';

describe('§6 API step', () => {
  let aws: FakeAws;
  beforeEach(() => {
    aws = new FakeAws().install();
  });
  afterEach(() => aws.restore());

  const ready = () => {
    const ctx = stepContext();
    aws.clock = () => ctx.clock.now;
    ctx.state.outputs = { function: { name: 'mbed_time_series_webhook', arn: FN_ARN, codeSha256: 'x' } };
    aws.lambda.functions.set('mbed_time_series_webhook', { name: 'mbed_time_series_webhook', arn: FN_ARN, policy: [], createdAt: -1e6, updatedAt: -Infinity, usedAt: 0, zip: Buffer.alloc(0), environment: {}, vpc: {}, tags: {} } as never);
    return ctx;
  };

  it('builds the tutorial’s API: /webhook with GET mock and PUT Lambda proxy, scoped permission, stage test', async () => {
    const ctx = ready();
    const output = await apiStep.apply(ctx);
    const api = [...aws.apigateway.apis.values()][0]!;
    expect(api.name).toBe('mbed time series database webhook');
    expect(api.tags).toEqual(ctx.tags);
    expect(output).toEqual({ id: api.id, url: `https://${api.id}.execute-api.us-west-2.amazonaws.com/test/webhook` });
    const webhook = [...api.resources.values()].find((r) => r.path === '/webhook')!;
    expect(webhook.methods.get('GET')).toEqual({
      authorizationType: 'NONE',
      integration: { type: 'MOCK', requestTemplates: { 'application/json': '{"statusCode": 200}' } },
      responses: ['200'],
      integrationResponses: ['200'],
    });
    expect(webhook.methods.get('PUT')!.integration).toEqual({
      type: 'AWS_PROXY',
      integrationHttpMethod: 'POST',
      uri: `arn:aws:apigateway:us-west-2:lambda:path/2015-03-31/functions/${FN_ARN}/invocations`,
    });
    expect(aws.lambda.functions.get('mbed_time_series_webhook')!.policy).toEqual([
      {
        Sid: 'mbed-tsdb-mbed-tsdb-put',
        Principal: 'apigateway.amazonaws.com',
        Action: 'lambda:InvokeFunction',
        SourceArn: `arn:aws:execute-api:us-west-2:123456789012:${api.id}/*/PUT/webhook`,
      },
    ]);
    expect(api.deployments.map((d) => d.stageName)).toEqual(['test']);
  });

  // Every unauthenticated PUT runs the function: the stage's default method throttling (API
  // Gateway, "Throttle requests to your REST APIs": UpdateStage /*/*/throttling/rateLimit and
  // burstLimit) bounds what a stranger can run up, well above one Connector channel's pace.
  it('throttles the stage, and puts the limits back when they were changed', async () => {
    const ctx = ready();
    await apiStep.apply(ctx);
    const api = [...aws.apigateway.apis.values()][0]!;
    expect(api.stages.get('test')!.methodSettings['*/*']).toEqual({ throttlingRateLimit: API_THROTTLE.rateLimit, throttlingBurstLimit: API_THROTTLE.burstLimit });
    expect(API_THROTTLE.rateLimit).toBeGreaterThanOrEqual(10);
    expect(API_THROTTLE.rateLimit).toBeLessThanOrEqual(100);
    api.stages.get('test')!.methodSettings['*/*'] = { throttlingRateLimit: 10_000, throttlingBurstLimit: 5000 };
    await apiStep.apply(ctx);
    expect(api.stages.get('test')!.methodSettings['*/*']).toEqual({ throttlingRateLimit: API_THROTTLE.rateLimit, throttlingBurstLimit: API_THROTTLE.burstLimit });
    expect(aws.callsOf('UpdateStage')).toHaveLength(2);
    expect((await apiStep.plan(ctx))[0]!.detail ?? '').toContain(`${API_THROTTLE.rateLimit} requests/s`);
  });

  it('changes and redeploys nothing when run again', async () => {
    const ctx = ready();
    await apiStep.apply(ctx);
    const before = aws.mutatingCalls().length;
    await apiStep.apply(ctx);
    expect(aws.mutatingCalls()).toHaveLength(before);
  });

  // A clean apply's mutating calls, in order: each is a crash point.
  const CHANGES = [
    'CreateRestApi', 'CreateResource', 'PutMethod', 'PutIntegration', 'PutMethodResponse', 'PutIntegrationResponse',
    'PutMethod', 'PutIntegration', 'AddPermission', 'CreateDeployment', 'UpdateStage',
  ];

  it('makes exactly these changes on a clean apply', async () => {
    await apiStep.apply(ready());
    expect(aws.mutatingCalls().map((c) => c.command)).toEqual(CHANGES);
  });

  describe.each<CrashMode>(['before', 'after'])('stopped %s a mutating call', (mode) => {
    it.each(CHANGES.map((command, i) => [i + 1, command] as const))('finishes after a crash at call %i (%s) with one API and one deployment', async (crashAt, command) => {
      const ctx = ready();
      aws.crashOn({ at: crashAt, mode });
      await expect(apiStep.apply(ctx)).rejects.toThrow(SimulatedCrash);
      expect(aws.crashed).toMatchObject({ index: crashAt, command, mode });
      aws.crashOn(null);
      await apiStep.apply(ctx);
      expect(aws.apigateway.apis.size).toBe(1);
      const api = [...aws.apigateway.apis.values()][0]!;
      expect([...api.resources.values()].map((r) => r.path).sort()).toEqual(['/', '/webhook']);
      expect([...api.resources.values()].find((r) => r.path === '/webhook')!.methods.size).toBe(2);
      expect([...api.stages.keys()]).toEqual(['test']);
      expect(api.stages.get('test')!.methodSettings['*/*']).toEqual({ throttlingRateLimit: API_THROTTLE.rateLimit, throttlingBurstLimit: API_THROTTLE.burstLimit });
      expect(aws.lambda.functions.get('mbed_time_series_webhook')!.policy).toHaveLength(1);
    });
  });

  it('replaces the permission statement of an API made again (the old one was deleted), keeping one statement', async () => {
    const ctx = ready();
    const first = await apiStep.apply(ctx);
    // The API is gone (deleted by hand, or teardown stopped after §6); the function still has its statement.
    aws.apigateway.apis.clear();
    const second = await apiStep.apply(ctx);
    expect(second.id).not.toBe(first.id);
    expect(aws.lambda.functions.get('mbed_time_series_webhook')!.policy).toEqual([
      expect.objectContaining({ Sid: 'mbed-tsdb-mbed-tsdb-put', SourceArn: `arn:aws:execute-api:us-west-2:123456789012:${second.id}/*/PUT/webhook` }),
    ]);
    expect(aws.callsOf('RemovePermission')).toEqual([{ FunctionName: 'mbed_time_series_webhook', StatementId: 'mbed-tsdb-mbed-tsdb-put' }]);
  });

  it('waits while the function is being updated before changing its policy', async () => {
    const ctx = ready();
    // configure runs beside this step: the function's configuration is being updated.
    aws.lambda.functions.get('mbed_time_series_webhook')!.updatedAt = ctx.clock.now;
    await apiStep.apply(ctx);
    expect(aws.callsOf('AddPermission').length).toBeGreaterThan(1);
    expect(aws.lambda.functions.get('mbed_time_series_webhook')!.policy).toHaveLength(1);
  });

  it('finds its API behind many pages of others, and makes no second one', async () => {
    for (let i = 0; i < 250; i++) aws.apigateway.apis.set(`other${i}`, { id: `other${i}`, name: `someone's api ${i}`, tags: {}, request: {}, resources: new Map(), deployments: [], stages: new Map() });
    const ctx = ready();
    await apiStep.apply(ctx);
    // Ours is now last of 251: pages of 100 (the fake's) hide it from a first-page-only lookup.
    await apiStep.apply(ctx);
    expect([...aws.apigateway.apis.values()].filter((a) => a.name === 'mbed time series database webhook')).toHaveLength(1);
    expect(aws.callsOf('GetRestApis').some((c) => c.position !== undefined)).toBe(true);
  });

  it('never adopts an API of the same name it did not make', async () => {
    const ctx = ready();
    aws.apigateway.apis.set('hand', { id: 'hand', name: 'mbed time series database webhook', tags: {}, request: {}, resources: new Map(), deployments: [], stages: new Map() });
    await expect(apiStep.plan(ctx)).rejects.toThrow(ConflictError);
    await apiStep.remove(ctx);
    expect(aws.apigateway.apis.has('hand')).toBe(true);
  });

  it('removes the API, waiting out the DeleteRestApi rate limit', async () => {
    const ctx = ready();
    await apiStep.apply(ctx);
    aws.apigateway.lastDeleteAt = ctx.clock.now;
    await apiStep.remove(ctx);
    expect(aws.apigateway.apis.size).toBe(0);
    expect(aws.callsOf('DeleteRestApi').length).toBeGreaterThan(1);
  });
});
