// Exit codes and the errors that carry them. Every error that reaches the user has a stable
// code (what scripts and tests match on, printed by --json) and, where there is one, the
// underlying cause. Anything else that escapes a command is a bug: reported in one line
// (code INTERNAL, exit 1) unless --verbose asks for the stack.

export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  interrupted: 130,
} as const;

/** Every code an error may carry, and what it means. Codes are stable: never rename one. */
export const ERROR_CODES = {
  USAGE: 'a flag, environment variable or .env value is invalid or missing',
  INTERRUPTED: 'stopped by Ctrl+C',
  DECLINED: 'the user said no at a confirmation',
  INTERNAL: 'a bug: an error nobody anticipated',
  STATE: 'the stack’s state file cannot be read or written',
  NOT_BUILT: 'this copy of mbed-tsdb is not built (npm install)',
  STEP_FAILED: 'one or more setup steps failed; what was made is recorded',
  CONFLICT: 'a resource with one of the stack’s names belongs to somebody else',
  WAIT_TIMEOUT: 'something AWS is doing took longer than the wait allows',
  RESOURCES_LEFT: 'teardown could not delete everything yet',
  NO_DEFAULT_VPC: 'the region has no default VPC and none was given',
  NETWORK: 'the VPC or subnets given cannot hold the stack',
  NO_INSTANCE_CLASS: 'the region offers none of the small database classes',
  FUNCTION_FAILED: 'Lambda could not prepare or run the webhook function',
  SELFTEST_FAILED: 'a reading sent through the webhook did not arrive',
  AWS_UNREACHABLE: 'AWS (or the endpoint given) cannot be reached',
  PROXY: 'the HTTP proxy named by HTTPS_PROXY/HTTP_PROXY refused or failed a connection',
  AWS_NO_CREDENTIALS: 'no AWS credentials were found',
  AWS_CREDENTIALS_EXPIRED: 'the AWS credentials have expired',
  AWS_CREDENTIALS_REJECTED: 'AWS did not accept the credentials',
  AWS_ACCESS_DENIED: 'the AWS credentials lack a permission',
  AWS_ERROR: 'AWS refused a request',
  CONNECTOR: 'the Connector (Izuma Device Management) answered with an error',
  CONNECTOR_UNREACHABLE: 'the Connector cannot be reached',
  CALLBACK_ELSEWHERE: 'the key’s callback belongs to another application; replacing it needs consent',
  UNKNOWN_DEVICE: 'the device is not in the service’s device directory',
  CONNECTOR_BUSY: 'the service answered “not now” (429/502/503/504) for longer than the retries',
  NO_API_KEY: 'no Connector API key was given',
  PUBLIC_IP: 'this computer’s public IP address could not be found',
  DB_UNREACHABLE: 'the database cannot be reached from here',
  DB_ACCESS_DENIED: 'the database refused the user',
  DB_TLS: 'the database’s TLS certificate was not accepted, or it offers no TLS',
  DB_MISSING: 'the database or table does not exist',
  DB_ERROR: 'the database refused a statement',
  NO_DATABASE: 'no database is known for the stack on this machine',
  NO_WEBHOOK: 'no webhook is known for the stack on this machine',
  NO_ALERTS: 'the stack has no alerts yet (mbed-tsdb alerts --email makes them)',
  NO_STACK: 'no stack is recorded on this machine for the command to change',
  VERIFY_FAILED: 'simulate --verify found readings missing or stored twice',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface ErrorOptions {
  code: ErrorCode;
  exitCode?: number;
  cause?: unknown;
}

/** An error meant for the user: what went wrong and what to do, a code, and the cause. */
export class UserFacingError extends Error {
  override name = 'UserFacingError';
  readonly code: ErrorCode;
  readonly exitCode: number;

  constructor(message: string, options: ErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
    this.exitCode = options.exitCode ?? EXIT.failure;
  }

  /** What --json prints for this failure. */
  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, exitCode: this.exitCode, ...(this.cause !== undefined ? { cause: describeCause(this.cause) } : {}) };
  }
}

/** Bad input from the user: flags, environment or .env. One line, exit 2. */
export class UsageError extends UserFacingError {
  override name = 'UsageError';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { code: 'USAGE', exitCode: EXIT.usage, cause: options.cause });
  }
}

/** The cause, as a short line for --json (never a stack). */
export function describeCause(cause: unknown): string {
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return `${cause.name}${typeof code === 'string' && code !== cause.name ? ` ${code}` : ''}: ${cause.message}`;
  }
  return String(cause);
}
