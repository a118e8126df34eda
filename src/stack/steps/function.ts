// Tutorial §5: the webhook function, in the VPC with its own security group, running the
// bundled zip. Its log group is made first, tagged and with a retention period, so Lambda
// does not make one that outlives the stack. Unchanged code is not uploaded again.

import {
  CreateLogGroupCommand,
  DeleteLogGroupCommand,
  paginateDescribeLogGroups,
  type CloudWatchLogsClient,
  type LogGroup,
  PutRetentionPolicyCommand,
  ResourceNotFoundException as LogGroupNotFound,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  InvalidParameterValueException,
  InvokeCommand,
  ListTagsCommand,
  ResourceConflictException,
  ResourceNotFoundException,
  ResourceNotReadyException,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  type FunctionConfiguration,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { explainAwsError, isAccessDenied } from '../../aws/errors.js';
import { UserFacingError } from '../../errors.js';
import { done, notYet, retry, waitFor } from '../../util/wait.js';
import { functionPackage } from '../package.js';
import { checkOwner, reportRemoved, ConflictError, type Step, type StepContext } from '../step.js';
import type { AccessOutput } from './access.js';
import type { NetworkOutput } from './network.js';
import type { RoleOutput } from './role.js';

export const LOG_RETENTION_DAYS = 30;
/** The function's memory (MB): also what its duration is billed by. */
export const FUNCTION_MEMORY_MB = 256;
export const POLL_MS = 2_000;

export interface FunctionOutput {
  name: string;
  arn: string;
  codeSha256: string;
}

/** The environment before the database is known; the configure step adds the rest. */
/** How long one invocation may run. */
export const FUNCTION_TIMEOUT_SECONDS = 30;

export function baseEnvironment(ctx: StepContext): Record<string, string> {
  const secret = ctx.state.webhookSecret;
  if (!secret) throw new Error('the webhook secret must be saved in the state before the function is made');
  return {
    WEBHOOK_SECRET: secret,
    DB_NAME: ctx.names.dbName,
    DB_USER: ctx.names.dbWebhookUser,
    DB_TABLE: ctx.names.table,
    // A CA of the stack's own travels in the function's zip (Lambda's environment holds 4 KB).
    DB_TLS: ctx.answers.dbCaPem ? 'ca-file' : 'rds',
  };
}

/**
 * A function's tags, read explicitly: GetFunction returns them only to callers allowed
 * lambda:ListTags, and without them our function would look like somebody else's.
 */
export async function functionTags(lambda: LambdaClient, arn: string): Promise<Record<string, string>> {
  try {
    return (await lambda.send(new ListTagsCommand({ Resource: arn }))).Tags ?? {};
  } catch (error) {
    throw isAccessDenied(error) ? explainAwsError(error)! : error;
  }
}

/** Lambda keeps 4 KB of environment for all variables together (its quotas). */
export const ENVIRONMENT_LIMIT_BYTES = 4096;

/** Refuses an environment Lambda would refuse, saying which variables make it large. */
export function checkEnvironmentSize(variables: Record<string, string>): Record<string, string> {
  const size = Buffer.byteLength(JSON.stringify(variables));
  if (size > ENVIRONMENT_LIMIT_BYTES) {
    const largest = Object.entries(variables).sort(([, a], [, b]) => b.length - a.length).slice(0, 2).map(([k, v]) => `${k} (${v.length} bytes)`);
    throw new UserFacingError(`the function's environment would be ${size} bytes, more than the ${ENVIRONMENT_LIMIT_BYTES} Lambda keeps; largest: ${largest.join(', ')}`, {
      code: 'FUNCTION_FAILED',
    });
  }
  return variables;
}

async function findFunction(lambda: LambdaClient, ctx: StepContext): Promise<FunctionConfiguration | null> {
  try {
    const found = await lambda.send(new GetFunctionCommand({ FunctionName: ctx.names.function }));
    checkOwner(ctx, `Lambda function ${ctx.names.function}`, await functionTags(lambda, found.Configuration!.FunctionArn!));
    return found.Configuration ?? null;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return null;
    throw error;
  }
}

export const READY_LIMIT_MS = 15 * 60_000;
/** How long a new role may take to reach Lambda and EC2: Terraform's lambdaPropagationTimeout, plus EC2 throttling. */
export const PROPAGATION_LIMIT_MS = 10 * 60_000;

/**
 * CreateFunction's refusals that heal by themselves (Terraform's aws_lambda_function retries
 * the same): the new role is not yet usable by Lambda, its EC2 rights for the VPC have not
 * propagated (two wordings), or EC2 throttled Lambda while it made the network interfaces.
 */
const PROPAGATING = [
  /cannot be assumed by Lambda/i,
  /execution role does not have permissions to call (CreateNetworkInterface|DescribeNetworkInterfaces) on EC2/i,
  /throttled by EC2/i,
];

/**
 * The zones a CreateFunction refusal names as ones Lambda does not run in ("The provided subnets
 * contain availability zone Lambda doesn't support: us-east-1e"), by name or zone ID; [] otherwise.
 */
export function refusedZones(error: unknown): string[] {
  if (!(error instanceof InvalidParameterValueException)) return [];
  const message = String(error.message);
  if (!/availability zones? Lambda doesn'?t support/i.test(message)) return [];
  return [...new Set(message.match(/\b(?:[a-z]{2}(?:-[a-z]+)+-\d[a-z]|[a-z]{3,5}\d-az\d+)\b/g) ?? [])];
}

/** The subnets left for the function once those in refused zones are left out (null: none named, or none left). */
export function subnetsWithout(network: NetworkOutput, zones: string[]): { kept: string[]; dropped: string[] } | null {
  if (zones.length === 0) return null;
  const inRefused = (id: string) => {
    const zone = network.zones?.[id];
    return Boolean(zone && (zones.includes(zone.name) || (zone.id !== undefined && zones.includes(zone.id))));
  };
  const kept = network.subnetIds.filter((id) => !inRefused(id));
  const dropped = network.subnetIds.filter(inRefused);
  return kept.length > 0 && dropped.length > 0 ? { kept, dropped } : null;
}

export function whileRolePropagates(error: unknown): string | false {
  if (!(error instanceof InvalidParameterValueException)) return false;
  const message = String(error.message);
  return PROPAGATING.some((pattern) => pattern.test(message)) && `waiting for the new role to be usable (${message})`;
}

/**
 * An idle VPC function goes Inactive, and only an invocation (or an update) brings it back:
 * the invocation fails with ResourceNotReadyException and the function turns Pending, then
 * Active. A ping the function answers without its database does that.
 */
export async function wake(lambda: LambdaClient, ctx: StepContext): Promise<void> {
  try {
    await lambda.send(new InvokeCommand({ FunctionName: ctx.names.function, Payload: Buffer.from(JSON.stringify({ 'mbed-tsdb': 'ping' })) }));
  } catch (error) {
    if (!(error instanceof ResourceNotReadyException) && !(error instanceof ResourceConflictException)) throw error;
  }
}

/** Why the function's last update failed, when it did (LastUpdateStatus Failed): a new update repairs it. */
export function failedUpdate(config: FunctionConfiguration | null): string | null {
  return config?.LastUpdateStatus === 'Failed' ? (config.LastUpdateStatusReasonCode ?? config.LastUpdateStatusReason ?? 'no reason given') : null;
}

/**
 * Waits until the function is Active and no update is in progress, waking it if it went Inactive.
 * `repairing`: a failed last update is where it stands (the caller is about to update it again).
 */
export async function waitUntilReady(lambda: LambdaClient, ctx: StepContext, update: (status: string) => void, options: { repairing?: boolean } = {}): Promise<FunctionConfiguration> {
  return waitFor(
    async () => {
      const config = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: ctx.names.function }));
      if (options.repairing && config.State === 'Active' && config.LastUpdateStatus === 'Failed') return done(config);
      if (config.State === 'Failed' || config.LastUpdateStatus === 'Failed') {
        throw new UserFacingError(`Lambda could not prepare ${ctx.names.function}: ${config.StateReason ?? config.LastUpdateStatusReason ?? 'unknown reason'}`, {
          code: 'FUNCTION_FAILED',
        });
      }
      if (config.State === 'Inactive') {
        await wake(lambda, ctx);
        return notYet('Inactive after weeks unused: waking it (Lambda recreates its network interfaces)');
      }
      if (config.State === 'Active' && config.LastUpdateStatus !== 'InProgress') return done(config);
      return notYet(config.State === 'Active' ? 'updating' : `${config.State ?? 'Pending'} (network interfaces in the VPC)`);
    },
    {
      what: `${ctx.names.function} to be Active`,
      delay: { everyMs: POLL_MS },
      timeoutMs: READY_LIMIT_MS,
      sleep: ctx.sleep,
      now: ctx.now,
      onWait: ({ status }) => update(status),
    },
  );
}

/** The log group of that exact name (a prefix query lists it first, but every page is read). */
export async function findLogGroup(logs: CloudWatchLogsClient, name: string): Promise<LogGroup | null> {
  for await (const page of paginateDescribeLogGroups({ client: logs }, { logGroupNamePrefix: name })) {
    const group = page.logGroups?.find((g) => g.logGroupName === name);
    if (group) return group;
  }
  return null;
}

async function ensureLogGroup(ctx: StepContext): Promise<void> {
  const logs = await ctx.aws.logs();
  const name = ctx.names.logGroup;
  const group = await findLogGroup(logs, name);
  if (!group) await logs.send(new CreateLogGroupCommand({ logGroupName: name, tags: ctx.tags }));
  if (group?.retentionInDays !== LOG_RETENTION_DAYS) {
    await logs.send(new PutRetentionPolicyCommand({ logGroupName: name, retentionInDays: LOG_RETENTION_DAYS }));
  }
}

export const functionStep: Step<FunctionOutput> = {
  id: 'function',
  title: '§5 webhook function',
  after: ['role', 'network', 'access'],

  async plan(ctx) {
    const [found, group] = await Promise.all([findFunction(await ctx.aws.lambda(), ctx), findLogGroup(await ctx.aws.logs(), ctx.names.logGroup)]);
    const pkg = await functionPackage(ctx.answers.dbCaPem);
    const resource = `Lambda function ${ctx.names.function}`;
    if (!found) return [{ step: 'function', resource, action: 'create', detail: `${pkg.runtime}, ${(pkg.zip.length / 1024).toFixed(0)} KB, log group kept ${LOG_RETENTION_DAYS} days` }];
    const failed = failedUpdate(found);
    const changes = [
      ...(failed ? [`repair: its last update failed (${failed})`] : []),
      ...(found.CodeSha256 !== pkg.sha256 ? ['new code'] : []),
      ...(!group ? [`make its log group (kept ${LOG_RETENTION_DAYS} days)`] : group.retentionInDays !== LOG_RETENTION_DAYS ? [`keep its logs ${LOG_RETENTION_DAYS} days`] : []),
    ];
    return [changes.length ? { step: 'function', resource, action: 'update', detail: changes.join(', ') } : { step: 'function', resource, action: 'keep', detail: 'code unchanged' }];
  },

  async apply(ctx) {
    const lambda = await ctx.aws.lambda();
    const pkg = await functionPackage(ctx.answers.dbCaPem);
    const role = ctx.state.outputs!.role as RoleOutput;
    const network = ctx.state.outputs!.network as NetworkOutput;
    const access = ctx.state.outputs!.access as AccessOutput;
    const task = ctx.progress.task(`function ${ctx.names.function}`, 'checking');
    await ensureLogGroup(ctx);
    let found = await findFunction(lambda, ctx);
    const existed = found !== null;
    if (!found) {
      task.update('creating');
      // A new role takes a few seconds to become usable by Lambda; only that error is retried.
      // Subnets in zones Lambda does not run in are left out, as its refusal names them.
      let subnetIds = network.subnetIds;
      found = await retry(
        () =>
          lambda.send(
            new CreateFunctionCommand({
              FunctionName: ctx.names.function,
              Runtime: pkg.runtime as never,
              Handler: pkg.handler,
              Role: role.arn,
              Code: { ZipFile: pkg.zip },
              Description: `mbed-tsdb ${ctx.stack}: stores Connector notifications in ${ctx.names.dbName}.${ctx.names.table}`,
              Timeout: FUNCTION_TIMEOUT_SECONDS,
              MemorySize: FUNCTION_MEMORY_MB,
              Architectures: ['arm64'],
              VpcConfig: { SubnetIds: subnetIds, SecurityGroupIds: [access.functionGroupId] },
              Environment: { Variables: checkEnvironmentSize(baseEnvironment(ctx)) },
              LoggingConfig: { LogFormat: 'Text', LogGroup: ctx.names.logGroup },
              Tags: ctx.tags,
            }),
          ),
        {
          what: `Lambda to accept the new role ${ctx.names.role}`,
          delay: { baseMs: 2_000, maxMs: 20_000, random: ctx.random },
          attempts: 40,
          timeoutMs: PROPAGATION_LIMIT_MS,
          sleep: ctx.sleep,
          now: ctx.now,
          shouldRetry: (error) => {
            const without = subnetsWithout({ ...network, subnetIds }, refusedZones(error));
            if (without) {
              subnetIds = without.kept;
              const zones = [...new Set(without.dropped.map((id) => network.zones?.[id]?.name ?? id))];
              ctx.progress.note(`Lambda does not run in ${zones.join(', ')}: the function leaves out ${without.dropped.join(', ')}`);
              return 'leaving out subnets in zones Lambda does not run in';
            }
            return whileRolePropagates(error);
          },
          onWait: ({ status }) => task.update(status),
        },
      );
    } else if (found.CodeSha256 !== pkg.sha256 || failedUpdate(found)) {
      // A failed last update (Lambda function states: the function runs what it had) is repaired
      // by updating again: its code, then its configuration as it stands.
      const failed = failedUpdate(found);
      task.update(failed ? `repairing: its last update failed (${failed})` : 'uploading new code');
      await waitUntilReady(lambda, ctx, (s) => task.update(s), { repairing: true });
      await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: ctx.names.function, ZipFile: pkg.zip }));
      if (failed) {
        await waitUntilReady(lambda, ctx, (s) => task.update(s), { repairing: true });
        await lambda.send(
          new UpdateFunctionConfigurationCommand({
            FunctionName: ctx.names.function,
            Environment: { Variables: found.Environment?.Variables ?? baseEnvironment(ctx) },
            VpcConfig: { SubnetIds: found.VpcConfig?.SubnetIds?.length ? found.VpcConfig.SubnetIds : network.subnetIds, SecurityGroupIds: [access.functionGroupId] },
          }),
        );
      }
    }
    const ready = await waitUntilReady(lambda, ctx, (s) => task.update(s));
    task.done(!existed ? 'created, Active' : failedUpdate(found) ? 'Active, repaired' : found.CodeSha256 === pkg.sha256 ? 'Active, code unchanged' : 'Active, new code');
    return { name: ctx.names.function, arn: ready.FunctionArn!, codeSha256: ready.CodeSha256! };
  },

  async remove(ctx) {
    const lambda = await ctx.aws.lambda();
    try {
      if (await findFunction(lambda, ctx)) {
        await lambda.send(new DeleteFunctionCommand({ FunctionName: ctx.names.function }));
        reportRemoved(ctx, `Lambda function ${ctx.names.function}`);
      }
    } catch (error) {
      if (error instanceof ConflictError) return; // somebody else's: neither it nor its logs are touched
      throw error;
    }
    try {
      await (await ctx.aws.logs()).send(new DeleteLogGroupCommand({ logGroupName: ctx.names.logGroup }));
      reportRemoved(ctx, `log group ${ctx.names.logGroup}`);
    } catch (error) {
      if (!(error instanceof LogGroupNotFound)) throw error;
    }
  },
};
