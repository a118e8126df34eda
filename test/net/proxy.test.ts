// Every HTTP(S) call through the proxy the environment names. The rules are the AWS CLI's
// (docs.aws.amazon.com/cli/latest/userguide/cli-configure-proxy.html: HTTP_PROXY/HTTPS_PROXY,
// lower case wins over upper, Basic credentials in the proxy URL, NO_PROXY to go direct) and
// curl's for NO_PROXY entries (a name covers its subdomains, a leading dot is the same, `*` is
// everything, `:port` narrows).
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { get as httpsGet, createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetRoleCommand } from '@aws-sdk/client-iam';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../src/aws/clients.js';
import { explainAwsError } from '../../src/aws/errors.js';
import { ConnectorClient } from '../../src/connector/client.js';
import { createNet } from '../../src/net/http.js';
import { proxyAgents } from '../../src/net/proxy-agent.js';
import { bypassesProxy, proxyFor, showProxy } from '../../src/net/proxy.js';
import { detectPublicIp } from '../../src/net/public-ip.js';
import { runCli } from '../support/cli.js';
import { startConnectProxy, type TestProxy } from '../support/connect-proxy.js';
import { startConnectorFake, type ConnectorFake } from '../support/connector-fake.js';
import { makeTlsFiles } from '../support/mariadb.js';

describe('which proxy a request takes', () => {
  it.each([
    ['https://iam.amazonaws.com/', { HTTPS_PROXY: 'http://p:1' }, 'http://p:1'],
    ['http://169.254.169.254/', { HTTPS_PROXY: 'http://p:1' }, null],
    ['http://example.com/', { HTTP_PROXY: 'http://p:2', HTTPS_PROXY: 'http://p:1' }, 'http://p:2'],
    ['https://example.com/', { https_proxy: 'http://lower:1', HTTPS_PROXY: 'http://upper:1' }, 'http://lower:1'],
    ['https://example.com/', { HTTPS_PROXY: 'proxy.corp:3128' }, 'http://proxy.corp:3128'],
    ['https://example.com/', { HTTPS_PROXY: 'http://user:s3cret@proxy.corp:3128' }, 'http://proxy.corp:3128'],
  ])('%s with %j → %s', (url, env, shown) => {
    expect(proxyFor(url, env)?.shown ?? null).toBe(shown);
  });

  it.each([
    ['api.us-east-1.mbedcloud.com', 'mbedcloud.com', true],
    ['api.us-east-1.mbedcloud.com', '.mbedcloud.com', true],
    ['api.us-east-1.mbedcloud.com', '*.mbedcloud.com', true],
    ['mbedcloud.com', '.mbedcloud.com', true],
    ['notmbedcloud.com', 'mbedcloud.com', false],
    ['iam.amazonaws.com', 'localhost, 169.254.169.254,amazonaws.com', true],
    ['anything.example', '*', true],
    ['example.com', 'example.com:443', true],
    ['example.com', 'example.com:8443', false],
    ['EXAMPLE.com', 'example.COM', true],
    ['[::1]', '::1', true],
    ['[::1]', '[::1]:443', true],
    ['10.0.0.1', '10.0.0.10', false],
  ])('NO_PROXY: https://%s with %j goes direct: %s', (host, noProxy, direct) => {
    expect(bypassesProxy(new URL(`https://${host}/`), noProxy)).toBe(direct);
  });

  it('refuses a proxy it cannot use, without printing its credentials', () => {
    expect(() => proxyFor('https://a.example/', { HTTPS_PROXY: 'socks5://u:pw@p:1080' })).toThrow(/only http:\/\/ proxies/);
    expect(() => proxyFor('https://a.example/', { HTTPS_PROXY: 'socks5://u:pw@p:1080' })).not.toThrow(/pw/);
    expect(showProxy('http://u:pw@p:1')).toBe('http://p:1');
  });
});

describe('requests through a local CONNECT proxy', () => {
  let proxy: TestProxy;
  let connector: ConnectorFake;
  let echo: Server;
  let echoUrl: string;
  const credentials = { AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY };
  beforeAll(async () => {
    // The SDK reads credentials from the process environment.
    process.env.AWS_ACCESS_KEY_ID = 'test';
    process.env.AWS_SECRET_ACCESS_KEY = 'test';
    proxy = await startConnectProxy();
    connector = await startConnectorFake({ keys: ['key-1'] });
    echo = createServer((_q, r) => r.end('198.51.100.23\n'));
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    echoUrl = `http://127.0.0.1:${(echo.address() as AddressInfo).port}/`;
  });
  afterEach(() => {
    proxy.tunnels.length = 0;
    proxy.requireAuth = null;
    proxy.refuse = false;
  });
  afterAll(async () => {
    for (const [name, value] of Object.entries(credentials)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await proxy.close();
    await connector.close();
    await new Promise((resolve) => echo.close(resolve));
  });
  const hostOf = (url: string) => new URL(url).host;

  it('the Connector client and the public-IP lookup go through it; NO_PROXY hosts do not', async () => {
    const routes: string[] = [];
    const net = createNet({ HTTP_PROXY: proxy.url, NO_PROXY: 'localhost' }, (origin, via) => routes.push(`${origin} ${via}`));
    const client = new ConnectorClient({ host: connector.url, apiKey: 'key-1', fetch: net.fetch, sleep: async () => undefined });
    expect(await client.getCallback()).toBeNull();
    expect((await detectPublicIp({ url: echoUrl, fetch: net.fetch })).cidr).toBe('198.51.100.23/32');
    expect(proxy.tunnels.map((t) => t.target)).toEqual([hostOf(connector.url), hostOf(echoUrl)]);
    expect(routes).toEqual([`${new URL(connector.url).origin} ${proxy.url}`, `${new URL(echoUrl).origin} ${proxy.url}`]);

    const direct = createNet({ HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' });
    expect((await detectPublicIp({ url: echoUrl, fetch: direct.fetch })).cidr).toBe('198.51.100.23/32');
    expect(proxy.tunnels).toHaveLength(2);
  });

  it('AWS SDK clients go through it (the agents the client factory is given)', async () => {
    const aws = createAwsClients({
      region: 'us-west-2',
      profile: undefined,
      env: { AWS_ENDPOINT_URL: echoUrl, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' },
      agents: createNet({ HTTP_PROXY: proxy.url }).awsAgents(),
    });
    // The stub answers nonsense; what matters is the way the request took.
    await (await aws.iam()).send(new GetRoleCommand({ RoleName: 'r' })).catch(() => undefined);
    expect(proxy.tunnels.map((t) => t.target)).toContain(hostOf(echoUrl));
  });

  // The SDK's SSO provider makes its SSO client from `clientConfig` alone (credential-provider-sso:
  // resolveSSOCredentials), not from the calling client: without the chain told of the agents,
  // an SSO login would go around the proxy.
  it('the credential chain’s own calls too: SSO for a profile signed in with aws sso login', async () => {
    const home = mkdtempSync(join(tmpdir(), 'mbed-tsdb-home-'));
    const sso = createServer((_q, r) => r.writeHead(500).end());
    await new Promise<void>((resolve) => sso.listen(0, '127.0.0.1', resolve));
    const ssoUrl = `http://127.0.0.1:${(sso.address() as AddressInfo).port}/`;
    const names = ['HOME', 'AWS_CONFIG_FILE', 'AWS_ENDPOINT_URL_SSO', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] as const;
    const saved = Object.fromEntries(names.map((n) => [n, process.env[n]]));
    try {
      const startUrl = 'https://example.awsapps.com/start';
      mkdirSync(join(home, '.aws', 'sso', 'cache'), { recursive: true });
      writeFileSync(join(home, '.aws', 'config'), `[profile sso]\nsso_start_url = ${startUrl}\nsso_region = us-west-2\nsso_account_id = 123456789012\nsso_role_name = Admin\nregion = us-west-2\n`);
      const cacheName = createHash('sha1').update(startUrl).digest('hex');
      writeFileSync(join(home, '.aws', 'sso', 'cache', `${cacheName}.json`), JSON.stringify({ startUrl, region: 'us-west-2', accessToken: 'token', expiresAt: new Date(Date.now() + 3_600_000).toISOString() }));
      process.env.HOME = home;
      process.env.AWS_CONFIG_FILE = join(home, '.aws', 'config');
      process.env.AWS_ENDPOINT_URL_SSO = ssoUrl;
      delete process.env.AWS_ACCESS_KEY_ID;
      delete process.env.AWS_SECRET_ACCESS_KEY;
      const aws = createAwsClients({ region: 'us-west-2', profile: 'sso', env: { AWS_ENDPOINT_URL: echoUrl }, agents: createNet({ HTTP_PROXY: proxy.url }).awsAgents() });
      await (await aws.iam()).send(new GetRoleCommand({ RoleName: 'r' })).catch(() => undefined);
      expect(proxy.tunnels.map((t) => t.target)).toContain(hostOf(ssoUrl));
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      await new Promise((resolve) => sso.close(resolve));
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('tunnels TLS end to end: the host’s own certificate is checked through the proxy', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mbed-tsdb-proxy-'));
    try {
      const [tls] = await makeTlsFiles(dir, ['localhost']);
      const server = createHttpsServer({ cert: readFileSync(tls!.cert), key: readFileSync(tls!.key) }, (_q, r) => r.end('over tls'));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const port = (server.address() as AddressInfo).port;
      const { httpsAgent } = proxyAgents((target) => proxyFor(target, { HTTPS_PROXY: proxy.url }), { ca: readFileSync(tls!.ca) } as never);
      const body = await new Promise<string>((resolve, reject) =>
        httpsGet({ host: 'localhost', port, path: '/', agent: httpsAgent }, (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve(text));
        }).on('error', reject),
      );
      expect(body).toBe('over tls');
      expect(proxy.tunnels.map((t) => t.target)).toEqual([`localhost:${port}`]);
      httpsAgent.destroy();
      await new Promise((resolve) => server.close(resolve));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sends the credentials in the proxy URL to a proxy that wants them, and never shows them', async () => {
    proxy.requireAuth = 'alice:pa ss@1';
    const withCredentials = `http://alice:${encodeURIComponent('pa ss@1')}@127.0.0.1:${proxy.port}`;
    const routes: string[] = [];
    const net = createNet({ HTTP_PROXY: withCredentials }, (origin, via) => routes.push(`${origin} ${via}`));
    expect((await detectPublicIp({ url: echoUrl, fetch: net.fetch })).cidr).toBe('198.51.100.23/32');
    const aws = createAwsClients({ region: 'us-west-2', profile: undefined, env: { AWS_ENDPOINT_URL: echoUrl, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' }, agents: net.awsAgents() });
    await (await aws.iam()).send(new GetRoleCommand({ RoleName: 'r' })).catch(() => undefined);
    expect(proxy.tunnels.map((t) => [t.credentials, t.answered])).toEqual([
      ['alice:pa ss@1', 200],
      ['alice:pa ss@1', 200],
    ]);
    expect(routes.join('\n')).not.toContain('pa');
    expect(net.proxy).toBe(proxy.url);
  });

  it('names the proxy when it wants credentials it was not given, or refuses', async () => {
    proxy.requireAuth = 'alice:secret';
    const net = createNet({ HTTP_PROXY: proxy.url });
    await expect(detectPublicIp({ url: echoUrl, fetch: net.fetch })).rejects.toThrow(`the proxy ${proxy.url}`);
    const client = new ConnectorClient({ host: connector.url, apiKey: 'key-1', fetch: net.fetch, sleep: async () => undefined });
    await expect(client.getCallback()).rejects.toMatchObject({ code: 'PROXY', message: expect.stringMatching(/407 Proxy Authentication Required\): it wants credentials/) });

    proxy.requireAuth = null;
    proxy.refuse = true;
    const aws = createAwsClients({ region: 'us-west-2', profile: undefined, env: { AWS_ENDPOINT_URL: echoUrl, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' }, agents: createNet({ HTTP_PROXY: proxy.url }).awsAgents() });
    const error = await (await aws.iam()).send(new GetRoleCommand({ RoleName: 'r' })).then(() => null, (e: unknown) => e);
    expect(explainAwsError(error)).toMatchObject({ code: 'PROXY', message: expect.stringContaining(`the proxy ${proxy.url} did not connect to ${hostOf(echoUrl)} (403 Forbidden)`) });
  });

  it('--verbose says which proxy each host goes through, without credentials', async () => {
    const run = await runCli(['subscribe', 'dev-1', '--list', '--verbose', '--connector-host', connector.url], {
      env: { MBED_CLOUD_SDK_API_KEY: 'key-1', HTTP_PROXY: `http://bob:hunter2@127.0.0.1:${proxy.port}`, MBED_TSDB_STATE_DIR: mkdtempSync(join(tmpdir(), 'mbed-tsdb-state-')) },
    });
    expect(run.stderr).toContain(`${new URL(connector.url).origin}: through the proxy ${proxy.url}`);
    expect(run.stderr + run.stdout).not.toContain('hunter2');
    expect(proxy.tunnels.length).toBeGreaterThan(0);

    // And a command's AWS calls: status against a local endpoint (whose answers make no sense).
    proxy.tunnels.length = 0;
    const status = await runCli(['status', '--region', 'us-west-2', '--verbose'], {
      env: { AWS_ENDPOINT_URL: echoUrl, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', HTTP_PROXY: proxy.url, MBED_TSDB_STATE_DIR: mkdtempSync(join(tmpdir(), 'mbed-tsdb-state-')) },
    });
    expect(status.stderr).toContain(`${new URL(echoUrl).origin}: through the proxy ${proxy.url}`);
    expect(proxy.tunnels.map((t) => t.target)).toContain(hostOf(echoUrl));
  });

  it('says a MySQL connection does not use the proxy when the database cannot be reached', async () => {
    const run = await runCli(['chart', '--db-url', 'mysql://u:p@127.0.0.1:1/tsdb?tls=off'], { env: { HTTPS_PROXY: proxy.url } });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`a MySQL connection does not go through the HTTP proxy (${proxy.url})`);
  });
});
