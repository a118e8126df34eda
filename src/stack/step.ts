// What every provisioning step is: one tutorial section that can find, create (or adopt),
// describe and delete its own resources, talking to AWS only through the client factory.

import type { AwsClients } from '../aws/clients.js';
import type { Net } from '../net/http.js';
import { UserFacingError } from '../errors.js';
import type { Progress, Task } from '../ui/progress.js';
import type { StackNames } from './naming.js';
import type { StackState } from './state.js';
import { ownedBy } from './naming.js';

export type StepId = 'role' | 'network' | 'access' | 'access-rules' | 'database' | 'database-ready' | 'db-access' | 'table' | 'function' | 'configure' | 'rollup' | 'reshape' | 'retention' | 'schedule' | 'api' | 'connector' | 'alerts' | 'selftest';

/** What the user chose (flags, saved answers or prompts): everything but the API key. */
export interface SetupAnswers {
  engine: 'mysql' | 'aurora-mysql';
  /** An instance class instead of the default (MySQL: the cheapest offered; Aurora: Serverless v2). */
  dbClass?: string | undefined;
  /** MySQL: how far RDS may grow the storage when it fills (GiB; default DEFAULT_MAX_STORAGE_GB). */
  maxStorage?: number | undefined;
  /** Days raw readings are kept (older months dropped; their rollup sums stay); null or absent: forever. */
  keepRawDays?: number | null | undefined;
  access: 'my-ip' | 'private';
  /** The desktop's address block for the database's security group (my-ip mode). */
  cidr?: string | undefined;
  vpcId?: string | undefined;
  subnetIds?: string[] | undefined;
  /** PEM of the database's CA when not one the bundled Amazon RDS CAs cover: desktop and function use it. */
  dbCaPem?: string | undefined;
  /** Given with --db-ca, or the region's bundle fetched from Amazon's truststore. */
  dbCaSource?: 'flag' | 'region-bundle' | undefined;
  connectorHost: string;
  endpoints: string[];
  resource: string;
  /** Consent, for this run only, to replace a callback another application receives. */
  replaceCallback?: boolean | undefined;
  /** Where alarms are mailed (an SNS email subscription); absent: no alerts. */
  alertEmail?: string | undefined;
  /** Readings a second expected over all devices, for the cost estimate (--expected-rate). */
  expectedRate?: number | undefined;
  /** Minutes without a reading (of all, or of a known device) before an alarm; default 30. */
  quietAfterMinutes?: number | undefined;
  /** This run only (mbed-tsdb alerts --email): mail the confirmation link again to an address still pending. */
  resendConfirmation?: boolean | undefined;
  /** Move a table made before monthly partitions to today's shape (this run only: it takes a while). */
  reshapeTable?: boolean | undefined;
}

export interface StepContext {
  stack: string;
  answers: SetupAnswers;
  /** The Connector API key: used, never saved. */
  apiKey?: string | undefined;
  /** Where the webhook is reached; the real execute-api URL unless a test or emulator says otherwise. */
  reachable?: (url: string) => string;
  names: StackNames;
  tags: Record<string, string>;
  aws: AwsClients;
  /** HTTP(S) beyond AWS (Connector, webhook), through the proxy when one is set; default: the built-in fetch. */
  net?: Net;
  /** The state as saved so far; steps read earlier outputs from it. */
  state: StackState;
  progress: Progress;
  sleep: (ms: number) => Promise<void>;
  /** Teardown: how long to wait for resources that linger (a VPC function's network interfaces). */
  waitLimitMs?: number;
  /** Teardown: what was deleted, in the order it went. */
  removed?: string[];
  /** Teardown: keep a final snapshot of the database under this name. */
  finalSnapshot?: string | undefined;
  /** Aborted on Ctrl+C: no new step starts and waits end at once. */
  signal?: AbortSignal;
  /** Milliseconds; injected so waits can run on a fake clock. */
  now: () => number;
  /** The back-off's jitter, 0..1 (default Math.random); tests fix it so runs repeat exactly. */
  random?: () => number;
}

/** Teardown: a resource is gone — a ✓ line (its own task's, when it had one to wait on) and a record, in order. */
export function reportRemoved(ctx: StepContext, what: string, task?: Task): void {
  (ctx.removed ??= []).push(what);
  (task ?? ctx.progress.task(what)).done('deleted');
}

/** What planning found for one resource. */
export interface PlanItem {
  step: StepId;
  resource: string;
  action: 'create' | 'update' | 'keep';
  detail?: string;
  /** Connector: the callback of another application this would replace (consent is asked). */
  replaces?: string;
}

export interface Step<Out = unknown> {
  id: StepId;
  /** The tutorial section, for the plan and the progress lines. */
  title: string;
  /** Steps whose outputs this one needs. */
  after: StepId[];
  /** Read-only: what exists and what apply would do. Throws ConflictError for a foreign resource. */
  plan(ctx: StepContext): Promise<PlanItem[]>;
  /** Finds or creates; safe to run again at any point. Returns what later steps need. */
  apply(ctx: StepContext): Promise<Out>;
  /** Deletes what this step created, if it is still there and ours. */
  remove(ctx: StepContext): Promise<void>;
}

/** Where this run reaches a webhook URL (the URL itself, unless a test or emulator maps it). */
export function reachableUrl(ctx: Pick<StepContext, 'reachable'>, url: string): string {
  return ctx.reachable ? ctx.reachable(url) : url;
}

/** A resource with our name that belongs to somebody else: never adopted, never deleted. */
export class ConflictError extends UserFacingError {
  override name = 'ConflictError';
  constructor(message: string) {
    super(message, { code: 'CONFLICT' });
  }
}

/**
 * Throws ConflictError unless the tags say the resource is this stack's.
 * `what` names it for the message, e.g. "IAM role mbed_time_series_database".
 */
export function checkOwner(ctx: { stack: string }, what: string, tags: Record<string, string | undefined>): void {
  const owner = ownedBy(tags, ctx.stack);
  if (owner === 'ours') return;
  throw new ConflictError(
    `${what} already exists and ${owner === 'foreign' ? 'belongs to another mbed-tsdb stack' : 'was not made by mbed-tsdb'}: ` +
      'delete it, or choose another --stack (which gets its own names)',
  );
}

/** For removal: what `find` returns, or null when the resource is somebody else's (never touched). */
export async function ownOrNull<T>(find: () => Promise<T | null>): Promise<T | null> {
  try {
    return await find();
  } catch (error) {
    if (error instanceof ConflictError) return null;
    throw error;
  }
}
