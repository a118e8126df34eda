// Secrets setup makes: generated here, kept only in the owner-only state file, never printed.

import { randomBytes, randomInt } from 'node:crypto';

const PASSWORD_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

/**
 * An RDS master password: 32 characters (RDS MySQL allows 8–41 printable ASCII without
 * / " @ or space), letters and digits only so it survives any shell or config file.
 */
export function generateDbPassword(): string {
  let password = '';
  for (let i = 0; i < 32; i++) password += PASSWORD_ALPHABET[randomInt(PASSWORD_ALPHABET.length)];
  return password;
}

/** The shared secret the Connector sends as a header with every delivery. */
export function generateWebhookSecret(): string {
  return randomBytes(32).toString('base64url');
}
