import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

const COMMANDS = ['setup', 'status', 'subscribe', 'teardown', 'chart', 'dashboard', 'policy'];
const GLOBAL_OPTIONS = ['--region <region>', '--profile <name>', '--stack <name>', '--json', '--yes', '--no-color', '--verbose'];

describe('mbed-tsdb --help', () => {
  it('lists every command and every global option on stdout, exit 0', async () => {
    const run = await runCli(['--help']);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    for (const command of COMMANDS) expect(run.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    for (const option of GLOBAL_OPTIONS) expect(run.stdout).toContain(option);
    expect(run.stdout).toContain('Examples:');
  });

  it.each(COMMANDS)('%s --help shows its description, the global options and an example', async (command) => {
    const run = await runCli([command, '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Usage: mbed-tsdb ${command}`);
    for (const option of GLOBAL_OPTIONS) expect(run.stdout).toContain(option);
    expect(run.stdout).toMatch(new RegExp(`\\$ (npx )?mbed-tsdb ${command}`));
  });

  it('prints the version', async () => {
    const run = await runCli(['--version']);
    expect(run).toMatchObject({ code: 0, stdout: expect.stringMatching(/^\d+\.\d+\.\d+\n$/) });
  });

  it('prints help on stderr and exits 2 when no command is given', async () => {
    const run = await runCli([]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('Usage: mbed-tsdb');
  });
});

describe('mbed-tsdb policy', () => {
  it('prints the policy document on stdout, in the region’s partition', async () => {
    const run = await runCli(['policy']);
    expect(run.code).toBe(0);
    const policy = JSON.parse(run.stdout);
    expect(policy.Version).toBe('2012-10-17');
    expect(policy.Statement.some((s: { Action: string[] }) => s.Action.includes('lambda:ListTags'))).toBe(true);
    expect(run.stderr).toContain('README: AWS permissions');
    const china = JSON.parse((await runCli(['policy', '--region', 'cn-north-1'])).stdout);
    expect(JSON.stringify(china)).toContain('arn:aws-cn:lambda:');
  });
});

describe('bad input', () => {
  it.each([
    [['status', '--region', 'mars-1'], 'invalid region "mars-1" (from --region)'],
    [['--stack', '', 'status'], 'the stack name is empty'],
    [['status', '--stack', 'has space'], 'invalid stack name'],
    [['frobnicate'], "unknown command 'frobnicate'"],
    [['status', '--frob'], "unknown option '--frob'"],
    [['subscribe'], "missing required argument 'endpoint'"],
  ])('%j → one clear line and exit 2', async (argv, message) => {
    const run = await runCli(argv);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(message);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('reports a bad value from the environment or .env with where it came from', async () => {
    const fromEnv = await runCli(['status'], { env: { AWS_REGION: 'Oregon' } });
    expect(fromEnv).toMatchObject({ code: 2, stderr: expect.stringContaining('(from AWS_REGION in the environment)') });
    const cwd = mkdtempSync(join(tmpdir(), 'mbed-tsdb-dotenv-'));
    writeFileSync(join(cwd, '.env'), '# mine\nMBED_TSDB_STACK="no way"\n');
    const fromFile = await runCli(['status'], { cwd });
    expect(fromFile).toMatchObject({ code: 2, stderr: expect.stringContaining('(from MBED_TSDB_STACK in .env)') });
  });

  it('prints the failure with its code on stdout with --json, even when the settings themselves are bad', async () => {
    const run = await runCli(['status', '--json', '--region', 'mars-1']);
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout)).toEqual({ error: { code: 'USAGE', exitCode: 2, message: expect.stringContaining('invalid region') } });
    const db = await runCli(['chart', '--json', '--db-url', 'mysql://u:p@127.0.0.1:1/tsdb?tls=off']);
    expect(db.code).toBe(1);
    expect(JSON.parse(db.stdout).error).toMatchObject({ code: 'DB_UNREACHABLE', cause: expect.stringContaining('ECONNREFUSED') });
  });

  it('the environment wins over .env', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'mbed-tsdb-dotenv-'));
    writeFileSync(join(cwd, '.env'), 'AWS_REGION=bad region\n');
    const run = await runCli(['chart', '--db-url', 'mysql://u:p@127.0.0.1:1/tsdb?tls=off'], { cwd, env: { AWS_REGION: 'us-west-2' } });
    expect(run.stderr).not.toContain('invalid region');
    expect(run.stderr).toContain('refused the connection');
  });
});

describe('the region', () => {
  // As the AWS CLI and the SDK resolve it: --region, then AWS_REGION (or AWS_DEFAULT_REGION),
  // then the `region` of the chosen profile in the shared config file (AWS_CONFIG_FILE).
  const config = () => {
    const dir = mkdtempSync(join(tmpdir(), 'mbed-tsdb-aws-'));
    const file = join(dir, 'config');
    writeFileSync(file, '[default]\nregion = eu-west-1\n\n[profile demo]\nregion = eu-central-1\n');
    return file;
  };
  const regionLine = async (argv: string[], env: Record<string, string>) => /region=(\S+( \(from the profile\))?)/.exec((await runCli([...argv, '--verbose'], { env })).stderr)?.[1];

  it('comes from the profile when nothing else names one', async () => {
    const file = config();
    expect(await regionLine(['policy'], { AWS_CONFIG_FILE: file })).toBe('eu-west-1 (from the profile)');
    expect(await regionLine(['policy', '--profile', 'demo'], { AWS_CONFIG_FILE: file })).toBe('eu-central-1 (from the profile)');
    expect(await regionLine(['policy'], { AWS_CONFIG_FILE: file, AWS_PROFILE: 'demo' })).toBe('eu-central-1 (from the profile)');
  });

  it('gives way to --region and AWS_REGION', async () => {
    const file = config();
    expect(await regionLine(['policy', '--profile', 'demo'], { AWS_CONFIG_FILE: file, AWS_REGION: 'us-east-2' })).toBe('us-east-2');
    expect(await regionLine(['policy', '--region', 'ap-south-1', '--profile', 'demo'], { AWS_CONFIG_FILE: file })).toBe('ap-south-1');
  });

  it('is used by the commands, and its partition by the policy', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mbed-tsdb-aws-'));
    writeFileSync(join(dir, 'config'), '[profile china]\nregion = cn-northwest-1\n');
    const run = await runCli(['policy', '--profile', 'china'], { env: { AWS_CONFIG_FILE: join(dir, 'config') } });
    expect(run.stdout).toContain('arn:aws-cn:');
  });
});

describe('--verbose', () => {
  it('shows the resolved settings on stderr, and of the API key only that it is set', async () => {
    const key = 'ak_1234567890abcdefghijklmnopqrstuvwxyz';
    const run = await runCli(['status', '--verbose', '--region', 'us-west-2'], { env: { MBED_CLOUD_SDK_API_KEY: key } });
    expect(run.stderr).toContain('stack=mbed-tsdb region=us-west-2');
    expect(run.stderr).toContain(`apiKey=set (${key.length} characters)`);
    expect(run.stderr).not.toContain(key.slice(3, 12));
    expect(run.stdout).toBe('');
  });
});

describe('colours', () => {
  it('are off when stderr is not a terminal, with NO_COLOR and with --no-color', async () => {
    const esc = '\u001b[';
    expect((await runCli(['status'], { isTTY: true })).stderr).toContain(esc);
    expect((await runCli(['status'], { isTTY: false })).stderr).not.toContain(esc);
    expect((await runCli(['status'], { isTTY: true, env: { NO_COLOR: '1' } })).stderr).not.toContain(esc);
    expect((await runCli(['status', '--no-color'], { isTTY: true })).stderr).not.toContain(esc);
  });
});
