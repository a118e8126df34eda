// Everything `setup` talks to, on this machine: the AWS fake, a MariaDB with TLS behind a
// stand-in for RDS's front door (IAM database authentication), the webhook function served as
// API Gateway would serve the fake's deployed API (with the fake function's current
// environment and its role's credentials), and the Connector fake.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { createConnection } from 'mysql2/promise';
import type { ProxyResult } from '../../templates/lambda/handler.js';
import { FakeAws, type LambdaFunction } from './aws-fake.js';
import { runCli, type CliRun } from './cli.js';
import { startConnectorFake, type ConnectorFake } from './connector-fake.js';
import { loadFunction, type WebhookFunction } from './function.js';
import { LocalMariaDb, makeTlsFiles } from './mariadb.js';
import { startRdsStandIn, type RdsStandIn } from './rds-standin.js';
import { proxyEvent } from './apigw.js';
import { unzip } from './zip.js';

export const API_KEY = 'ak_world_0123456789abcdef';

export interface World {
  aws: FakeAws;
  connector: ConnectorFake;
  db: LocalMariaDb;
  /** RDS's front door: what the fake's database endpoints point at. */
  rdsFront: RdsStandIn;
  caFile: string;
  stateDir: string;
  clock: { now: number };
  /** Fake time and the way to the local API Gateway, for runs made by hand. */
  hooks: { sleep: (ms: number) => Promise<void>; now: () => number; reachable: (url: string) => string; random: () => number };
  /** Runs `mbed-tsdb setup --yes` with the world's flags, plus any given. */
  setup(extra?: string[], options?: { env?: Record<string, string>; hooks?: Partial<World['hooks']>; interrupted?: Promise<void> }): Promise<CliRun>;
  cli(argv: string[], options?: { env?: Record<string, string>; hooks?: Partial<World['hooks']>; interrupted?: Promise<void> }): Promise<CliRun>;
  /** Rows in tsdb.events, as the administrator sees them. */
  rows(): Promise<Array<{ board: string; sensor: string; value: number }>>;
  /** A new account, Connector key, database server contents and state folder. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

/** A role's temporary credentials as Lambda hands them to its function (one key per role). */
export function roleCredentials(roleArn: string) {
  const digest = createHash('sha256').update(roleArn).digest('hex');
  return { accessKeyId: `ASIA${digest.slice(0, 16).toUpperCase()}`, secretAccessKey: digest.slice(16, 56), sessionToken: `session-${digest.slice(56)}` };
}

/** What Lambda's runtime adds to a function's environment (Lambda developer guide, "Defined runtime environment variables"). */
function lambdaRuntimeEnv(f: LambdaFunction): Record<string, string> {
  const keys = roleCredentials(f.role);
  return { AWS_REGION: f.arn.split(':')[3]!, AWS_LAMBDA_FUNCTION_NAME: f.name, AWS_ACCESS_KEY_ID: keys.accessKeyId, AWS_SECRET_ACCESS_KEY: keys.secretAccessKey, AWS_SESSION_TOKEN: keys.sessionToken };
}

/** After IAM authentication is turned on, RDS loads its authentication plugin this much later. */
export const PLUGIN_LOAD_MS = 30_000;

/** How long a first deployment of a stage takes to be served. */
export const DEPLOYMENT_PROPAGATION_MS = 8_000;

/** IAM changes reach RDS some seconds after they are made (IAM is eventually consistent). */
export const RDS_POLICY_DELAY_MS = 10_000;

/**
 * The stand-in for RDS's front door, judging by the fake: IAM authentication in effect on the
 * instance (or its Aurora cluster), and a policy of the caller's role, old enough to have
 * reached RDS, allowing rds-db:connect as that user on that database.
 */
async function startRdsFront(aws: FakeAws, db: LocalMariaDb, tls: Awaited<ReturnType<typeof makeTlsFiles>>[number]): Promise<RdsStandIn> {
  const roleOf = (accessKeyId: string) => [...aws.iam.roles.values()].find((r) => roleCredentials(r.arn).accessKeyId === accessKeyId);
  const inEffect = (t: { iamAuth: boolean; iamPending?: { value: boolean; until: number } }) => (t.iamPending && t.iamPending.until <= aws.clock() ? t.iamPending.value : t.iamAuth);
  const databases = () =>
    [...aws.rds.instances.values()].filter((i) => i.deletingAt === undefined).map((i) => (i.clusterId ? aws.rds.clusters.get(i.clusterId) : i)).filter((t) => t !== undefined);
  return startRdsStandIn({
    backend: { host: '127.0.0.1', port: db.port },
    tls,
    host: 'localhost',
    get region() {
      return aws.region;
    },
    secretOf: (id) => {
      const role = roleOf(id);
      return role ? roleCredentials(role.arn) : undefined;
    },
    iamEnabled: () => databases().some((t) => inEffect(t!)),
    pluginLoaded: () => databases().some((t) => inEffect(t!) && aws.clock() - (t!.iamAppliedAt ?? -Infinity) >= PLUGIN_LOAD_MS),
    refuse: (id, user) => {
      const role = roleOf(id);
      if (!role) return `no role has the access key ${id}`;
      const wanted = databases().map((t) => `arn:${aws.partition}:rds-db:${aws.region}:${aws.account}:dbuser:${t!.resourceId}/${user}`);
      for (const policy of role.inline.values()) {
        const statements = (JSON.parse(policy.document) as { Statement: Array<{ Effect: string; Action: string | string[]; Resource: string | string[] }> }).Statement;
        const allows = statements.some(
          (s) => s.Effect === 'Allow' && [s.Action].flat().some((a) => a === 'rds-db:connect' || a === 'rds-db:*') && [s.Resource].flat().some((r) => wanted.includes(r)),
        );
        if (allows) return aws.clock() - policy.putAt >= RDS_POLICY_DELAY_MS ? null : 'the policy has not reached RDS yet';
      }
      return `role ${role.arn} may not rds-db:connect as ${user}`;
    },
  });
}

export async function startWorld(): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'mbed-tsdb-world-'));
  const [tls] = await makeTlsFiles(dir, ['localhost']);
  const db = await LocalMariaDb.create({ tls: tls! });
  const aws = new FakeAws().install();
  const connector = await startConnectorFake({ keys: [API_KEY] });
  const clock = { now: 0 };
  aws.clock = () => clock.now;
  const rdsFront = await startRdsFront(aws, db, tls!);
  aws.rds.endpoint = () => ({ Address: 'localhost', Port: rdsFront.port });
  aws.rds.onPassword = async (user, password, database) => {
    const admin = await createConnection(db.address());
    try {
      await admin.query(`CREATE DATABASE IF NOT EXISTS \`${database}\``);
      await admin.query('CREATE USER IF NOT EXISTS ?@? IDENTIFIED BY ?', [user, '%', password]);
      await admin.query('ALTER USER ?@? IDENTIFIED BY ?', [user, '%', password]);
      // RDS's master user may make users and grant what it has on the database.
      await admin.query(`GRANT ALL ON \`${database}\`.* TO ?@? WITH GRANT OPTION`, [user, '%']);
      await admin.query('GRANT CREATE USER ON *.* TO ?@?', [user, '%']);
    } finally {
      await admin.end();
    }
  };

  // The function as Lambda would run it: built from its current environment.
  const fn = await loadFunction();
  const handlers = new Map<string, { handle: ReturnType<WebhookFunction['createHandler']>; close: () => Promise<void> }>();
  const handlerFor = (f: LambdaFunction) => {
    const key = `${f.codeSha256} ${JSON.stringify(f.environment)}`;
    let entry = handlers.get(key);
    if (!entry) {
      const stores: Array<{ close(): Promise<void> }> = [];
      const handle = fn.createHandler({
        // Its own package's files too (the stack's database CA travels in the zip), and what
        // Lambda adds to the environment: the region and its role's credentials.
        config: fn.readConfig({ ...f.environment, ...lambdaRuntimeEnv(f) }, (name) => unzip(f.zip).get(name)?.data.toString('utf8')),
        store: (dbConfig, config) => {
          const store = fn.createStore(dbConfig, config.chunkRows);
          stores.push(store);
          return store;
        },
        // What the function writes goes to its log group, as Lambda sends stdout there.
        log: (line) => void aws.writeLog(`/aws/lambda/${f.name}`, JSON.stringify(line)),
        // The function's clock is the service's: its timestamps are judged on one timeline.
        now: () => new Date(connector.clock.now),
      });
      entry = { handle, close: async () => void (await Promise.all(stores.map((s) => s.close()))) };
      handlers.set(key, entry);
    }
    return entry.handle;
  };
  // Each invocation framed by Lambda's own START/END/REPORT lines in the log group.
  let invocations = 0;
  const invoke = async (f: LambdaFunction, payload: unknown) => {
    const id = `0000000${++invocations}-aaaa-bbbb-cccc-dddddddddddd`.slice(-36);
    const group = `/aws/lambda/${f.name}`;
    aws.writeLog(group, `START RequestId: ${id} Version: $LATEST`);
    try {
      return await handlerFor(f)(payload as never);
    } finally {
      aws.writeLog(group, `END RequestId: ${id}`);
      aws.writeLog(group, `REPORT RequestId: ${id}\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 256 MB\tMax Memory Used: 81 MB`);
    }
  };
  aws.lambda.invoke = invoke;

  // API Gateway: only a deployed API whose PUT /webhook integrates a function that allows it.
  const gateway = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', async () => {
      const [, apiId, stage, path] = (request.url ?? '').split('/');
      const api = aws.apigateway.apis.get(apiId ?? '');
      const resource = api && [...api.resources.values()].find((r) => r.path === `/${path}`);
      const method = resource?.methods.get(request.method ?? '');
      if (!api || !stage || !api.stages.has(stage) || !method?.integration) {
        response.writeHead(403, { 'content-type': 'application/json' }).end('{"message":"Missing Authentication Token"}');
        return;
      }
      // A first deployment is served only some seconds after CreateDeployment answers: until then
      // the stage's URL answers 403 (what issue #24 saw while Izuma checked a new callback URL).
      const firstDeployment = api.deployments.find((d) => d.stageName === stage);
      if (firstDeployment && aws.clock() - firstDeployment.at < DEPLOYMENT_PROPAGATION_MS) {
        response.writeHead(403, { 'content-type': 'application/json' }).end('{"message":"Forbidden"}');
        return;
      }
      if (method.integration.type === 'MOCK') {
        response.writeHead(200).end();
        return;
      }
      const target = [...aws.lambda.functions.values()].find((f) => String(method.integration!.uri).endsWith(`/functions/${f.arn}/invocations`));
      const allowed = target?.policy.some((p) => p.Principal === 'apigateway.amazonaws.com' && p.SourceArn?.includes(`${api.id}/*/PUT/${path}`));
      if (!target || !allowed) {
        response.writeHead(500, { 'content-type': 'application/json' }).end('{"message":"Internal server error"}');
        return;
      }
      const headers: Record<string, string> = {};
      for (let i = 0; i < request.rawHeaders.length; i += 2) headers[request.rawHeaders[i]!] = request.rawHeaders[i + 1]!;
      const body = Buffer.concat(chunks);
      const event = proxyEvent({ method: request.method ?? 'PUT', headers, body: body.length ? body.toString() : null });
      // Lambda quotas: a synchronous invocation's event is at most 6 MB; a larger one is refused
      // (RequestTooLargeException) and API Gateway answers with a 5xx, on every redelivery.
      if (Buffer.byteLength(JSON.stringify(event)) > 6 * 1024 * 1024) {
        response.writeHead(502, { 'content-type': 'application/json' }).end('{"message":"Internal server error"}');
        return;
      }
      // API Gateway's metrics per request (developer guide, "Amazon API Gateway dimensions and
      // metrics": 5XXError is 1 for a 5xx answer, else 0, by ApiName and Stage); a function that
      // throws is an AWS/Lambda Error and a 502.
      const dimensions = { ApiName: api.name, Stage: stage };
      let result: ProxyResult;
      try {
        result = (await invoke(target, event)) as ProxyResult;
      } catch {
        aws.putMetric('AWS/Lambda', 'Errors', { FunctionName: target.name }, 1);
        result = { statusCode: 502, headers: { 'content-type': 'application/json' }, body: '{"message":"Internal server error"}' };
      }
      aws.putMetric('AWS/ApiGateway', '5XXError', dimensions, result.statusCode >= 500 ? 1 : 0);
      response.writeHead(result.statusCode, result.headers).end(result.body);
    });
  });
  await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
  const gatewayPort = (gateway.address() as AddressInfo).port;
  const reachable = (url: string) => {
    const match = /^https:\/\/([a-z0-9]+)\.execute-api\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?\/(.+)$/.exec(url);
    return match ? `http://127.0.0.1:${gatewayPort}/${match[1]}/${match[2]}` : url;
  };

  connector.addEndpoint('dev-1');
  const stateDir = join(dir, 'state');
  const caFile = tls!.ca;
  const baseEnv = () => ({
    MBED_CLOUD_SDK_API_KEY: API_KEY,
    MBED_CLOUD_SDK_HOST: connector.url,
    MBED_TSDB_STATE_DIR: stateDir,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  });
  const hooks = {
    sleep: async (ms: number) => {
      clock.now += ms;
      await aws.settle();
    },
    now: () => clock.now,
    reachable,
    // Fixed jitter: a run makes the same calls in the same order every time.
    random: () => 0.5,
  };
  const cli = (argv: string[], options: { env?: Record<string, string>; hooks?: Partial<typeof hooks>; interrupted?: Promise<void> } = {}) =>
    runCli(argv, { env: { ...baseEnv(), ...options.env }, hooks: { ...hooks, ...options.hooks }, ...(options.interrupted ? { interrupted: options.interrupted } : {}) });

  return {
    aws,
    connector,
    db,
    rdsFront,
    caFile,
    stateDir,
    clock,
    hooks,
    cli,
    setup: (extra = [], options = {}) =>
      cli(['setup', '--yes', '--region', 'us-west-2', '--cidr', '203.0.113.7/32', '--db-ca', caFile, '--endpoint', 'dev-1', ...extra], options),
    async rows() {
      const admin = await createConnection({ ...db.address(), database: 'tsdb' });
      try {
        const [rows] = await admin.query('SELECT board, sensor, value FROM events ORDER BY id');
        return rows as Array<{ board: string; sensor: string; value: number }>;
      } finally {
        await admin.end();
      }
    },
    async reset() {
      aws.reset();
      clock.now = 0;
      const account = connector.account(API_KEY);
      account.callback = null;
      account.otherChannel = null;
      account.subscriptions.clear();
      account.preSubscriptions = [];
      account.queue.length = 0;
      account.deliveries.length = 0;
      account.failingSince = null;
      delete account.unavailable;
      account.backoffMs = 1000;
      account.nextAttemptAt = 0;
      delete account.deleted;
      connector.clock.now = Math.floor(Date.now() / 60_000) * 60_000;
      connector.requests.length = 0;
      await Promise.all([...handlers.values()].map((h) => h.close()));
      handlers.clear();
      rdsFront.iamUsers.clear();
      rdsFront.refusals.length = 0;
      const admin = await createConnection(db.address());
      try {
        await admin.query('DROP DATABASE IF EXISTS tsdb');
        await admin.query("DROP USER IF EXISTS 'tsdbuser'@'%'");
        await admin.query("DROP USER IF EXISTS 'tsdb_webhook'@'%'");
      } finally {
        await admin.end();
      }
      rmSync(stateDir, { recursive: true, force: true });
    },
    async close() {
      aws.restore();
      await connector.close();
      await rdsFront.close();
      await new Promise<void>((resolve) => {
        gateway.closeAllConnections();
        gateway.close(() => resolve());
      });
      await Promise.all([...handlers.values()].map((h) => h.close()));
      await db.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function readStateFile(world: World, stack = 'mbed-tsdb'): Record<string, unknown> {
  return JSON.parse(readFileSync(join(world.stateDir, `${stack}.json`), 'utf8')) as Record<string, unknown>;
}
