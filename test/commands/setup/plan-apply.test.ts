// setup's Plan and the part of Apply that runs before any change, on their own.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { prepareState } from '../../../src/commands/setup/apply.js';
import { describePlan, planSetup } from '../../../src/commands/setup/plan.js';
import type { StackState } from '../../../src/stack/state.js';
import { FakeAws } from '../../support/aws-fake.js';
import { stepContext } from '../../support/step-context.js';

describe('planSetup', () => {
  let aws: FakeAws;
  beforeEach(() => {
    aws = new FakeAws().install();
  });
  afterEach(() => aws.restore());

  it('plans every resource of a new stack, read-only', async () => {
    const plan = await planSetup(stepContext());
    expect(aws.mutatingCalls()).toEqual([]);
    expect(plan.map((p) => `${p.action} ${p.resource}`)).toEqual([
      'create IAM role mbed_time_series_database',
      'keep VPC vpc-0default',
      'create RDS instance tsdb',
      'create policy mbed-tsdb-db-connect of role mbed_time_series_database',
      'create security group mbed-tsdb-webhook',
      'create security group desktop-RDS-access',
      'create rules of desktop-RDS-access',
      'create table tsdb.events',
      'update database user tsdb_webhook',
      'update database user tsdb_maintenance',
      'create Lambda function mbed_time_series_webhook',
      'update environment of mbed_time_series_webhook',
      'update table events_rollup',
      'keep table events',
      'update table events (monthly partitions)',
      'create schedule mbed-tsdb/maintenance',
      'create REST API mbed time series database webhook',
      'update Connector webhook at https://api.us-east-1.mbedcloud.com',
      'update subscriptions to /3200/0/5501',
      'update self-test',
    ]);
  });

  it('draws the plan one line per resource', () => {
    expect(
      describePlan([
        { step: 'role', resource: 'IAM role r', action: 'create', detail: 'trusted by Lambda' },
        { step: 'access', resource: 'security group g', action: 'update' },
        { step: 'network', resource: 'VPC v', action: 'keep' },
      ]),
    ).toBe('  + IAM role r: trusted by Lambda\n  ~ security group g\n  = VPC v');
  });
});

describe('prepareState', () => {
  const answers = stepContext().answers;

  it('generates the secrets once, and keeps them on every later run', () => {
    const state: StackState = { version: 1, stack: 'mbed-tsdb' };
    prepareState(state, { region: 'us-west-2', answers, dbPassword: undefined });
    const first = { secret: state.webhookSecret, password: state.database?.password };
    expect(first.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(first.password).toMatch(/^[A-Za-z0-9]{32}$/);
    prepareState(state, { region: 'us-west-2', answers, dbPassword: undefined });
    expect({ secret: state.webhookSecret, password: state.database?.password }).toEqual(first);
    expect(state.answers).toMatchObject({ region: 'us-west-2', engine: 'mysql', endpoints: ['dev-1'] });
  });

  it('takes --db-password, marked as not yet applied to the database', () => {
    const state: StackState = { version: 1, stack: 'mbed-tsdb', database: { password: 'old-password', passwordApplied: true } as never };
    prepareState(state, { region: 'us-west-2', answers, dbPassword: 'new-password-1' });
    expect(state.database).toMatchObject({ password: 'new-password-1', passwordApplied: false });
  });
});
