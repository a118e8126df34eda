// Where everything lives: the default VPC and its subnets (tutorial §2 "default VPC"),
// or the ones given with --vpc-id/--subnet-ids. Nothing is created here.

import { DescribeSubnetsCommand, DescribeVpcAttributeCommand, DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { UserFacingError } from '../../errors.js';
import type { Step, StepContext } from '../step.js';

export interface NetworkOutput {
  vpcId: string;
  subnetIds: string[];
  /** Each subnet's availability zone (name, and ID where EC2 says it). */
  zones?: Record<string, { name: string; id?: string }>;
}

async function find(ctx: StepContext): Promise<NetworkOutput> {
  const ec2 = await ctx.aws.ec2();
  const region = ctx.aws.region;
  const vpcs = ctx.answers.vpcId
    ? (await ec2.send(new DescribeVpcsCommand({ VpcIds: [ctx.answers.vpcId] }))).Vpcs ?? []
    : (await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'isDefault', Values: ['true'] }] }))).Vpcs ?? [];
  const vpcId = vpcs[0]?.VpcId;
  if (!vpcId) {
    throw new UserFacingError(
      `${region} has no default VPC: pass --vpc-id vpc-… and --subnet-ids subnet-…,subnet-… (two or more, in different availability zones)`, { code: "NO_DEFAULT_VPC" }
    );
  }
  const [subnets] = await Promise.all([
    ctx.answers.subnetIds?.length
      ? ec2.send(new DescribeSubnetsCommand({ SubnetIds: ctx.answers.subnetIds })).then((r) => r.Subnets ?? [])
      : ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] })).then((r) => r.Subnets ?? []),
    checkDns(ctx, vpcId),
  ]);
  const foreign = subnets.filter((s) => s.VpcId !== vpcId);
  if (foreign.length > 0) throw new UserFacingError(`subnet ${foreign[0]!.SubnetId} is not in ${vpcId}`, { code: "NETWORK" });
  const zones = new Set(subnets.map((s) => s.AvailabilityZone));
  if (zones.size < 2) {
    throw new UserFacingError(`the database needs subnets in two availability zones; ${vpcId} offers ${zones.size}: pass --subnet-ids`, { code: "NETWORK" });
  }
  const ordered = [...subnets].sort((a, b) => (a.SubnetId! < b.SubnetId! ? -1 : 1));
  return {
    vpcId,
    subnetIds: ordered.map((s) => s.SubnetId!),
    zones: Object.fromEntries(ordered.map((s) => [s.SubnetId!, { name: s.AvailabilityZone ?? '', ...(s.AvailabilityZoneId ? { id: s.AvailabilityZoneId } : {}) }])),
  };
}

/**
 * The function finds the database by name inside the VPC (DNS support), and RDS refuses a publicly
 * accessible instance in a VPC without DNS hostnames too (InvalidVPCNetworkStateFault) — after
 * the role and groups were made. A VPC made with CreateVpc has DNS hostnames off.
 */
async function checkDns(ctx: StepContext, vpcId: string): Promise<void> {
  const ec2 = await ctx.aws.ec2();
  const wanted = [['enableDnsSupport', 'DNS support'] as const, ...(ctx.answers.access === 'my-ip' ? [['enableDnsHostnames', 'DNS hostnames'] as const] : [])];
  const off = [];
  for (const [attribute, words] of wanted) {
    const answer = await ec2.send(new DescribeVpcAttributeCommand({ VpcId: vpcId, Attribute: attribute }));
    const value = attribute === 'enableDnsSupport' ? answer.EnableDnsSupport?.Value : answer.EnableDnsHostnames?.Value;
    if (!value) off.push({ attribute, words });
  }
  if (off.length === 0) return;
  throw new UserFacingError(
    `${vpcId} has ${off.map((o) => o.words).join(' and ')} off, which ${ctx.answers.access === 'my-ip' ? 'a database reachable from your IP needs' : 'the function needs to find the database'}: ` +
      off.map((o) => `aws ec2 modify-vpc-attribute --vpc-id ${vpcId} --${o.attribute.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(' && ') +
      ', then run setup again',
    { code: 'NETWORK' },
  );
}

export const networkStep: Step<NetworkOutput> = {
  id: 'network',
  title: '§2 network (VPC)',
  after: [],
  async plan(ctx) {
    const found = await find(ctx);
    return [{ step: 'network', resource: `VPC ${found.vpcId}`, action: 'keep', detail: `${found.subnetIds.length} subnets` }];
  },
  apply: find,
  async remove() {
    // Nothing was made here.
  },
};
