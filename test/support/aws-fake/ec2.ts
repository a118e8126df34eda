// The fake's ec2 operations.
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DeleteSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcAttributeCommand,
  DescribeVpcsCommand,
  EC2Client,
  EC2ServiceException,
  type IpPermission,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { meta } from '../aws-fake.js';
import type { FakeAws, Group } from '../aws-fake.js';

function ec2Error(code: string, message: string): EC2ServiceException {
  return new EC2ServiceException({ name: code, $fault: 'client', $metadata: { httpStatusCode: 400 }, message });
}

/** Splits permissions into one permission per source, the unit EC2 adds, finds and removes. */
function singles(permissions: IpPermission[] = []): IpPermission[] {
  return permissions.flatMap((p) => {
    const base = { IpProtocol: p.IpProtocol, FromPort: p.FromPort, ToPort: p.ToPort };
    return [
      ...(p.IpRanges ?? []).map((r) => ({ ...base, IpRanges: [{ ...r, CidrIp: storedCidr(r.CidrIp!) }] })),
      ...(p.Ipv6Ranges ?? []).map((r) => ({ ...base, Ipv6Ranges: [{ ...r, CidrIpv6: storedCidr(r.CidrIpv6!) }] })),
      ...(p.UserIdGroupPairs ?? []).map((g) => ({ ...base, UserIdGroupPairs: [{ GroupId: g.GroupId, Description: g.Description }] })),
    ];
  });
}

/**
 * How EC2 keeps a CIDR block: host bits cleared (203.0.113.7/24 → 203.0.113.0/24), IPv6 in its
 * shortest form (2001:DB8:0:0::7/128 → 2001:db8::7/128). Written apart from the code under test.
 */
function storedCidr(cidr: string): string {
  const [address = '', prefixText = ''] = cidr.split('/');
  const prefix = Number(prefixText);
  if (address.includes(':')) {
    const halves = address.toLowerCase().split('::');
    const head = halves[0] ? halves[0].split(':') : [];
    const tail = halves.length > 1 && halves[1] ? halves[1].split(':') : [];
    const groups = [...head, ...Array(8 - head.length - tail.length).fill('0'), ...tail].map((g) => BigInt(`0x${g || '0'}`));
    let value = groups.reduce((acc, g) => (acc << 16n) | g, 0n);
    value &= ((1n << 128n) - 1n) ^ ((1n << BigInt(128 - prefix)) - 1n);
    const words = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
    // The longest run of zero words (two or more) becomes "::".
    let best = { at: -1, length: 0 };
    for (let i = 0; i < 8; ) {
      if (words[i] !== 0) { i++; continue; }
      let j = i;
      while (j < 8 && words[j] === 0) j++;
      if (j - i > best.length && j - i >= 2) best = { at: i, length: j - i };
      i = j;
    }
    const hex = words.map((w) => w.toString(16));
    const text = best.at < 0 ? hex.join(':') : `${hex.slice(0, best.at).join(':')}::${hex.slice(best.at + best.length).join(':')}`;
    return `${text}/${prefix}`;
  }
  const value = address.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
  const masked = prefix === 0 ? 0 : Math.floor(value / 2 ** (32 - prefix)) * 2 ** (32 - prefix);
  return `${[24, 16, 8, 0].map((shift) => Math.floor(masked / 2 ** shift) % 256).join('.')}/${prefix}`;
}

function ruleKey(p: IpPermission): string {
  const source = p.IpRanges?.[0]?.CidrIp ?? p.Ipv6Ranges?.[0]?.CidrIpv6 ?? p.UserIdGroupPairs?.[0]?.GroupId;
  return `${p.IpProtocol}:${p.FromPort}-${p.ToPort}:${source}`;
}

export function installEc2(fake: FakeAws): void {
  const ec2 = mockClient(EC2Client);
  fake.stubs.push(ec2);
  const visible = (g: Group) => (g.visibleAt ?? -Infinity) <= fake.clock();
  const group = (id: string | undefined): Group => {
    const found = id ? fake.ec2.groups.get(id) : undefined;
    if (!found || !visible(found)) throw ec2Error('InvalidGroup.NotFound', `The security group '${id}' does not exist`);
    return found;
  };
  fake.handle(ec2, DescribeVpcsCommand, { service: 'ec2', name: 'DescribeVpcs', mutating: false }, async (input) => {
    let vpcs = fake.ec2.vpcs;
    if (input.VpcIds) {
      const missing = input.VpcIds.find((id: string) => !vpcs.some((v) => v.VpcId === id));
      if (missing) throw ec2Error('InvalidVpcID.NotFound', `The vpc ID '${missing}' does not exist`);
      vpcs = vpcs.filter((v) => input.VpcIds!.includes(v.VpcId));
    }
    for (const f of input.Filters ?? []) if (f.Name === 'isDefault') vpcs = vpcs.filter((v) => String(v.IsDefault) === f.Values?.[0]);
    return { Vpcs: vpcs };
  });
  // DescribeVpcAttribute: one attribute per call, answered as { Attribute: { Value } }.
  fake.handle(ec2, DescribeVpcAttributeCommand, { service: 'ec2', name: 'DescribeVpcAttribute', mutating: false }, async (input) => {
    if (!fake.ec2.vpcs.some((v) => v.VpcId === input.VpcId)) throw ec2Error('InvalidVpcID.NotFound', `The vpc ID '${input.VpcId}' does not exist`);
    const attribute = input.Attribute === 'enableDnsHostnames' ? 'EnableDnsHostnames' : input.Attribute === 'enableDnsSupport' ? 'EnableDnsSupport' : null;
    if (!attribute) throw ec2Error('InvalidParameterValue', `Value (${input.Attribute}) for parameter attribute is invalid.`);
    return { VpcId: input.VpcId, [attribute]: { Value: fake.vpcDns(input.VpcId!, attribute) } };
  });
  fake.handle(ec2, DescribeSubnetsCommand, { service: 'ec2', name: 'DescribeSubnets', mutating: false }, async (input) => {
    let subnets = fake.ec2.subnets;
    if (input.SubnetIds) {
      const missing = input.SubnetIds.find((id: string) => !subnets.some((s) => s.SubnetId === id));
      if (missing) throw ec2Error('InvalidSubnetID.NotFound', `The subnet ID '${missing}' does not exist`);
      subnets = subnets.filter((s) => input.SubnetIds!.includes(s.SubnetId));
    }
    for (const f of input.Filters ?? []) if (f.Name === 'vpc-id') subnets = subnets.filter((s) => f.Values?.includes(s.VpcId));
    return { Subnets: subnets };
  });
  fake.handle(ec2, DescribeSecurityGroupsCommand, { service: 'ec2', name: 'DescribeSecurityGroups', mutating: false }, async (input) => {
    let groups = [...fake.ec2.groups.values()].filter(visible);
    if (input.GroupIds) groups = input.GroupIds.map((id: string) => group(id));
    for (const f of input.Filters ?? []) {
      if (f.Name === 'group-name') groups = groups.filter((g) => f.Values?.includes(g.name));
      if (f.Name === 'vpc-id') groups = groups.filter((g) => f.Values?.includes(g.vpcId));
      if (f.Name?.startsWith('tag:')) groups = groups.filter((g) => g.tags.some((t) => t.Key === f.Name!.slice(4) && f.Values?.includes(t.Value!)));
    }
    // Pages of MaxResults (5–1000; without it EC2 may still page), continued by NextToken.
    const size = Math.min(input.MaxResults ?? 1000, fake.pageSize);
    const start = input.NextToken ? Number(input.NextToken) : 0;
    return {
      SecurityGroups: groups
        .slice(start, start + size)
        .map((g) => ({ GroupId: g.id, GroupName: g.name, VpcId: g.vpcId, Description: g.description, Tags: g.tags, IpPermissions: g.rules })),
      ...(start + size < groups.length ? { NextToken: String(start + size) } : {}),
    };
  });
  fake.handle(ec2, CreateSecurityGroupCommand, { service: 'ec2', name: 'CreateSecurityGroup', mutating: true }, async (input) => {
    if ([...fake.ec2.groups.values()].some((g) => g.name === input.GroupName && g.vpcId === input.VpcId)) {
      throw ec2Error('InvalidGroup.Duplicate', `The security group '${input.GroupName}' already exists for VPC '${input.VpcId}'`);
    }
    const id = `sg-${String(fake.nextId++).padStart(8, '0')}`;
    const tags = input.TagSpecifications?.find((t: { ResourceType?: string }) => t.ResourceType === 'security-group')?.Tags ?? [];
    fake.ec2.groups.set(id, { id, name: input.GroupName!, vpcId: input.VpcId!, description: input.Description!, tags, rules: [], visibleAt: fake.clock() + fake.ec2.visibilityMs });
    return { GroupId: id };
  });
  fake.handle(ec2, AuthorizeSecurityGroupIngressCommand, { service: 'ec2', name: 'AuthorizeSecurityGroupIngress', mutating: true }, async (input) => {
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
  fake.handle(ec2, RevokeSecurityGroupIngressCommand, { service: 'ec2', name: 'RevokeSecurityGroupIngress', mutating: true }, async (input) => {
    const target = group(input.GroupId);
    const keys = new Set(singles(input.IpPermissions).map(ruleKey));
    target.rules = target.rules.filter((r) => !keys.has(ruleKey(r)));
    return { Return: true };
  });
  fake.handle(ec2, DeleteSecurityGroupCommand, { service: 'ec2', name: 'DeleteSecurityGroup', mutating: true }, async (input) => {
    const target = group(input.GroupId);
    const referenced = [...fake.ec2.groups.values()].some((g) => g.rules.some((r) => r.UserIdGroupPairs?.[0]?.GroupId === target.id));
    const lingering = (fake.ec2.inUse.get(target.id) ?? -Infinity) > fake.clock();
    const functionUses = [...fake.lambda.functions.values()].some((f) => f.vpc.SecurityGroupIds?.includes(target.id));
    const databaseUses = [...fake.rds.instances.values()].some(
      (i) => i.securityGroups.includes(target.id) && (i.deletingAt === undefined || fake.clock() - i.deletingAt < fake.rds.deleteMs),
    );
    if (referenced || lingering || functionUses || databaseUses) {
      throw ec2Error('DependencyViolation', `resource ${target.id} has a dependent object`);
    }
    fake.ec2.groups.delete(target.id);
    return {};
  });
}
