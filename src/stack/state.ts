// The per-stack state file: what setup created and how to reach it. Owner-only, since it
// holds the database password; never the Connector API key.

import { chmodSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { DbConfig } from '../../templates/lambda/config.js';
import { UserFacingError } from '../errors.js';

export interface DatabaseState {
  host: string;
  port: number;
  user: string;
  password: string;
  name: string;
  table: string;
  /** my-ip: reachable from the desktop that ran setup; private: only from inside the VPC. */
  access: 'my-ip' | 'private';
  /** The CIDR the security group allows, to explain a refused connection. */
  cidr?: string;
  /** The instance is known to have this password (false or absent: set it on the next run). */
  passwordApplied?: boolean;
  /** When the master password was last reset (ms): the server may refuse it for a little while after. */
  passwordResetAt?: number;
}

export interface StackState {
  version: 1;
  stack: string;
  region?: string;
  database?: DatabaseState;
  /** The answers of the last run (no secrets), so a re-run asks nothing already answered. */
  answers?: Record<string, unknown>;
  /** The header value the Connector sends and the function checks; kept here only. */
  webhookSecret?: string;
  /** Subscriptions added with `mbed-tsdb subscribe` to resources other than the stack's. */
  subscribed?: Array<{ endpoint: string; resource: string }>;
  /** Pre-subscription rules `mbed-tsdb subscribe` added (setup's are in outputs.connector.rules): only these are removed. */
  rules?: Array<{ endpoint: string; resource: string }>;
  /** Subscriptions answered 202, whose outcome arrives as an async response. */
  pending?: Array<{ endpoint: string; resource: string; asyncId: string }>;
  /** What each finished step returned, for the steps after it and for a resumed run. */
  outputs?: Record<string, unknown>;
  /** When a setup run last acted (ms on its clock): what it made may not be listed by AWS yet. */
  actedAt?: number;
  /** Until when (ms) copies of the function that did not keep the rollup may still be storing readings. */
  rollupWritersUntil?: number;
  [other: string]: unknown;
}

/** A state that records answers only (a setup that stopped before its first change): nothing exists because of it. */
export function recordsNothingMade(state: StackState): boolean {
  return Object.keys(state.outputs ?? {}).length === 0 && !state.database?.host && state.actedAt === undefined && !state.rules?.length && !state.pending?.length;
}

export function stateDir(env: Record<string, string | undefined>): string {
  return env.MBED_TSDB_STATE_DIR || join(env.HOME || homedir(), '.mbed-tsdb');
}

export function statePath(env: Record<string, string | undefined>, stack: string): string {
  return join(stateDir(env), `${stack}.json`);
}

/** Where a state file or folder that others could read is reported. */
export interface StateNotices {
  warn?: (message: string) => void;
}

/** The stack's saved state, or null when this machine has none. A file others could read is made owner-only again. */
export function readState(env: Record<string, string | undefined>, stack: string, notices: StateNotices = {}): StackState | null {
  const path = statePath(env, stack);
  secureFile(path, notices);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new UserFacingError(`cannot read the state of stack ${stack} (${path}): ${(error as Error).message}`, { code: "STATE", cause: error });
  }
  let state: StackState;
  try {
    state = JSON.parse(text) as StackState;
  } catch {
    throw new UserFacingError(`the state file ${path} is not valid JSON; fix or remove it`, { code: "STATE" });
  }
  if (state?.version !== 1 || state.stack !== stack) {
    throw new UserFacingError(`the state file ${path} is not a version-1 state of stack ${stack}`, { code: "STATE" });
  }
  return state;
}

/**
 * How to connect to the stack's database from this computer: TLS verified against the CA
 * setup was given (--db-ca), else the Amazon RDS CA.
 */
export function databaseConfig(db: DatabaseState, options: { caPem?: string | undefined; table?: string; connectTimeoutMs: number }): DbConfig {
  return {
    host: db.host,
    port: db.port,
    user: db.user,
    password: db.password,
    database: db.name,
    table: options.table ?? db.table,
    tls: options.caPem ? { kind: 'ca', pem: options.caPem } : { kind: 'rds' },
    connectTimeoutMs: options.connectTimeoutMs,
  };
}

const ownedByMe = (uid: number) => typeof process.getuid !== 'function' || uid === process.getuid();

function secureFile(path: string, notices: StateNotices): void {
  let mode: number;
  let uid: number;
  try {
    ({ mode, uid } = statSync(path));
  } catch {
    return;
  }
  if ((mode & 0o077) === 0 || !ownedByMe(uid)) return;
  chmodSync(path, 0o600);
  notices.warn?.(
    `${path} was readable by other users of this computer; it is owner-only now. It holds the database's master password: ` +
      'if others may have read it, set a new one (MBED_TSDB_DB_PASSWORD=… mbed-tsdb setup)',
  );
}

/**
 * The state folder, entered by the owner only. A folder of ours (state files only) that others
 * could enter is tightened; a shared folder someone chose is left as it is, with a word.
 */
const warnedFolders = new Set<string>();

function secureFolder(dir: string, notices: StateNotices): void {
  const { mode, uid } = statSync(dir);
  if ((mode & 0o077) === 0 || warnedFolders.has(dir)) return;
  const ours = ownedByMe(uid) && readdirSync(dir).every((name) => /\.json(\.\d+\.tmp)?$/.test(name));
  if (ours) chmodSync(dir, 0o700);
  else if (notices.warn) {
    warnedFolders.add(dir);
    notices.warn(`other users can list the state folder ${dir} (its state files are owner-only): a folder of its own (MBED_TSDB_STATE_DIR) is safer`);
  }
}

/**
 * Saves the state atomically (a crash leaves the old file or the new one, never half of
 * one), readable by the owner only, in a folder only the owner can enter.
 */
export function writeState(env: Record<string, string | undefined>, state: StackState, notices: StateNotices = {}): string {
  const dir = stateDir(env);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  secureFolder(dir, notices);
  const path = statePath(env, state.stack);
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600, flush: true });
    chmodSync(temporary, 0o600);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw new UserFacingError(`cannot save the state of stack ${state.stack} to ${path}: ${(error as Error).message}`, { code: "STATE", cause: error });
  }
  return path;
}
