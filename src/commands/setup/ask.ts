// Ask: each value from its flag, else the answer saved with the stack, else a question (only
// on a terminal, never with --yes), else its default — or one error naming every missing flag.

import { checkEndpoint, checkResource, DEFAULT_RESOURCE } from '../../connector/names.js';
import { chosenConnectorHost, isValidRegion, type Settings } from '../../config/settings.js';
import { UserFacingError } from '../../errors.js';
import { detectPublicIp, parseCidr, requireIpv4, type Cidr } from '../../net/public-ip.js';
import type { SetupAnswers } from '../../stack/step.js';
import { answer, type AskMode, type Question } from '../../ui/ask.js';
import { DEFAULT_EXPECTED_RATE } from '../../stack/cost.js';
import { parseAlertEmail, parseExpectedRate, type CheckedFlags, type SetupFlags } from './validate.js';

export type SavedAnswers = Partial<SetupAnswers> & { region?: string };

export interface AskInput {
  flags: SetupFlags;
  checked: CheckedFlags;
  settings: Settings;
  saved: SavedAnswers;
  mode: AskMode;
  /** Where this computer's public address is looked up (tests point it at a local server). */
  ipEchoUrl?: string | undefined;
  /** The MySQL instance class a region offers (the one setup would create), to name it when asking. */
  mysqlClass?: (region: string) => Promise<string>;
  /** Keeps each group of answers as soon as it is given, so a run that stops before changing anything does not lose them. */
  remember?: (answers: SavedAnswers) => void;
  /** Tells the user something while asking (why a question is asked). */
  say?: (text: string) => void;
  /** The public-IP lookup's fetch (through the proxy when one is set). */
  fetch?: typeof fetch;
  /** Checks the AWS credentials in the region just chosen (and says whose they are): throws when they do not work. */
  identify?: (region: string) => Promise<void>;
}

export interface Asked {
  region: string;
  answers: SetupAnswers;
}

const addressCheck = (text: string): true | string => {
  try {
    requireIpv4(parseCidr(text, 'the address'), 'the address');
    return true;
  } catch (error) {
    return (error as Error).message;
  }
};

/**
 * This computer's public address for the security group: looked up, then confirmed on a
 * terminal; asked for (with the reason) when the lookup fails — without a terminal that failure
 * is the error.
 */
async function yourAddress(input: AskInput): Promise<string> {
  const { mode } = input;
  let detected: Cidr;
  try {
    detected = await detectPublicIp({ url: input.ipEchoUrl, ...(input.fetch ? { fetch: input.fetch } : {}) });
  } catch (error) {
    // A re-run without network keeps the stack's address: a lookup is an offer, never required.
    if (input.saved.cidr && error instanceof UserFacingError) {
      input.say?.(`Could not detect your public IP address (${error.message}): keeping ${input.saved.cidr}, the address saved with the stack (--cidr gives another)`);
      return input.saved.cidr;
    }
    if (!mode.interactive || !(error instanceof UserFacingError)) throw error;
    input.say?.(`Could not detect your public IP address: ${error.message}`);
    const typed = await mode.prompter.input({ message: 'Your public IPv4 address for the database security group (e.g. 203.0.113.7, or a block such as 203.0.113.0/24)', validate: addressCheck });
    return requireIpv4(parseCidr(typed, 'the address'), 'the address').cidr;
  }
  if (!mode.interactive) return requireIpv4(detected, 'this computer’s public address').cidr;
  const typed = await mode.prompter.input({ message: 'Your public IP for the database security group', default: detected.cidr, validate: addressCheck });
  return requireIpv4(parseCidr(typed, 'the address'), 'the address').cidr;
}

export async function askSetup(input: AskInput): Promise<Asked> {
  const { flags, checked, settings, saved, mode } = input;
  const { region } = await answer<{ region: string }>(
    {
      region: {
        flag: '--region',
        given: settings.region,
        // A re-run stays where the stack is; a new one goes where the profile says.
        saved: saved.region ?? settings.profileRegion,
        ask: (p) => p.input({ message: 'AWS region (e.g. us-west-2)', validate: (v) => isValidRegion(v) || 'a region code such as us-west-2' }),
      },
    },
    mode,
  );
  // Credentials that do not work stop the run here, before any other question.
  await input.identify?.(region);
  const first = await answer<{ engine: 'mysql' | 'aurora-mysql'; access: 'my-ip' | 'private' }>(
    {
      engine: {
        flag: '--engine',
        given: flags.engine,
        saved: saved.engine,
        default: 'mysql',
        ask: async (p, d) => {
          // The class the region actually offers, as the database step will choose it.
          const offered = await input.mysqlClass?.(region).catch(() => undefined);
          return p.select({
            message: 'Database engine (§2)',
            default: d,
            choices: [
              { name: `MySQL: one small instance (${flags.dbClass ?? offered ?? 'the smallest class the region offers'})`, value: 'mysql' as const },
              { name: 'Aurora MySQL Serverless v2: scales to zero when idle', value: 'aurora-mysql' as const },
            ],
          });
        },
      },
      access: {
        flag: '--access',
        given: flags.access,
        saved: saved.access,
        default: 'my-ip',
        ask: (p, d) =>
          p.select({
            message: 'Who may reach the database (§3)',
            default: d,
            choices: [
              { name: 'this computer’s IP address only (the table is created from here)', value: 'my-ip' as const },
              { name: 'nobody outside the VPC (private)', value: 'private' as const },
            ],
          }),
      },
    } satisfies { engine: Question<'mysql' | 'aurora-mysql'>; access: Question<'my-ip' | 'private'> },
    mode,
  );

  input.remember?.({ region, engine: first.engine, access: first.access });

  // Looked up on every run: the address changes, and a re-run follows it (or keeps the saved one
  // when the lookup fails).
  let cidr = checked.cidr;
  if (first.access === 'my-ip' && !cidr) cidr = await yourAddress(input);

  const second = await answer<{ connectorHost: string; endpoints: string[]; resource: string; alertEmail: string; expectedRate: number }>(
    {
      connectorHost: {
        flag: '--connector-host',
        given: chosenConnectorHost(flags.connectorHost, settings),
        saved: saved.connectorHost,
        default: settings.connectorHost,
        ask: (p, d) => p.input({ message: 'Connector REST API host (§7)', default: d }),
      },
      endpoints: {
        flag: '--endpoint',
        given: checked.endpoints,
        saved: saved.endpoints,
        default: [],
        ask: async (p) => {
          const text = await p.input({ message: 'Device endpoint name(s) to subscribe, comma-separated (empty: later, with mbed-tsdb subscribe)', default: '' });
          return text.split(',').map((s) => s.trim()).filter(Boolean).map(checkEndpoint);
        },
      },
      resource: {
        flag: '--resource',
        given: checked.resource,
        saved: saved.resource,
        default: DEFAULT_RESOURCE,
        ask: async (p, d) => checkResource(await p.input({ message: 'Resource path to record', default: d })),
      },
      alertEmail: {
        flag: '--alert-email',
        given: checked.alertEmail,
        saved: saved.alertEmail,
        default: '',
        ask: async (p) =>
          parseAlertEmail(
            await p.input({
              message: 'Email address for alerts (§8: the webhook failing, no readings, devices gone quiet, storage running out; empty: none)',
              default: '',
              validate: (text) => {
                try {
                  parseAlertEmail(text);
                  return true;
                } catch (error) {
                  return (error as Error).message;
                }
              },
            }),
          ),
      },
      expectedRate: {
        flag: '--expected-rate',
        given: checked.expectedRate,
        saved: saved.expectedRate,
        default: DEFAULT_EXPECTED_RATE,
        ask: async (p, d) =>
          parseExpectedRate(
            await p.input({
              message: 'Readings a second you expect over all devices (for the monthly cost estimate)',
              default: String(d),
              validate: (text) => {
                try {
                  parseExpectedRate(text, 'the rate');
                  return true;
                } catch (error) {
                  return (error as Error).message;
                }
              },
            }),
            'the rate',
          ),
      },
    },
    mode,
  );

  input.remember?.({ connectorHost: second.connectorHost, endpoints: second.endpoints, resource: second.resource, alertEmail: second.alertEmail, expectedRate: second.expectedRate });

  return {
    region,
    answers: {
      engine: first.engine,
      dbClass: flags.dbClass ?? saved.dbClass,
      maxStorage: checked.maxStorage ?? saved.maxStorage,
      keepRawDays: checked.keepRawDays === undefined ? saved.keepRawDays : checked.keepRawDays,
      ...(flags.reshape ? { reshapeTable: true } : {}),
      access: first.access,
      cidr: first.access === 'my-ip' ? cidr : undefined,
      vpcId: flags.vpcId ?? saved.vpcId,
      subnetIds: checked.subnetIds ?? saved.subnetIds,
      dbCaPem: checked.dbCaPem ?? saved.dbCaPem,
      dbCaSource: checked.dbCaPem ? 'flag' : saved.dbCaSource,
      connectorHost: second.connectorHost,
      endpoints: second.endpoints,
      resource: second.resource,
      alertEmail: second.alertEmail,
      expectedRate: second.expectedRate,
      quietAfterMinutes: checked.quietAfterMinutes ?? saved.quietAfterMinutes,
    },
  };
}
