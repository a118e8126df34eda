// AWS failures a person can act on, in words and with a code: no network, no credentials,
// no permission. Anything else AWS answers keeps its own name (code AWS_ERROR).

import { UserFacingError } from '../errors.js';
import { actionsFor } from './permissions.js';

const NETWORK = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);
const ACCESS_DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'UnauthorizedException']);

/**
 * The IAM action AWS refused: from its message ("… is not authorized to perform: lambda:ListTags …"),
 * else from the command the client was sending (set by the clients' middleware).
 */
export function missingAction(error: unknown): string | undefined {
  const e = error as { message?: string; $command?: { client: string; command: string } };
  const stated = /perform:\s*([a-z0-9-]+:[A-Za-z0-9*]+)/.exec(e.message ?? '')?.[1];
  if (stated) return stated;
  const sent = e.$command;
  return sent ? actionsFor(sent.client, sent.command)?.join(' / ') : undefined;
}

/** Whether AWS refused the call for lack of a permission. */
export function isAccessDenied(error: unknown): boolean {
  return ACCESS_DENIED.has((error as { name?: string } | null)?.name ?? '');
}

/** The error as the user should see it, or null when it is not an AWS failure at all. */
export function explainAwsError(error: unknown): UserFacingError | null {
  const e = error as { name?: string; code?: string; message?: string; $metadata?: unknown; hostname?: string } | null;
  if (!e || typeof e !== 'object') return null;
  if (e instanceof UserFacingError) return e;
  const name = e.name ?? '';
  const message = e.message ?? '';
  if (NETWORK.has(e.code ?? '') || /getaddrinfo|ENOTFOUND|ECONNREFUSED|socket hang up/.test(message)) {
    const host = e.hostname ?? /(\S+\.amazonaws\.com(?:\.cn)?)/.exec(message)?.[1] ?? 'AWS';
    return new UserFacingError(`cannot reach ${host} (${e.code ?? message}): check the network or proxy, or AWS_ENDPOINT_URL for an emulator`, {
      code: 'AWS_UNREACHABLE',
      cause: error,
    });
  }
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(message)) {
    return new UserFacingError(
      'no AWS credentials found: run `aws configure` (or `aws sso login`), pass --profile, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
      { code: 'AWS_NO_CREDENTIALS', cause: error },
    );
  }
  if (name === 'ExpiredToken' || name === 'ExpiredTokenException') {
    return new UserFacingError('the AWS credentials have expired: sign in again (e.g. `aws sso login`)', { code: 'AWS_CREDENTIALS_EXPIRED', cause: error });
  }
  if (['InvalidClientTokenId', 'UnrecognizedClientException', 'SignatureDoesNotMatch', 'InvalidSignatureException'].includes(name)) {
    return new UserFacingError(`AWS did not accept the credentials (${name}): check the access key, or the --profile`, { code: 'AWS_CREDENTIALS_REJECTED', cause: error });
  }
  if (ACCESS_DENIED.has(name)) {
    const action = missingAction(error);
    return new UserFacingError(
      `AWS refused ${action ?? 'a call'}${action ? '' : ` (${message})`}: the credentials lack that permission. ` +
        '`mbed-tsdb policy` prints the policy mbed-tsdb needs; attach it to your user or role (README: AWS permissions)',
      { code: 'AWS_ACCESS_DENIED', cause: error },
    );
  }
  if (e.$metadata !== undefined && name) return new UserFacingError(`AWS answered ${name}: ${message}`, { code: 'AWS_ERROR', cause: error });
  return null;
}
