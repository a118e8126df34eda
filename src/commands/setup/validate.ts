// Validate: every flag checked before anything is asked or called. Pure: flags in, checked
// values out, or a UsageError naming the flag.

import { readFileSync } from 'node:fs';
import { checkEndpoint, checkResource } from '../../connector/names.js';
import { checkConnectorHost } from '../../config/settings.js';
import { UsageError } from '../../errors.js';
import { LOOK_EVERY_MINUTES, QUIET_AFTER_MAX_MINUTES, QUIET_AFTER_MIN_MINUTES } from '../../stack/alarms.js';
import { parseCidr, requireIpv4 } from '../../net/public-ip.js';

const RDS_PASSWORD = /^[\x21-\x7e]{8,41}$/;

/** setup's own options, as commander gives them. */
export interface SetupFlags {
  engine?: 'mysql' | 'aurora-mysql';
  dbClass?: string;
  maxStorage?: string;
  keepRaw?: string;
  alertEmail?: string;
  quietAfter?: string;
  expectedRate?: string;
  access?: 'my-ip' | 'private';
  cidr?: string;
  dbPassword?: string;
  dbCa?: string;
  vpcId?: string;
  subnetIds?: string;
  connectorHost?: string;
  endpoint?: string[];
  resource?: string;
  replaceCallback?: boolean;
  reshape?: boolean;
  dryRun?: boolean;
}

export interface CheckedFlags {
  cidr: string | undefined;
  endpoints: string[] | undefined;
  resource: string | undefined;
  subnetIds: string[] | undefined;
  dbCaPem: string | undefined;
  maxStorage: number | undefined;
  /** Days raw readings are kept; null: forever; undefined: not given. */
  keepRawDays: number | null | undefined;
  /** Where alarms are mailed; '' when --alert-email none; undefined: not given. */
  alertEmail: string | undefined;
  quietAfterMinutes: number | undefined;
  expectedRate: number | undefined;
}

/** Raw readings go a month at a time: less than a month cannot be kept apart from the month itself. */
export const KEEP_RAW_RANGE = { minDays: 30, maxDays: 36_500 };
const DURATION_DAYS: Record<string, number> = { d: 1, w: 7, mo: 30, y: 365 };

/** `--keep-raw`: `forever`, or a whole number of days, weeks, months (30 days) or years (365): 90d, 12w, 6mo, 2y. */
export function parseKeepRaw(text: string): number | null {
  const value = text.trim().toLowerCase();
  if (value === 'forever') return null;
  const match = /^(\d{1,6})(d|w|mo|y)$/.exec(value);
  const days = match ? Number(match[1]) * DURATION_DAYS[match[2]!]! : Number.NaN;
  if (!(days >= KEEP_RAW_RANGE.minDays && days <= KEEP_RAW_RANGE.maxDays)) {
    throw new UsageError(`--keep-raw takes forever or a duration from ${KEEP_RAW_RANGE.minDays} days to 100 years, such as 90d, 12w, 6mo or 2y (got ${JSON.stringify(text)})`);
  }
  return days;
}

/** `--alert-email`: an address SNS can mail (one @, a dot in the domain, no spaces), or `none` (''). */
export function parseAlertEmail(text: string, flag = '--alert-email'): string {
  const value = text.trim();
  if (value.toLowerCase() === 'none' || value === '') return '';
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value) || value.length > 254) {
    throw new UsageError(`${flag} takes an email address such as ops@example.com, or none (got ${JSON.stringify(text)})`);
  }
  return value;
}

/** `--quiet-after`: minutes or hours (30m, 2h), a whole number of 5-minute looks from 5 minutes to a day. */
export function parseQuietAfter(text: string): number {
  const match = /^(\d{1,4})(m|min|h)$/.exec(text.trim().toLowerCase());
  const minutes = match ? Number(match[1]) * (match[2] === 'h' ? 60 : 1) : Number.NaN;
  if (!(minutes >= QUIET_AFTER_MIN_MINUTES && minutes <= QUIET_AFTER_MAX_MINUTES && minutes % LOOK_EVERY_MINUTES === 0)) {
    throw new UsageError(`--quiet-after takes minutes or hours from 5m to 24h in steps of 5 minutes, such as 30m or 2h (got ${JSON.stringify(text)})`);
  }
  return minutes;
}

/** Readings a second the estimate is made for: API Gateway's default throttle is far above the top. */
export const EXPECTED_RATE_RANGE = { min: 0.001, max: 10_000 };

/** `--expected-rate`: readings a second over all devices, a decimal number such as 0.2 or 5. */
export function parseExpectedRate(text: string, flag = '--expected-rate'): number {
  const value = text.trim();
  const rate = /^\d+(\.\d+)?$/.test(value) ? Number(value) : Number.NaN;
  if (!(rate >= EXPECTED_RATE_RANGE.min && rate <= EXPECTED_RATE_RANGE.max)) {
    throw new UsageError(`${flag} takes readings a second over all devices, from ${EXPECTED_RATE_RANGE.min} to ${EXPECTED_RATE_RANGE.max}, such as 0.1 or 5 (got ${JSON.stringify(text)})`);
  }
  return rate;
}

/** RDS MySQL storage ends at 64 TiB; the limit must be 10 % over the 20 GB a database starts with. */
const MAX_STORAGE_RANGE = { min: 22, max: 65_536 };

/** The master password RDS accepts (CreateDBInstance's MasterUserPassword): 8 to 41 printable ASCII, none of / " @ or space. */
export function checkDbPassword(password: string | undefined, name: string): string | undefined {
  if (password !== undefined && (!RDS_PASSWORD.test(password) || /[/"@]/.test(password))) {
    throw new UsageError(`${name} must be 8 to 41 printable ASCII characters without / " @ or spaces`);
  }
  return password;
}

export function validateSetupFlags(flags: SetupFlags, readFile: (path: string) => string = (path) => readFileSync(path, 'utf8')): CheckedFlags {
  checkDbPassword(flags.dbPassword, '--db-password');
  if (flags.connectorHost !== undefined) checkConnectorHost(flags.connectorHost, '--connector-host');
  let dbCaPem: string | undefined;
  if (flags.dbCa !== undefined) {
    try {
      dbCaPem = readFile(flags.dbCa);
    } catch (error) {
      throw new UsageError(`cannot read --db-ca ${flags.dbCa}: ${(error as Error).message}`, { cause: error });
    }
    if (!dbCaPem.includes('BEGIN CERTIFICATE')) throw new UsageError(`--db-ca ${flags.dbCa} holds no PEM certificate`);
  }
  const subnetIds = flags.subnetIds?.split(',').map((s) => s.trim()).filter(Boolean);
  if (subnetIds && subnetIds.some((id) => !/^subnet-[0-9a-f]+$/.test(id))) throw new UsageError('--subnet-ids takes subnet IDs such as subnet-0abc1234,subnet-0def5678');
  if (flags.vpcId && !/^vpc-[0-9a-f]+$/.test(flags.vpcId)) throw new UsageError('--vpc-id takes an ID such as vpc-0abc1234');
  if (flags.dbClass && !/^db\.[a-z0-9]+(\.[a-z0-9]+)?$/.test(flags.dbClass)) throw new UsageError('--db-class takes an RDS instance class such as db.t4g.micro');
  const maxStorage = flags.maxStorage === undefined ? undefined : Number(flags.maxStorage);
  if (maxStorage !== undefined && (!/^\d+$/.test(flags.maxStorage!) || maxStorage < MAX_STORAGE_RANGE.min || maxStorage > MAX_STORAGE_RANGE.max)) {
    throw new UsageError(`--max-storage takes whole GiB from ${MAX_STORAGE_RANGE.min} (10 % over the 20 GB the database starts with) to ${MAX_STORAGE_RANGE.max}`);
  }
  return {
    maxStorage,
    keepRawDays: flags.keepRaw === undefined ? undefined : parseKeepRaw(flags.keepRaw),
    alertEmail: flags.alertEmail === undefined ? undefined : parseAlertEmail(flags.alertEmail),
    quietAfterMinutes: flags.quietAfter === undefined ? undefined : parseQuietAfter(flags.quietAfter),
    expectedRate: flags.expectedRate === undefined ? undefined : parseExpectedRate(flags.expectedRate),
    cidr: flags.cidr !== undefined && flags.access !== 'private' ? requireIpv4(parseCidr(flags.cidr), '--cidr').cidr : flags.cidr !== undefined ? parseCidr(flags.cidr).cidr : undefined,
    endpoints: flags.endpoint?.map(checkEndpoint),
    resource: flags.resource !== undefined ? checkResource(flags.resource) : undefined,
    subnetIds,
    dbCaPem,
  };
}
