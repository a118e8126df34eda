// The fake's apigateway operations.
import {
  APIGatewayClient,
  BadRequestException,
  ConflictException,
  CreateDeploymentCommand,
  CreateResourceCommand,
  CreateRestApiCommand,
  DeleteRestApiCommand,
  GetMethodCommand,
  GetResourcesCommand,
  GetRestApisCommand,
  GetStageCommand,
  NotFoundException,
  PutIntegrationCommand,
  PutIntegrationResponseCommand,
  PutMethodCommand,
  PutMethodResponseCommand,
  TooManyRequestsException,
  UpdateStageCommand,
} from '@aws-sdk/client-api-gateway';
import { mockClient } from 'aws-sdk-client-mock';
import { meta } from '../aws-fake.js';
import type { FakeAws, RestApi } from '../aws-fake.js';

export function installApiGateway(fake: FakeAws): void {
  const apigw = mockClient(APIGatewayClient);
  fake.stubs.push(apigw);
  const api = (id: string | undefined): RestApi => {
    const found = id ? fake.apigateway.apis.get(id) : undefined;
    if (!found) throw new NotFoundException({ ...meta, message: 'Invalid API identifier specified' });
    return found;
  };
  const resource = (a: RestApi, id: string | undefined) => {
    const found = id ? a.resources.get(id) : undefined;
    if (!found) throw new NotFoundException({ ...meta, message: 'Invalid Resource identifier specified' });
    return found;
  };
  const method = (input: { restApiId?: string; resourceId?: string; httpMethod?: string }) => {
    const found = resource(api(input.restApiId), input.resourceId).methods.get(input.httpMethod!);
    if (!found) throw new NotFoundException({ ...meta, message: 'Invalid Method identifier specified' });
    return found;
  };
  const newId = () => Math.random().toString(36).slice(2, 12);
  fake.handle(apigw, GetRestApisCommand, { service: 'apigateway', name: 'GetRestApis', mutating: false }, async (input) => {
    // Pages of `limit` (default 25, at most 500), continued by `position`.
    const all = [...fake.apigateway.apis.values()];
    const size = Math.min(input.limit ?? 25, 500, fake.pageSize);
    const start = input.position ? Number(input.position) : 0;
    return {
      items: all.slice(start, start + size).map((a) => ({ id: a.id, name: a.name, tags: a.tags })),
      ...(start + size < all.length ? { position: String(start + size) } : {}),
    };
  });
  fake.handle(apigw, CreateRestApiCommand, { service: 'apigateway', name: 'CreateRestApi', mutating: true }, async (input) => {
    const id = newId();
    const rootId = newId();
    fake.apigateway.apis.set(id, {
      id,
      name: input.name!,
      tags: input.tags ?? {},
      request: input as unknown as Record<string, unknown>,
      resources: new Map([[rootId, { id: rootId, path: '/', methods: new Map() }]]),
      deployments: [],
      stages: new Map(),
    });
    return { id, name: input.name, tags: input.tags, rootResourceId: rootId };
  });
  fake.handle(apigw, DeleteRestApiCommand, { service: 'apigateway', name: 'DeleteRestApi', mutating: true }, async (input) => {
    if (fake.clock() - fake.apigateway.lastDeleteAt < 30_000) throw new TooManyRequestsException({ ...meta, message: 'Too Many Requests' });
    api(input.restApiId);
    fake.apigateway.apis.delete(input.restApiId!);
    fake.apigateway.lastDeleteAt = fake.clock();
    return {};
  });
  fake.handle(apigw, GetResourcesCommand, { service: 'apigateway', name: 'GetResources', mutating: false }, async (input) => {
    return { items: [...api(input.restApiId).resources.values()].map((r) => ({ id: r.id, path: r.path, pathPart: r.pathPart, parentId: r.parentId })) };
  });
  fake.handle(apigw, CreateResourceCommand, { service: 'apigateway', name: 'CreateResource', mutating: true }, async (input) => {
    const a = api(input.restApiId);
    const parent = resource(a, input.parentId);
    const path = `${parent.path === '/' ? '' : parent.path}/${input.pathPart}`;
    if ([...a.resources.values()].some((r) => r.path === path)) throw new ConflictException({ ...meta, message: 'Another resource with the same parent already has this name' });
    const id = newId();
    a.resources.set(id, { id, path, pathPart: input.pathPart!, parentId: input.parentId!, methods: new Map() });
    return { id, path, pathPart: input.pathPart, parentId: input.parentId };
  });
  fake.handle(apigw, GetMethodCommand, { service: 'apigateway', name: 'GetMethod', mutating: false }, async (input) => {
    const m = method(input);
    const integrationResponses = Object.fromEntries(m.integrationResponses.map((code) => [code, { statusCode: code }]));
    return {
      httpMethod: input.httpMethod,
      authorizationType: m.authorizationType,
      methodResponses: Object.fromEntries(m.responses.map((code) => [code, { statusCode: code }])),
      ...(m.integration ? { methodIntegration: { ...m.integration, integrationResponses } } : {}),
    };
  });
  fake.handle(apigw, PutMethodCommand, { service: 'apigateway', name: 'PutMethod', mutating: true }, async (input) => {
    const r = resource(api(input.restApiId), input.resourceId);
    if (r.methods.has(input.httpMethod!)) throw new ConflictException({ ...meta, message: 'Method already exists for this resource' });
    r.methods.set(input.httpMethod!, { authorizationType: input.authorizationType!, responses: [], integrationResponses: [] });
    return { httpMethod: input.httpMethod };
  });
  fake.handle(apigw, PutIntegrationCommand, { service: 'apigateway', name: 'PutIntegration', mutating: true }, async (input) => {
    const m = method(input);
    if (input.type === 'AWS_PROXY' && (input.integrationHttpMethod !== 'POST' || !String(input.uri).startsWith(`arn:${fake.partition}:apigateway:${fake.region}:lambda:path/`))) {
      throw new BadRequestException({ ...meta, message: 'Lambda proxy integrations need POST and a Lambda invocation URI' });
    }
    const { restApiId: _a, resourceId: _r, httpMethod: _h, ...integration } = input;
    m.integration = integration;
    return integration;
  });
  fake.handle(apigw, PutMethodResponseCommand, { service: 'apigateway', name: 'PutMethodResponse', mutating: true }, async (input) => {
    method(input).responses.push(input.statusCode!);
    return { statusCode: input.statusCode };
  });
  fake.handle(apigw, PutIntegrationResponseCommand, { service: 'apigateway', name: 'PutIntegrationResponse', mutating: true }, async (input) => {
    const m = method(input);
    if (!m.integration) throw new NotFoundException({ ...meta, message: 'Invalid Integration identifier specified' });
    m.integrationResponses.push(input.statusCode!);
    return { statusCode: input.statusCode };
  });
  const stage = (input: { restApiId?: string; stageName?: string }) => {
    const found = api(input.restApiId).stages.get(input.stageName!);
    if (!found) throw new NotFoundException({ ...meta, message: 'Invalid stage identifier specified' });
    return found;
  };
  fake.handle(apigw, GetStageCommand, { service: 'apigateway', name: 'GetStage', mutating: false }, async (input) => {
    return { stageName: input.stageName, methodSettings: structuredClone(stage(input).methodSettings) };
  });
  // Patch operations on a stage (API Gateway reference, "Patch operations", Stage): method
  // settings at /{resourcePath}/{httpMethod}/throttling/{rateLimit|burstLimit}, `*/*` for every
  // method; values are strings; a bad path is a BadRequestException.
  fake.handle(apigw, UpdateStageCommand, { service: 'apigateway', name: 'UpdateStage', mutating: true }, async (input) => {
    const s = stage(input);
    for (const op of input.patchOperations ?? []) {
      const match = /^\/(\*|~1[^/]*)\/(\*|[A-Z]+)\/throttling\/(rateLimit|burstLimit)$/.exec(op.path ?? '');
      if (!match || (op.op !== 'replace' && op.op !== 'add')) throw new BadRequestException({ ...meta, message: `Invalid patch path  '${op.path}' specified for op '${op.op}'. Must be one of: [...]` });
      const value = Number(op.value);
      if (op.value === undefined || !Number.isFinite(value) || value < 0) throw new BadRequestException({ ...meta, message: `Invalid value for ${op.path}: ${op.value}` });
      const key = `${match[1]}/${match[2]}`;
      const settings = (s.methodSettings[key] ??= {});
      if (match[3] === 'rateLimit') settings.throttlingRateLimit = value;
      else settings.throttlingBurstLimit = Math.floor(value);
    }
    return { stageName: input.stageName, methodSettings: structuredClone(s.methodSettings) };
  });
  fake.handle(apigw, CreateDeploymentCommand, { service: 'apigateway', name: 'CreateDeployment', mutating: true }, async (input) => {
    const a = api(input.restApiId);
    const incomplete = [...a.resources.values()].some((r) => [...r.methods.values()].some((m) => !m.integration));
    if (incomplete) throw new BadRequestException({ ...meta, message: 'No integration defined for method' });
    a.deployments.push({ stageName: input.stageName, at: fake.clock() });
    if (input.stageName && !a.stages.has(input.stageName)) a.stages.set(input.stageName, { methodSettings: {} });
    return { id: newId() };
  });
}
