// Tutorial §6: the REST API "mbed time series database webhook" with resource /webhook —
// GET answered by a MOCK integration, PUT by the function (Lambda proxy) — deployed to
// stage `test`. API Gateway may invoke the function for that method and path only.

import {
  CreateDeploymentCommand,
  CreateResourceCommand,
  CreateRestApiCommand,
  DeleteRestApiCommand,
  GetMethodCommand,
  GetResourcesCommand,
  paginateGetRestApis,
  GetStageCommand,
  NotFoundException,
  PutIntegrationCommand,
  PutIntegrationResponseCommand,
  PutMethodCommand,
  PutMethodResponseCommand,
  TooManyRequestsException,
  UpdateStageCommand,
  type APIGatewayClient,
  type Method,
  type RestApi,
  type Stage,
} from '@aws-sdk/client-api-gateway';
import { AddPermissionCommand, GetFunctionCommand, GetPolicyCommand, RemovePermissionCommand, ResourceConflictException, ResourceNotFoundException } from '@aws-sdk/client-lambda';
import { retry } from '../../util/wait.js';
import type { Task } from '../../ui/progress.js';
import { partitionOf } from '../../aws/partition.js';
import { checkOwner, reportRemoved, ownOrNull, type Step, type StepContext } from '../step.js';
import type { FunctionOutput } from './function.js';

export interface ApiOutput {
  id: string;
  url: string;
}

export function webhookUrl(apiId: string, region: string, stage: string, resource: string): string {
  return `https://${apiId}.execute-api.${region}.${partitionOf(region).dnsSuffix}/${stage}/${resource}`;
}

export function integrationUri(region: string, functionArn: string): string {
  return `arn:${partitionOf(region).partition}:apigateway:${region}:lambda:path/2015-03-31/functions/${functionArn}/invocations`;
}

/** Every REST API of the account and region, all pages (an account may have hundreds). */
export async function restApis(apigw: APIGatewayClient): Promise<RestApi[]> {
  const apis: RestApi[] = [];
  for await (const page of paginateGetRestApis({ client: apigw, pageSize: 500 }, {})) apis.push(...(page.items ?? []));
  return apis;
}

async function findApi(apigw: APIGatewayClient, ctx: StepContext): Promise<RestApi | null> {
  const apis = (await restApis(apigw)).filter((a) => a.name === ctx.names.api);
  for (const api of apis) {
    checkOwner(ctx, `a REST API named "${ctx.names.api}" (${api.id})`, api.tags ?? {});
    return api;
  }
  return null;
}

/**
 * The statement that lets API Gateway invoke the function: added once; replaced when it names
 * another API (the API was made again); retried while the function is being created or updated
 * (ResourceConflictException, as Terraform's aws_lambda_permission retries).
 */
type Statement = { Sid?: string; Condition?: { ArnLike?: Record<string, string> } };

/** The function's statement for this stack's API: `current` when it names this API's PUT /webhook. */
async function permissionOf(ctx: StepContext, functionName: string, sourceArn: string): Promise<{ state: 'current' | 'missing' | 'other'; statementId: string }> {
  const lambda = await ctx.aws.lambda();
  const statementId = `mbed-tsdb-${ctx.stack}-put`;
  let statements: Statement[] = [];
  try {
    statements = JSON.parse((await lambda.send(new GetPolicyCommand({ FunctionName: functionName }))).Policy ?? '{}').Statement ?? [];
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  const ours = statements.find((s) => s.Sid === statementId);
  return { state: !ours ? 'missing' : ours.Condition?.ArnLike?.['AWS:SourceArn'] === sourceArn ? 'current' : 'other', statementId };
}

/** The SourceArn the permission names: this API's PUT /webhook, any stage. */
function sourceArnOf(ctx: StepContext, functionArn: string, restApiId: string): string {
  const region = ctx.aws.region;
  return `arn:${partitionOf(region).partition}:execute-api:${region}:${functionArn.split(':')[4]}:${restApiId}/*/PUT/${ctx.names.apiResource}`;
}

async function ensurePermission(ctx: StepContext, fn: FunctionOutput, sourceArn: string, task: Task): Promise<void> {
  const lambda = await ctx.aws.lambda();
  const { state, statementId } = await permissionOf(ctx, fn.name, sourceArn);
  if (state === 'current') return;
  const ours = state === 'other';
  const whileUpdating = (error: unknown) =>
    error instanceof ResourceConflictException && /update is in progress|cannot be performed at this time/i.test(error.message) && 'waiting for the function to finish updating';
  const options = {
    what: `${fn.name} to accept a permission change`,
    delay: { baseMs: 1_000, maxMs: 10_000, random: ctx.random },
    timeoutMs: 5 * 60_000,
    sleep: ctx.sleep,
    now: ctx.now,
    shouldRetry: whileUpdating,
    onWait: ({ status }: { status: string }) => task.update(status),
  };
  if (ours) {
    task.update('replacing the permission of an earlier API');
    await retry(() => lambda.send(new RemovePermissionCommand({ FunctionName: fn.name, StatementId: statementId })), {
      ...options,
      // Gone already (a run stopped after removing it): nothing to remove.
      shouldRetry: (error) => whileUpdating(error),
    }).catch((error: unknown) => {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    });
  }
  await retry(
    () =>
      lambda.send(
        new AddPermissionCommand({
          FunctionName: fn.name,
          StatementId: statementId,
          Action: 'lambda:InvokeFunction',
          Principal: 'apigateway.amazonaws.com',
          SourceArn: sourceArn,
        }),
      ),
    options,
  );
}

async function getMethod(apigw: APIGatewayClient, restApiId: string, resourceId: string, httpMethod: string): Promise<Method | null> {
  try {
    return await apigw.send(new GetMethodCommand({ restApiId, resourceId, httpMethod }));
  } catch (error) {
    if (error instanceof NotFoundException) return null;
    throw error;
  }
}

/**
 * The stage's throttle. One Connector channel sends one batch at a time (each a round trip
 * through API Gateway, Lambda and the database, rarely under 100 ms): a few requests a second.
 * A stranger's flood is held to this, about 2 million requests a day at worst.
 */
export const API_THROTTLE = { rateLimit: 25, burstLimit: 50 } as const;
const THROTTLE_KEY = '*/*';

const throttled = (stage: { methodSettings?: Record<string, { throttlingRateLimit?: number; throttlingBurstLimit?: number }> } | undefined) => {
  const settings = stage?.methodSettings?.[THROTTLE_KEY];
  return settings?.throttlingRateLimit === API_THROTTLE.rateLimit && settings.throttlingBurstLimit === API_THROTTLE.burstLimit;
};

/** The stage's throttle as status reports it: null when it is this stack's. */
export function throttleDrift(stage: Parameters<typeof throttled>[0]): string | null {
  if (throttled(stage)) return null;
  const settings = stage?.methodSettings?.[THROTTLE_KEY];
  const now = settings?.throttlingRateLimit !== undefined ? `${settings.throttlingRateLimit} requests/s (burst ${settings.throttlingBurstLimit ?? '–'})` : 'no throttle';
  return `${now}, not ${API_THROTTLE.rateLimit} requests/s (burst ${API_THROTTLE.burstLimit}): run mbed-tsdb setup to set it`;
}

/** What of the API exists now: read-only, for the plan and for apply alike. */
interface ApiLook {
  api: RestApi | null;
  /** The /webhook resource, and its methods. */
  webhookId: string | undefined;
  get: Method | null;
  put: Method | null;
  stage: Stage | undefined;
}

async function lookAtApi(apigw: APIGatewayClient, ctx: StepContext): Promise<ApiLook> {
  const api = await findApi(apigw, ctx);
  if (!api) return { api: null, webhookId: undefined, get: null, put: null, stage: undefined };
  const resources = (await apigw.send(new GetResourcesCommand({ restApiId: api.id, limit: 500 }))).items ?? [];
  const webhookId = resources.find((r) => r.path === `/${ctx.names.apiResource}`)?.id;
  const [get, put, stage] = await Promise.all([
    webhookId ? getMethod(apigw, api.id!, webhookId, 'GET') : null,
    webhookId ? getMethod(apigw, api.id!, webhookId, 'PUT') : null,
    apigw.send(new GetStageCommand({ restApiId: api.id, stageName: ctx.names.apiStage })).catch((error: unknown) => {
      if (error instanceof NotFoundException) return undefined;
      throw error;
    }),
  ]);
  return { api, webhookId, get, put, stage };
}

const getComplete = (get: Method | null) => Boolean(get?.methodIntegration && get.methodResponses?.['200'] && get.methodIntegration.integrationResponses?.['200']);
const putWired = (put: Method | null, uri: string | null) => put?.methodIntegration?.type === 'AWS_PROXY' && put.methodIntegration.uri === uri;

/**
 * What apply would change, in words (empty: nothing). `uri`: the PUT integration the function
 * needs (null when the function is yet to be made); `permission`: its statement for this API.
 */
export function apiChanges(look: ApiLook, uri: string | null, permission: 'current' | 'missing' | 'other'): string[] {
  const changes: string[] = [];
  if (!look.webhookId) changes.push('add /webhook');
  if (!getComplete(look.get)) changes.push('add GET (mock)');
  if (!putWired(look.put, uri)) changes.push('connect PUT to the function');
  if (permission !== 'current') changes.push('let API Gateway invoke the function');
  if (changes.some((c) => c !== 'let API Gateway invoke the function') || !look.stage) changes.push('deploy the stage');
  if (!throttled(look.stage)) changes.push(`throttle at ${API_THROTTLE.rateLimit} requests/s`);
  return changes;
}

export const apiStep: Step<ApiOutput> = {
  id: 'api',
  title: '§6 API Gateway',
  after: ['function'],

  async plan(ctx) {
    const look = await lookAtApi(await ctx.aws.apiGateway(), ctx);
    const api = look.api;
    if (api) {
      const fn = await (await ctx.aws.lambda()).send(new GetFunctionCommand({ FunctionName: ctx.names.function })).catch((error: unknown) => {
        if (error instanceof ResourceNotFoundException) return null;
        throw error;
      });
      const arn = fn?.Configuration?.FunctionArn;
      const permission = arn ? (await permissionOf(ctx, ctx.names.function, sourceArnOf(ctx, arn, api.id!))).state : 'missing';
      const changes = apiChanges(look, arn ? integrationUri(ctx.aws.region, arn) : null, permission);
      return [
        changes.length
          ? { step: 'api', resource: `REST API ${ctx.names.api} (${api.id})`, action: 'update', detail: changes.join(', ') }
          : { step: 'api', resource: `REST API ${ctx.names.api} (${api.id})`, action: 'keep', detail: `throttled at ${API_THROTTLE.rateLimit} requests/s (burst ${API_THROTTLE.burstLimit})` },
      ];
    }
    return [
      {
            step: 'api',
            resource: `REST API ${ctx.names.api}`,
            action: 'create',
        detail: `/${ctx.names.apiResource}: GET mock, PUT → function; stage ${ctx.names.apiStage}, throttled at ${API_THROTTLE.rateLimit} requests/s (burst ${API_THROTTLE.burstLimit})`,
      },
    ];
  },

  async apply(ctx) {
    const apigw = await ctx.aws.apiGateway();
    const fn = ctx.state.outputs!.function as FunctionOutput;
    const region = ctx.aws.region;
    const task = ctx.progress.task(`API ${ctx.names.api}`, 'checking');
    const look = await lookAtApi(apigw, ctx);
    let changed = false;

    let api = look.api;
    if (!api) {
      api = await apigw.send(
        new CreateRestApiCommand({
          name: ctx.names.api,
          description: `mbed-tsdb ${ctx.stack}: receives Connector notifications`,
          endpointConfiguration: { types: ['REGIONAL'] },
          tags: ctx.tags,
        }),
      );
      changed = true;
    }
    const restApiId = api.id!;
    let resourceId = look.webhookId;
    if (!resourceId) {
      const root = ((await apigw.send(new GetResourcesCommand({ restApiId, limit: 500 }))).items ?? []).find((r) => r.path === '/')!;
      resourceId = (await apigw.send(new CreateResourceCommand({ restApiId, parentId: root.id, pathPart: ctx.names.apiResource }))).id!;
      changed = true;
    }

    // Each part is checked on its own, so a run stopped between two of them is finished.
    const get = look.get;
    if (!getComplete(get)) {
      task.update('adding GET (mock)');
      if (!get) await apigw.send(new PutMethodCommand({ restApiId, resourceId, httpMethod: 'GET', authorizationType: 'NONE' }));
      if (!get?.methodIntegration) {
        await apigw.send(
          new PutIntegrationCommand({ restApiId, resourceId, httpMethod: 'GET', type: 'MOCK', requestTemplates: { 'application/json': '{"statusCode": 200}' } }),
        );
      }
      if (!get?.methodResponses?.['200']) await apigw.send(new PutMethodResponseCommand({ restApiId, resourceId, httpMethod: 'GET', statusCode: '200' }));
      if (!get?.methodIntegration?.integrationResponses?.['200']) {
        await apigw.send(new PutIntegrationResponseCommand({ restApiId, resourceId, httpMethod: 'GET', statusCode: '200', responseTemplates: { 'application/json': '' } }));
      }
      changed = true;
    }
    const uri = integrationUri(region, fn.arn);
    if (!putWired(look.put, uri)) {
      task.update('connecting PUT to the function');
      if (!look.put) await apigw.send(new PutMethodCommand({ restApiId, resourceId, httpMethod: 'PUT', authorizationType: 'NONE' }));
      await apigw.send(new PutIntegrationCommand({ restApiId, resourceId, httpMethod: 'PUT', type: 'AWS_PROXY', integrationHttpMethod: 'POST', uri }));
      changed = true;
    }

    // Lambda permission, scoped to this API's PUT /webhook on any stage.
    await ensurePermission(ctx, fn, sourceArnOf(ctx, fn.arn, restApiId), task);

    const stageName = ctx.names.apiStage;
    let stage = look.api ? look.stage : undefined;
    if (changed || !stage) {
      task.update(`deploying to stage ${stageName}`);
      await apigw.send(new CreateDeploymentCommand({ restApiId, stageName, description: 'mbed-tsdb setup' }));
      stage ??= await apigw.send(new GetStageCommand({ restApiId, stageName }));
    }
    if (!throttled(stage)) {
      task.update(`throttling stage ${stageName}`);
      await apigw.send(
        new UpdateStageCommand({
          restApiId,
          stageName,
          patchOperations: [
            { op: 'replace', path: `/${THROTTLE_KEY}/throttling/rateLimit`, value: String(API_THROTTLE.rateLimit) },
            { op: 'replace', path: `/${THROTTLE_KEY}/throttling/burstLimit`, value: String(API_THROTTLE.burstLimit) },
          ],
        }),
      );
    }
    const url = webhookUrl(restApiId, region, ctx.names.apiStage, ctx.names.apiResource);
    task.done(url);
    return { id: restApiId, url };
  },

  async remove(ctx) {
    const apigw = await ctx.aws.apiGateway();
    const api = await ownOrNull(() => findApi(apigw, ctx));
    if (!api) return;
    // DeleteRestApi is limited to about one call per 30 seconds per account: wait, don't fail.
    await retry(() => apigw.send(new DeleteRestApiCommand({ restApiId: api.id })), {
      what: `API Gateway to accept deleting ${api.id}`,
      delay: { baseMs: 30_000, maxMs: 60_000, random: ctx.random },
      attempts: 20,
      sleep: ctx.sleep,
      now: ctx.now,
      shouldRetry: (error) => error instanceof TooManyRequestsException && 'DeleteRestApi is rate-limited: waiting',
    });
    reportRemoved(ctx, `REST API ${ctx.names.api} (${api.id})`);
  },
};
