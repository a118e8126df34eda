// The fake's lambda operations.
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
  ListTagsCommand,
  ResourceConflictException,
  RemovePermissionCommand,
  ResourceNotFoundException,
  ResourceNotReadyException,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { createHash } from 'node:crypto';
import { mockClient } from 'aws-sdk-client-mock';
import { meta } from '../aws-fake.js';
import type { FakeAws, LambdaFunction } from '../aws-fake.js';

function payloadText(payload: unknown): string {
  return typeof payload === 'string' ? payload : Buffer.from((payload ?? new Uint8Array()) as Uint8Array).toString();
}

export function installLambda(fake: FakeAws): void {
  const lambda = mockClient(LambdaClient);
  fake.stubs.push(lambda);
  const fn = (name: string | undefined): LambdaFunction => {
    const found = name ? fake.lambda.functions.get(name.split(':').pop()!) ?? fake.lambda.functions.get(name) : undefined;
    if (!found) throw new ResourceNotFoundException({ ...meta, message: `Function not found: ${name}`, Type: 'User' });
    return found;
  };
  const used = (f: LambdaFunction) => Math.max(f.createdAt, f.updatedAt, f.usedAt ?? -Infinity, f.wakingUntil ?? -Infinity);
  const state = (f: LambdaFunction): 'Pending' | 'Active' | 'Inactive' => {
    const now = fake.clock();
    if (now - f.createdAt < fake.lambda.activeMs || (f.wakingUntil ?? -Infinity) > now) return 'Pending';
    return now - used(f) >= fake.lambda.idleMs ? 'Inactive' : 'Active';
  };
  const configuration = (f: LambdaFunction) => {
    const now = fake.clock();
    const current = state(f);
    const updating = now - f.updatedAt < fake.lambda.updateMs;
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
      State: current,
      LastUpdateStatus: now - f.createdAt < fake.lambda.activeMs || updating ? 'InProgress' : f.lastUpdateFailed ? 'Failed' : 'Successful',
      ...(f.lastUpdateFailed && !updating ? { LastUpdateStatusReason: f.lastUpdateFailed.reason, LastUpdateStatusReasonCode: f.lastUpdateFailed.code } : {}),
      ...(current === 'Inactive' ? { StateReasonCode: 'Idle', StateReason: 'The function is inactive because it has not been invoked recently.' } : {}),
    } as const;
  };
  /** "Function environment variables: 4 KB, for all environment variables of the function, in aggregate" (Lambda quotas). */
  const checkEnvironment = (variables: Record<string, string> | undefined) => {
    const size = Buffer.byteLength(JSON.stringify(variables ?? {}));
    if (size > 4096) {
      throw new InvalidParameterValueException({
        ...meta,
        message: `Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: ${JSON.stringify(variables).slice(0, 100)}…`,
        Type: 'User',
      });
    }
  };
  const notUpdating = (f: LambdaFunction) => {
    const c = configuration(f);
    if (c.State !== 'Active' || c.LastUpdateStatus === 'InProgress') {
      throw new ResourceConflictException({ ...meta, message: `The operation cannot be performed at this time. An update is in progress for resource: ${f.arn}`, Type: 'User' });
    }
  };
  fake.handle(lambda, GetFunctionCommand, { service: 'lambda', name: 'GetFunction', mutating: false }, async (input) => {
    const f = fn(input.FunctionName);
    // "Lambda returns tag data only if you have explicit allow permissions for lambda:ListTags" (GetFunction, SDK model).
    return { Configuration: configuration(f), ...(fake.denied.has('lambda:ListTags') ? {} : { Tags: f.tags }) };
  });
  fake.handle(lambda, ListTagsCommand, { service: 'lambda', name: 'ListTags', mutating: false }, async (input) => {
    return { Tags: fn(input.Resource).tags };
  });
  fake.handle(lambda, GetFunctionConfigurationCommand, { service: 'lambda', name: 'GetFunctionConfiguration', mutating: false }, async (input) => {
    return configuration(fn(input.FunctionName));
  });
  fake.handle(lambda, CreateFunctionCommand, { service: 'lambda', name: 'CreateFunction', mutating: true }, async (input) => {
    const name = input.FunctionName!;
    if (fake.lambda.functions.has(name)) throw new ResourceConflictException({ ...meta, message: `Function already exist: ${name}`, Type: 'User' });
    const role = [...fake.iam.roles.values()].find((r) => r.arn === input.Role);
    if (!role || fake.clock() - role.createdAt < fake.lambda.roleDelayMs) {
      throw new InvalidParameterValueException({ ...meta, message: 'The role defined for the function cannot be assumed by Lambda.', Type: 'User' });
    }
    if (input.VpcConfig?.SubnetIds?.length) {
      // Lambda runs in most zones of a region, not all: a subnet in another is refused, the
      // zones named (issue #24: "the error names them"; AWS Lambda developer guide, VPC access).
      const refused = [...new Set(input.VpcConfig.SubnetIds.map((id) => fake.ec2.subnets.find((s) => s.SubnetId === id)?.AvailabilityZone).filter((z): z is string => Boolean(z) && fake.lambda.unsupportedZones.has(z!)))];
      if (refused.length > 0) {
        throw new InvalidParameterValueException({
          ...meta,
          message: `The provided subnets contain availability zone Lambda doesn't support: ${refused.join(', ')}. Please use a different set of subnets.`,
          Type: 'User',
        });
      }
      // Lambda checks the role's EC2 rights before it makes the function's network interfaces.
      const vpcPolicy = [...role.attached].find((arn) => arn.endsWith(':policy/service-role/AWSLambdaVPCAccessExecutionRole'));
      const since = vpcPolicy ? fake.clock() - (role.attachedAt?.get(vpcPolicy) ?? -Infinity) : -1;
      if (since < fake.lambda.vpcPermissionDelayMs) {
        const call = since >= (fake.lambda.vpcPermissionDelayMs * 2) / 3 ? 'DescribeNetworkInterfaces' : 'CreateNetworkInterface';
        throw new InvalidParameterValueException({ ...meta, message: `The provided execution role does not have permissions to call ${call} on EC2`, Type: 'User' });
      }
      if (fake.lambda.ec2Throttles > 0) {
        fake.lambda.ec2Throttles--;
        throw new InvalidParameterValueException({
          ...meta,
          message: 'Your request has been throttled by EC2, please make sure you have enough API rate limit. EC2 Error Code: RequestLimitExceeded. EC2 Error Message: Request limit exceeded.',
          Type: 'User',
        });
      }
    }
    checkEnvironment(input.Environment?.Variables);
    const zip = Buffer.from(input.Code!.ZipFile!);
    const created: LambdaFunction = {
      name,
      arn: `arn:${fake.partition}:lambda:${fake.region}:${fake.account}:function:${name}`,
      role: input.Role!,
      runtime: input.Runtime!,
      handler: input.Handler!,
      zip,
      codeSha256: createHash('sha256').update(zip).digest('base64'),
      environment: { ...(input.Environment?.Variables ?? {}) },
      vpc: input.VpcConfig ?? {},
      tags: input.Tags ?? {},
      createdAt: fake.clock(),
      updatedAt: -Infinity,
      policy: [],
      request: { ...input, Code: { ZipFile: `<${zip.length} bytes>` } },
    };
    fake.lambda.functions.set(name, created);
    return configuration(created);
  });
  fake.handle(lambda, UpdateFunctionCodeCommand, { service: 'lambda', name: 'UpdateFunctionCode', mutating: true, recordAs: (input) => ({ ...input, ZipFile: '<zip>' }) }, async (input) => {
    const f = fn(input.FunctionName);
    notUpdating(f);
    f.zip = Buffer.from(input.ZipFile!);
    f.codeSha256 = createHash('sha256').update(f.zip).digest('base64');
    f.updatedAt = fake.clock();
    delete f.lastUpdateFailed;
    return configuration(f);
  });
  fake.handle(lambda, UpdateFunctionConfigurationCommand, { service: 'lambda', name: 'UpdateFunctionConfiguration', mutating: true }, async (input) => {
    const f = fn(input.FunctionName);
    notUpdating(f);
    checkEnvironment(input.Environment?.Variables);
    if (input.Environment?.Variables) f.environment = { ...input.Environment.Variables };
    if (input.VpcConfig) f.vpc = input.VpcConfig;
    f.updatedAt = fake.clock();
    delete f.lastUpdateFailed;
    return configuration(f);
  });
  fake.handle(lambda, DeleteFunctionCommand, { service: 'lambda', name: 'DeleteFunction', mutating: true }, async (input) => {
    const f = fn(input.FunctionName);
    fake.lambda.functions.delete(f.name);
    // The VPC network interfaces outlive the function for a while (teardown's worry).
    for (const group of f.vpc.SecurityGroupIds ?? []) fake.ec2.inUse.set(group, fake.clock() + fake.ec2.eniLingerMs);
    return {};
  });
  fake.handle(lambda, AddPermissionCommand, { service: 'lambda', name: 'AddPermission', mutating: true }, async (input) => {
    const f = fn(input.FunctionName);
    if (f.policy.some((p) => p.Sid === input.StatementId)) {
      throw new ResourceConflictException({
        ...meta,
        message: `The statement id (${input.StatementId}) provided already exists. Please provide a new statement id, or remove the existing statement.`,
        Type: 'User',
      });
    }
    // A function being created or updated refuses changes to its policy too (Terraform's
    // aws_lambda_permission retries ResourceConflictException for this).
    notUpdating(f);
    f.policy.push({ Sid: input.StatementId!, Principal: input.Principal!, Action: input.Action!, ...(input.SourceArn ? { SourceArn: input.SourceArn } : {}) });
    return { Statement: JSON.stringify(f.policy.at(-1)) };
  });
  fake.handle(lambda, RemovePermissionCommand, { service: 'lambda', name: 'RemovePermission', mutating: true }, async (input) => {
    const f = fn(input.FunctionName);
    const kept = f.policy.filter((p) => p.Sid !== input.StatementId);
    if (kept.length === f.policy.length) throw new ResourceNotFoundException({ ...meta, message: 'The resource you requested does not exist.', Type: 'User' });
    notUpdating(f);
    f.policy = kept;
    return {};
  });
  fake.handle(lambda, GetPolicyCommand, { service: 'lambda', name: 'GetPolicy', mutating: false }, async (input) => {
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
  fake.handle(lambda, InvokeCommand, { service: 'lambda', name: 'Invoke', mutating: true, recordAs: (input) => ({ ...input, Payload: payloadText(input.Payload) }) }, async (input) => {
    const f = fn(input.FunctionName);
    const now = state(f);
    if (now === 'Inactive') {
      f.wakingUntil = fake.clock() + fake.lambda.activeMs;
      throw new ResourceNotReadyException({
        ...meta,
        message: 'The function is inactive and its VPC connection is no longer available. Wait for the VPC connection to reestablish and try again.',
        Type: 'User',
      });
    }
    if (now === 'Pending') {
      throw new ResourceConflictException({ ...meta, message: 'The operation cannot be performed at this time. The function is currently in the following state: Pending', Type: 'User' });
    }
    f.usedAt = fake.clock();
    if (!fake.lambda.invoke) throw new Error('the fake has no handler to invoke');
    const result = await fake.lambda.invoke(f, JSON.parse(payloadText(input.Payload) || '{}'));
    return { StatusCode: 200, Payload: Buffer.from(JSON.stringify(result)) };
  });
}
