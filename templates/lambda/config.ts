// The function's configuration comes from its Lambda environment; setup writes it.

import { lambdaIamAuth, type IamAuth } from './iam-token.js';
import { DEFAULT_TABLE, isValidTableName } from './schema.js';

export type TlsMode = { kind: 'rds' } | { kind: 'off' } | { kind: 'ca'; pem: string };

export interface DbConfig {
  host: string;
  port: number;
  user: string;
  /** Empty with IAM authentication: each connection signs a token instead. */
  password: string;
  /** RDS IAM database authentication (DB_AUTH=iam): the role's credentials sign each connection's token. */
  iam?: IamAuth;
  /** Keep the chart rollup (DB_ROLLUP=on), once it exists. */
  rollup?: boolean;
  database: string;
  table: string;
  tls: TlsMode;
  connectTimeoutMs: number;
  /**
   * The server closes the function's connection after this many seconds without a statement
   * (its session's wait_timeout): a frozen container cannot, and Aurora Serverless v2 pauses
   * only with no user connection open. The function's connection only (default a minute).
   */
  idleCloseSeconds?: number;
}

export interface FunctionConfig {
  /** null until setup knows the database (DB_HOST unset): the URL check works, readings get 503. */
  db: DbConfig | null;
  /** Where and how to reach the database whoever logs in: for migrate, with the master user's login it is given. */
  database: Pick<DbConfig, 'database' | 'table' | 'tls' | 'connectTimeoutMs' | 'idleCloseSeconds'>;
  /** When set, every request must carry this header with this value. */
  secret: { header: string; value: string } | null;
  /** At most this many rows per INSERT statement (statements are also kept under a size). */
  chunkRows: number;
  /** The scheduled maintenance: its database user, and how long raw readings are kept (null: forever). */
  maintenance: { user: string; keepRawDays: number | null; quietAfterMinutes?: number } | null;
  /** The function's name as Lambda's runtime sets it (AWS_LAMBDA_FUNCTION_NAME): its metrics' dimension. */
  functionName?: string;
}

export const DEFAULT_SECRET_HEADER = 'x-mbed-tsdb-secret';
/** mbed-tsdb's self-test: the request is written, then rolled back, so it leaves no row. */
export const SELFTEST_HEADER = 'x-mbed-tsdb-selftest';
/**
 * The database's CA, when it is not the Amazon RDS bundle the function carries (a newer region,
 * or --db-ca): a file in the function's own zip. Lambda's environment holds 4 KB in all, less
 * than a region's bundle of three certificates.
 */
export const CA_FILE = 'db-ca.pem';
export const DEFAULT_CHUNK_ROWS = 20000;
/** A minute: a warm function keeps its connection between a busy stream's requests, not beyond. */
export const DEFAULT_IDLE_CLOSE_SECONDS = 60;

export type ConfigResult = { ok: true; config: FunctionConfig } | { ok: false; errors: string[] };

/** Names of the environment variables, documented for setup and for people. */
export const ENV = {
  host: 'DB_HOST',
  port: 'DB_PORT',
  user: 'DB_USER',
  password: 'DB_PASSWORD',
  auth: 'DB_AUTH',
  rollup: 'DB_ROLLUP',
  database: 'DB_NAME',
  table: 'DB_TABLE',
  tls: 'DB_TLS',
  tlsCa: 'DB_TLS_CA',
  connectTimeoutMs: 'DB_CONNECT_TIMEOUT_MS',
  idleCloseSeconds: 'DB_IDLE_CLOSE_SECONDS',
  secret: 'WEBHOOK_SECRET',
  secretHeader: 'WEBHOOK_SECRET_HEADER',
  chunkRows: 'INSERT_CHUNK_ROWS',
  maintenanceUser: 'DB_MAINTENANCE_USER',
  keepRawDays: 'KEEP_RAW_DAYS',
  quietAfterMinutes: 'QUIET_AFTER_MINUTES',
} as const;

/** Reads a file that shipped in the function's package; undefined when there is none. */
export type PackageFiles = (name: string) => string | undefined;

export function readConfig(env: Record<string, string | undefined>, files: PackageFiles = () => undefined): ConfigResult {
  const errors: string[] = [];
  const text = (name: string, fallback?: string): string => {
    const value = env[name];
    if (value !== undefined && value !== '') return value;
    if (fallback !== undefined) return fallback;
    errors.push(`${name} is not set`);
    return '';
  };
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      errors.push(`${name} must be an integer from ${min} to ${max}, not ${JSON.stringify(raw)}`);
      return fallback;
    }
    return value;
  };

  const table = text(ENV.table, DEFAULT_TABLE);
  if (!isValidTableName(table)) errors.push(`${ENV.table} must be letters, digits and _ (at most 64)`);

  let tls: TlsMode = { kind: 'rds' };
  const tlsName = text(ENV.tls, 'rds');
  if (tlsName === 'off') tls = { kind: 'off' };
  else if (tlsName === 'ca-file') {
    const pem = files(CA_FILE);
    if (!pem?.includes('BEGIN CERTIFICATE')) errors.push(`${ENV.tls}=ca-file, but the function's package has no ${CA_FILE}`);
    tls = { kind: 'ca', pem: pem ?? '' };
  } else if (tlsName === 'ca') {
    // Stacks set up before the CA moved into the package; the next setup moves it.
    const pem = text(ENV.tlsCa);
    tls = { kind: 'ca', pem };
  } else if (tlsName !== 'rds') errors.push(`${ENV.tls} must be rds, ca-file, ca or off, not ${JSON.stringify(tlsName)}`);

  // iam: no password anywhere in the configuration; the Lambda role's credentials sign a token.
  const authName = text(ENV.auth, 'password');
  let iam: IamAuth | undefined;
  if (authName === 'iam') {
    const found = lambdaIamAuth(env);
    if ('missing' in found) errors.push(`${ENV.auth}=iam needs the Lambda environment's ${found.missing.join(', ')}`);
    else iam = found;
    // The token travels as clear text: only inside TLS.
    if (tls.kind === 'off') errors.push(`${ENV.auth}=iam needs TLS (${ENV.tls} other than off)`);
    if (env[ENV.password]) errors.push(`${ENV.auth}=iam and ${ENV.password} do not go together: remove the password`);
  } else if (authName !== 'password') errors.push(`${ENV.auth} must be password or iam, not ${JSON.stringify(authName)}`);

  const secretValue = env[ENV.secret];
  const hasDatabase = Boolean(env[ENV.host]);
  const database = {
    database: text(ENV.database, 'tsdb'),
    table,
    tls,
    connectTimeoutMs: integer(ENV.connectTimeoutMs, 5000, 100, 60000),
    idleCloseSeconds: integer(ENV.idleCloseSeconds, DEFAULT_IDLE_CLOSE_SECONDS, 1, 28800),
  };
  const config: FunctionConfig = {
    db: hasDatabase
      ? {
          host: text(ENV.host),
          port: integer(ENV.port, 3306, 1, 65535),
          user: text(ENV.user),
          password: iam ? '' : text(ENV.password, ''),
          ...(iam ? { iam } : {}),
          ...(env[ENV.rollup] === 'on' ? { rollup: true } : {}),
          ...database,
        }
      : null,
    database,
    secret: secretValue ? { header: text(ENV.secretHeader, DEFAULT_SECRET_HEADER).toLowerCase(), value: secretValue } : null,
    chunkRows: integer(ENV.chunkRows, DEFAULT_CHUNK_ROWS, 1, 50000),
    maintenance: env[ENV.maintenanceUser]
      ? {
          user: text(ENV.maintenanceUser),
          keepRawDays: env[ENV.keepRawDays] === 'forever' || !env[ENV.keepRawDays] ? null : integer(ENV.keepRawDays, 0, 1, 36500),
          // With alerts: how long a device may send nothing before the watch counts it quiet.
          ...(env[ENV.quietAfterMinutes] ? { quietAfterMinutes: integer(ENV.quietAfterMinutes, 30, 1, 1440) } : {}),
        }
      : null,
    ...(env.AWS_LAMBDA_FUNCTION_NAME ? { functionName: env.AWS_LAMBDA_FUNCTION_NAME } : {}),
  };
  return errors.length > 0 ? { ok: false, errors } : { ok: true, config };
}
