// The Node.js of the function's Lambda runtime (nodejs24.x → Node 24), taken from the npm
// registry (node-<os>-<arch> packages) into node_modules/.cache, so the function is tested
// on the major it runs on as well as on the machine's own Node.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const LAMBDA_NODE_MAJOR = 24;
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Path to a Node binary of the Lambda major, installing it on first use; null when not to be had. */
export function lambdaNode({ install = true } = {}) {
  if (process.env.MBED_TSDB_LAMBDA_NODE) return process.env.MBED_TSDB_LAMBDA_NODE;
  if (Number(process.versions.node.split('.')[0]) === LAMBDA_NODE_MAJOR) return process.execPath;
  const os = { linux: 'linux', darwin: 'darwin', win32: 'win' }[process.platform];
  if (!os) return null;
  const pkg = `node-${os}-${process.arch}`;
  const prefix = join(root, 'node_modules', '.cache', 'mbed-tsdb', `node${LAMBDA_NODE_MAJOR}`);
  const binary = join(prefix, 'node_modules', pkg, 'bin', process.platform === 'win32' ? 'node.exe' : 'node');
  if (!existsSync(binary) && install) {
    process.stderr.write(`fetching Node ${LAMBDA_NODE_MAJOR} (${pkg}) from the npm registry for the function's tests…\n`);
    try {
      execFileSync('npm', ['install', '--prefix', prefix, '--no-save', '--no-package-lock', '--no-audit', '--no-fund',
        `${pkg}@${LAMBDA_NODE_MAJOR}`], { stdio: ['ignore', 'ignore', 'inherit'], shell: process.platform === 'win32' });
    } catch {
      return null;
    }
  }
  return existsSync(binary) ? binary : null;
}
