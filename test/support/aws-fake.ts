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

interface Group {
  id: string;
  name: string;
  vpcId: string;
  description: string;
  tags: Ec2Tag[];
  /** One entry per single source, as EC2 keeps them. */
  rules: IpPermission[];
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
    /** Network interfaces still using a group (Lambda's linger after the function is gone). */
    inUse: new Set<string>(),
  };
  private nextId = 1;

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
    this.installEc2();
    return this;
  }

  private installEc2(): void {
    const ec2 = mockClient(EC2Client);
    this.stubs.push(ec2);
    const group = (id: string | undefined): Group => {
      const found = id ? this.ec2.groups.get(id) : undefined;
      if (!found) throw ec2Error('InvalidGroup.NotFound', `The security group '${id}' does not exist`);
      return found;
    };
    ec2.on(DescribeVpcsCommand).callsFake((input) => {
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
    ec2.on(DescribeSubnetsCommand).callsFake((input) => {
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
    ec2.on(DescribeSecurityGroupsCommand).callsFake((input) => {
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
    ec2.on(CreateSecurityGroupCommand).callsFake((input) => {
      this.record('ec2', 'CreateSecurityGroup', input, true);
      if ([...this.ec2.groups.values()].some((g) => g.name === input.GroupName && g.vpcId === input.VpcId)) {
        throw ec2Error('InvalidGroup.Duplicate', `The security group '${input.GroupName}' already exists for VPC '${input.VpcId}'`);
      }
      const id = `sg-${String(this.nextId++).padStart(8, '0')}`;
      const tags = input.TagSpecifications?.find((t: { ResourceType?: string }) => t.ResourceType === 'security-group')?.Tags ?? [];
      this.ec2.groups.set(id, { id, name: input.GroupName!, vpcId: input.VpcId!, description: input.Description!, tags, rules: [] });
      return { GroupId: id };
    });
    ec2.on(AuthorizeSecurityGroupIngressCommand).callsFake((input) => {
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
    ec2.on(RevokeSecurityGroupIngressCommand).callsFake((input) => {
      this.record('ec2', 'RevokeSecurityGroupIngress', input, true);
      const target = group(input.GroupId);
      const keys = new Set(singles(input.IpPermissions).map(ruleKey));
      target.rules = target.rules.filter((r) => !keys.has(ruleKey(r)));
      return { Return: true };
    });
    ec2.on(DeleteSecurityGroupCommand).callsFake((input) => {
      this.record('ec2', 'DeleteSecurityGroup', input, true);
      const target = group(input.GroupId);
      const referenced = [...this.ec2.groups.values()].some((g) => g.rules.some((r) => r.UserIdGroupPairs?.[0]?.GroupId === target.id));
      if (referenced || this.ec2.inUse.has(target.id)) {
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
