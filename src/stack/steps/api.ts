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
} from '@aws-sdk/client-api-gateway';
import { AddPermissionCommand, GetPolicyCommand, RemovePermissionCommand, ResourceConflictException, ResourceNotFoundException } from '@aws-sdk/client-lambda';
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
async function ensurePermission(ctx: StepContext, fn: FunctionOutput, sourceArn: string, task: Task): Promise<void> {
  const lambda = await ctx.aws.lambda();
  const statementId = `mbed-tsdb-${ctx.stack}-put`;
  let statements: Array<{ Sid?: string; Condition?: { ArnLike?: Record<string, string> } }> = [];
  try {
    statements = JSON.parse((await lambda.send(new GetPolicyCommand({ FunctionName: fn.name }))).Policy ?? '{}').Statement ?? [];
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  const ours = statements.find((s) => s.Sid === statementId);
  if (ours?.Condition?.ArnLike?.['AWS:SourceArn'] === sourceArn) return;
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

export const apiStep: Step<ApiOutput> = {
  id: 'api',
  title: '§6 API Gateway',
  after: ['function'],

  async plan(ctx) {
    const api = await findApi(await ctx.aws.apiGateway(), ctx);
    return [
      api
        ? { step: 'api', resource: `REST API ${ctx.names.api} (${api.id})`, action: 'keep', detail: `throttled at ${API_THROTTLE.rateLimit} requests/s (burst ${API_THROTTLE.burstLimit})` }
        : {
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
    const account = fn.arn.split(':')[4]!;
    const task = ctx.progress.task(`API ${ctx.names.api}`, 'checking');
    let changed = false;

    let api = await findApi(apigw, ctx);
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
    const resources = (await apigw.send(new GetResourcesCommand({ restApiId, limit: 500 }))).items ?? [];
    const root = resources.find((r) => r.path === '/')!;
    let webhook = resources.find((r) => r.path === `/${ctx.names.apiResource}`);
    if (!webhook) {
      webhook = await apigw.send(new CreateResourceCommand({ restApiId, parentId: root.id, pathPart: ctx.names.apiResource }));
      changed = true;
    }
    const resourceId = webhook.id!;

    // Each part is checked on its own, so a run stopped between two of them is finished.
    const get = await getMethod(apigw, restApiId, resourceId, 'GET');
    if (!get) await apigw.send(new PutMethodCommand({ restApiId, resourceId, httpMethod: 'GET', authorizationType: 'NONE' }));
    if (!get?.methodIntegration) {
      task.update('adding GET (mock)');
      await apigw.send(
        new PutIntegrationCommand({ restApiId, resourceId, httpMethod: 'GET', type: 'MOCK', requestTemplates: { 'application/json': '{"statusCode": 200}' } }),
      );
    }
    if (!get?.methodResponses?.['200']) {
      await apigw.send(new PutMethodResponseCommand({ restApiId, resourceId, httpMethod: 'GET', statusCode: '200' }));
    }
    if (!get?.methodIntegration?.integrationResponses?.['200']) {
      await apigw.send(new PutIntegrationResponseCommand({ restApiId, resourceId, httpMethod: 'GET', statusCode: '200', responseTemplates: { 'application/json': '' } }));
    }
    if (!get?.methodIntegration?.integrationResponses?.['200']) changed = true;
    const uri = integrationUri(region, fn.arn);
    const put = await getMethod(apigw, restApiId, resourceId, 'PUT');
    if (!put) {
      await apigw.send(new PutMethodCommand({ restApiId, resourceId, httpMethod: 'PUT', authorizationType: 'NONE' }));
      changed = true;
    }
    if (put?.methodIntegration?.uri !== uri || put.methodIntegration.type !== 'AWS_PROXY') {
      task.update('connecting PUT to the function');
      await apigw.send(new PutIntegrationCommand({ restApiId, resourceId, httpMethod: 'PUT', type: 'AWS_PROXY', integrationHttpMethod: 'POST', uri }));
      changed = true;
    }

    // Lambda permission, scoped to this API's PUT /webhook on any stage.
    await ensurePermission(ctx, fn, `arn:${partitionOf(region).partition}:execute-api:${region}:${account}:${restApiId}/*/PUT/${ctx.names.apiResource}`, task);

    const stageName = ctx.names.apiStage;
    let stage = await apigw.send(new GetStageCommand({ restApiId, stageName })).catch((error: unknown) => {
      if (error instanceof NotFoundException) return undefined;
      throw error;
    });
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
