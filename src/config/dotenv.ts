// `.env` in the working directory: the file the Mbed Cloud SDKs read, so a user's
// existing one works. Missing is fine; unreadable is a usage error.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { UsageError } from '../errors.js';

export function readDotEnv(cwd: string): Record<string, string> {
  const path = join(cwd, '.env');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new UsageError(`cannot read ${path}: ${(error as Error).message}`);
  }
  return parseEnv(text) as Record<string, string>;
}
