// Node.js binaries of other majors, taken from the npm registry (node-<os>-<arch> packages) into
// node_modules/.cache: the function is tested on the major of its Lambda runtime (nodejs24.x →
// Node 24), and the installed package on every major users run (Node 20, 22 and 24).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const LAMBDA_NODE_MAJOR = 24;
/** The majors the package is tested on: engines' floor (20) and the current LTS lines. */
export const SUPPORTED_NODE_MAJORS = [20, 22, 24];
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Path to a Node binary of that major, installing it on first use; null when not to be had.
 * MBED_TSDB_NODE_<major> names one already on this computer (MBED_TSDB_LAMBDA_NODE for 24).
 */
export function nodeOfMajor(major, { install = true } = {}) {
  const given = process.env[`MBED_TSDB_NODE_${major}`] || (major === LAMBDA_NODE_MAJOR ? process.env.MBED_TSDB_LAMBDA_NODE : undefined);
  if (given) return given;
  if (Number(process.versions.node.split('.')[0]) === major) return process.execPath;
  const os = { linux: 'linux', darwin: 'darwin', win32: 'win' }[process.platform];
  if (!os) return null;
  const pkg = `node-${os}-${process.arch}`;
  const prefix = join(root, 'node_modules', '.cache', 'mbed-tsdb', `node${major}`);
  const binary = join(prefix, 'node_modules', pkg, 'bin', process.platform === 'win32' ? 'node.exe' : 'node');
  if (!existsSync(binary) && install) {
    process.stderr.write(`fetching Node ${major} (${pkg}) from the npm registry…\n`);
    try {
      execFileSync('npm', ['install', '--prefix', prefix, '--no-save', '--no-package-lock', '--no-audit', '--no-fund',
        `${pkg}@${major}`], { stdio: ['ignore', 'ignore', 'inherit'], shell: process.platform === 'win32' });
    } catch {
      return null;
    }
  }
  return existsSync(binary) ? binary : null;
}

/** The Node of the function's Lambda runtime. */
export function lambdaNode(options) {
  return nodeOfMajor(LAMBDA_NODE_MAJOR, options);
}
