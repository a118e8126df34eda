// A stateful, in-memory fake of the AWS operations mbed-tsdb uses, behind the real SDK
// clients (aws-sdk-client-mock intercepts every client's send). It answers as the services
// do — the same exception classes, idempotency rules and conflicts — and records every
// call so tests can assert the exact requests, and can crash the run at any mutating call,
// before AWS acts or after it acted with the answer lost. One module per service: ./aws-fake/.

import type { Tag } from '@aws-sdk/client-iam';
import { actionsForCall, grants, type PolicyDocument } from '../../src/aws/permissions.js';
import type { IpPermission, Tag as Ec2Tag } from '@aws-sdk/client-ec2';
import type { Tag as RdsTag } from '@aws-sdk/client-rds';
import { installApiGateway } from './aws-fake/apigateway.js';
import { extractMetrics, installCloudWatch, type Datapoint, type FakeAlarm } from './aws-fake/cloudwatch.js';
import { installEc2 } from './aws-fake/ec2.js';
import { installIam } from './aws-fake/iam.js';
import { installLambda } from './aws-fake/lambda.js';
import { installLogs } from './aws-fake/logs.js';
import { PRICE_CATALOGUE, type CatalogueProduct } from './aws-fake/price-catalogue.js';
import { installPricing } from './aws-fake/pricing.js';
import { installRds } from './aws-fake/rds.js';
import { installScheduler, type FakeSchedule } from './aws-fake/scheduler.js';
import { installSns, type Delivered, type FakeTopic } from './aws-fake/sns.js';
import { installSts } from './aws-fake/sts.js';

export interface AwsCall {
  service: string;
  command: string;
  input: Record<string, unknown>;
  mutating: boolean;
}

/**
 * The process dying at a mutating call. `before`: the request never reached AWS. `after`:
 * AWS made the change and the answer was lost (a kill, a dropped connection) — the crash
 * that matters most, since the tool must then find what it does not know it made.
 */
export class SimulatedCrash extends Error {
  override name = 'SimulatedCrash';
}

export type CrashMode = 'before' | 'after';

/** The fake's service names → the SDK client packages the permission table is keyed by. */
const CLIENT_OF_FAKE: Record<string, string> = { logs: 'cloudwatch-logs', apigateway: 'api-gateway', monitoring: 'cloudwatch' };

/** How each service says no: its own error name, the action, and who asked. */
function accessDenied(service: string, action: string, account: string): Error {
  const name = service === 'ec2' ? 'UnauthorizedOperation' : service === 'iam' || service === 'rds' ? 'AccessDenied' : 'AccessDeniedException';
  const message = `User: arn:aws:iam::${account}:user/mbed-setup is not authorized to perform: ${action} because no identity-based policy allows the ${action} action`;
  return Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode: 403 } });
}

export interface CrashPlan {
  /** The n-th mutating call from now (1-based), or the first mutating call of this command. */
  at: number | string;
  mode: CrashMode;
}

export interface CrashReport {
  /** 1-based among the mutating calls counted since the crash was planned. */
  index: number;
  command: string;
  mode: CrashMode;
  /** Whether AWS made the change before the crash (after mode, and the call succeeded). */
  applied: boolean;
}

/** aws-sdk-client-mock's stub, whatever its client: commands are typed at `handle`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyStub = { on(command: any): { callsFake(fn: (input: any, getClient: any) => unknown): unknown } };

export interface HandlerSpec<I> {
  service: string;
  name: string;
  mutating: boolean;
  /** What the call log keeps of the input (large or binary fields left out). */
  recordAs?: (input: I) => object;
}

export interface Role {
  createdAt: number;
  arn: string;
  trust: string;
  tags: Tag[];
  attached: Set<string>;
  /** When each policy was attached: its permissions reach other services some seconds later. */
  attachedAt?: Map<string, number>;
  /** Inline policies by name (PutRolePolicy), with when each was put. */
  inline: Map<string, { document: string; putAt: number }>;
}

/** What every fake error carries, as the SDK's deserialised errors do. */
export interface LogRecord {
  timestamp: number;
  message: string;
  eventId: string;
  logStreamName: string;
  /** On the fake's clock: FilterLogEvents finds it from then on. */
  searchableAt: number;
}

export const meta = { $metadata: { httpStatusCode: 400 } };

export interface Group {
  id: string;
  name: string;
  vpcId: string;
  description: string;
  tags: Ec2Tag[];
  /** One entry per single source, as EC2 keeps them. */
  rules: IpPermission[];
  /** Until then the new group is not found by id or listed (EC2's eventual consistency). */
  visibleAt?: number;
}

export interface DbInstance {
  id: string;
  engine: string;
  instanceClass: string;
  clusterId?: string;
  createdAt: number;
  deletingAt?: number;
  publicly: boolean;
  securityGroups: string[];
  subnetGroup: string;
  deletionProtection: boolean;
  tags: RdsTag[];
  password?: string;
  /** A master password reset in progress: RDS shows the new one pending until then. */
  reset?: { until: number };
  /** DbiResourceId: what rds-db:connect policies name. */
  resourceId: string;
  /** IAM database authentication as applied (a change is `modifying` until `iamPending.until`). */
  iamAuth: boolean;
  iamPending?: { value: boolean; until: number };
  /** When a change of IAM authentication took effect (absent: as made). */
  iamAppliedAt?: number;
  /** GiB; absent for an Aurora member (its cluster manages storage). */
  allocatedStorage?: number;
  /** Storage autoscaling's upper limit (GiB); absent: off. */
  maxAllocatedStorage?: number;
  /** Its storage grew: `storage-optimization` (usable) until then (ms). */
  optimizingUntil?: number;
  /** Its storage is full: `storage-full` until its storage grows. */
  storageFull?: boolean;
}

export interface LambdaFunction {
  name: string;
  arn: string;
  role: string;
  runtime: string;
  handler: string;
  zip: Buffer;
  codeSha256: string;
  environment: Record<string, string>;
  vpc: { SubnetIds?: string[]; SecurityGroupIds?: string[] };
  tags: Record<string, string>;
  createdAt: number;
  updatedAt: number;
  /** Last invocation (or creation or update): an idle VPC function goes Inactive. */
  usedAt?: number;
  /** Woken from Inactive: Pending until then. */
  wakingUntil?: number;
  /**
   * The last update failed (LastUpdateStatus Failed, with its reason): the function keeps running
   * what it had; a new update is accepted and replaces the verdict ("Lambda function states").
   */
  lastUpdateFailed?: { reason: string; code: string };
  policy: Array<{ Sid: string; Principal: string; SourceArn?: string; Action: string }>;
  request: Record<string, unknown>;
}

export interface ApiMethod {
  authorizationType: string;
  integration?: Record<string, unknown>;
  responses: string[];
  integrationResponses: string[];
}

export interface RestApi {
  id: string;
  name: string;
  tags: Record<string, string>;
  request: Record<string, unknown>;
  resources: Map<string, { id: string; path: string; pathPart?: string; parentId?: string; methods: Map<string, ApiMethod> }>;
  deployments: Array<{ stageName?: string; at: number }>;
  /** By stage name: its method settings, keyed as GetStage shows them (all methods, or ~1webhook/PUT). */
  stages: Map<string, { methodSettings: Record<string, { throttlingRateLimit?: number; throttlingBurstLimit?: number }> }>;
}

export interface DbCluster {
  id: string;
  createdAt: number;
  deletingAt?: number;
  tags: RdsTag[];
  password: string;
  subnetGroup: string;
  engineVersion: string;
  scaling?: { MinCapacity?: number; MaxCapacity?: number };
  reset?: { until: number };
  /** DbClusterResourceId. */
  resourceId: string;
  iamAuth: boolean;
  iamPending?: { value: boolean; until: number };
  iamAppliedAt?: number;
}

export interface EngineVersion {
  Engine: string;
  EngineVersion: string;
  IsDefault?: boolean;
  ServerlessV2FeaturesSupport?: { MinCapacity?: number; MaxCapacity?: number };
}

export class FakeAws {
  readonly account = '123456789012';
  /** The region the last call was sent to. */
  region = 'us-west-2';

  /** The partition of that region, as the account's ARNs show it. */
  get partition(): string {
    return this.region.startsWith('cn-') ? 'aws-cn' : this.region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
  }
  readonly calls: AwsCall[] = [];
  /** Waited before every answer: the bench's per-call latency, on its virtual clock. */
  latency: (() => Promise<void>) | undefined;
  private crashPlan: CrashPlan | null = null;
  private mutations = 0;
  /** Where the planned crash happened; null while it has not. */
  crashed: CrashReport | null = null;
  /** Every installed mock, restored together. */
  readonly stubs: Array<{ restore(): void }> = [];

  readonly iam = { roles: new Map<string, Role>() };
  readonly ec2 = {
    /**
     * DNS attributes (DescribeVpcAttribute): a default VPC has both on; a VPC made with CreateVpc
     * has DNS support on and DNS hostnames off unless said otherwise (VPC user guide, "DNS
     * attributes for your VPC").
     */
    vpcs: [{ VpcId: 'vpc-0default', IsDefault: true, CidrBlock: '172.31.0.0/16' }] as Array<{ VpcId: string; IsDefault: boolean; CidrBlock: string; EnableDnsSupport?: boolean; EnableDnsHostnames?: boolean }>,
    subnets: [
      { SubnetId: 'subnet-0a', VpcId: 'vpc-0default', AvailabilityZone: 'us-west-2a' },
      { SubnetId: 'subnet-0b', VpcId: 'vpc-0default', AvailabilityZone: 'us-west-2b' },
      { SubnetId: 'subnet-0c', VpcId: 'vpc-0default', AvailabilityZone: 'us-west-2c' },
    ],
    groups: new Map<string, Group>(),
    /** Groups held by a deleted function's network interfaces, until this time (ms). */
    inUse: new Map<string, number>(),
    /** How long those interfaces linger after the function is deleted. */
    eniLingerMs: 25 * 60_000,
    /**
     * A new security group is unknown to other calls for this long (InvalidGroup.NotFound,
     * missing from DescribeSecurityGroups): "EC2 API eventual consistency" in the EC2 API
     * reference, and Terraform's aws_security_group waits for it the same way.
     */
    visibilityMs: 5_000,
  };
  /**
   * IAM actions the caller's credentials lack: a call needing one is refused as AWS refuses
   * it ("User: … is not authorized to perform: lambda:ListTags on resource: …").
   */
  readonly denied = new Set<string>();
  /** The caller's only policy, when set: an action it does not grant is refused (by action, not resource). */
  allowedBy: PolicyDocument | null = null;
  /**
   * The credential chain's trouble, before any request leaves: none found (the SDK's
   * CredentialsProviderError), or expired (STS's ExpiredToken, which every service answers).
   */
  credentials: 'valid' | 'missing' | 'expired' = 'valid';
  /** List calls answer at most this many items a page: callers must follow the pages. */
  pageSize = 100;
  /** For resource ids the services make up. */
  nextId = 1;
  readonly lambda = {
    functions: new Map<string, LambdaFunction>(),
    /** A new role cannot be assumed by Lambda for this long (IAM propagation). */
    roleDelayMs: 10_000,
    /**
     * A VPC function's role proves its EC2 rights only this long after the VPC policy was
     * attached: until then CreateFunction says the role may not call CreateNetworkInterface
     * (in the last third: DescribeNetworkInterfaces) on EC2, as Terraform's aws_lambda_function retries.
     */
    vpcPermissionDelayMs: 30_000,
    /** Availability zones Lambda does not run in: a function's subnet there is refused. */
    unsupportedZones: new Set<string>(),
    /** The next n CreateFunction calls with a VpcConfig are "throttled by EC2". */
    ec2Throttles: 0,
    /** Pending → Active (VPC network interfaces). */
    activeMs: 60_000,
    /**
     * An unused VPC function becomes Inactive after this (Lambda reclaims its network
     * interfaces); an invocation then fails with ResourceNotReadyException and wakes it
     * (Pending, then Active): the Lambda developer guide, "Lambda function states".
     */
    idleMs: 14 * 24 * 60 * 60_000,
    updateMs: 5_000,
    /** Runs a direct invocation; tests wire it to the real handler. */
    invoke: undefined as undefined | ((fn: LambdaFunction, payload: unknown) => Promise<unknown>),
  };
  readonly scheduler = {
    groups: new Map<string, { tags: Record<string, string> }>(),
    /** By `group/name`. */
    schedules: new Map<string, FakeSchedule>(),
  };
  readonly sns = {
    topics: new Map<string, FakeTopic>(),
    /** What each address received, in order: confirmation requests (with their tokens) and notifications. */
    outbox: [] as Delivered[],
    nextId: 0,
  };
  readonly pricing = {
    /** The Price List's products (every region's); tests may add or remove. */
    products: [...PRICE_CATALOGUE] as CatalogueProduct[],
    publicationDate: '2026-12-01T00:00:00Z',
    /** The region of the last pricing client: only the Price List's own endpoints answer. */
    clientRegion: 'us-east-1',
    /** When set, GetProducts fails with this (a throttle, an outage). */
    failure: undefined as undefined | (() => Error),
    /** GetProducts never answers (packets dropped on the way): only a deadline ends the wait. */
    hang: false,
  };
  readonly cloudwatch = {
    alarms: new Map<string, FakeAlarm>(),
    datapoints: [] as Datapoint[],
  };
  /** A metric value as an AWS service publishes it (AWS/Lambda, AWS/ApiGateway, AWS/RDS), at the fake's clock. */
  putMetric(namespace: string, name: string, dimensions: Record<string, string>, value: number, timestamp = this.clock()): void {
    this.cloudwatch.datapoints.push({ namespace, name, dimensions, value, timestamp });
  }
  readonly apigateway = {
    apis: new Map<string, RestApi>(),
    /** DeleteRestApi is allowed about once per 30 s per account. */
    lastDeleteAt: -Infinity,
  };
  readonly logs = {
    groups: new Map<string, { retention?: number; tags: Record<string, string>; events: LogRecord[] }>(),
    /** How long an event takes to become searchable (CloudWatch ingests with a delay, not always in order). */
    ingestionDelayMs: 0,
    /** Whether the region offers Live Tail (StartLiveTail). */
    liveTail: true,
    /** Open live tail sessions: each gets the events written after it started. */
    tails: new Set<{ group: string; push: (record: LogRecord) => void }>(),
    /** Sessions started so far, and how long one lasts (three hours, on the fake's clock). */
    sessions: 0,
    sessionLimitMs: 3 * 60 * 60_000,
    nextEventId: 0,
  };

  /** What Lambda does with a line the function writes: an event in its log group (made if missing, as Lambda does). */
  writeLog(group: string, message: string, options: { timestamp?: number; delayMs?: number; stream?: string } = {}): LogRecord {
    let found = this.logs.groups.get(group);
    if (!found) this.logs.groups.set(group, (found = { tags: {}, events: [] }));
    const timestamp = options.timestamp ?? this.clock();
    const record: LogRecord = {
      timestamp,
      message,
      eventId: String(++this.logs.nextEventId).padStart(12, '0'),
      logStreamName: options.stream ?? '2026/11/28/[$LATEST]0123456789abcdef',
      searchableAt: this.clock() + (options.delayMs ?? this.logs.ingestionDelayMs),
    };
    found.events.push(record);
    for (const tail of this.logs.tails) if (tail.group === group) tail.push(record);
    // CloudWatch Logs extracts the metrics a line carries in embedded metric format.
    this.cloudwatch.datapoints.push(...extractMetrics(message));
    return record;
  }
  /** Milliseconds, shared with the test's fake clock so waits are instant. */
  clock: () => number = () => 0;
  readonly rds = {
    instances: new Map<string, DbInstance>(),
    clusters: new Map<string, DbCluster>(),
    subnetGroups: new Map<string, { subnets: string[]; tags: RdsTag[] }>(),
    offeredClasses: new Set(['db.t4g.micro', 'db.t3.micro', 'db.t3.small', 'db.serverless']),
    bootMs: 300_000,
    deleteMs: 60_000,
    /**
     * A master password reset runs this long (status resetting-master-credentials, the new
     * password pending), and the server takes the new password this much later still.
     */
    resetMs: 60_000,
    passwordLagMs: 10_000,
    /** ModifyDB* with ApplyImmediately: `modifying` this long, the change pending meanwhile. */
    modifyMs: 90_000,
    /** An Aurora cluster is available after this, and stays `deleting` this long (minutes). */
    clusterBootMs: 120_000,
    clusterDeleteMs: 240_000,
    /**
     * Aurora MySQL versions as DescribeDBEngineVersions lists them: the region's default does
     * not support a minimum of 0 ACU (auto-pause needs Aurora MySQL 3.08 or newer).
     */
    engineVersions: [
      { Engine: 'aurora-mysql', EngineVersion: '8.0.mysql_aurora.3.04.3', ServerlessV2FeaturesSupport: { MinCapacity: 0.5, MaxCapacity: 128 } },
      { Engine: 'aurora-mysql', EngineVersion: '8.0.mysql_aurora.3.05.2', IsDefault: true, ServerlessV2FeaturesSupport: { MinCapacity: 0.5, MaxCapacity: 128 } },
      { Engine: 'aurora-mysql', EngineVersion: '8.0.mysql_aurora.3.08.2', ServerlessV2FeaturesSupport: { MinCapacity: 0, MaxCapacity: 256 } },
      { Engine: 'aurora-mysql', EngineVersion: '8.0.mysql_aurora.3.10.0', ServerlessV2FeaturesSupport: { MinCapacity: 0, MaxCapacity: 256 } },
      { Engine: 'mysql', EngineVersion: '8.0.40', ServerlessV2FeaturesSupport: undefined },
      { Engine: 'mysql', EngineVersion: '8.4.5', IsDefault: true },
    ] as EngineVersion[],
    /** Called when a database or a master password comes into being, so a test server can mirror it. */
    onPassword: undefined as undefined | ((user: string, password: string, database: string) => Promise<void>),
    /** Where the database answers: by default an RDS-shaped name; tests point it at MariaDB. */
    endpoint: (id: string) => ({ Address: `${id}.abcdefghijkl.${this.region}.rds.amazonaws.com${this.region.startsWith('cn-') ? '.cn' : ''}`, Port: 3306 }),
  };

  /** A VPC's DNS attribute, with the defaults EC2 gives (see ec2.vpcs). */
  vpcDns(vpcId: string, attribute: 'EnableDnsSupport' | 'EnableDnsHostnames'): boolean {
    const vpc = this.ec2.vpcs.find((v) => v.VpcId === vpcId);
    return vpc?.[attribute] ?? (vpc?.IsDefault || attribute === 'EnableDnsSupport');
  }

  /** Forgets every resource and call, as a new account. */
  reset(): void {
    this.calls.length = 0;
    this.crashPlan = null;
    this.crashed = null;
    this.mutations = 0;
    this.due.length = 0;
    this.iam.roles.clear();
    this.ec2.groups.clear();
    this.ec2.inUse.clear();
    this.rds.instances.clear();
    this.rds.clusters.clear();
    this.rds.subnetGroups.clear();
    this.lambda.functions.clear();
    this.logs.groups.clear();
    this.logs.tails.clear();
    this.logs.ingestionDelayMs = 0;
    this.logs.liveTail = true;
    this.apigateway.apis.clear();
    this.apigateway.lastDeleteAt = -Infinity;
    this.scheduler.groups.clear();
    this.scheduler.schedules.clear();
    this.sns.topics.clear();
    this.sns.outbox.length = 0;
    this.cloudwatch.alarms.clear();
    this.cloudwatch.datapoints.length = 0;
    this.pricing.products = [...PRICE_CATALOGUE];
    this.pricing.failure = undefined;
    this.pricing.hang = false;
    this.credentials = 'valid';
    this.allowedBy = null;
    this.lambda.unsupportedZones.clear();
    this.denied.clear();
  }

  mutatingCalls(): AwsCall[] {
    return this.calls.filter((c) => c.mutating);
  }

  /** Calls of one command, by name, e.g. 'CreateRole'. */
  callsOf(command: string): Array<Record<string, unknown>> {
    return this.calls.filter((c) => c.command === command).map((c) => c.input);
  }

  /** Effects that happen with time alone (a password taking effect), applied once their time has come. */
  private readonly due: Array<{ at: number; apply: () => Promise<void> | void }> = [];

  /** Schedules an effect for a later time on the fake's clock. */
  later(delayMs: number, apply: () => Promise<void> | void): void {
    this.due.push({ at: this.clock() + delayMs, apply });
  }

  /** Applies what time has brought about: called before every answer, and by tests' sleeps. */
  async settle(): Promise<void> {
    for (;;) {
      const next = this.due.findIndex((d) => d.at <= this.clock());
      if (next < 0) return;
      const [effect] = this.due.splice(next, 1);
      await effect!.apply();
    }
  }

  /** Crash the run at a mutating call (see CrashPlan); null: no crash. Counting starts now. */
  crashOn(plan: CrashPlan | null): void {
    this.crashPlan = plan;
    this.crashed = null;
    this.mutations = 0;
  }

  /** Whether this mutating call is the planned crash point. */
  private crashPoint(command: string): CrashMode | null {
    const plan = this.crashPlan;
    if (!plan || this.crashed) return null;
    this.mutations++;
    const hit = typeof plan.at === 'number' ? this.mutations === plan.at : command === plan.at;
    return hit ? plan.mode : null;
  }

  /**
   * Answers one command as the service would: the per-call latency, the call log, and the
   * planned crash before or after the handler makes its change. Used by ./aws-fake/*.
   */
  handle<I extends object>(
    stub: AnyStub,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    command: new (...args: any[]) => { input: I },
    spec: HandlerSpec<I>,
    handler: (input: I) => Promise<unknown>,
  ): void {
    stub.on(command).callsFake(async (input: I, getClient: () => { config: { region: () => Promise<string> } }) => {
      // The region of the client that sent it: ARNs and hosts are made in its partition. The
      // Price List is asked at an endpoint of its own, whatever the stack's region.
      const region = await getClient().config.region();
      if (spec.service === 'pricing') this.pricing.clientRegion = region;
      else this.region = region;
      if (this.credentials === 'missing') {
        throw Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError', tryNextLink: false });
      }
      await this.latency?.();
      await this.settle();
      const recorded = (spec.recordAs ? spec.recordAs(input) : input) as Record<string, unknown>;
      this.calls.push({ service: spec.service, command: spec.name, input: recorded, mutating: spec.mutating });
      if (this.credentials === 'expired') {
        throw Object.assign(new Error('The security token included in the request is expired'), { name: 'ExpiredToken', $fault: 'client', $metadata: { httpStatusCode: 403 } });
      }
      // Every action the call needs, those its parameters imply included, as IAM judges it.
      const actions = actionsForCall(CLIENT_OF_FAKE[spec.service] ?? spec.service, spec.name, input as Record<string, unknown>) ?? [];
      const refused = actions.find((action) => this.denied.has(action) || (this.allowedBy !== null && !grants(this.allowedBy, action)));
      if (refused) throw accessDenied(spec.service, refused, this.account);
      const crash = spec.mutating ? this.crashPoint(spec.name) : null;
      if (crash === 'before') {
        this.crashed = { index: this.mutations, command: spec.name, mode: 'before', applied: false };
        throw new SimulatedCrash(`simulated crash before ${spec.name}`);
      }
      if (crash === null) return handler(input);
      let applied = false;
      try {
        const answer = await handler(input);
        applied = true;
        return answer;
      } finally {
        this.crashed = { index: this.mutations, command: spec.name, mode: 'after', applied };
        // The answer, success or failure, never reaches the tool.
        // eslint-disable-next-line no-unsafe-finally
        throw new SimulatedCrash(`simulated crash after ${spec.name}${applied ? ' took effect' : ' failed'}`);
      }
    });
  }

  install(): this {
    for (const install of [installIam, installEc2, installRds, installLambda, installLogs, installApiGateway, installScheduler, installSns, installCloudWatch, installPricing, installSts]) install(this);
    return this;
  }

  restore(): void {
    for (const stub of this.stubs) stub.restore();
  }
}
