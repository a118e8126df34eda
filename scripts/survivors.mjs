// The mutants the last `npm run mutate` left alive (and not judged equivalent), with their lines:
// what the tests do not yet tell apart. `node scripts/survivors.mjs [file-substring]`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mutantKey } from './mutate.mjs';

const root = join(import.meta.dirname, '..');
const report = JSON.parse(readFileSync(join(root, 'reports', 'mutation', 'mutation.json'), 'utf8'));
const equivalent = new Set(JSON.parse(readFileSync(join(root, 'stryker.equivalent.json'), 'utf8')).map((e) => e.mutant));
const only = process.argv[2];
process.stdout.on('error', () => process.exit(0));
for (const [file, { mutants, source }] of Object.entries(report.files)) {
  if (only && !file.includes(only)) continue;
  for (const m of mutants) {
    const key = mutantKey(file, m, source);
    if ((m.status !== 'Survived' && m.status !== 'NoCoverage') || equivalent.has(key)) continue;
    process.stdout.write(`${file}:${m.location.start.line} ${m.status}\n  ${JSON.stringify(key)}\n`);
  }
}
