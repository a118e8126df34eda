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
  arn: string;
  trust: string;
  tags: Tag[];
  attached: Set<string>;
}

const meta = { $metadata: { httpStatusCode: 400 } };

export class FakeAws {
  readonly account = '123456789012';
  readonly calls: AwsCall[] = [];
  /** The n-th mutating call (1-based) throws SimulatedCrash. */
  crashAt: number | null = null;
  private mutations = 0;
  private readonly stubs: Array<{ restore(): void }> = [];

  readonly iam = { roles: new Map<string, Role>() };

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

    iam.on(GetRoleCommand).callsFake((input) => {
      this.record('iam', 'GetRole', input, false);
      const found = role(input.RoleName);
      return { Role: { RoleName: input.RoleName, Arn: found.arn, Path: '/', RoleId: 'AROA000', CreateDate: new Date(0), AssumeRolePolicyDocument: encodeURIComponent(found.trust) } };
    });
    iam.on(ListRoleTagsCommand).callsFake((input) => {
      this.record('iam', 'ListRoleTags', input, false);
      return { Tags: role(input.RoleName).tags, IsTruncated: false };
    });
    iam.on(ListAttachedRolePoliciesCommand).callsFake((input) => {
      this.record('iam', 'ListAttachedRolePolicies', input, false);
      return { AttachedPolicies: [...role(input.RoleName).attached].map((arn) => ({ PolicyArn: arn, PolicyName: arn.split('/').pop() })), IsTruncated: false };
    });
    iam.on(CreateRoleCommand).callsFake((input) => {
      this.record('iam', 'CreateRole', input, true);
      const name = input.RoleName!;
      if (this.iam.roles.has(name)) throw new EntityAlreadyExistsException({ ...meta, message: `Role with name ${name} already exists.` });
      try {
        JSON.parse(input.AssumeRolePolicyDocument ?? '');
      } catch {
        throw new MalformedPolicyDocumentException({ ...meta, message: 'This policy contains invalid Json' });
      }
      const created: Role = { arn: `arn:aws:iam::${this.account}:role/${name}`, trust: input.AssumeRolePolicyDocument!, tags: input.Tags ?? [], attached: new Set() };
      this.iam.roles.set(name, created);
      return { Role: { RoleName: name, Arn: created.arn, Path: '/', RoleId: 'AROA000', CreateDate: new Date(0) } };
    });
    iam.on(AttachRolePolicyCommand).callsFake((input) => {
      this.record('iam', 'AttachRolePolicy', input, true);
      role(input.RoleName).attached.add(input.PolicyArn!);
      return {};
    });
    iam.on(DetachRolePolicyCommand).callsFake((input) => {
      this.record('iam', 'DetachRolePolicy', input, true);
      const found = role(input.RoleName);
      if (!found.attached.delete(input.PolicyArn!)) throw new NoSuchEntityException({ ...meta, message: `Policy ${input.PolicyArn} was not found.` });
      return {};
    });
    iam.on(DeleteRoleCommand).callsFake((input) => {
      this.record('iam', 'DeleteRole', input, true);
      const found = role(input.RoleName);
      if (found.attached.size > 0) throw new DeleteConflictException({ ...meta, message: 'Cannot delete entity, must detach all policies first.' });
      this.iam.roles.delete(input.RoleName!);
      return {};
    });
    return this;
  }

  restore(): void {
    for (const stub of this.stubs) stub.restore();
  }
}
