// The webhook function as it ships in this package (dist/lambda, built by npm install), and a
// stack's own zip of it: the same files plus the database CA when the stack has its own
// (a region the bundled RDS CAs do not cover, or --db-ca). Same inputs, same bytes.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CA_FILE } from '../../templates/lambda/config.js';
import { UserFacingError } from '../errors.js';
import { packageRoot } from '../version.js';
import { deterministicZip } from './zip.js';

export interface FunctionPackage {
  zip: Buffer;
  /** base64 SHA-256, the form Lambda reports as CodeSha256. */
  sha256: string;
  runtime: string;
  handler: string;
}

interface Built {
  manifest: { sha256: string; runtime: string; handler: string; zip: string };
  dir: string;
}

let built: Built | undefined;
const stackZips = new Map<string, Promise<FunctionPackage>>();

function readBuilt(): Built {
  if (built) return built;
  const dir = join(packageRoot(), 'dist', 'lambda');
  try {
    return (built = { manifest: JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Built['manifest'], dir });
  } catch (error) {
    throw new UserFacingError(`the webhook function is not built (${(error as Error).message}): run npm install (or npm run build) in the mbed-tsdb folder`, {
      code: 'NOT_BUILT',
      cause: error,
    });
  }
}

/** The function's zip for a stack: the built one, or the built files plus the stack's CA. */
export function functionPackage(caPem?: string): Promise<FunctionPackage> {
  const { manifest, dir } = readBuilt();
  const base = { runtime: manifest.runtime, handler: manifest.handler };
  if (!caPem) {
    return Promise.resolve({ ...base, zip: readFileSync(join(dir, manifest.zip)), sha256: manifest.sha256 });
  }
  const key = createHash('sha256').update(caPem).digest('hex');
  let made = stackZips.get(key);
  if (!made) {
    made = deterministicZip([
      ['index.js', readFileSync(join(dir, 'index.js'))],
      ['THIRD-PARTY-NOTICES.txt', readFileSync(join(dir, 'THIRD-PARTY-NOTICES.txt'))],
      [CA_FILE, Buffer.from(caPem)],
    ]).then((zip) => ({ ...base, zip, sha256: createHash('sha256').update(zip).digest('base64') }));
    stackZips.set(key, made);
  }
  return made;
}
