// `npm install` in a checkout (the README's first command): on npm 11, whose install-script
// approvals warn about every dependency with scripts not covered by package.json's
// allowScripts, a fresh install is quiet — and esbuild, the one such dependency, works.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');
const npmMajor = Number((await run('npm', ['--version'])).stdout.trim().split('.')[0]);

describe('npm install in a checkout', () => {
  it.skipIf(npmMajor < 11)('leaves no dependency’s install scripts unreviewed (npm install-scripts ls)', async () => {
    const { stdout } = await run('npm', ['install-scripts', 'ls'], { cwd: root });
    expect(stdout.trim()).toBe('No packages with unreviewed install scripts.');
  });

  it('has a working esbuild', async () => {
    const { version } = JSON.parse(readFileSync(join(root, 'node_modules', 'esbuild', 'package.json'), 'utf8')) as { version: string };
    const { stdout } = await run(join(root, 'node_modules', '.bin', 'esbuild'), ['--version']);
    expect(stdout.trim()).toBe(version);
  });
});
