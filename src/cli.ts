// Commander wiring only: options, help, exit codes. Commands live in ./commands and are
// loaded when chosen, so `--help` stays fast.

import { Command, CommanderError, Option } from 'commander';
import { readDotEnv } from './config/dotenv.js';
import { DEFAULT_CONNECTOR_HOST, DEFAULT_STACK, isValidRegion, maskSecret, resolveSettings, type GlobalFlags } from './config/settings.js';
import { profileRegion } from './aws/profile-region.js';
import { EXIT, UsageError } from './errors.js';
import { asUserFacing } from './failure.js';
import { createOutput, type Streams } from './ui/output.js';
import { packageVersion } from './version.js';
import type { CommandContext, CommandHooks } from './commands/context.js';

export interface MainDeps {
  streams: Streams & { stdout: { columns?: number } };
  env: Record<string, string | undefined>;
  cwd: string;
  /** Resolves on Ctrl+C (the bin wires SIGINT); never, when not given. */
  interrupted?: Promise<void>;
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
  hooks?: CommandHooks;
}

type CommandModule = { run: (context: CommandContext) => Promise<number> };

/** The commands, declared here and loaded only when chosen. */
interface CommandSpec {
  name: string;
  description: string;
  arguments?: Array<[name: string, description: string]>;
  options?: () => Option[];
  examples: string[];
  load: () => Promise<CommandModule>;
}

/** Options shared by the commands that read the data: which rows, how bucketed, from where. */
function dataOptions(): Option[] {
  return [
    new Option('--since <when>', 'start: a duration back from now (90m, 24h, 7d, 2w) or a timestamp (2026-11-01, 2026-11-01T08:00Z)').default('24h'),
    new Option('--until <when>', 'end, exclusive: now, a duration back from now, or a timestamp').default('now'),
    new Option('--bucket <unit>', 'bar width').choices(['minute', 'hour', 'day']).default('hour'),
    new Option('--agg <function>', 'aggregate of value per bucket').choices(['sum', 'avg', 'min', 'max', 'count']).default('sum'),
    new Option('--board <device>', 'only this board: its device ID, or the name the device gave itself'),
    new Option('--sensor <path>', 'only this sensor (resource path, e.g. /3200/0/5501)'),
    new Option('--tz <zone>', 'time zone of the buckets: UTC, local, or an IANA name such as Europe/Berlin').default('UTC'),
    new Option('--db-url <url>', 'database instead of the stack\'s: mysql://user:password@host:3306/tsdb[?tls=off] (env MBED_TSDB_DB_URL)'),
    new Option('--db-ca <file>', 'PEM file of the CA that signed the database certificate (default: the Amazon RDS CA)'),
    new Option('--table <name>', 'table to read (default: the stack\'s, events)'),
  ];
}

const COMMANDS: CommandSpec[] = [
  {
    name: 'setup',
    description: 'create the whole pipeline, step by step as the tutorial does: role, database, table, function, API, Connector callback',
    options: () => [
      new Option('--engine <engine>', 'database engine: MySQL (one small instance) or Aurora MySQL Serverless v2').choices(['mysql', 'aurora-mysql']),
      new Option('--db-class <class>', 'instance class instead of the default (MySQL: cheapest offered, e.g. db.t4g.micro; Aurora: db.serverless, or a provisioned class such as db.r6g.large)'),
      new Option('--keep-raw <duration>', 'keep raw readings this long (90d, 12w, 6mo, 2y; at least 30 days), then drop them a month at a time: the 15-minute and hourly sums stay, so hour and day charts of any period still work (default: forever)'),
      new Option('--alert-email <address>', 'mail alarms here (an SNS email subscription: click the link SNS sends first): the webhook failing, no reading stored, devices gone quiet, storage running out; none turns them off (asked on a terminal)'),
      new Option('--quiet-after <duration>', 'how long without a reading (of all, or of a known device) before an alarm: 5m to 24h in steps of 5 minutes (default 30m)'),
      new Option('--expected-rate <readings/s>', 'readings a second you expect over all devices, for the monthly cost estimate in the plan (e.g. 0.1 or 5; default 1; asked on a terminal)'),
      new Option('--max-storage <GiB>', 'MySQL: let RDS grow the 20 GB storage up to this many GiB as it fills (storage autoscaling; default 100; never lowered); Aurora grows by itself'),
      new Option('--access <mode>', 'my-ip: the database is reachable from your IP only; private: only from inside the VPC').choices(['my-ip', 'private']),
      new Option('--cidr <address>', 'your public IP or block for the database security group (default: detected)'),
      new Option('--db-password <password>', 'master password for the database (default: generated; never printed)'),
      new Option('--db-ca <file>', 'PEM file of the CA for the database certificate (default: the Amazon RDS CA)'),
      new Option('--vpc-id <id>', 'VPC to use instead of the default VPC'),
      new Option('--subnet-ids <ids>', 'comma-separated subnets of that VPC, in two or more availability zones'),
      new Option('--connector-host <url>', 'Connector REST API (env MBED_CLOUD_SDK_HOST; default https://api.us-east-1.mbedcloud.com)'),
      new Option('--endpoint <device>', 'device to subscribe, by device ID or by the name it gave itself (repeatable)').argParser((value: string, previous: string[] = []) => [...previous, value]),
      new Option('--resource <path>', 'resource path to subscribe (default /3200/0/5501, the button counter)'),
      new Option('--reshape', 'move an events table made before monthly partitions (the tutorial\'s, or an older mbed-tsdb\'s) to them while the webhook keeps writing: copied in chunks, resumable, the old table kept as events_before_reshape; needs about its size free'),
      new Option('--replace-callback', "replace the key's Connector callback even when another application receives it"),
      new Option('--dry-run', 'show the plan and change nothing'),
    ],
    examples: [
      'npx mbed-tsdb setup',
      'npx mbed-tsdb setup --region eu-west-1 --endpoint 015f3850a657000000000001001002ab --yes',
      'npx mbed-tsdb setup --engine aurora-mysql --access private --dry-run',
    ],
    load: () => import('./commands/setup.js'),
  },
  {
    name: 'status',
    description: 'show every resource of the stack, what is missing or drifted, and the newest data',
    examples: ['mbed-tsdb status', 'mbed-tsdb status --json | jq .'],
    load: () => import('./commands/status.js'),
  },
  {
    name: 'subscribe',
    description: 'subscribe a device to the resource the stack records (by device ID, or by the name the device gave itself)',
    arguments: [['<endpoint>', 'the device (endpoint): its device ID (32 hex digits on Izuma), or the name the device gave itself']],
    options: () => [
      new Option('--resource <path>', 'resource path (repeatable; default /3200/0/5501)').argParser((value: string, previous: string[] = []) => [...previous, value]),
      new Option('--remove', "unsubscribe, and remove the pre-subscription rule this tool added (never one that was already there)"),
      new Option('--list', "list the device's subscriptions, and the outcome of pending ones"),
      new Option('--allow-unregistered', 'for a device the service does not know yet: add only the pre-subscription rule'),
      new Option('--connector-host <url>', 'Connector REST API (env MBED_CLOUD_SDK_HOST; default: the stack\'s)'),
    ],
    examples: [
      'mbed-tsdb subscribe 015f3850a657000000000001001002ab',
      'mbed-tsdb subscribe kitchen-button --resource /3200/0/5501 --resource /3303/0/5700',
      'mbed-tsdb subscribe 015f3850a657000000000001001002ff --allow-unregistered',
      'mbed-tsdb subscribe my-board --remove',
      'mbed-tsdb subscribe my-board --list',
    ],
    load: () => import('./commands/subscribe.js'),
  },
  {
    name: 'chart',
    description: "chart the data in the terminal: by default the tutorial's SUM(value) per hour over the last 24 hours",
    options: () => [
      ...dataOptions(),
      new Option('--csv', 'print the series as CSV instead of a chart'),
      new Option('--quicksight', 'print the QuickSight console steps for this stack instead (tutorial §8)'),
    ],
    examples: [
      'mbed-tsdb chart',
      'mbed-tsdb chart --since 7d --bucket day --agg count',
      'mbed-tsdb chart --board 015f3850a657000000000001001002ab --tz Europe/Berlin --csv > presses.csv',
      'mbed-tsdb chart --quicksight',
    ],
    load: () => import('./commands/chart.js'),
  },
  {
    name: 'dashboard',
    description: 'serve a live, interactive chart of the data on this computer (127.0.0.1) and open it in the browser',
    options: () => [
      ...dataOptions(),
      new Option('--port <number>', 'port to listen on (0: any free port)').default('8787'),
      new Option('--host <address>', 'address to listen on; anything but loopback shows your data to the network').default('127.0.0.1'),
      new Option('--allow-host <name>', 'another name the dashboard is reached by, e.g. behind a proxy (repeatable); other Host headers are refused').argParser(
        (value: string, previous: string[] = []) => [...previous, value],
      ),
      new Option('--no-open', 'do not open the browser'),
      new Option('--refresh <seconds>', 'how often the page reloads the data').default('5'),
    ],
    examples: ['mbed-tsdb dashboard', 'mbed-tsdb dashboard --port 9000 --no-open --since 7d --bucket day'],
    load: () => import('./commands/dashboard.js'),
  },
  {
    name: 'logs',
    description: "what the webhook function did, from its CloudWatch log group: one line per delivery, each rejected notification whole",
    options: () => [
      new Option('--since <when>', 'from: a duration back from now (10m, 2h, 1d) or a time (2026-11-28T08:00Z)').default('10m'),
      new Option('--follow', 'keep printing what arrives (live tail where the region offers it, else polling) until Ctrl+C'),
      new Option('--filter <which>', 'which lines').choices(['all', 'rejected', 'errors']).default('all'),
    ],
    examples: ['mbed-tsdb logs', 'mbed-tsdb logs --since 2h --filter rejected', 'mbed-tsdb logs --follow', 'mbed-tsdb logs --since 1d --json | jq .notification'],
    load: () => import('./commands/logs.js'),
  },
  {
    name: 'simulate',
    description: "stand in for the Connector and a set of boards: send readings to the stack's webhook as the service does, then count what arrived",
    options: () => [
      new Option('--devices <n>', 'how many boards (device IDs like the service\'s, each with a name)').default('3'),
      new Option('--resource <path>', 'what they report: /3200/0/5501 the button counter (counts up), /3303/0/5700 a temperature').default('/3200/0/5501'),
      new Option('--rate <per-second>', 'notifications per second, over all boards').default('1'),
      new Option('--duration <time>', 'how long to send: 30s, 10m, 1h').default('30s'),
      new Option('--batch <n>', 'most notifications per request (the service sends everything queued since its last answer, up to 10000)').default('10000'),
      new Option('--url <url>', "webhook to send to instead of the stack's (with --secret)"),
      new Option('--secret <value>', "the webhook's secret header value, with --url (visible in ps: prefer the stack's own)"),
      new Option('--legacy', 'send as the older Connector did: without uid, timestamp and original-ep'),
      new Option('--verify', 'read the rows back and fail (exit 1) if any reading is missing or stored twice'),
      new Option('--db-url <url>', "database to read the rows back from instead of the stack's (env MBED_TSDB_DB_URL)"),
      new Option('--db-ca <file>', 'PEM file of the CA that signed the database certificate (default: the Amazon RDS CA)'),
      new Option('--table <name>', "table to read back (default: the stack's, events)"),
    ],
    examples: ['mbed-tsdb simulate', 'mbed-tsdb simulate --devices 10 --rate 20 --duration 2m --verify', 'mbed-tsdb simulate --resource /3303/0/5700 --rate 0.2 --duration 1h'],
    load: () => import('./commands/simulate.js'),
  },
  {
    name: 'alerts',
    description: "show the stack's alerts (the address, whether SNS has it confirmed, each alarm's state); add or change the address, or send a test",
    options: () => [
      new Option('--email <address>', 'mail alarms to this address (SNS mails a confirmation link first); none removes the alerts'),
      new Option('--quiet-after <duration>', 'how long without a reading (of all, or of a known device) before an alarm: 5m to 24h in steps of 5 minutes'),
      new Option('--test', 'send one test message through the alert topic'),
    ],
    examples: ['mbed-tsdb alerts', 'mbed-tsdb alerts --email ops@example.com', 'mbed-tsdb alerts --test', 'mbed-tsdb alerts --email none'],
    load: () => import('./commands/alerts.js'),
  },
  {
    name: 'policy',
    description: 'print the least-privilege IAM policy that setup, status, subscribe, alerts, logs and teardown need (JSON)',
    examples: [
      'mbed-tsdb policy > mbed-tsdb-policy.json',
      'aws iam create-policy --policy-name mbed-tsdb --policy-document file://mbed-tsdb-policy.json',
      'mbed-tsdb policy --region cn-north-1',
    ],
    load: () => import('./commands/policy.js'),
  },
  {
    name: 'teardown',
    description: 'delete everything the stack created, leaving nothing that bills',
    options: () => [
      new Option('--dry-run', 'show what would be deleted and delete nothing'),
      new Option('--final-snapshot <name>', 'keep a final snapshot of the database under this name (default: none)'),
      new Option('--wait-minutes <n>', 'how long to wait for lingering network interfaces before giving up (default 60)'),
    ],
    examples: ['mbed-tsdb teardown', 'mbed-tsdb teardown --stack demo --yes'],
    load: () => import('./commands/teardown.js'),
  },
];

function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
}

export async function main(argv: string[], deps: MainDeps): Promise<number> {
  const { streams } = deps;
  const version = packageVersion();
  let exitCode: number = EXIT.ok;
  // Until the settings are resolved, messages go out plain; after, as the user asked.
  let out = createOutput(streams, { json: false, color: false, verbose: false });

  const program = new Command('mbed-tsdb')
    .description(
      'Store every Mbed Connector (Izuma/Pelion Device Management) sensor reading in an AWS RDS database ' +
        'and chart it: the AWS time-series tutorial as one command.',
    )
    .version(version, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help for a command')
    .option('--region <region>', 'AWS region, e.g. us-west-2 (env AWS_REGION)')
    .option('--profile <name>', 'AWS shared-config profile (env AWS_PROFILE)')
    .option('--stack <name>', `name of this deployment; every resource is tagged with it (env MBED_TSDB_STACK, default "${DEFAULT_STACK}")`)
    .option('--json', 'print the result as JSON on stdout; messages stay on stderr')
    .option('-y, --yes', 'run without prompts, answering yes to confirmations')
    .option('--no-color', 'no colours (also NO_COLOR=1, or when stderr is not a terminal)')
    .option('-v, --verbose', 'log what is done, and the resolved settings, to stderr')
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .configureOutput({
      writeOut: (text) => streams.stdout.write(text),
      writeErr: (text) => streams.stderr.write(text),
      outputError: (text, write) => write(text.replace(/^error: /, 'mbed-tsdb: ')),
    })
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .addHelpText(
      'after',
      `\nConfiguration: flags, then environment variables, then .env in this directory, then defaults.\n` +
        `Connector: MBED_CLOUD_SDK_API_KEY (API key), MBED_CLOUD_SDK_HOST (default ${DEFAULT_CONNECTOR_HOST}).\n` +
        `Exit codes: 0 done, 1 failed, 2 invalid input, 130 interrupted.\n` +
        examples('npx mbed-tsdb setup --region us-west-2', 'mbed-tsdb status --json', 'mbed-tsdb teardown --stack demo'),
    );

  const action = (spec: CommandSpec) =>
    async (...args: unknown[]): Promise<void> => {
      const command = args.at(-1) as Command;
      const flags = command.optsWithGlobals<GlobalFlags>();
      const settings = resolveSettings({
        flags,
        env: deps.env,
        dotenv: readDotEnv(deps.cwd),
        isTTY: Boolean(streams.stderr.isTTY),
      });
      out = createOutput(streams, settings);
      if (!settings.region) {
        const found = await profileRegion(deps.env, settings.profile);
        if (found && !isValidRegion(found.region)) throw new UsageError(`invalid region ${JSON.stringify(found.region)} in profile ${found.profile} of the AWS config file`);
        settings.profileRegion = found?.region;
      }
      out.debug(
        `settings: stack=${settings.stack} region=${settings.region ?? (settings.profileRegion ? `${settings.profileRegion} (from the profile)` : '(none)')} profile=${settings.profile ?? '(default chain)'} ` +
          `connector=${settings.connectorHost} apiKey=${maskSecret(settings.apiKey)}`,
      );
      const module = await spec.load();
      exitCode = await module.run({
        settings,
        options: command.opts(),
        args: args.slice(0, -2) as string[],
        out,
        version,
        cwd: deps.cwd,
        env: deps.env,
        stderr: streams.stderr,
        columns: streams.stdout.columns ?? 100,
        interrupted: deps.interrupted ?? new Promise(() => undefined),
        terminal: { input: deps.stdin, interactive: Boolean(deps.stdin?.isTTY && streams.stderr.isTTY) && !settings.yes },
        hooks: deps.hooks ?? {},
      });
    };

  for (const spec of COMMANDS) {
    const command = program.command(spec.name).description(spec.description);
    for (const [name, description] of spec.arguments ?? []) command.argument(name, description);
    for (const option of spec.options?.() ?? []) command.addOption(option);
    command.addHelpText('after', examples(...spec.examples)).action(action(spec));
  }

  if (argv.length === 0) {
    program.outputHelp({ error: true });
    return EXIT.usage;
  }

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const failure = asUserFacing(error);
    // Settings may have failed before the output knew about --json.
    if (argv.includes('--json')) out = createOutput(streams, { json: true, color: false, verbose: false });
    out.failure(failure);
    if (failure.code === 'INTERNAL') {
      const verbose = argv.includes('--verbose') || argv.includes('-v');
      if (verbose && error instanceof Error && error.stack) streams.stderr.write(`${error.stack}\n`);
      else out.info('Run again with --verbose for details, and please report it.');
    }
    return failure.exitCode;
  }
}
