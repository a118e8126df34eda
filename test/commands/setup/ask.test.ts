// setup's Ask on its own: flags, then saved answers, then questions, then defaults — and one
// error naming every missing flag when nothing may be asked.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { askSetup, type AskInput } from '../../../src/commands/setup/ask.js';
import { resolveSettings } from '../../../src/config/settings.js';
import { InterruptedError, scriptedPrompter } from '../../../src/ui/prompts.js';

const settings = (flags: Record<string, string> = {}, env: Record<string, string> = {}) => resolveSettings({ flags, env, dotenv: {}, isTTY: false });
const none = { cidr: undefined, endpoints: undefined, resource: undefined, subnetIds: undefined, dbCaPem: undefined, maxStorage: undefined, keepRawDays: undefined, alertEmail: undefined, quietAfterMinutes: undefined, expectedRate: undefined };

function input(over: Partial<AskInput> & { answers?: unknown[]; interactive?: boolean } = {}): AskInput & { prompter: ReturnType<typeof scriptedPrompter> } {
  const prompter = scriptedPrompter(over.answers ?? []);
  return {
    flags: {},
    checked: { ...none, cidr: '203.0.113.7/32' },
    settings: settings(),
    saved: {},
    ...over,
    mode: { interactive: over.interactive ?? false, prompter },
    prompter,
  };
}

describe('askSetup', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  it('takes flags first, then saved answers, and asks nothing then', async () => {
    const given = input({
      interactive: true,
      flags: { engine: 'aurora-mysql', dbClass: 'db.r6g.large' },
      checked: { ...none, cidr: '203.0.113.7/32', endpoints: ['dev-9'] },
      settings: settings({ region: 'eu-west-1' }),
      saved: { region: 'us-west-2', engine: 'mysql', access: 'my-ip', connectorHost: 'https://api.example.com', endpoints: ['dev-1'], resource: '/3303/0/5700', vpcId: 'vpc-0abc', alertEmail: 'ops@example.com', quietAfterMinutes: 60, expectedRate: 0.5 },
    });
    const asked = await askSetup(given);
    expect(given.prompter.asked).toEqual([]);
    expect(asked).toEqual({
      region: 'eu-west-1',
      answers: {
        engine: 'aurora-mysql',
        dbClass: 'db.r6g.large',
        access: 'my-ip',
        cidr: '203.0.113.7/32',
        vpcId: 'vpc-0abc',
        subnetIds: undefined,
        dbCaPem: undefined,
        connectorHost: 'https://api.example.com',
        endpoints: ['dev-9'],
        resource: '/3303/0/5700',
        alertEmail: 'ops@example.com',
        expectedRate: 0.5,
        quietAfterMinutes: 60,
      },
    });
  });

  it('asks, in order, what nothing answers on a terminal', async () => {
    const given = input({ interactive: true, answers: ['us-east-2', 'mysql', 'private', 'https://api.us-east-1.mbedcloud.com', 'dev-1, dev-2', '/3200/0/5501', 'ops@example.com', '0.2'] });
    const asked = await askSetup(given);
    expect(given.prompter.asked).toEqual([
      'AWS region (e.g. us-west-2)',
      'Database engine (§2)',
      'Who may reach the database (§3)',
      'Connector REST API host (§7)',
      'Device endpoint name(s) to subscribe, comma-separated (empty: later, with mbed-tsdb subscribe)',
      'Resource path to record',
      'Email address for alerts (§8: the webhook failing, no readings, devices gone quiet, storage running out; empty: none)',
      'Readings a second you expect over all devices (for the monthly cost estimate)',
    ]);
    // Private: no desktop address, so none is looked up or asked.
    expect(asked.answers).toMatchObject({ access: 'private', cidr: undefined, endpoints: ['dev-1', 'dev-2'], alertEmail: 'ops@example.com', expectedRate: 0.2 });
  });

  it('offers the detected public address for the security group, and takes a corrected one', async () => {
    server = createServer((_q, r) => r.end('198.51.100.23\n'));
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const given = input({
      interactive: true,
      checked: none,
      settings: settings({ region: 'us-west-2' }),
      flags: { engine: 'mysql', access: 'my-ip' },
      answers: ['198.51.100.0/24', 'https://api.us-east-1.mbedcloud.com', '', '/3200/0/5501', '', '1'],
      ipEchoUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    });
    const asked = await askSetup(given);
    expect(given.prompter.asked[0]).toBe('Your public IP for the database security group');
    expect(asked.answers.cidr).toBe('198.51.100.0/24');
    expect(asked.answers.endpoints).toEqual([]);
  });

  describe('when the public address cannot be looked up', () => {
    const failingLookup = async () => {
      server = createServer((_q, r) => r.writeHead(503).end());
      await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    };
    const flagsToAddress = { engine: 'mysql', access: 'my-ip' } as const;

    it('asks for it on a terminal, saying why and giving an example', async () => {
      const said: string[] = [];
      const given = input({
        interactive: true,
        checked: none,
        settings: settings({ region: 'us-west-2' }),
        flags: flagsToAddress,
        answers: ['198.51.100.23', 'https://api.us-east-1.mbedcloud.com', '', '/3200/0/5501', '', '1'],
        ipEchoUrl: await failingLookup(),
        say: (text) => said.push(text),
      });
      const asked = await askSetup(given);
      expect(said.join('\n')).toMatch(/Could not detect your public IP address: .*503/);
      expect(given.prompter.asked[0]).toMatch(/^Your public IPv4 address for the database security group \(e\.g\. 203\.0\.113\.7/);
      expect(asked.answers.cidr).toBe('198.51.100.23/32');
    });

    it.each(['not-an-address', '2001:db8::1', '10.0.0.0/4'])('refuses the answer %j at the prompt', async (typed) => {
      const given = input({ interactive: true, checked: none, settings: settings({ region: 'us-west-2' }), flags: flagsToAddress, answers: [typed], ipEchoUrl: await failingLookup() });
      await expect(askSetup(given)).rejects.toThrow(/is invalid: /);
    });

    it('keeps the error (pass it with --cidr) without a terminal', async () => {
      const given = input({ checked: none, settings: settings({ region: 'us-west-2' }), flags: flagsToAddress, ipEchoUrl: await failingLookup() });
      await expect(askSetup(given)).rejects.toThrow(/--cidr/);
      expect(given.prompter.asked).toEqual([]);
    });
  });

  it('names the MySQL class the region offers in the engine question', async () => {
    const regions: string[] = [];
    const given = input({
      interactive: true,
      settings: settings({ region: 'ap-south-2' }),
      answers: ['mysql', 'private', 'https://api.us-east-1.mbedcloud.com', '', '/3200/0/5501', '', '1'],
      mysqlClass: async (region) => {
        regions.push(region);
        return 'db.t3.micro';
      },
    });
    await askSetup(given);
    expect(regions).toEqual(['ap-south-2']);
    expect(given.prompter.choices['Database engine (§2)']![0]).toBe('MySQL: one small instance (db.t3.micro)');
  });

  it('hands over each group of answers as soon as it is given', async () => {
    const remembered: unknown[] = [];
    const given = input({ interactive: true, answers: ['us-east-2', 'mysql', 'private', new InterruptedError()], remember: (a) => remembered.push(a) });
    await expect(askSetup(given)).rejects.toBeInstanceOf(InterruptedError);
    expect(remembered).toEqual([{ region: 'us-east-2', engine: 'mysql', access: 'private' }]);
  });

  it('uses the defaults without a terminal, and names every flag it still needs', async () => {
    const asked = await askSetup(input({ settings: settings({ region: 'us-west-2' }) }));
    expect(asked.answers).toMatchObject({ engine: 'mysql', access: 'my-ip', endpoints: [], resource: '/3200/0/5501', connectorHost: 'https://api.us-east-1.mbedcloud.com' });
    await expect(askSetup(input())).rejects.toMatchObject({ code: 'USAGE', message: expect.stringContaining('missing --region') });
  });
});
