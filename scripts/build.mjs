// Builds the CLI (type-checked by tsc, bundled by esbuild into dist/cli: an entry file and
// chunks loaded on demand, so the published package needs no dependencies) and the webhook
// function (esbuild → one file → a deterministic zip in dist/lambda).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LAMBDA_NODE_MAJOR } from './lambda-node.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const only = process.argv.includes('--lambda-only') ? 'lambda' : 'all';
const outDirFlag = process.argv.indexOf('--out-dir');
const lambdaOutDir = outDirFlag > 0 ? resolve(process.argv[outDirFlag + 1]) : join(root, 'dist', 'lambda');

export const LAMBDA_RUNTIME = `nodejs${LAMBDA_NODE_MAJOR}.x`;
export const LAMBDA_HANDLER = 'index.handler';


async function buildLambda() {
  const esbuild = await import('esbuild');
  const outDir = lambdaOutDir;
  mkdirSync(outDir, { recursive: true });
  const result = await esbuild.build({
    entryPoints: [join(root, 'templates', 'lambda', 'index.ts')],
    bundle: true,
    platform: 'node',
    target: `node${LAMBDA_NODE_MAJOR}`,
    format: 'cjs',
    minify: !process.argv.includes('--no-minify'),
    legalComments: 'none',
    write: false,
    metafile: true,
    alias: { 'iconv-lite': join(root, 'scripts', 'shims', 'iconv-lite.cjs') },
    plugins: [compactMysqlErrorNames],
    logLevel: 'warning',
  });
  const js = result.outputFiles[0].contents;
  const notices = thirdPartyNotices(result.metafile, 'the mbed-tsdb webhook function');
  const deterministicZip = await loadDeterministicZip();
  const zip = await deterministicZip([
    ['index.js', Buffer.from(js)],
    ['THIRD-PARTY-NOTICES.txt', Buffer.from(notices)],
  ]);
  writeFileSync(join(outDir, 'index.js'), js);
  // The repository is ESM; this marks the unzipped copy as CommonJS, as Lambda runs it.
  writeFileSync(join(outDir, 'package.json'), '{ "type": "commonjs" }\n');
  writeFileSync(join(outDir, 'function.zip'), zip);
  // Setup makes a stack's zip from these two files (plus its database CA, when it has one).
  writeFileSync(join(outDir, 'THIRD-PARTY-NOTICES.txt'), notices);
  const manifest = {
    runtime: LAMBDA_RUNTIME,
    handler: LAMBDA_HANDLER,
    zip: 'function.zip',
    zipBytes: zip.length,
    jsBytes: js.length,
    // Lambda reports CodeSha256 as base64 of the SHA-256: the same form, so setup compares directly.
    sha256: createHash('sha256').update(zip).digest('base64'),
  };
  writeFileSync(join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  console.error(`lambda: ${manifest.jsBytes} bytes of JS, ${manifest.zipBytes} bytes zipped, sha256 ${manifest.sha256}`);
}

/**
 * mysql2's error table spells every name twice (name → number and number → name): 148 KB
 * minified, and 8 ms of a cold start to assign. It is only read when an error happens, so the
 * bundle carries one compact list and builds the same object on first use.
 */
const compactMysqlErrorNames = {
  name: 'compact-mysql-error-names',
  setup(build) {
    build.onLoad({ filter: /mysql2[\\/]lib[\\/]constants[\\/]errors\.js$/ }, (args) => {
      const table = require(args.path);
      const byCode = Object.entries(table).filter(([key]) => /^\d+$/.test(key));
      const aliases = Object.entries(table).filter(([key, code]) => /^[A-Z]/.test(key) && table[code] !== key);
      const contents = `// Generated from mysql2/lib/constants/errors.js by mbed-tsdb's build.
'use strict';
const table = {};
let built = false;
function build() {
  if (built) return table;
  built = true;
  for (const pair of ${JSON.stringify(byCode.map(([code, name]) => `${name}:${code}`).join(','))}.split(',')) {
    const [name, code] = pair.split(':');
    table[name] = Number(code);
    table[code] = name;
  }
  return Object.assign(table, ${JSON.stringify(Object.fromEntries(aliases))});
}
module.exports = new Proxy(table, {
  get: (_, key) => build()[key],
  has: (_, key) => key in build(),
  ownKeys: () => Reflect.ownKeys(build()),
  getOwnPropertyDescriptor: (_, key) => Reflect.getOwnPropertyDescriptor(build(), key),
});
`;
      const rebuilt = new Function('module', `${contents}; return module.exports;`)({});
      for (const key of new Set([...Object.keys(table), ...Object.keys(rebuilt)])) {
        if (table[key] !== rebuilt[key]) throw new Error(`compact mysql2 error table differs at ${key}`);
      }
      return { contents, loader: 'js' };
    });
  },
};

/** The dashboard page: its script bundled into one file, served from the package (no CDN). */
async function buildDashboard() {
  const esbuild = await import('esbuild');
  const client = join(root, 'src', 'dashboard', 'client');
  const outDir = join(root, 'dist', 'dashboard');
  mkdirSync(outDir, { recursive: true });
  await esbuild.build({
    entryPoints: [join(client, 'app.ts')],
    bundle: true,
    format: 'iife',
    target: 'es2022',
    minify: true,
    outfile: join(outDir, 'app.js'),
    logLevel: 'warning',
  });
  copyFileSync(join(client, 'index.html'), join(outDir, 'index.html'));
  copyFileSync(join(client, 'app.css'), join(outDir, 'app.css'));
}

/** The npm packages whose code esbuild put into a bundle: name@version → folder. */
function bundledPackages(metafile) {
  const packages = new Map();
  for (const input of Object.keys(metafile.inputs)) {
    const match = input.match(/^(.*node_modules\/((?:@[^/]+\/)?[^/]+))\//);
    if (!match) continue;
    const dir = join(root, match[1]);
    const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    packages.set(`${match[2]}@${version}`, dir);
  }
  return packages;
}

const LICENCE_FILES = /^(licen[cs]e|copying)([.-].*)?$/i;

/** Licence texts of every npm package bundled into `what`; a package without one stops the build. */
function thirdPartyNotices(metafile, what) {
  const packages = bundledPackages(metafile);
  const sections = [];
  for (const id of [...packages.keys()].sort()) {
    const dir = packages.get(id);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const licence = typeof pkg.license === 'string' ? pkg.license : pkg.license?.type;
    if (!licence) throw new Error(`${id} (bundled into ${what}) declares no licence`);
    const files = readdirSync(dir).filter((f) => LICENCE_FILES.test(f)).sort();
    const text = files.length ? files.map((f) => readFileSync(join(dir, f), 'utf8').trim()).join('\n\n') : `License: ${licence}`;
    sections.push(`${id} (${licence})\n\n${text}`);
  }
  const header = `Third-party software bundled into ${what}, with its licences.\n${packages.size} packages.`;
  return `${[header, ...sections].join(`\n\n${'-'.repeat(72)}\n\n`)}\n`;
}

/**
 * The CLI as one entry file and chunks (ESM, code splitting): each command's module and the
 * SDK clients, mysql2 and undici it uses stay in their own chunks, loaded by the dynamic
 * imports the sources already make, so `--help` reads only commander and the wiring.
 */
async function buildCli() {
  const esbuild = await import('esbuild');
  const outDir = join(root, 'dist', 'cli');
  const result = await esbuild.build({
    entryPoints: [join(root, 'src', 'cli.ts')],
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20.12',
    // The ES module builds (the SDK's dist-es): named exports work through import(), and
    // esbuild can leave out what is never used.
    mainFields: ['module', 'main'],
    outdir: outDir,
    chunkNames: 'chunks/[name]-[hash]',
    minify: true,
    // Names of classes and functions stay as written: errors keep telling what they are.
    keepNames: true,
    legalComments: 'none',
    metafile: true,
    // The bundled CommonJS packages (mysql2, the SDK's helpers) call require() for Node's modules.
    banner: { js: "import { createRequire as __mbedTsdbRequire } from 'node:module'; const require = __mbedTsdbRequire(import.meta.url);" },
    plugins: [compactMysqlErrorNames],
    logLevel: 'warning',
  });
  writeFileSync(join(outDir, 'THIRD-PARTY-NOTICES.txt'), thirdPartyNotices(result.metafile, 'the mbed-tsdb command-line tool (dist/cli)'));
  // What went in (not published): the tests check the notices against it, and the bench's
  // unbundled baseline installs the direct ones as dependencies.
  const byName = (ids) => Object.fromEntries([...ids].sort().map((id) => [id.slice(0, id.lastIndexOf('@')), id.slice(id.lastIndexOf('@') + 1)]));
  const all = bundledPackages(result.metafile);
  const ownInputs = Object.entries(result.metafile.inputs).filter(([path]) => !path.includes('node_modules/'));
  const direct = new Set(ownInputs.flatMap(([, input]) => input.imports.map((i) => i.path)).filter((p) => p.includes('node_modules/')));
  const directIds = [...all].filter(([, dir]) => [...direct].some((p) => join(root, p).startsWith(`${dir}/`))).map(([id]) => id);
  writeFileSync(join(root, 'dist', 'cli-bundled-packages.json'), `${JSON.stringify({ direct: byName(directIds), all: byName(all.keys()) }, null, 2)}\n`);
  // Which chunk holds what, for the test that keeps the heavy parts out of `--help`'s way.
  writeFileSync(join(root, 'dist', 'cli-metafile.json'), JSON.stringify(result.metafile));
  const bytes = Object.values(result.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0);
  console.error(`cli: ${Object.keys(result.metafile.outputs).length} files, ${bytes} bytes, ${all.size} packages bundled`);
}

/** The zip code setup uses too (src/stack/zip.ts), compiled for this script: one implementation. */
async function loadDeterministicZip() {
  const esbuild = await import('esbuild');
  const out = join(root, 'node_modules', '.cache', 'mbed-tsdb-build', 'zip.mjs');
  mkdirSync(dirname(out), { recursive: true });
  await esbuild.build({ entryPoints: [join(root, 'src', 'stack', 'zip.ts')], bundle: true, packages: 'external', platform: 'node', format: 'esm', outfile: out, logLevel: 'warning' });
  return (await import(`${pathToFileURL(out).href}?${Date.now()}`)).deterministicZip;
}

if (only === 'all') {
  rmSync(join(root, 'dist'), { recursive: true, force: true });
  // esbuild does not check types: tsc does, over the sources the bundles are made from.
  const tsc = require.resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
  execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.client.json')], { stdio: 'inherit' });
  await buildCli();
  await buildDashboard();
}
await buildLambda();
