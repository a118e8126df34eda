// mbed-tsdb setup: Validate → Ask → Plan → Apply. Flags first, then the answers saved
// with the stack, then questions (only on a terminal, never with --yes).

import { readFileSync } from 'node:fs';
import { checkEndpoint, checkResource, DEFAULT_RESOURCE } from '../connector/names.js';
import { checkConnectorHost, chosenConnectorHost, isValidRegion } from '../config/settings.js';
import { UsageError } from '../errors.js';
import { detectPublicIp, parseCidr } from '../net/public-ip.js';
import { applyStack, planStack } from '../stack/engine.js';
import { stackNames } from '../stack/naming.js';
import { generateDbPassword, generateWebhookSecret } from '../stack/secrets.js';
import { readState, statePath, writeState, type StackState } from '../stack/state.js';
import type { PlanItem, SetupAnswers } from '../stack/step.js';
import type { ApiOutput } from '../stack/steps/api.js';
import type { ConnectorOutput } from '../stack/steps/connector.js';
import type { DatabaseOutput } from '../stack/steps/database.js';
import { SETUP_STEPS } from '../stack/steps/index.js';
import { answer, type Question } from '../ui/ask.js';
import { InterruptedError } from '../ui/prompts.js';
import type { CommandContext } from './context.js';
import { connectorApiKey, promptsFor, stackContext, untilInterrupted } from './stack-context.js';

const RDS_PASSWORD = /^[\x21-\x7e]{8,41}$/;

interface Flags {
  engine?: 'mysql' | 'aurora-mysql';
  dbClass?: string;
  access?: 'my-ip' | 'private';
  cidr?: string;
  dbPassword?: string;
  dbCa?: string;
  vpcId?: string;
  subnetIds?: string;
  connectorHost?: string;
  endpoint?: string[];
  resource?: string;
  dryRun?: boolean;
}

/** Validate: every flag checked before anything is asked or called. */
function validate(flags: Flags) {
  if (flags.dbPassword !== undefined && (!RDS_PASSWORD.test(flags.dbPassword) || /[/"@]/.test(flags.dbPassword))) {
    throw new UsageError('--db-password must be 8 to 41 printable ASCII characters without / " @ or spaces');
  }
  if (flags.connectorHost !== undefined) checkConnectorHost(flags.connectorHost, '--connector-host');
  let dbCaPem: string | undefined;
  if (flags.dbCa !== undefined) {
    try {
      dbCaPem = readFileSync(flags.dbCa, 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read --db-ca ${flags.dbCa}: ${(error as Error).message}`);
    }
    if (!dbCaPem.includes('BEGIN CERTIFICATE')) throw new UsageError(`--db-ca ${flags.dbCa} holds no PEM certificate`);
  }
  const subnetIds = flags.subnetIds?.split(',').map((s) => s.trim()).filter(Boolean);
  if (subnetIds && subnetIds.some((id) => !/^subnet-[0-9a-f]+$/.test(id))) throw new UsageError('--subnet-ids takes subnet IDs such as subnet-0abc1234,subnet-0def5678');
  if (flags.vpcId && !/^vpc-[0-9a-f]+$/.test(flags.vpcId)) throw new UsageError('--vpc-id takes an ID such as vpc-0abc1234');
  if (flags.dbClass && !/^db\.[a-z0-9]+(\.[a-z0-9]+)?$/.test(flags.dbClass)) throw new UsageError('--db-class takes an RDS instance class such as db.t4g.micro');
  return {
    cidr: flags.cidr !== undefined ? parseCidr(flags.cidr).cidr : undefined,
    endpoints: flags.endpoint?.map(checkEndpoint),
    resource: flags.resource !== undefined ? checkResource(flags.resource) : undefined,
    subnetIds,
    dbCaPem,
  };
}

function describePlan(items: PlanItem[]): string {
  const mark = { create: '+', update: '~', keep: '=' } as const;
  return items.map((i) => `  ${mark[i.action]} ${i.resource}${i.detail ? `: ${i.detail}` : ''}`).join('\n');
}

export async function run(context: CommandContext): Promise<number> {
  const { settings, out, hooks } = context;
  const flags = context.options as Flags;
  const checked = validate(flags);
  const names = stackNames(settings.stack);
  const saved = readState(context.env, settings.stack);
  const savedAnswers = (saved?.answers ?? {}) as Partial<SetupAnswers> & { region?: string };
  const prompter = promptsFor(context);
  const mode = { interactive: context.terminal.interactive, prompter };

  // Ask: what no flag or saved answer gives.
  const first = await answer<{ region: string; engine: 'mysql' | 'aurora-mysql'; access: 'my-ip' | 'private' }>(
    {
      region: { flag: '--region', given: settings.region, saved: savedAnswers.region, ask: (p) => p.input({ message: 'AWS region (e.g. us-west-2)', validate: (v) => isValidRegion(v) || 'a region code such as us-west-2' }) },
      engine: {
        flag: '--engine',
        given: flags.engine,
        saved: savedAnswers.engine,
        default: 'mysql',
        ask: (p, d) => p.select({ message: 'Database engine (§2)', default: d, choices: [{ name: 'MySQL: one small instance (db.t4g.micro)', value: 'mysql' as const }, { name: 'Aurora MySQL Serverless v2: scales to zero when idle', value: 'aurora-mysql' as const }] }),
      },
      access: {
        flag: '--access',
        given: flags.access,
        saved: savedAnswers.access,
        default: 'my-ip',
        ask: (p, d) => p.select({ message: 'Who may reach the database (§3)', default: d, choices: [{ name: 'this computer’s IP address only (the table is created from here)', value: 'my-ip' as const }, { name: 'nobody outside the VPC (private)', value: 'private' as const }] }),
      },
    } satisfies { region: Question<string>; engine: Question<'mysql' | 'aurora-mysql'>; access: Question<'my-ip' | 'private'> },
    mode,
  );

  let cidr = checked.cidr;
  if (first.access === 'my-ip' && !cidr) {
    const detected = await detectPublicIp({ url: context.env.MBED_TSDB_IP_ECHO_URL || undefined });
    cidr = mode.interactive ? parseCidr(await prompter.input({ message: 'Your public IP for the database security group', default: detected.cidr })).cidr : detected.cidr;
  }

  const second = await answer<{ connectorHost: string; endpoints: string[]; resource: string }>(
    {
      connectorHost: {
        flag: '--connector-host',
        given: chosenConnectorHost(flags.connectorHost, settings),
        saved: savedAnswers.connectorHost,
        default: settings.connectorHost,
        ask: (p, d) => p.input({ message: 'Connector REST API host (§7)', default: d }),
      },
      endpoints: {
        flag: '--endpoint',
        given: checked.endpoints,
        saved: savedAnswers.endpoints,
        default: [],
        ask: async (p) => {
          const text = await p.input({ message: 'Device endpoint name(s) to subscribe, comma-separated (empty: later, with mbed-tsdb subscribe)', default: '' });
          return text.split(',').map((s) => s.trim()).filter(Boolean).map(checkEndpoint);
        },
      },
      resource: { flag: '--resource', given: checked.resource, saved: savedAnswers.resource, default: DEFAULT_RESOURCE, ask: async (p, d) => checkResource(await p.input({ message: 'Resource path to record', default: d })) },
    },
    mode,
  );

  // A dry run calls nothing at the Connector, so it needs no key.
  const apiKey = flags.dryRun ? settings.apiKey : await connectorApiKey(context, prompter);

  const answers: SetupAnswers = {
    engine: first.engine,
    dbClass: flags.dbClass ?? savedAnswers.dbClass,
    access: first.access,
    cidr: first.access === 'my-ip' ? cidr : undefined,
    vpcId: flags.vpcId ?? savedAnswers.vpcId,
    subnetIds: checked.subnetIds ?? savedAnswers.subnetIds,
    dbCaPem: checked.dbCaPem ?? savedAnswers.dbCaPem,
    connectorHost: second.connectorHost,
    endpoints: second.endpoints,
    resource: second.resource,
  };

  const state: StackState = saved ?? { version: 1, stack: settings.stack };
  const ctx = stackContext(context, { region: first.region, state, answers, apiKey });

  // Plan: read-only, shown before anything changes.
  out.info(`Plan for stack ${settings.stack} in ${first.region}:`);
  const plan = await planStack(SETUP_STEPS, ctx);
  out.info(describePlan(plan));
  if (flags.dryRun) {
    out.result({ stack: settings.stack, region: first.region, dryRun: true, plan }, 'dry run: nothing was changed');
    return 0;
  }
  if (mode.interactive && !(await prompter.confirm({ message: 'Create and change these?', default: true }))) {
    out.info('Nothing was changed.');
    return 1;
  }

  // Secrets and answers are saved before the first change, so no resource is ever made
  // with a password or secret that is not on record.
  state.region = first.region;
  state.answers = { ...answers, region: first.region };
  state.webhookSecret ??= generateWebhookSecret();
  const password = flags.dbPassword ?? state.database?.password ?? generateDbPassword();
  state.database = { ...(state.database ?? ({} as NonNullable<StackState['database']>)), password };
  if (flags.dbPassword !== undefined) state.database.passwordApplied = false;
  const save = (s: StackState) => writeState(context.env, s);
  save(state);

  const outcome = await untilInterrupted(context, ctx, applyStack(SETUP_STEPS, ctx, save));
  if (!outcome.done) {
    save(state);
    throw new InterruptedError();
  }

  const outputs = state.outputs as { api: ApiOutput; database: DatabaseOutput; connector: ConnectorOutput };
  const summary = {
    stack: settings.stack,
    region: first.region,
    webhookUrl: outputs.api.url,
    database: { host: outputs.database.host, port: outputs.database.port, name: names.dbName, table: names.table, user: names.dbUser, engine: answers.engine, access: answers.access },
    endpoints: outputs.connector.endpoints,
    state: statePath(context.env, settings.stack),
  };
  const lines = [
    `Stack ${settings.stack} is ready in ${first.region}.`,
    `  Webhook URL:  ${summary.webhookUrl}`,
    `  Database:     ${summary.database.host}:${summary.database.port} (${names.dbName}.${names.table}, user ${names.dbUser}; password in ${summary.state})`,
    `  Access:       ${answers.access === 'my-ip' ? `from ${answers.cidr} and the function` : 'from inside the VPC only'}`,
    ...(summary.endpoints.length
      ? summary.endpoints.map((e) => `  Endpoint:     ${e.endpoint} ${e.resource}: ${e.state}${e.note ? ` (${e.note})` : ''}`)
      : ['  Endpoints:    none yet: mbed-tsdb subscribe <endpoint>']),
    `See the data:  mbed-tsdb chart  ·  mbed-tsdb dashboard${answers.access === 'private' ? '  (from inside the VPC)' : ''}`,
  ];
  if (outputs.connector.replaced) out.warn(`the Connector's callback pointed at ${outputs.connector.replaced}; it now points here`);
  out.result(summary, lines.join('\n'));
  return 0;
}
