// The bundled CLI (dist/cli, made by scripts/build.mjs) keeps the heavy parts out of the way:
// what `--help` loads is the entry file and the chunks it imports statically; the commands, the
// AWS SDK clients, mysql2, undici and the prompts come only through dynamic import().
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

interface Metafile {
  inputs: Record<string, unknown>;
  outputs: Record<string, { entryPoint?: string; bytes: number; exports?: string[]; inputs: Record<string, unknown>; imports: Array<{ path: string; kind: string; external?: boolean }> }>;
}

const metafile = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'dist', 'cli-metafile.json'), 'utf8')) as Metafile;

/** The output files loaded before any code runs: the entry and its static imports, transitively. */
function staticClosure(): string[] {
  const entry = Object.entries(metafile.outputs).find(([, o]) => o.entryPoint === 'src/cli.ts')![0];
  const seen = new Set([entry]);
  for (const file of seen) {
    for (const i of metafile.outputs[file]!.imports) if (i.kind === 'import-statement' && !i.external) seen.add(i.path);
  }
  return [...seen];
}

const packageOf = (input: string) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1];

describe('the bundled CLI', () => {
  it('loads only commander and picocolors of its packages before a command is chosen', () => {
    const packages = new Set(staticClosure().flatMap((file) => Object.keys(metafile.outputs[file]!.inputs).map(packageOf).filter(Boolean)));
    expect([...packages].sort()).toEqual(['commander', 'picocolors']);
  });

  it('keeps what --help reads small', () => {
    const bytes = staticClosure().reduce((sum, file) => sum + metafile.outputs[file]!.bytes, 0);
    expect(bytes).toBeLessThan(150_000);
  });

  it('carries the heavy parts in chunks loaded on demand', () => {
    const loaded = new Set(staticClosure());
    const lazy = Object.entries(metafile.outputs).filter(([file]) => !loaded.has(file)).flatMap(([, o]) => Object.keys(o.inputs).map(packageOf));
    for (const name of ['@aws-sdk/client-ec2', '@aws-sdk/client-rds', 'mysql2', 'undici', '@inquirer/prompts']) expect(lazy).toContain(name);
  });

  it('loads CommonJS packages through loaders that take their bundled shape (only `default`)', () => {
    // esbuild gives a dynamically imported CommonJS package a chunk that exports only `default`,
    // where Node's import() gives its names: a new such import needs a loader like src/net/undici.ts.
    const dynamic = Object.values(metafile.outputs).flatMap((o) => o.imports.filter((i) => i.kind === 'dynamic-import' && !i.external).map((i) => i.path));
    const defaultOnly = [...new Set(dynamic)].filter((file) => metafile.outputs[file]?.exports?.join() === 'default');
    expect(defaultOnly.map((file) => [...new Set(Object.keys(metafile.outputs[file]!.inputs).map(packageOf))].join())).toEqual(['undici']);
  });
});
