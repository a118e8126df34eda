// `npm test`: build, run every test on this Node, then the function's tests again on the
// Node major of its Lambda runtime, against the bundle that ships in the zip.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LAMBDA_NODE_MAJOR, lambdaNode } from './lambda-node.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const vitest = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
const extra = process.argv.slice(2);

function step(title, command, args, env = {}) {
  process.stderr.write(`\n== ${title}\n`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (result.status !== 0) {
    process.stderr.write(`\n== FAILED: ${title}\n`);
    process.exit(result.status ?? 1);
  }
}

step('build', process.execPath, ['scripts/build.mjs']);
step(`all tests on Node ${process.versions.node}`, process.execPath, [vitest, 'run', ...extra]);

const node = lambdaNode();
if (!node) {
  const message = `Node ${LAMBDA_NODE_MAJOR} (the function's Lambda runtime) could not be obtained`;
  if (process.env.CI) {
    process.stderr.write(`\n== FAILED: ${message}\n`);
    process.exit(1);
  }
  process.stderr.write(`\n!! ${message}: the function's tests on it are SKIPPED\n`);
} else {
  const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
  step(`function tests on Node ${version} (Lambda nodejs${LAMBDA_NODE_MAJOR}.x), bundled function`, node,
    [vitest, 'run', 'test/lambda', ...extra], { MBED_TSDB_FUNCTION: 'bundle' });
}
