// Which database a data command talks to: --db-url (or MBED_TSDB_DB_URL), else the stack's
// saved settings. TLS as the function does it: verified against the Amazon RDS CA by default.

import { readFileSync } from 'node:fs';
import type { DbConfig, TlsMode } from '../../templates/lambda/config.js';
import { DEFAULT_TABLE, isValidTableName } from '../../templates/lambda/schema.js';
import { UsageError, UserFacingError } from '../errors.js';
import { proxyConfigured } from '../net/proxy.js';
import { databaseConfig, readState, statePath, type StateNotices } from '../stack/state.js';

export interface DbTarget {
  config: DbConfig;
  /** Where the settings came from, for messages. */
  source: string;
  /** Why the database may be unreachable from here, to explain a failure. */
  hint?: string;
}

export interface DbTargetInput {
  dbUrl?: string;
  dbCa?: string;
  table?: string;
  stack: string;
  env: Record<string, string | undefined>;
  notices?: StateNotices;
}

export function resolveDbTarget(input: DbTargetInput): DbTarget {
  const url = input.dbUrl ?? input.env.MBED_TSDB_DB_URL;
  const ca = input.dbCa ? readCa(input.dbCa) : undefined;
  if (url) return { config: fromUrl(url, ca, input.table), source: input.dbUrl ? '--db-url' : 'MBED_TSDB_DB_URL', ...withHint([proxyHint(input.env)]) };

  const state = readState(input.env, input.stack, input.notices);
  if (!state?.database) {
    throw new UserFacingError(
      `no database known for stack ${input.stack} on this machine (${statePath(input.env, input.stack)}): ` +
        'run mbed-tsdb setup, or pass --db-url mysql://user:password@host:3306/tsdb', { code: "NO_DATABASE" }
    );
  }
  const db = state.database;
  const table = input.table ?? db.table ?? DEFAULT_TABLE;
  // The CA setup was told about (--db-ca) still applies, unless another is given now.
  const savedCa = (state.answers as { dbCaPem?: string } | undefined)?.dbCaPem;
  const stackCa = ca ?? savedCa;
  checkTable(table);
  const why =
    db.access === 'private'
      ? `the database of stack ${input.stack} is private (reachable only inside its VPC)`
      : db.cidr
        ? `its security group admits only ${db.cidr}: if your IP changed, run mbed-tsdb setup again to update it`
        : undefined;
  return { config: databaseConfig(db, { caPem: stackCa, table, connectTimeoutMs: 10_000 }), source: `stack ${input.stack}`, ...withHint([why, proxyHint(input.env)]) };
}

/** A MySQL connection is not HTTP: a proxy the user relies on does not carry it. */
function proxyHint(env: Record<string, string | undefined>): string | undefined {
  const proxy = proxyConfigured(env);
  return proxy ? `a MySQL connection does not go through the HTTP proxy (${proxy}): the database must be reachable directly from this network` : undefined;
}

function withHint(hints: Array<string | undefined>): { hint?: string } {
  const given = hints.filter((h): h is string => Boolean(h));
  return given.length ? { hint: given.join('; ') } : {};
}

function fromUrl(text: string, ca: string | undefined, tableFlag: string | undefined): DbConfig {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError('the database URL is not a URL: use mysql://user:password@host:3306/tsdb');
  }
  if (url.protocol !== 'mysql:') throw new UsageError('the database URL must start with mysql://');
  const database = decode(url.pathname.replace(/^\//, ''), 'database name') || 'tsdb';
  const tlsParam = url.searchParams.get('tls') ?? (ca ? 'ca' : 'rds');
  let tls: TlsMode;
  if (tlsParam === 'off') tls = { kind: 'off' };
  else if (tlsParam === 'rds') tls = ca ? { kind: 'ca', pem: ca } : { kind: 'rds' };
  else if (tlsParam === 'ca') {
    if (!ca) throw new UsageError('tls=ca in the database URL needs --db-ca <file>');
    tls = { kind: 'ca', pem: ca };
  } else throw new UsageError(`tls=${tlsParam} in the database URL: use rds (default), ca or off`);
  const table = tableFlag ?? url.searchParams.get('table') ?? DEFAULT_TABLE;
  checkTable(table);
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: Number(url.port || 3306),
    user: decode(url.username, 'user name'),
    password: decode(url.password, 'password'),
    database,
    table,
    tls,
    connectTimeoutMs: 10_000,
  };
}

function decode(part: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new UsageError(`the database URL has a malformed %-escape in its ${what}: write % as %25 (and other reserved characters as %XX)`);
  }
}

function checkTable(table: string): void {
  if (!isValidTableName(table)) throw new UsageError(`invalid table name ${JSON.stringify(table)}: letters, digits and _ only`);
}

function readCa(path: string): string {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read --db-ca ${path}: ${(error as Error).message}`);
  }
  if (!pem.includes('BEGIN CERTIFICATE')) throw new UsageError(`--db-ca ${path} holds no PEM certificate`);
  return pem;
}
