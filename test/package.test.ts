// The published package: `npm pack`, installed into an empty project, runs and carries
// the built function.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');

describe('npm package', () => {
  let dir: string;
  let files: string[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mbed-tsdb-pack-'));
    // The build ran just before the tests (npm test); packing again would rebuild.
    const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: root });
    const [packed] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    files = packed!.files.map((f) => f.path);
    const project = join(dir, 'project');
    await run('mkdir', ['-p', project]);
    writeFileSync(join(project, 'package.json'), '{ "name": "empty", "version": "1.0.0", "private": true }\n');
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(dir, packed!.filename)], {
      cwd: project,
      timeout: 240_000,
    });
  }, 300_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('contains the CLI, the built function and .env.example, and no sources or tests', () => {
    expect(files).toEqual(expect.arrayContaining(['bin/mbed-tsdb.js', 'dist/src/cli.js', 'dist/lambda/function.zip', 'dist/lambda/manifest.json', 'dist/dashboard/app.js', 'dist/dashboard/index.html', '.env.example', 'README.md']));
    expect(files.filter((f) => /^(src|test|templates|scripts)\/|\.ts$|^\.ci\//.test(f))).toEqual([]);
  });

  it('runs `npx mbed-tsdb --help` from an empty project', async () => {
    const { stdout } = await run('npx', ['--no-install', 'mbed-tsdb', '--help'], { cwd: join(dir, 'project') });
    for (const command of ['setup', 'status', 'subscribe', 'teardown', 'chart', 'dashboard']) expect(stdout).toContain(command);
  });

  it('installs the same function zip that was built', () => {
    const installed = join(dir, 'project', 'node_modules', 'mbed-tsdb', 'dist', 'lambda');
    expect(readFileSync(join(installed, 'function.zip')).equals(readFileSync(join(root, 'dist', 'lambda', 'function.zip')))).toBe(true);
    expect(JSON.parse(readFileSync(join(installed, 'manifest.json'), 'utf8')).runtime).toBe('nodejs24.x');
  });
});
