import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: { root: string; version: string } | undefined;

/** The package's folder and version, found from here whether running from src/ or the bundle in dist/cli/. */
function findPackage(): { root: string; version: string } {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++, dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'mbed-tsdb' && pkg.version) return (cached = { root: dir, version: pkg.version });
    } catch {
      // not here; look one level up
    }
  }
  throw new Error('mbed-tsdb: cannot find its own package.json');
}

export function packageVersion(): string {
  return findPackage().version;
}

export function packageRoot(): string {
  return findPackage().root;
}
