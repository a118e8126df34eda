// `npm run mutate`: Stryker over the data path (stryker.config.mjs), then the score the bench
// prints — killed ÷ (killed + survived), where a timeout counts as killed and a mutant no test
// reaches as survived, and the survivors judged equivalent (stryker.equivalent.json, each with its
// reason) count as neither — saved with the commit it measured in reports/mutation/summary.json.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const stryker = join(dirname(require.resolve('@stryker-mutator/core/package.json')), 'bin', 'stryker.js');
const reportFile = join(root, 'reports', 'mutation', 'mutation.json');
const summaryFile = join(root, 'reports', 'mutation', 'summary.json');

/**
 * The key a survivor is known by across runs: the file, the text of its line (not the line's
 * number, which an edit above it shifts), the column and what it does.
 */
export const mutantKey = (file, mutant, source) => {
  const line = source.split('\n')[mutant.location.start.line - 1]?.trim() ?? '';
  return `${file} «${line}» @${mutant.location.start.column} ${mutant.mutatorName} → ${JSON.stringify(mutant.replacement ?? '')}`;
};

export function summarize(report, equivalent) {
  const known = new Map(equivalent.map((e) => [e.mutant, e.reason]));
  const counts = { killed: 0, timeout: 0, survived: 0, noCoverage: 0, equivalent: 0, errors: 0 };
  const survivors = [];
  for (const [file, { mutants, source }] of Object.entries(report.files)) {
    for (const mutant of mutants) {
      const key = mutantKey(file, mutant, source);
      if (mutant.status === 'Killed') counts.killed++;
      else if (mutant.status === 'Timeout') counts.timeout++;
      else if (mutant.status === 'Survived' || mutant.status === 'NoCoverage') {
        if (known.has(key)) counts.equivalent++;
        else {
          counts[mutant.status === 'Survived' ? 'survived' : 'noCoverage']++;
          survivors.push(key);
        }
      } else if (mutant.status === 'CompileError' || mutant.status === 'RuntimeError') counts.errors++;
    }
  }
  const killed = counts.killed + counts.timeout;
  const survived = counts.survived + counts.noCoverage;
  return { score: killed / (killed + survived), counts, survivors };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const runs = process.env.MBED_TSDB_PROPERTY_RUNS ?? '40';
  const result = spawnSync(process.execPath, [stryker, 'run', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit', env: { ...process.env, MBED_TSDB_PROPERTY_RUNS: runs } });
  if (result.status !== 0) process.exit(result.status ?? 1);
  if (!existsSync(reportFile)) throw new Error(`no report at ${reportFile}`);
  const equivalent = JSON.parse(readFileSync(join(root, 'stryker.equivalent.json'), 'utf8'));
  const summary = summarize(JSON.parse(readFileSync(reportFile, 'utf8')), equivalent);
  const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
  const dirty = execFileSync('git', ['status', '--porcelain', '--', 'templates', 'src/db', 'test'], { cwd: root, encoding: 'utf8' }).trim() !== '';
  mkdirSync(dirname(summaryFile), { recursive: true });
  writeFileSync(summaryFile, `${JSON.stringify({ commit, dirty, measuredAt: new Date().toISOString(), propertyRuns: Number(runs), ...summary }, null, 2)}\n`);
  process.stderr.write(`mutation score of the data path: ${(summary.score * 100).toFixed(1)} % (${JSON.stringify(summary.counts)}); ${summary.survivors.length} survivor(s) in ${summaryFile}\n`);
}
