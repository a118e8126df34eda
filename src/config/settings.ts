// Every setting resolved in one place: flags > environment > .env > defaults.
// Pure: the caller passes the flags, the environment and the parsed .env.

import { UsageError } from '../errors.js';

export const DEFAULT_STACK = 'mbed-tsdb';
export const DEFAULT_CONNECTOR_HOST = 'https://api.us-east-1.mbedcloud.com';

/** The variables mbed-tsdb reads; .env.example documents each. */
export const VARIABLES = {
  region: ['AWS_REGION', 'AWS_DEFAULT_REGION'],
  profile: ['AWS_PROFILE'],
  stack: ['MBED_TSDB_STACK'],
  apiKey: ['MBED_CLOUD_SDK_API_KEY'],
  connectorHost: ['MBED_CLOUD_SDK_HOST'],
} as const;

export type Source = 'flag' | 'environment' | '.env' | 'default';

export interface Settings {
  /** From --region, AWS_REGION or AWS_DEFAULT_REGION (environment or .env). */
  region: string | undefined;
  /** The chosen profile's region in ~/.aws/config: used when nothing else names one. */
  profileRegion?: string | undefined;
  profile: string | undefined;
  stack: string;
  apiKey: string | undefined;
  connectorHost: string;
  json: boolean;
  yes: boolean;
  color: boolean;
  verbose: boolean;
  /** Where each value came from, for --verbose and for error messages. */
  sources: Record<keyof typeof VARIABLES, { source: Source; name: string }>;
}

export interface GlobalFlags {
  region?: string;
  profile?: string;
  stack?: string;
  json?: boolean;
  yes?: boolean;
  color?: boolean;
  verbose?: boolean;
}

export interface SettingsInput {
  flags: GlobalFlags;
  env: Record<string, string | undefined>;
  dotenv: Record<string, string>;
  /** Whether stderr is a terminal: colours only there. */
  isTTY: boolean;
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
// Single hyphens only, none at the end: stack names become parts of RDS identifiers.
const STACK = /^(?=.{1,32}$)[A-Za-z](?:-?[A-Za-z0-9])*$/;
const PROFILE = /^[\w.@+=,/-]{1,128}$/;
const PRINTABLE = /^[\x21-\x7e]+$/;

export function resolveSettings(input: SettingsInput): Settings {
  const sources = {} as Settings['sources'];
  const pick = (key: keyof typeof VARIABLES, flag: string | undefined, flagName: string, fallback?: string) => {
    if (flag !== undefined) {
      sources[key] = { source: 'flag', name: flagName };
      return flag;
    }
    for (const [source, values] of [['environment', input.env], ['.env', input.dotenv]] as const) {
      for (const name of VARIABLES[key]) {
        const value = values[name];
        if (value !== undefined && value !== '') {
          sources[key] = { source, name };
          return value;
        }
      }
    }
    sources[key] = { source: 'default', name: VARIABLES[key][0] };
    return fallback;
  };
  const where = (key: keyof typeof VARIABLES) => {
    const { source, name } = sources[key];
    return source === 'flag' ? name : source === 'default' ? 'default' : `${name} in ${source === '.env' ? '.env' : 'the environment'}`;
  };

  const region = pick('region', input.flags.region, '--region');
  if (region !== undefined && !REGION.test(region)) {
    throw new UsageError(`invalid region ${JSON.stringify(region)} (from ${where('region')}): use a region code such as us-west-2`);
  }
  const profile = pick('profile', input.flags.profile, '--profile');
  if (profile !== undefined && !PROFILE.test(profile)) {
    throw new UsageError(`invalid AWS profile name ${JSON.stringify(profile)} (from ${where('profile')})`);
  }
  const stack = pick('stack', input.flags.stack, '--stack', DEFAULT_STACK) ?? DEFAULT_STACK;
  if (stack === '') throw new UsageError(`the stack name is empty (from ${where('stack')}): give a name such as ${DEFAULT_STACK}`);
  if (!STACK.test(stack)) {
    throw new UsageError(
      `invalid stack name ${JSON.stringify(stack)} (from ${where('stack')}): start with a letter; letters, digits and single hyphens (not at the end); at most 32 characters`,
    );
  }
  const apiKey = pick('apiKey', undefined, '--api-key');
  if (apiKey !== undefined && !PRINTABLE.test(apiKey)) {
    // Never echo the key itself.
    throw new UsageError(`the Connector API key (from ${where('apiKey')}) contains spaces or non-ASCII characters`);
  }
  const connectorHost = pick('connectorHost', undefined, '--connector-host', DEFAULT_CONNECTOR_HOST) ?? DEFAULT_CONNECTOR_HOST;
  checkConnectorHost(connectorHost, where('connectorHost'));

  const noColor = input.env.NO_COLOR !== undefined && input.env.NO_COLOR !== '';
  return {
    region,
    profile,
    stack,
    apiKey,
    connectorHost: connectorHost.replace(/\/+$/, ''),
    json: input.flags.json ?? false,
    yes: input.flags.yes ?? false,
    color: (input.flags.color ?? true) && !noColor && input.isTTY,
    verbose: input.flags.verbose ?? false,
    sources,
  };
}

export function checkConnectorHost(host: string, from: string): void {
  let url: URL;
  try {
    url = new URL(host);
  } catch {
    throw new UsageError(`invalid Connector host ${JSON.stringify(host)} (from ${from}): use a URL such as ${DEFAULT_CONNECTOR_HOST}`);
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new UsageError(`the Connector host must use https:// (from ${from}); the API key would travel in clear text`);
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || url.username) {
    throw new UsageError(`the Connector host (from ${from}) must be a bare origin such as ${DEFAULT_CONNECTOR_HOST}`);
  }
}

export function isValidRegion(region: string): boolean {
  return REGION.test(region);
}

/** The Connector host when the user chose one (flag, environment or .env); undefined for the default. */
export function chosenConnectorHost(flag: string | undefined, settings: Settings): string | undefined {
  return flag ?? (settings.sources.connectorHost.source !== 'default' ? settings.connectorHost : undefined);
}

/** How --verbose mentions a secret: that it is set, never any of it. */
export function maskSecret(secret: string | undefined): string {
  return secret === undefined ? 'not set' : `set (${secret.length} characters)`;
}
