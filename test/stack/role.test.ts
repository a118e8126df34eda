import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LAMBDA_TRUST_POLICY, ROLE_POLICIES, roleStep } from '../../src/stack/steps/role.js';
import { ConflictError } from '../../src/stack/step.js';
import { FakeAws, SimulatedCrash } from '../support/aws-fake.js';
import { stepContext } from '../support/step-context.js';

describe('§1 role step', () => {
  let aws: FakeAws;
  beforeEach(() => {
    aws = new FakeAws().install();
  });
  afterEach(() => aws.restore());

  it('creates the tutorial’s role, trusted by Lambda, tagged, with both managed policies', async () => {
    const ctx = stepContext();
    expect(await roleStep.plan(ctx)).toEqual([{ step: 'role', resource: 'IAM role mbed_time_series_database', action: 'create', detail: 'trusted by Lambda, 2 managed policies' }]);
    expect(aws.mutatingCalls()).toEqual([]);
    const output = await roleStep.apply(ctx);
    expect(output).toEqual({ name: 'mbed_time_series_database', arn: 'arn:aws:iam::123456789012:role/mbed_time_series_database' });
    expect(aws.callsOf('CreateRole')).toEqual([
      {
        RoleName: 'mbed_time_series_database',
        AssumeRolePolicyDocument: LAMBDA_TRUST_POLICY,
        Description: 'mbed-tsdb stack mbed-tsdb: runs the webhook function',
        Tags: [
          { Key: 'mbed-tsdb:stack', Value: 'mbed-tsdb' },
          { Key: 'mbed-tsdb:managed-by', Value: 'mbed-tsdb' },
        ],
      },
    ]);
    expect(JSON.parse(LAMBDA_TRUST_POLICY).Statement[0].Principal).toEqual({ Service: 'lambda.amazonaws.com' });
    expect(aws.callsOf('AttachRolePolicy')).toEqual(ROLE_POLICIES.map((PolicyArn) => ({ RoleName: 'mbed_time_series_database', PolicyArn })));
    expect(ROLE_POLICIES.map((p) => p.split('/').pop())).toEqual(['AWSLambdaBasicExecutionRole', 'AWSLambdaVPCAccessExecutionRole']);
  });

  it('changes nothing when run again, and plans to keep it', async () => {
    const ctx = stepContext();
    await roleStep.apply(ctx);
    const before = aws.mutatingCalls().length;
    await roleStep.apply(ctx);
    expect(aws.mutatingCalls()).toHaveLength(before);
    expect(await roleStep.plan(ctx)).toEqual([{ step: 'role', resource: 'IAM role mbed_time_series_database', action: 'keep' }]);
  });

  it.each([
    [1, 'before', 2],
    [2, 'before', 1],
    [3, 'before', 1],
    // The role was made but the answer lost: the re-run finds it instead of making another.
    [1, 'after', 1],
    [2, 'after', 1],
    [3, 'after', 1],
  ] as const)('finishes after a crash at mutating call %i (%s), creating the role once', async (crashAt, mode, creates) => {
    const ctx = stepContext();
    aws.crashOn({ at: crashAt, mode });
    await expect(roleStep.apply(ctx)).rejects.toThrow(SimulatedCrash);
    expect(aws.crashed?.index).toBe(crashAt);
    aws.crashOn(null);
    await roleStep.apply(ctx);
    const role = aws.iam.roles.get('mbed_time_series_database')!;
    expect([...role.attached]).toEqual(ROLE_POLICIES);
    expect(aws.callsOf('CreateRole').length).toBe(creates);
    expect(aws.iam.roles.size).toBe(1);
  });

  it('plans to attach a missing policy of an adopted role', async () => {
    const ctx = stepContext();
    await roleStep.apply(ctx);
    aws.iam.roles.get('mbed_time_series_database')!.attached.delete(ROLE_POLICIES[1]!);
    expect(await roleStep.plan(ctx)).toEqual([
      { step: 'role', resource: 'IAM role mbed_time_series_database', action: 'update', detail: 'attach AWSLambdaVPCAccessExecutionRole' },
    ]);
    await roleStep.apply(ctx);
    expect(aws.callsOf('AttachRolePolicy').at(-1)).toEqual({ RoleName: 'mbed_time_series_database', PolicyArn: ROLE_POLICIES[1] });
  });

  it.each([
    ['another stack’s', [{ Key: 'mbed-tsdb:stack', Value: 'other' }], 'belongs to another mbed-tsdb stack'],
    ['an untagged (hand-made)', [], 'was not made by mbed-tsdb'],
  ])('never adopts or deletes %s role of the same name', async (_name, tags, message) => {
    aws.iam.roles.set('mbed_time_series_database', { createdAt: 0, arn: 'arn:aws:iam::123456789012:role/mbed_time_series_database', trust: '{}', tags, attached: new Set(['x']), inline: new Map() });
    const ctx = stepContext();
    await expect(roleStep.plan(ctx)).rejects.toThrow(ConflictError);
    await expect(roleStep.apply(ctx)).rejects.toThrow(message);
    await roleStep.remove(ctx);
    expect(aws.mutatingCalls()).toEqual([]);
    expect(aws.iam.roles.has('mbed_time_series_database')).toBe(true);
  });

  it('gives other stacks their own role', async () => {
    await roleStep.apply(stepContext({ stack: 'demo' }));
    expect([...aws.iam.roles.keys()]).toEqual(['mbed_time_series_database-demo']);
  });

  it('removes its role, detaching the policies first, and is done when it is gone', async () => {
    const ctx = stepContext();
    await roleStep.apply(ctx);
    await roleStep.remove(ctx);
    expect(aws.iam.roles.size).toBe(0);
    await roleStep.remove(ctx);
    expect(aws.callsOf('DeleteRole')).toHaveLength(1);
  });
});
