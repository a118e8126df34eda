// `npm run bench -- package`: what `npx mbed-tsdb` costs a first-time user. The packed
// tarball (one bundle, no dependencies) installed into an empty folder with a warm npm cache,
// side by side with the layout it replaced: the same sources compiled by tsc to dist/src, with
// the packages the bundle carries as dependencies (dist/cli-bundled-packages.json, "direct").
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startAwsEndpointStub } from '../test/support/aws-endpoint-stub.js';
import { emit, median } from './bench-util.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function sh(command: string, args: string[], cwd: string): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, NO_UPDATE_NOTIFIER: '1' } });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${result.stderr}`);
  return result.stdout;
}

function pack(dir: string, into: string): string {
  const [packed] = JSON.parse(sh('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', into], dir)) as Array<{ filename: string }>;
  return join(into, packed!.filename);
}

/** The package as it was before the bundle: tsc's output and its dependencies. */
function unbundledPackage(work: string): string {
  const dir = join(work, 'unbundled');
  mkdirSync(dir, { recursive: true });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  sh(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--noEmit', 'false', '--outDir', join(dir, 'dist')], root);
  for (const part of ['dist/lambda', 'dist/dashboard', '.env.example', 'README.md', 'LICENSE']) {
    try {
      cpSync(join(root, part), join(dir, part), { recursive: true });
    } catch {
      // not every checkout has every file; the figures do not depend on them
    }
  }
  mkdirSync(join(dir, 'bin'));
  writeFileSync(join(dir, 'bin', 'mbed-tsdb.js'), readFileSync(join(root, 'bin', 'mbed-tsdb.js'), 'utf8').replaceAll('dist/cli/cli.js', 'dist/src/cli.js'), { mode: 0o755 });
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
  const { direct } = JSON.parse(readFileSync(join(root, 'dist', 'cli-bundled-packages.json'), 'utf8')) as { direct: Record<string, string> };
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ ...manifest, files: ['bin/', 'dist/', '.env.example'], scripts: {}, dependencies: direct, devDependencies: {} }, null, 2));
  // Its own folder: both tarballs are named mbed-tsdb-<version>.tgz.
  mkdirSync(join(work, 'unbundled-tgz'));
  return pack(dir, join(work, 'unbundled-tgz'));
}

function bytesUnder(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(path).reduce((sum, name) => sum + bytesUnder(join(path, name)), 0);
}

let projects = 0;

/** `npm install <tgz>` into a new empty folder: the folder and how long it took. */
function install(tgz: string, work: string): { project: string; ms: number } {
  const project = join(work, `project-${projects++}`);
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), '{ "name": "empty", "version": "1.0.0", "private": true }\n');
  const start = performance.now();
  sh('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tgz], project);
  return { project, ms: performance.now() - start };
}

/** From starting `mbed-tsdb status` to its first request reaching AWS (a local stub endpoint). */
async function statusStartMs(project: string, home: string): Promise<number> {
  const stub = await startAwsEndpointStub(() => 'nothing');
  const bin = join(project, 'node_modules', '.bin', 'mbed-tsdb');
  const start = performance.now();
  const child = spawn(bin, ['status'], {
    stdio: 'ignore',
    env: {
      PATH: process.env.PATH,
      HOME: home,
      AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'bench',
      AWS_REGION: 'eu-west-1',
      AWS_ENDPOINT_URL: stub.url,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: join(home, 'none'),
      AWS_SHARED_CREDENTIALS_FILE: join(home, 'none'),
    },
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    const first = await Promise.race([stub.firstCall, exited.then(() => Promise.reject(new Error('status exited before calling AWS')))]);
    return first.at - start;
  } finally {
    child.kill();
    await exited;
    await stub.close();
  }
}

export async function packageBench(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'mbed-tsdb-bench-package-'));
  try {
    const bundled = pack(root, work);
    const unbundled = unbundledPackage(work);
    emit('package_bytes', statSync(bundled).size, 'bytes', statSync(unbundled).size);

    // One install of each first fills npm's cache: the figures are for a warm cache.
    const installed = { bundled: install(bundled, work).project, unbundled: install(unbundled, work).project };
    const times = { bundled: [] as number[], unbundled: [] as number[] };
    for (let i = 0; i < 3; i++) {
      for (const kind of i % 2 ? (['bundled', 'unbundled'] as const) : (['unbundled', 'bundled'] as const)) {
        const { project, ms } = install(kind === 'bundled' ? bundled : unbundled, work);
        times[kind].push(ms);
        rmSync(project, { recursive: true, force: true });
      }
    }
    emit('npx_install_ms', median(times.bundled), 'ms', median(times.unbundled));
    emit('installed_bytes', bytesUnder(join(installed.bundled, 'node_modules')), 'bytes', bytesUnder(join(installed.unbundled, 'node_modules')));

    const home = join(work, 'home');
    mkdirSync(home);
    const start = { bundled: [] as number[], unbundled: [] as number[] };
    await statusStartMs(installed.bundled, home);
    await statusStartMs(installed.unbundled, home);
    for (let i = 0; i < 11; i++) {
      start.bundled.push(await statusStartMs(installed.bundled, home));
      start.unbundled.push(await statusStartMs(installed.unbundled, home));
    }
    emit('cli_status_start_ms', median(start.bundled), 'ms', median(start.unbundled));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
