// The plan says what apply does. Issue #24.5: with the API's stage deleted the plan showed
// "= REST API … (keep)" and apply then redeployed it. Here a stack drifts in one way at a time;
// the plan (`setup --dry-run --json`) is read, then setup runs, and every AWS change it makes must
// belong to a step whose plan said it would change something.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { canStartMariaDb } from '../support/mariadb.js';
import { startWorld, type World } from '../support/setup-world.js';

const canRun = canStartMariaDb('the plan tests');

/** Which step makes each mutating call (the step files under src/stack/steps). */
const STEP_OF: Record<string, string> = {
  CreateRole: 'role',
  AttachRolePolicy: 'role',
  PutRolePolicy: 'db-access',
  CreateSecurityGroup: 'access',
  AuthorizeSecurityGroupIngress: 'access-rules',
  RevokeSecurityGroupIngress: 'access-rules',
  CreateDBSubnetGroup: 'database',
  CreateDBInstance: 'database',
  CreateDBCluster: 'database',
  ModifyDBInstance: 'database',
  ModifyDBCluster: 'database',
  CreateLogGroup: 'function',
  PutRetentionPolicy: 'function',
  CreateFunction: 'function',
  UpdateFunctionCode: 'function',
  UpdateFunctionConfiguration: 'configure',
  CreateRestApi: 'api',
  CreateResource: 'api',
  PutMethod: 'api',
  PutIntegration: 'api',
  PutMethodResponse: 'api',
  PutIntegrationResponse: 'api',
  AddPermission: 'api',
  RemovePermission: 'api',
  CreateDeployment: 'api',
  UpdateStage: 'api',
};

type Drift = (world: World) => void;
const api = (w: World) => [...w.aws.apigateway.apis.values()][0]!;
const webhookResource = (w: World) => [...api(w).resources.values()].find((r) => r.path === '/webhook')!;
const fn = (w: World) => w.aws.lambda.functions.get('mbed_time_series_webhook')!;

const DRIFTS: Array<[string, Drift]> = [
  ['nothing changed', () => undefined],
  ['the API’s stage was deleted', (w) => api(w).stages.clear()],
  ['the API’s throttle was removed', (w) => void (api(w).stages.get('test')!.methodSettings = {})],
  ['the GET mock lost its integration', (w) => void delete webhookResource(w).methods.get('GET')!.integration],
  ['PUT integrates another function', (w) => void (webhookResource(w).methods.get('PUT')!.integration!.uri = 'arn:aws:apigateway:us-west-2:lambda:path/2015-03-31/functions/arn:aws:lambda:us-west-2:123456789012:function:other/invocations')],
  ['the function’s permission for the API was removed', (w) => void (fn(w).policy = [])],
  ['the log group’s retention was changed', (w) => void (w.aws.logs.groups.get('/aws/lambda/mbed_time_series_webhook')!.retention = 3653)],
  ['the log group was deleted', (w) => void w.aws.logs.groups.delete('/aws/lambda/mbed_time_series_webhook')],
  ['the role lost a managed policy', (w) => void w.aws.iam.roles.get('mbed_time_series_database')!.attached.clear()],
  [
    'the role’s database login names another database',
    (w) => {
      const inline = w.aws.iam.roles.get('mbed_time_series_database')!.inline;
      const policy = inline.get('mbed-tsdb-db-connect')!;
      inline.set('mbed-tsdb-db-connect', { ...policy, document: policy.document.replace(/dbuser:[^/]+/, 'dbuser:db-OTHERDATABASE0000000000000') });
    },
  ],
  ['the function runs other code', (w) => void (fn(w).codeSha256 = 'older')],
  ['the function’s last update failed', (w) => void (fn(w).lastUpdateFailed = { reason: 'The subnet has no free IP addresses', code: 'SubnetOutOfIPAddresses' })],
  ['the function’s environment was changed', (w) => void (fn(w).environment = { ...fn(w).environment, DB_ROLLUP: 'off' })],
  ['the desktop rule was removed', (w) => void ([...w.aws.ec2.groups.values()].find((g) => g.name === 'desktop-RDS-access')!.rules = [])],
  ['IAM authentication was turned off', (w) => void (w.aws.rds.instances.get('tsdb')!.iamAuth = false)],
];

describe.skipIf(!canRun)('setup: the plan says what apply does', () => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld();
  }, 120_000);
  beforeEach(async () => world.reset());
  afterAll(async () => world?.close());

  it.each(DRIFTS)('when %s', async (_name, drift) => {
    expect((await world.setup()).code).toBe(0);
    drift(world);
    const dry = await world.setup(['--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    const plan = JSON.parse(dry.stdout).plan as Array<{ step: string; action: string; resource: string }>;
    const changing = new Set(plan.filter((item) => item.action !== 'keep').map((item) => item.step));
    const before = world.aws.calls.length;
    const run = await world.setup();
    expect(run.code, run.stderr).toBe(0);
    const made = world.aws.calls.slice(before).filter((c) => c.mutating && c.command !== 'Invoke');
    // The function step's repair re-applies the configuration with its VPC; configure sends the environment only.
    const stepOf = (c: (typeof made)[number]) => (c.command === 'UpdateFunctionConfiguration' && c.input.VpcConfig ? 'function' : STEP_OF[c.command]);
    const unplanned = made.filter((c) => !changing.has(stepOf(c) ?? `unknown (${c.command})`)).map((c) => `${c.command} (step ${stepOf(c)})`);
    expect(unplanned, `plan: ${JSON.stringify(plan.map((p) => `${p.action} ${p.step}`))}`).toEqual([]);
  });

  it('shows every AWS resource as kept on a healthy stack, and names the API change when the stage is gone', async () => {
    expect((await world.setup()).code).toBe(0);
    const plan = async () => (JSON.parse((await world.setup(['--dry-run', '--json'])).stdout).plan as Array<{ step: string; action: string; detail?: string }>);
    // The table, the Connector and the self-test are checked on every run: no AWS resource of theirs changes.
    expect([...new Set((await plan()).filter((i) => i.action !== 'keep').map((i) => i.step))]).toEqual(['table', 'connector', 'selftest']);
    api(world).stages.clear();
    expect((await plan()).find((i) => i.step === 'api')).toMatchObject({ action: 'update', detail: 'deploy the stage, throttle at 25 requests/s' });
  });
});
