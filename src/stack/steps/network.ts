// Where everything lives: the default VPC and its subnets (tutorial §2 "default VPC"),
// or the ones given with --vpc-id/--subnet-ids. Nothing is created here.

import { DescribeSubnetsCommand, DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { UserFacingError } from '../../errors.js';
import type { Step, StepContext } from '../step.js';

export interface NetworkOutput {
  vpcId: string;
  subnetIds: string[];
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
  const subnets = ctx.answers.subnetIds?.length
    ? (await ec2.send(new DescribeSubnetsCommand({ SubnetIds: ctx.answers.subnetIds }))).Subnets ?? []
    : (await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }))).Subnets ?? [];
  const foreign = subnets.filter((s) => s.VpcId !== vpcId);
  if (foreign.length > 0) throw new UserFacingError(`subnet ${foreign[0]!.SubnetId} is not in ${vpcId}`, { code: "NETWORK" });
  const zones = new Set(subnets.map((s) => s.AvailabilityZone));
  if (zones.size < 2) {
    throw new UserFacingError(`the database needs subnets in two availability zones; ${vpcId} offers ${zones.size}: pass --subnet-ids`, { code: "NETWORK" });
  }
  return { vpcId, subnetIds: subnets.map((s) => s.SubnetId!).sort() };
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
