// AWS failures a person can act on, in words: no network, no credentials, no permission.

const NETWORK = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

export function explainAwsError(error: unknown): string | null {
  const e = error as { name?: string; code?: string; message?: string; $metadata?: unknown; hostname?: string } | null;
  if (!e || typeof e !== 'object') return null;
  const name = e.name ?? '';
  const message = e.message ?? '';
  if (NETWORK.has(e.code ?? '') || /getaddrinfo|ENOTFOUND|ECONNREFUSED|socket hang up/.test(message)) {
    const host = e.hostname ?? /(\S+\.amazonaws\.com)/.exec(message)?.[1] ?? 'AWS';
    return `cannot reach ${host} (${e.code ?? message}): check the network or proxy, or AWS_ENDPOINT_URL for an emulator`;
  }
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(message)) {
    return 'no AWS credentials found: run `aws configure` (or `aws sso login`), pass --profile, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY';
  }
  if (name === 'ExpiredToken' || name === 'ExpiredTokenException') return 'the AWS credentials have expired: sign in again (e.g. `aws sso login`)';
  if (['InvalidClientTokenId', 'UnrecognizedClientException', 'SignatureDoesNotMatch', 'InvalidSignatureException'].includes(name)) {
    return `AWS did not accept the credentials (${name}): check the access key, or the --profile`;
  }
  if (['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'UnauthorizedException'].includes(name)) {
    return `AWS refused: ${message} — the credentials need permission for IAM, EC2, RDS, Lambda, API Gateway and CloudWatch Logs`;
  }
  if (e.$metadata !== undefined && name) return `AWS answered ${name}: ${message}`;
  return null;
}
