// A stateful, in-memory fake of the AWS operations mbed-tsdb uses, behind the real SDK
// clients (aws-sdk-client-mock intercepts every client's send). It answers as the services
// do — the same exception classes, idempotency rules and conflicts — and records every
// call so tests can assert the exact requests, and can crash the run at any mutating call.

import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  DeleteConflictException,
  DeleteRoleCommand,
  DetachRolePolicyCommand,
  EntityAlreadyExistsException,
  GetRoleCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRoleTagsCommand,
  MalformedPolicyDocumentException,
  NoSuchEntityException,
  type Tag,
} from '@aws-sdk/client-iam';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DeleteSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
  EC2ServiceException,
  RevokeSecurityGroupIngressCommand,
  type IpPermission,
  type Tag as Ec2Tag,
} from '@aws-sdk/client-ec2';
import {
  CreateDBClusterCommand,
  CreateDBInstanceCommand,
  CreateDBSubnetGroupCommand,
  DBClusterAlreadyExistsFault,
  DBClusterNotFoundFault,
  DBInstanceAlreadyExistsFault,
  DBInstanceNotFoundFault,
  DBSubnetGroupAlreadyExistsFault,
  DBSubnetGroupNotFoundFault,
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  DeleteDBSubnetGroupCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeDBSubnetGroupsCommand,
  DescribeOrderableDBInstanceOptionsCommand,
  InvalidDBInstanceStateFault,
  InvalidDBSubnetGroupStateFault,
  RDSServiceException,
  ListTagsForResourceCommand,
  ModifyDBClusterCommand,
  ModifyDBInstanceCommand,
  RDSClient,
  type Tag as RdsTag,
} from '@aws-sdk/client-rds';
import {
  AddPermissionCommand,
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  GetPolicyCommand,
  InvalidParameterValueException,
  InvokeCommand,
  LambdaClient,
  ResourceConflictException,
  ResourceNotFoundException,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  DeleteLogGroupCommand,
  DescribeLogGroupsCommand,
  PutRetentionPolicyCommand,
  ResourceAlreadyExistsException,
  ResourceNotFoundException as LogsNotFound,
} from '@aws-sdk/client-cloudwatch-logs';
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
} from '@aws-sdk/client-api-gateway';
import { createHash } from 'node:crypto';
import { mockClient } from 'aws-sdk-client-mock';

export interface AwsCall {
  service: string;
  command: string;
  input: Record<string, unknown>;
  mutating: boolean;
}

/** Thrown by the fake at the chosen mutating call, before it changes anything. */
export class SimulatedCrash extends Error {
  override name = 'SimulatedCrash';
}

interface Role {
  createdAt: number;
  arn: string;
  trust: string;
  tags: Tag[];
  attached: Set<string>;
}

const meta = { $metadata: { httpStatusCode: 400 } };

interface Group {
  id: string;
  name: string;
  vpcId: string;
  description: string;
  tags: Ec2Tag[];
  /** One entry per single source, as EC2 keeps them. */
  rules: IpPermission[];
}

interface DbInstance {
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
  stages: Set<string>;
}

interface DbCluster {
  id: string;
  createdAt: number;
  tags: RdsTag[];
  password: string;
  scaling?: { MinCapacity?: number; MaxCapacity?: number };
}

function rdsInvalidParameter(message: string): RDSServiceException {
  return new RDSServiceException({ name: 'InvalidParameterValue', $fault: 'client', $metadata: { httpStatusCode: 400 }, message });
}

function ec2Error(code: string, message: string): EC2ServiceException {
  return new EC2ServiceException({ name: code, $fault: 'client', $metadata: { httpStatusCode: 400 }, message });
}

/** Splits permissions into one permission per source, the unit EC2 adds, finds and removes. */
function singles(permissions: IpPermission[] = []): IpPermission[] {
  return permissions.flatMap((p) => {
    const base = { IpProtocol: p.IpProtocol, FromPort: p.FromPort, ToPort: p.ToPort };
    return [
      ...(p.IpRanges ?? []).map((r) => ({ ...base, IpRanges: [r] })),
      ...(p.Ipv6Ranges ?? []).map((r) => ({ ...base, Ipv6Ranges: [r] })),
      ...(p.UserIdGroupPairs ?? []).map((g) => ({ ...base, UserIdGroupPairs: [{ GroupId: g.GroupId, Description: g.Description }] })),
    ];
  });
}

function ruleKey(p: IpPermission): string {
  const source = p.IpRanges?.[0]?.CidrIp ?? p.Ipv6Ranges?.[0]?.CidrIpv6 ?? p.UserIdGroupPairs?.[0]?.GroupId;
  return `${p.IpProtocol}:${p.FromPort}-${p.ToPort}:${source}`;
}

export class FakeAws {
  readonly account = '123456789012';
  readonly calls: AwsCall[] = [];
  /** Waited before every answer: the bench's per-call latency, on its virtual clock. */
  latency: (() => Promise<void>) | undefined;
  /** The n-th mutating call (1-based) throws SimulatedCrash. */
  crashAt: number | null = null;
  private mutations = 0;
  private readonly stubs: Array<{ restore(): void }> = [];

  readonly iam = { roles: new Map<string, Role>() };
  readonly ec2 = {
    vpcs: [{ VpcId: 'vpc-0default', IsDefault: true, CidrBlock: '172.31.0.0/16' }],
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
  };
  private nextId = 1;
  readonly lambda = {
    functions: new Map<string, LambdaFunction>(),
    /** A new role cannot be assumed by Lambda for this long (IAM propagation). */
    roleDelayMs: 10_000,
    /** Pending → Active (VPC network interfaces). */
    activeMs: 60_000,
    updateMs: 5_000,
    /** Runs a direct invocation; tests wire it to the real handler. */
    invoke: undefined as undefined | ((fn: LambdaFunction, payload: unknown) => Promise<unknown>),
  };
  readonly apigateway = {
    apis: new Map<string, RestApi>(),
    /** DeleteRestApi is allowed about once per 30 s per account. */
    lastDeleteAt: -Infinity,
  };
  readonly logs = { groups: new Map<string, { retention?: number; tags: Record<string, string> }>() };
  /** Milliseconds, shared with the test's fake clock so waits are instant. */
  clock: () => number = () => 0;
  readonly rds = {
    instances: new Map<string, DbInstance>(),
    clusters: new Map<string, DbCluster>(),
    subnetGroups: new Map<string, { subnets: string[]; tags: RdsTag[] }>(),
    offeredClasses: new Set(['db.t4g.micro', 'db.t3.micro', 'db.t3.small', 'db.serverless']),
    bootMs: 300_000,
    deleteMs: 60_000,
    /** Called when a database or a master password comes into being, so a test server can mirror it. */
    onPassword: undefined as undefined | ((user: string, password: string, database: string) => Promise<void>),
    /** Where the database answers: by default an RDS-shaped name; tests point it at MariaDB. */
    endpoint: (id: string) => ({ Address: `${id}.abcdefghijkl.us-west-2.rds.amazonaws.com`, Port: 3306 }),
  };

  /** Forgets every resource and call, as a new account. */
  reset(): void {
    this.calls.length = 0;
    this.crashAt = null;
    this.mutations = 0;
    this.iam.roles.clear();
    this.ec2.groups.clear();
    this.ec2.inUse.clear();
    this.rds.instances.clear();
    this.rds.clusters.clear();
    this.rds.subnetGroups.clear();
    this.lambda.functions.clear();
    this.logs.groups.clear();
    this.apigateway.apis.clear();
    this.apigateway.lastDeleteAt = -Infinity;
  }

  mutatingCalls(): AwsCall[] {
    return this.calls.filter((c) => c.mutating);
  }

  /** Calls of one command, by name, e.g. 'CreateRole'. */
  callsOf(command: string): Array<Record<string, unknown>> {
    return this.calls.filter((c) => c.command === command).map((c) => c.input);
  }

  private record(service: string, command: string, input: object, mutating: boolean): void {
    this.calls.push({ service, command, input: input as Record<string, unknown>, mutating });
    if (mutating && this.crashAt !== null && ++this.mutations === this.crashAt) {
      throw new SimulatedCrash(`simulated crash at ${command}`);
    }
  }

  install(): this {
    const iam = mockClient(IAMClient);
    this.stubs.push(iam);
    const role = (name: string | undefined): Role => {
      const found = name ? this.iam.roles.get(name) : undefined;
      if (!found) throw new NoSuchEntityException({ ...meta, message: `The role with name ${name} cannot be found.` });
      return found;
    };

    iam.on(GetRoleCommand).callsFake(async (input) => {
      await this.latency?.();
      this.record('iam', 'GetRole', input, false);
      const found = role(input.RoleName);
      return { Role: { RoleName: input.RoleName, Arn: found.arn, Path: '/', RoleId: 'AROA000', CreateDate: new Date(0), AssumeRolePolicyDocument: encodeURIComponent(found.trust) } };
    });
    iam.on(ListRoleTagsCommand).callsFake(async (input) => {
      await this.latency?.();
      this.record('iam', 'ListRoleTags', input, false);
      return { Tags: role(input.RoleName).tags, IsTruncated: false };
    });
    iam.on(ListAttachedRolePoliciesCommand).callsFake(async (input) => {
      await this.latency?.();
      this.record('iam', 'ListAttachedRolePolicies', input, false);
      return { AttachedPolicies: [...role(input.RoleName).attached].map((arn) => ({ PolicyArn: arn, PolicyName: arn.split('/').pop() })), IsTruncated: false };
    });
    iam.on(CreateRoleCommand).callsFake(async (input) => {
      await this.latency?.();
      this.record('iam', 'CreateRole', input, true);
      const name = input.RoleName!;
      if (this.iam.roles.has(name)) throw new EntityAlreadyExistsException({ ...meta, message: `Role with name ${name} already exists.` });
      try {
        JSON.parse(input.AssumeRolePolicyDocument ?? '');
      } catch {
        throw new MalformedPolicyDocumentException({ ...meta, message: 'This policy contains invalid Json' });
      }
      const created: Role = { createdAt: this.clock(), arn: `arn:aws:iam::${this.account}:role/${name}`, trust: input.AssumeRolePolicyDocument!, tags: input.Tags ?? [], attached: new Set() };
      this.iam.roles.set(name, created);
      return { Role: { RoleName: name, Arn: created.arn, Path: '/', RoleId: 'AROA000', CreateDate: new Date(0) } };
    });
    iam.on(AttachRolePolicyCommand).callsFake(async (input) => {
      await this.latency?.();
      this.record('iam', 'AttachRolePolicy', input, true);
      role(input.RoleName).attached.add(input.PolicyArn!);
      return {};
    });
    iam.on(DetachRolePolicyCommand).callsFake(async (input) => {
      await this.latency?.();
      this.record('iam', 'DetachRolePolicy', input, true);
      const found = role(input.RoleName);
      if (!found.attached.delete(input.PolicyArn!)) throw new NoSuchEntityException({ ...meta, message: `Policy ${input.PolicyArn} was not found.` });
      return {};
    });
    iam.on(DeleteRoleCommand).callsFake(async (input) => {
      await this.latency?.();
      this.record('iam', 'DeleteRole', input, true);
      const found = role(input.RoleName);
      if (found.attached.size > 0) throw new DeleteConflictException({ ...meta, message: 'Cannot delete entity, must detach all policies first.' });
      this.iam.roles.delete(input.RoleName!);
      return {};
    });
    this.installEc2();
    this.installRds();
    this.installLambda();
    this.installLogs();
    this.installApiGateway();
    return this;
  }

  private installApiGateway(): void {
    const apigw = mockClient(APIGatewayClient);
    this.stubs.push(apigw);
    const api = (id: string | undefined): RestApi => {
      const found = id ? this.apigateway.apis.get(id) : undefined;
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
    apigw.on(GetRestApisCommand).callsFake(async (input) => {
      await this.latency?.();
      this.record('apigateway', 'GetRestApis', input, false);
      return { items: [...this.apigateway.apis.values()].map((a) => ({ id: a.id, name: a.name, tags: a.tags })) };
    });
    apigw.on(CreateRestApiCommand).callsFake(async (input) => {
      await this.latency?.();
      this.record('apigateway', 'CreateRestApi', input, true);
      const id = newId();
      const rootId = newId();
      this.apigateway.apis.set(id, {
        id,
        name: input.name!,
        tags: input.tags ?? {},
        request: input as Record<string, unknown>,
        resources: new Map([[rootId, { id: rootId, path: '/', methods: new Map() }]]),
        deployments: [],
        stages: new Set(),
      });
      return { id, name: input.name, tags: input.tags, rootResourceId: rootId };
    });
    apigw.on(DeleteRestApiCommand).callsFake(async (input) => {
      await this.latency?.();
      this.record('apigateway', 'DeleteRestApi', input, true);
      if (this.clock() - this.apigateway.lastDeleteAt < 30_000) throw new TooManyRequestsException({ ...meta, message: 'Too Many Requests' });
      api(input.restApiId);
      this.apigateway.apis.delete(input.restApiId!);
      this.apigateway.lastDeleteAt = this.clock();
      return {};
    });
    apigw.on(GetResourcesCommand).callsFake(async (input) => {
      await this.latency?.();
      this.record('apigateway', 'GetResources', input, false);
      return { items: [...api(input.restApiId).resources.values()].map((r) => ({ id: r.id, path: r.path, pathPart: r.pathPart, parentId: r.parentId })) };
    });
    apigw.on(CreateResourceCommand).callsFake(async (input) => {
      await this.latency?.();
      this.record('apigateway', 'CreateResource', input, true);
      const a = api(input.restApiId);
      const parent = resource(a, input.parentId);
      const path = `${parent.path === '/' ? '' : parent.path}/${input.pathPart}`;
      if ([...a.resources.values()].some((r) => r.path === path)) throw new ConflictException({ ...meta, message: 'Another resource with the same parent already has this name' });
      const id = newId();
      a.resources.set(id, { id, path, pathPart: input.pathPart!, parentId: input.parentId!, methods: new Map() });
      return { id, path, pathPart: input.pathPart, parentId: input.parentId };
    });
    apigw.on(GetMethodCommand).callsFake(async (input) => {
      await this.latency?.();
      this.record('apigateway', 'GetMethod', input, false);
      const m = method(input);
      const integrationResponses = Object.fromEntries(m.integrationResponses.map((code) => [code, { statusCode: code }]));
      return {
        httpMethod: input.httpMethod,
        authorizationType: m.authorizationType,
        methodResponses: Object.fromEntries(m.responses.map((code) => [code, { statusCode: code }])),
        ...(m.integration ? { methodIntegration: { ...m.integration, integrationResponses } } : {}),
      };
    });
    apigw.on(PutMethodCommand).callsFake(async (input) => {
      await this.latency?.();
      this.record('apigateway', 'PutMethod', input, true);
      const r = resource(api(input.restApiId), input.resourceId);
      if (r.methods.has(input.httpMethod!)) throw new ConflictException({ ...meta, message: 'Method already exists for this resource' });
      r.methods.set(input.httpMethod!, { authorizationType: input.authorizationType!, responses: [], integrationResponses: [] });
      return { httpMethod: input.httpMethod };
    });
    apigw.on(PutIntegrationCommand).callsFake(async (input) => {
      await this.latency?.();
      this.record('apigateway', 'PutIntegration', input, true);
      const m = method(input);
      if (input.type === 'AWS_PROXY' && (input.integrationHttpMethod !== 'POST' || !String(input.uri).startsWith('arn:aws:apigateway:'))) {
        throw new BadRequestException({ ...meta, message: 'Lambda proxy integrations need POST and a Lambda invocation URI' });
      }
      const { restApiId: _a, resourceId: _r, httpMethod: _h, ...integration } = input;
      m.integration = integration;
      return integration;
    });
    apigw.on(PutMethodResponseCommand).callsFake(async (input) => {
      await this.latency?.();
      this.record('apigateway', 'PutMethodResponse', input, true);
      method(input).responses.push(input.statusCode!);
      return { statusCode: input.statusCode };
    });
    apigw.on(PutIntegrationResponseCommand).callsFake(async (input) => {
      await this.latency?.();
      this.record('apigateway', 'PutIntegrationResponse', input, true);
      const m = method(input);
      if (!m.integration) throw new NotFoundException({ ...meta, message: 'Invalid Integration identifier specified' });
      m.integrationResponses.push(input.statusCode!);
      return { statusCode: input.statusCode };
    });
    apigw.on(GetStageCommand).callsFake(async (input) => {
      await this.latency?.();
      this.record('apigateway', 'GetStage', input, false);
      if (!api(input.restApiId).stages.has(input.stageName!)) throw new NotFoundException({ ...meta, message: 'Invalid stage identifier specified' });
      return { stageName: input.stageName };
    });
    apigw.on(CreateDeploymentCommand).callsFake(async (input) => {
      await this.latency?.();
      this.record('apigateway', 'CreateDeployment', input, true);
      const a = api(input.restApiId);
      const incomplete = [...a.resources.values()].some((r) => [...r.methods.values()].some((m) => !m.integration));
      if (incomplete) throw new BadRequestException({ ...meta, message: 'No integration defined for method' });
      a.deployments.push({ stageName: input.stageName, at: this.clock() });
      if (input.stageName) a.stages.add(input.stageName);
      return { id: newId() };
    });
  }

  private installLambda(): void {
    const lambda = mockClient(LambdaClient);
    this.stubs.push(lambda);
    const fn = (name: string | undefined): LambdaFunction => {
      const found = name ? this.lambda.functions.get(name.split(':').pop()!) ?? this.lambda.functions.get(name) : undefined;
      if (!found) throw new ResourceNotFoundException({ ...meta, message: `Function not found: ${name}`, Type: 'User' });
      return found;
    };
    const configuration = (f: LambdaFunction) => {
      const now = this.clock();
      const active = now - f.createdAt >= this.lambda.activeMs;
      const updating = now - f.updatedAt < this.lambda.updateMs;
      return {
        FunctionName: f.name,
        FunctionArn: f.arn,
        Runtime: f.runtime,
        Handler: f.handler,
        Role: f.role,
        CodeSha256: f.codeSha256,
        CodeSize: f.zip.length,
        Environment: { Variables: { ...f.environment } },
        VpcConfig: f.vpc,
        State: active ? 'Active' : 'Pending',
        LastUpdateStatus: !active ? 'InProgress' : updating ? 'InProgress' : 'Successful',
      } as const;
    };
    const notUpdating = (f: LambdaFunction) => {
      const c = configuration(f);
      if (c.State !== 'Active' || c.LastUpdateStatus === 'InProgress') {
        throw new ResourceConflictException({ ...meta, message: `The operation cannot be performed at this time. An update is in progress for resource: ${f.arn}`, Type: 'User' });
      }
    };
    lambda.on(GetFunctionCommand).callsFake(async (input) => {
      await this.latency?.();
      this.record('lambda', 'GetFunction', input, false);
      const f = fn(input.FunctionName);
      return { Configuration: configuration(f), Tags: f.tags };
    });
    lambda.on(GetFunctionConfigurationCommand).callsFake(async (input) => {
      await this.latency?.();
      this.record('lambda', 'GetFunctionConfiguration', input, false);
      return configuration(fn(input.FunctionName));
    });
    lambda.on(CreateFunctionCommand).callsFake(async (input) => {
      await this.latency?.();
      this.record('lambda', 'CreateFunction', input, true);
      const name = input.FunctionName!;
      if (this.lambda.functions.has(name)) throw new ResourceConflictException({ ...meta, message: `Function already exist: ${name}`, Type: 'User' });
      const role = [...this.iam.roles.values()].find((r) => r.arn === input.Role);
      if (!role || this.clock() - role.createdAt < this.lambda.roleDelayMs) {
        throw new InvalidParameterValueException({ ...meta, message: 'The role defined for the function cannot be assumed by Lambda.', Type: 'User' });
      }
      const zip = Buffer.from(input.Code!.ZipFile!);
      const created: LambdaFunction = {
        name,
        arn: `arn:aws:lambda:us-west-2:${this.account}:function:${name}`,
        role: input.Role!,
        runtime: input.Runtime!,
        handler: input.Handler!,
        zip,
        codeSha256: createHash('sha256').update(zip).digest('base64'),
        environment: { ...(input.Environment?.Variables ?? {}) },
        vpc: input.VpcConfig ?? {},
        tags: input.Tags ?? {},
        createdAt: this.clock(),
        updatedAt: -Infinity,
        policy: [],
        request: { ...input, Code: { ZipFile: `<${zip.length} bytes>` } },
      };
      this.lambda.functions.set(name, created);
      return configuration(created);
    });
    lambda.on(UpdateFunctionCodeCommand).callsFake(async (input) => {
      await this.latency?.();
      this.record('lambda', 'UpdateFunctionCode', { ...input, ZipFile: '<zip>' }, true);
      const f = fn(input.FunctionName);
      notUpdating(f);
      f.zip = Buffer.from(input.ZipFile!);
      f.codeSha256 = createHash('sha256').update(f.zip).digest('base64');
      f.updatedAt = this.clock();
      return configuration(f);
    });
    lambda.on(UpdateFunctionConfigurationCommand).callsFake(async (input) => {
      await this.latency?.();
      this.record('lambda', 'UpdateFunctionConfiguration', input, true);
      const f = fn(input.FunctionName);
      notUpdating(f);
      if (input.Environment?.Variables) f.environment = { ...input.Environment.Variables };
      f.updatedAt = this.clock();
      return configuration(f);
    });
    lambda.on(DeleteFunctionCommand).callsFake(async (input) => {
      await this.latency?.();
      this.record('lambda', 'DeleteFunction', input, true);
      const f = fn(input.FunctionName);
      this.lambda.functions.delete(f.name);
      // The VPC network interfaces outlive the function for a while (teardown's worry).
      for (const group of f.vpc.SecurityGroupIds ?? []) this.ec2.inUse.set(group, this.clock() + this.ec2.eniLingerMs);
      return {};
    });
    lambda.on(AddPermissionCommand).callsFake(async (input) => {
      await this.latency?.();
      this.record('lambda', 'AddPermission', input, true);
      const f = fn(input.FunctionName);
      if (f.policy.some((p) => p.Sid === input.StatementId)) {
        throw new ResourceConflictException({ ...meta, message: `The statement id (${input.StatementId}) provided already exists.`, Type: 'User' });
      }
      f.policy.push({ Sid: input.StatementId!, Principal: input.Principal!, Action: input.Action!, ...(input.SourceArn ? { SourceArn: input.SourceArn } : {}) });
      return { Statement: JSON.stringify(f.policy.at(-1)) };
    });
    lambda.on(GetPolicyCommand).callsFake(async (input) => {
      await this.latency?.();
      this.record('lambda', 'GetPolicy', input, false);
      const f = fn(input.FunctionName);
      if (f.policy.length === 0) throw new ResourceNotFoundException({ ...meta, message: 'The resource you requested does not exist.', Type: 'User' });
      const Statement = f.policy.map((p) => ({
        Sid: p.Sid,
        Effect: 'Allow',
        Principal: { Service: p.Principal },
        Action: p.Action,
        Resource: f.arn,
        ...(p.SourceArn ? { Condition: { ArnLike: { 'AWS:SourceArn': p.SourceArn } } } : {}),
      }));
      return { Policy: JSON.stringify({ Version: '2012-10-17', Id: 'default', Statement }) };
    });
    lambda.on(InvokeCommand).callsFake(async (input) => {
      await this.latency?.();
      this.record('lambda', 'Invoke', { ...input, Payload: Buffer.from(input.Payload ?? '').toString() }, true);
      const f = fn(input.FunctionName);
      if (!this.lambda.invoke) throw new Error('the fake has no handler to invoke');
      const result = await this.lambda.invoke(f, JSON.parse(Buffer.from(input.Payload ?? '{}').toString()));
      return { StatusCode: 200, Payload: Buffer.from(JSON.stringify(result)) };
    });
  }

  private installLogs(): void {
    const logs = mockClient(CloudWatchLogsClient);
    this.stubs.push(logs);
    logs.on(DescribeLogGroupsCommand).callsFake(async (input) => {
      await this.latency?.();
      this.record('logs', 'DescribeLogGroups', input, false);
      const prefix = input.logGroupNamePrefix ?? '';
      return {
        logGroups: [...this.logs.groups]
          .filter(([name]) => name.startsWith(prefix))
          .map(([name, g]) => ({ logGroupName: name, ...(g.retention ? { retentionInDays: g.retention } : {}) })),
      };
    });
    logs.on(CreateLogGroupCommand).callsFake(async (input) => {
      await this.latency?.();
      this.record('logs', 'CreateLogGroup', input, true);
      if (this.logs.groups.has(input.logGroupName!)) throw new ResourceAlreadyExistsException({ ...meta, message: 'The specified log group already exists' });
      this.logs.groups.set(input.logGroupName!, { tags: input.tags ?? {} });
      return {};
    });
    logs.on(PutRetentionPolicyCommand).callsFake(async (input) => {
      await this.latency?.();
      this.record('logs', 'PutRetentionPolicy', input, true);
      const group = this.logs.groups.get(input.logGroupName!);
      if (!group) throw new LogsNotFound({ ...meta, message: 'The specified log group does not exist.' });
      group.retention = input.retentionInDays;
      return {};
    });
    logs.on(DeleteLogGroupCommand).callsFake(async (input) => {
      await this.latency?.();
      this.record('logs', 'DeleteLogGroup', input, true);
      if (!this.logs.groups.delete(input.logGroupName!)) throw new LogsNotFound({ ...meta, message: 'The specified log group does not exist.' });
      return {};
    });
  }

  private installRds(): void {
    const rds = mockClient(RDSClient);
    this.stubs.push(rds);
    const arn = (kind: string, id: string) => `arn:aws:rds:us-west-2:${this.account}:${kind}:${id}`;
    const instance = (id: string | undefined): DbInstance => {
      const found = id ? this.rds.instances.get(id) : undefined;
      if (!found) throw new DBInstanceNotFoundFault({ ...meta, message: `DBInstance ${id} not found.` });
      return found;
    };
    const status = (i: DbInstance): string => {
      const now = this.clock();
      if (i.deletingAt !== undefined) return 'deleting';
      const age = now - i.createdAt;
      return age >= this.rds.bootMs ? 'available' : age >= this.rds.bootMs * 0.9 ? 'backing-up' : 'creating';
    };
    const sweep = () => {
      for (const [id, i] of this.rds.instances) if (i.deletingAt !== undefined && this.clock() - i.deletingAt >= this.rds.deleteMs) this.rds.instances.delete(id);
    };
    const describe = (i: DbInstance) => {
      const st = status(i);
      return {
        DBInstanceIdentifier: i.id,
        DBInstanceArn: arn('db', i.id),
        Engine: i.engine,
        DBInstanceClass: i.instanceClass,
        DBInstanceStatus: st,
        DBClusterIdentifier: i.clusterId,
        PubliclyAccessible: i.publicly,
        DeletionProtection: i.deletionProtection,
        VpcSecurityGroups: i.securityGroups.map((id) => ({ VpcSecurityGroupId: id, Status: 'active' })),
        DBSubnetGroup: { DBSubnetGroupName: i.subnetGroup },
        TagList: i.tags,
        ...(st === 'available' || st === 'backing-up' ? { Endpoint: this.rds.endpoint(i.id) } : {}),
      };
    };
    rds.on(DescribeDBInstancesCommand).callsFake(async (input) => {
      await this.latency?.();
      this.record('rds', 'DescribeDBInstances', input, false);
      sweep();
      const list = input.DBInstanceIdentifier ? [instance(input.DBInstanceIdentifier)] : [...this.rds.instances.values()];
      return { DBInstances: list.map(describe) };
    });
    rds.on(CreateDBInstanceCommand).callsFake(async (input) => {
      await this.latency?.();
      this.record('rds', 'CreateDBInstance', input, true);
      const id = input.DBInstanceIdentifier!;
      if (this.rds.instances.has(id)) throw new DBInstanceAlreadyExistsFault({ ...meta, message: 'DB instance already exists' });
      if (!this.rds.subnetGroups.has(input.DBSubnetGroupName!)) throw new DBSubnetGroupNotFoundFault({ ...meta, message: `DBSubnetGroup ${input.DBSubnetGroupName} not found.` });
      if (!this.rds.offeredClasses.has(input.DBInstanceClass!)) throw rdsInvalidParameter(`${input.DBInstanceClass} is not offered`);
      if (input.DBClusterIdentifier) {
        if (!this.rds.clusters.has(input.DBClusterIdentifier)) throw new DBClusterNotFoundFault({ ...meta, message: 'cluster not found' });
      } else {
        const pw = input.MasterUserPassword ?? '';
        if (pw.length < 8 || pw.length > 41 || /[/"@ ]/.test(pw)) throw rdsInvalidParameter('The parameter MasterUserPassword is not a valid password.');
        if ((input.AllocatedStorage ?? 0) < 20) throw rdsInvalidParameter('Invalid storage size');
      }
      const created: DbInstance = {
        id,
        engine: input.Engine!,
        instanceClass: input.DBInstanceClass!,
        ...(input.DBClusterIdentifier ? { clusterId: input.DBClusterIdentifier } : {}),
        createdAt: this.clock(),
        publicly: input.PubliclyAccessible ?? false,
        securityGroups: input.VpcSecurityGroupIds ?? [],
        subnetGroup: input.DBSubnetGroupName!,
        deletionProtection: input.DeletionProtection ?? false,
        tags: input.Tags ?? [],
        ...(input.MasterUserPassword ? { password: input.MasterUserPassword } : {}),
      };
      this.rds.instances.set(id, created);
      if (input.MasterUserPassword) await this.rds.onPassword?.(input.MasterUsername!, input.MasterUserPassword, input.DBName ?? 'tsdb');
      return { DBInstance: describe(created) };
    });
    rds.on(ModifyDBInstanceCommand).callsFake(async (input) => {
      await this.latency?.();
      this.record('rds', 'ModifyDBInstance', input, true);
      const found = instance(input.DBInstanceIdentifier);
      if (input.MasterUserPassword) {
        found.password = input.MasterUserPassword;
        await this.rds.onPassword?.('tsdbuser', input.MasterUserPassword, 'tsdb');
      }
      if (input.DeletionProtection !== undefined) found.deletionProtection = input.DeletionProtection;
      return { DBInstance: describe(found) };
    });
    rds.on(DeleteDBInstanceCommand).callsFake(async (input) => {
      await this.latency?.();
      this.record('rds', 'DeleteDBInstance', input, true);
      const found = instance(input.DBInstanceIdentifier);
      if (found.deletionProtection) throw new InvalidDBInstanceStateFault({ ...meta, message: 'Cannot delete protected DB Instance' });
      if (status(found) === 'creating') throw new InvalidDBInstanceStateFault({ ...meta, message: 'Instance is currently creating - a final snapshot cannot be taken.' });
      found.deletingAt = this.clock();
      return { DBInstance: describe(found) };
    });
    rds.on(DescribeDBSubnetGroupsCommand).callsFake(async (input) => {
      await this.latency?.();
      this.record('rds', 'DescribeDBSubnetGroups', input, false);
      const group = this.rds.subnetGroups.get(input.DBSubnetGroupName!);
      if (!group) throw new DBSubnetGroupNotFoundFault({ ...meta, message: `DBSubnetGroup ${input.DBSubnetGroupName} not found.` });
      return { DBSubnetGroups: [{ DBSubnetGroupName: input.DBSubnetGroupName, DBSubnetGroupArn: arn('subgrp', input.DBSubnetGroupName!), Subnets: group.subnets.map((id) => ({ SubnetIdentifier: id })) }] };
    });
    rds.on(CreateDBSubnetGroupCommand).callsFake(async (input) => {
      await this.latency?.();
      this.record('rds', 'CreateDBSubnetGroup', input, true);
      if (this.rds.subnetGroups.has(input.DBSubnetGroupName!)) throw new DBSubnetGroupAlreadyExistsFault({ ...meta, message: 'exists' });
      this.rds.subnetGroups.set(input.DBSubnetGroupName!, { subnets: input.SubnetIds ?? [], tags: input.Tags ?? [] });
      return { DBSubnetGroup: { DBSubnetGroupName: input.DBSubnetGroupName } };
    });
    rds.on(DeleteDBSubnetGroupCommand).callsFake(async (input) => {
      await this.latency?.();
      this.record('rds', 'DeleteDBSubnetGroup', input, true);
      if (!this.rds.subnetGroups.has(input.DBSubnetGroupName!)) throw new DBSubnetGroupNotFoundFault({ ...meta, message: 'not found' });
      sweep();
      if ([...this.rds.instances.values()].some((i) => i.subnetGroup === input.DBSubnetGroupName)) {
        throw new InvalidDBSubnetGroupStateFault({ ...meta, message: 'Cannot delete the subnet group because at least one database instance is still using it.' });
      }
      this.rds.subnetGroups.delete(input.DBSubnetGroupName!);
      return {};
    });
    rds.on(ListTagsForResourceCommand).callsFake(async (input) => {
      await this.latency?.();
      this.record('rds', 'ListTagsForResource', input, false);
      const name = input.ResourceName!.split(':').pop()!;
      const tags = input.ResourceName!.includes(':subgrp:') ? this.rds.subnetGroups.get(name)?.tags : this.rds.instances.get(name)?.tags;
      return { TagList: tags ?? [] };
    });
    rds.on(DescribeOrderableDBInstanceOptionsCommand).callsFake(async (input) => {
      await this.latency?.();
      this.record('rds', 'DescribeOrderableDBInstanceOptions', input, false);
      const offered = input.DBInstanceClass ? this.rds.offeredClasses.has(input.DBInstanceClass) : true;
      return { OrderableDBInstanceOptions: offered ? [{ Engine: input.Engine, DBInstanceClass: input.DBInstanceClass }] : [] };
    });
    const cluster = (id: string | undefined): DbCluster => {
      const found = id ? this.rds.clusters.get(id) : undefined;
      if (!found) throw new DBClusterNotFoundFault({ ...meta, message: `DBCluster ${id} not found.` });
      return found;
    };
    rds.on(DescribeDBClustersCommand).callsFake(async (input) => {
      await this.latency?.();
      this.record('rds', 'DescribeDBClusters', input, false);
      const c = cluster(input.DBClusterIdentifier);
      return { DBClusters: [{ DBClusterIdentifier: c.id, Status: 'available', TagList: c.tags, Endpoint: this.rds.endpoint(`${c.id}.cluster`).Address, Port: this.rds.endpoint(c.id).Port, ServerlessV2ScalingConfiguration: c.scaling }] };
    });
    rds.on(CreateDBClusterCommand).callsFake(async (input) => {
      await this.latency?.();
      this.record('rds', 'CreateDBCluster', input, true);
      if (this.rds.clusters.has(input.DBClusterIdentifier!)) throw new DBClusterAlreadyExistsFault({ ...meta, message: 'exists' });
      this.rds.clusters.set(input.DBClusterIdentifier!, {
        id: input.DBClusterIdentifier!,
        createdAt: this.clock(),
        tags: input.Tags ?? [],
        password: input.MasterUserPassword!,
        ...(input.ServerlessV2ScalingConfiguration ? { scaling: input.ServerlessV2ScalingConfiguration } : {}),
      });
      await this.rds.onPassword?.(input.MasterUsername!, input.MasterUserPassword!, input.DatabaseName ?? 'tsdb');
      return { DBCluster: { DBClusterIdentifier: input.DBClusterIdentifier } };
    });
    rds.on(ModifyDBClusterCommand).callsFake(async (input) => {
      await this.latency?.();
      this.record('rds', 'ModifyDBCluster', input, true);
      const c = cluster(input.DBClusterIdentifier);
      if (input.MasterUserPassword) {
        c.password = input.MasterUserPassword;
        await this.rds.onPassword?.('tsdbuser', input.MasterUserPassword, 'tsdb');
      }
      return { DBCluster: { DBClusterIdentifier: c.id } };
    });
    rds.on(DeleteDBClusterCommand).callsFake(async (input) => {
      await this.latency?.();
      this.record('rds', 'DeleteDBCluster', input, true);
      cluster(input.DBClusterIdentifier);
      sweep();
      if ([...this.rds.instances.values()].some((i) => i.clusterId === input.DBClusterIdentifier)) {
        throw new InvalidDBInstanceStateFault({ ...meta, message: 'Cluster still has instances' });
      }
      this.rds.clusters.delete(input.DBClusterIdentifier!);
      return {};
    });
  }

  private installEc2(): void {
    const ec2 = mockClient(EC2Client);
    this.stubs.push(ec2);
    const group = (id: string | undefined): Group => {
      const found = id ? this.ec2.groups.get(id) : undefined;
      if (!found) throw ec2Error('InvalidGroup.NotFound', `The security group '${id}' does not exist`);
      return found;
    };
    ec2.on(DescribeVpcsCommand).callsFake(async (input) => {
      await this.latency?.();
      this.record('ec2', 'DescribeVpcs', input, false);
      let vpcs = this.ec2.vpcs;
      if (input.VpcIds) {
        const missing = input.VpcIds.find((id: string) => !vpcs.some((v) => v.VpcId === id));
        if (missing) throw ec2Error('InvalidVpcID.NotFound', `The vpc ID '${missing}' does not exist`);
        vpcs = vpcs.filter((v) => input.VpcIds!.includes(v.VpcId));
      }
      for (const f of input.Filters ?? []) if (f.Name === 'isDefault') vpcs = vpcs.filter((v) => String(v.IsDefault) === f.Values?.[0]);
      return { Vpcs: vpcs };
    });
    ec2.on(DescribeSubnetsCommand).callsFake(async (input) => {
      await this.latency?.();
      this.record('ec2', 'DescribeSubnets', input, false);
      let subnets = this.ec2.subnets;
      if (input.SubnetIds) {
        const missing = input.SubnetIds.find((id: string) => !subnets.some((s) => s.SubnetId === id));
        if (missing) throw ec2Error('InvalidSubnetID.NotFound', `The subnet ID '${missing}' does not exist`);
        subnets = subnets.filter((s) => input.SubnetIds!.includes(s.SubnetId));
      }
      for (const f of input.Filters ?? []) if (f.Name === 'vpc-id') subnets = subnets.filter((s) => f.Values?.includes(s.VpcId));
      return { Subnets: subnets };
    });
    ec2.on(DescribeSecurityGroupsCommand).callsFake(async (input) => {
      await this.latency?.();
      this.record('ec2', 'DescribeSecurityGroups', input, false);
      let groups = [...this.ec2.groups.values()];
      if (input.GroupIds) groups = input.GroupIds.map((id: string) => group(id));
      for (const f of input.Filters ?? []) {
        if (f.Name === 'group-name') groups = groups.filter((g) => f.Values?.includes(g.name));
        if (f.Name === 'vpc-id') groups = groups.filter((g) => f.Values?.includes(g.vpcId));
        if (f.Name?.startsWith('tag:')) groups = groups.filter((g) => g.tags.some((t) => t.Key === f.Name!.slice(4) && f.Values?.includes(t.Value!)));
      }
      return {
        SecurityGroups: groups.map((g) => ({ GroupId: g.id, GroupName: g.name, VpcId: g.vpcId, Description: g.description, Tags: g.tags, IpPermissions: g.rules })),
      };
    });
    ec2.on(CreateSecurityGroupCommand).callsFake(async (input) => {
      await this.latency?.();
      this.record('ec2', 'CreateSecurityGroup', input, true);
      if ([...this.ec2.groups.values()].some((g) => g.name === input.GroupName && g.vpcId === input.VpcId)) {
        throw ec2Error('InvalidGroup.Duplicate', `The security group '${input.GroupName}' already exists for VPC '${input.VpcId}'`);
      }
      const id = `sg-${String(this.nextId++).padStart(8, '0')}`;
      const tags = input.TagSpecifications?.find((t: { ResourceType?: string }) => t.ResourceType === 'security-group')?.Tags ?? [];
      this.ec2.groups.set(id, { id, name: input.GroupName!, vpcId: input.VpcId!, description: input.Description!, tags, rules: [] });
      return { GroupId: id };
    });
    ec2.on(AuthorizeSecurityGroupIngressCommand).callsFake(async (input) => {
      await this.latency?.();
      this.record('ec2', 'AuthorizeSecurityGroupIngress', input, true);
      const target = group(input.GroupId);
      const adding = singles(input.IpPermissions);
      for (const rule of adding) {
        if (target.rules.some((r) => ruleKey(r) === ruleKey(rule))) throw ec2Error('InvalidPermission.Duplicate', 'the specified rule already exists');
        const source = rule.UserIdGroupPairs?.[0]?.GroupId;
        if (source) group(source);
      }
      target.rules.push(...adding);
      return { Return: true };
    });
    ec2.on(RevokeSecurityGroupIngressCommand).callsFake(async (input) => {
      await this.latency?.();
      this.record('ec2', 'RevokeSecurityGroupIngress', input, true);
      const target = group(input.GroupId);
      const keys = new Set(singles(input.IpPermissions).map(ruleKey));
      target.rules = target.rules.filter((r) => !keys.has(ruleKey(r)));
      return { Return: true };
    });
    ec2.on(DeleteSecurityGroupCommand).callsFake(async (input) => {
      await this.latency?.();
      this.record('ec2', 'DeleteSecurityGroup', input, true);
      const target = group(input.GroupId);
      const referenced = [...this.ec2.groups.values()].some((g) => g.rules.some((r) => r.UserIdGroupPairs?.[0]?.GroupId === target.id));
      const lingering = (this.ec2.inUse.get(target.id) ?? -Infinity) > this.clock();
      const functionUses = [...this.lambda.functions.values()].some((f) => f.vpc.SecurityGroupIds?.includes(target.id));
      const databaseUses = [...this.rds.instances.values()].some(
        (i) => i.securityGroups.includes(target.id) && (i.deletingAt === undefined || this.clock() - i.deletingAt < this.rds.deleteMs),
      );
      if (referenced || lingering || functionUses || databaseUses) {
        throw ec2Error('DependencyViolation', `resource ${target.id} has a dependent object`);
      }
      this.ec2.groups.delete(target.id);
      return {};
    });
  }

  restore(): void {
    for (const stub of this.stubs) stub.restore();
  }
}
