import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { accessRulesStep, accessStep, DESKTOP_RULE, FUNCTION_RULE } from '../../src/stack/steps/access.js';
import type { StepContext } from '../../src/stack/step.js';
import { networkStep } from '../../src/stack/steps/network.js';
import { ConflictError } from '../../src/stack/step.js';
import { FakeAws } from '../support/aws-fake.js';
import { stepContext } from '../support/step-context.js';

describe('network step', () => {
  let aws: FakeAws;
  beforeEach(() => {
    aws = new FakeAws().install();
  });
  afterEach(() => aws.restore());

  it('finds the default VPC and its subnets, creating nothing', async () => {
    expect(await networkStep.apply(stepContext())).toEqual({
      vpcId: 'vpc-0default',
      subnetIds: ['subnet-0a', 'subnet-0b', 'subnet-0c'],
      zones: { 'subnet-0a': { name: 'us-west-2a' }, 'subnet-0b': { name: 'us-west-2b' }, 'subnet-0c': { name: 'us-west-2c' } },
    });
    expect(aws.mutatingCalls()).toEqual([]);
  });

  it('says what to pass when there is no default VPC', async () => {
    aws.ec2.vpcs = [];
    await expect(networkStep.apply(stepContext())).rejects.toThrow('us-west-2 has no default VPC: pass --vpc-id vpc-… and --subnet-ids');
  });

  it('uses --vpc-id and --subnet-ids, which must span two zones of that VPC', async () => {
    aws.ec2.vpcs.push({ VpcId: 'vpc-0mine', IsDefault: false, CidrBlock: '10.0.0.0/16', EnableDnsHostnames: true });
    aws.ec2.subnets.push({ SubnetId: 'subnet-1a', VpcId: 'vpc-0mine', AvailabilityZone: 'us-west-2a' }, { SubnetId: 'subnet-1b', VpcId: 'vpc-0mine', AvailabilityZone: 'us-west-2b' });
    const ctx = stepContext({ answers: { vpcId: 'vpc-0mine', subnetIds: ['subnet-1b', 'subnet-1a'] } });
    expect(await networkStep.apply(ctx)).toMatchObject({ vpcId: 'vpc-0mine', subnetIds: ['subnet-1a', 'subnet-1b'] });
    await expect(networkStep.apply(stepContext({ answers: { vpcId: 'vpc-0mine', subnetIds: ['subnet-1a'] } }))).rejects.toThrow('two availability zones');
    await expect(networkStep.apply(stepContext({ answers: { vpcId: 'vpc-0mine', subnetIds: ['subnet-0a', 'subnet-1a'] } }))).rejects.toThrow('is not in vpc-0mine');
  });
});

describe('§3 access step', () => {
  let aws: FakeAws;
  beforeEach(() => {
    aws = new FakeAws().install();
  });
  afterEach(() => aws.restore());

  const ready = async (answers: Parameters<typeof stepContext>[0] extends infer O ? (O extends { answers?: infer A } ? A : never) : never = {}) => {
    const ctx = stepContext({ answers });
    aws.clock = () => ctx.clock.now;
    ctx.state.outputs = { network: await networkStep.apply(ctx) };
    return ctx;
  };
  const groupNamed = (name: string) => [...aws.ec2.groups.values()].find((g) => g.name === name)!;
  /** Both §3 steps, as the engine runs them: the groups, then their rules. */
  const applyAccess = async (ctx: StepContext) => {
    ctx.state.outputs!.access = await accessStep.apply(ctx);
    return { ...(ctx.state.outputs!.access as object), ...(await accessRulesStep.apply(ctx)) };
  };
  const planAccess = async (ctx: StepContext) => [...(await accessStep.plan(ctx)), ...(await accessRulesStep.plan(ctx))];

  it('creates desktop-RDS-access open on 3306 to the desktop /32 and the function group only', async () => {
    const ctx = await ready();
    const plan = await planAccess(ctx);
    expect(plan.map((p) => [p.resource, p.action])).toEqual([
      ['security group mbed-tsdb-webhook', 'create'],
      ['security group desktop-RDS-access', 'create'],
      ['rules of desktop-RDS-access', 'create'],
    ]);
    const out = await applyAccess(ctx);
    const db = groupNamed('desktop-RDS-access');
    const fn = groupNamed('mbed-tsdb-webhook');
    expect(out).toEqual({ databaseGroupId: db.id, functionGroupId: fn.id, cidr: '203.0.113.7/32' });
    // The groups alone are the first step: the database and the function need only their IDs.
    expect(aws.calls.findIndex((c) => c.command === 'AuthorizeSecurityGroupIngress')).toBeGreaterThan(aws.calls.map((c) => c.command).lastIndexOf('CreateSecurityGroup'));
    expect(aws.callsOf('CreateSecurityGroup')[1]).toEqual({
      GroupName: 'desktop-RDS-access',
      Description: 'A security group to access RDS from my desktop PC.',
      VpcId: 'vpc-0default',
      TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: 'mbed-tsdb:stack', Value: 'mbed-tsdb' }, { Key: 'mbed-tsdb:managed-by', Value: 'mbed-tsdb' }] }],
    });
    expect(db.rules).toEqual([
      { IpProtocol: 'tcp', FromPort: 3306, ToPort: 3306, UserIdGroupPairs: [{ GroupId: fn.id, Description: FUNCTION_RULE }] },
      { IpProtocol: 'tcp', FromPort: 3306, ToPort: 3306, IpRanges: [{ CidrIp: '203.0.113.7/32', Description: DESKTOP_RULE }] },
    ]);
    expect(JSON.stringify(db.rules)).not.toContain('0.0.0.0/0');
    expect(fn.rules).toEqual([]);
  });

  it('changes nothing when run again', async () => {
    const ctx = await ready();
    await applyAccess(ctx);
    const before = aws.mutatingCalls().length;
    await applyAccess(ctx);
    expect(aws.mutatingCalls()).toHaveLength(before);
    expect((await planAccess(ctx)).map((p) => p.action)).toEqual(['keep', 'keep', 'keep']);
  });

  it('moves the desktop rule when the IP changes, leaving rules it did not make', async () => {
    const first = await ready();
    await applyAccess(first);
    const db = groupNamed('desktop-RDS-access');
    db.rules.push({ IpProtocol: 'tcp', FromPort: 3306, ToPort: 3306, IpRanges: [{ CidrIp: '198.51.100.0/24', Description: 'office' }] });
    const moved = await ready({ cidr: '192.0.2.44/32' });
    moved.clock.now = first.clock.now; // the same account, later
    expect((await planAccess(moved))[2]).toMatchObject({ action: 'update' });
    await applyAccess(moved);
    expect(db.rules.map((r) => r.IpRanges?.[0]?.CidrIp ?? 'function')).toEqual(['function', '198.51.100.0/24', '192.0.2.44/32']);
  });

  // EC2 keeps a block with its host bits cleared, and IPv6 in its shortest form: a re-run
  // compares like with like, and changes nothing.
  it.each([
    ['203.0.113.7/24', '203.0.113.0/24'],
    ['198.51.100.77/32', '198.51.100.77/32'],
  ])('is quiet on a re-run after EC2 stored %s as %s', async (given, stored) => {
    const first = await ready({ cidr: given });
    await applyAccess(first);
    expect(groupNamed('desktop-RDS-access').rules[1]!.IpRanges![0]!.CidrIp).toBe(stored);
    const again = await ready({ cidr: given });
    again.clock.now = first.clock.now;
    const before = aws.mutatingCalls().length;
    expect((await planAccess(again))[2]).toMatchObject({ action: 'keep' });
    await applyAccess(again);
    expect(aws.mutatingCalls()).toHaveLength(before);
  });

  // EC2 is eventually consistent: a new group is not found by the calls right after it
  // (InvalidGroup.NotFound; not listed). EC2 API reference, "Eventual consistency".
  it('waits for a new group to be known before adding its rules', async () => {
    const ctx = await ready();
    await applyAccess(ctx);
    expect(aws.callsOf('AuthorizeSecurityGroupIngress').length).toBeGreaterThan(1);
    expect(groupNamed('desktop-RDS-access').rules).toHaveLength(2);
  });

  it('finds a group it made whose answer was lost, even while EC2 does not list it yet', async () => {
    const ctx = await ready();
    aws.crashOn({ at: 'CreateSecurityGroup', mode: 'after' });
    await expect(accessStep.apply(ctx)).rejects.toThrow('simulated crash');
    aws.crashOn(null);
    await applyAccess(ctx);
    expect([...aws.ec2.groups.values()].map((g) => g.name).sort()).toEqual(['desktop-RDS-access', 'mbed-tsdb-webhook']);
  });

  it('removes the stack’s groups when they come one to a page', async () => {
    const ctx = await ready();
    await applyAccess(ctx);
    for (let i = 0; i < 3; i++) aws.ec2.groups.set(`sg-other${i}`, { id: `sg-other${i}`, name: `other-${i}`, vpcId: 'vpc-0default', description: 'x', tags: [], rules: [] });
    aws.pageSize = 1;
    ctx.clock.now += 60_000;
    await accessStep.remove(ctx);
    expect([...aws.ec2.groups.keys()].sort()).toEqual(['sg-other0', 'sg-other1', 'sg-other2']);
  });

  it('opens nothing to the desktop in private mode', async () => {
    await applyAccess(await ready({ access: 'private' }));
    expect(groupNamed('desktop-RDS-access').rules).toHaveLength(1);
    expect(groupNamed('desktop-RDS-access').rules[0]!.UserIdGroupPairs).toEqual([{ GroupId: groupNamed('mbed-tsdb-webhook').id, Description: FUNCTION_RULE }]);
  });

  it('never adopts a group of the same name it did not make', async () => {
    aws.ec2.groups.set('sg-hand', { id: 'sg-hand', name: 'desktop-RDS-access', vpcId: 'vpc-0default', description: 'by hand', tags: [], rules: [] });
    const ctx = await ready();
    await expect(accessStep.plan(ctx)).rejects.toThrow(ConflictError);
    await expect(accessStep.apply(ctx)).rejects.toThrow('security group desktop-RDS-access (sg-hand) in vpc-0default already exists and was not made by mbed-tsdb');
    await accessStep.remove(ctx);
    expect(aws.ec2.groups.has('sg-hand')).toBe(true);
  });

  it('removes both groups, the database one first (it refers to the other)', async () => {
    const ctx = await ready();
    await applyAccess(ctx);
    await accessStep.remove(ctx);
    expect(aws.ec2.groups.size).toBe(0);
  });
});
