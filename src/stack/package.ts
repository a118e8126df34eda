// The webhook function as it ships in this package: dist/lambda, built by npm install.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserFacingError } from '../errors.js';
import { packageRoot } from '../version.js';

export interface FunctionPackage {
  zip: Buffer;
  /** base64 SHA-256, the form Lambda reports as CodeSha256. */
  sha256: string;
  runtime: string;
  handler: string;
}

let cached: FunctionPackage | undefined;

export function functionPackage(): FunctionPackage {
  if (cached) return cached;
  const dir = join(packageRoot(), 'dist', 'lambda');
  try {
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { sha256: string; runtime: string; handler: string; zip: string };
    return (cached = { zip: readFileSync(join(dir, manifest.zip)), sha256: manifest.sha256, runtime: manifest.runtime, handler: manifest.handler });
  } catch (error) {
    throw new UserFacingError(`the webhook function is not built (${(error as Error).message}): run npm install (or npm run build) in the mbed-tsdb folder`, { code: "NOT_BUILT", cause: error });
  }
}
