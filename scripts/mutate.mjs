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

/** What a mutant is, whichever run reported it: its file, place, mutator and replacement. */
const placeKey = (file, m) => `${file}:${m.location.start.line}:${m.location.start.column}-${m.location.end.line}:${m.location.end.column} ${m.mutatorName} ${m.replacement ?? ''}`;

/**
 * Static mutants (in code that runs when its module loads) that also have per-test coverage are
 * run by Stryker 9/10 with their covering tests only and activated at run time, after the module
 * has loaded: they survive whatever the tests do (stryker-js #6144, #6209). Each such survivor is
 * run again, activated before load, against the test files that reach its source file.
 */
export function staticRecheckPlan(report) {
  const fileOfTest = new Map();
  for (const [testFile, { tests }] of Object.entries(report.testFiles ?? {})) for (const test of tests) fileOfTest.set(test.id, testFile);
  const plan = [];
  for (const [file, { mutants }] of Object.entries(report.files)) {
    const suspects = mutants.filter((m) => m.static && m.status === 'Survived' && m.coveredBy?.length);
    if (suspects.length === 0) continue;
    const tests = new Set(mutants.flatMap((m) => (m.coveredBy ?? []).map((id) => fileOfTest.get(id)).filter(Boolean)));
    const lines = [...new Set(suspects.map((m) => `${m.location.start.line}-${m.location.end.line}`))];
    plan.push({ file, ranges: lines.map((range) => `${file}:${range}`), tests: [...tests].sort(), keys: new Set(suspects.map((m) => placeKey(file, m))) });
  }
  return plan;
}

/** The statuses the recheck found replace the first run's for the same mutants. */
export function mergeRecheck(report, recheck) {
  const found = new Map();
  for (const [file, { mutants }] of Object.entries(recheck.files)) for (const m of mutants) found.set(placeKey(file, m), m);
  let changed = 0;
  for (const [file, { mutants }] of Object.entries(report.files)) {
    for (const m of mutants) {
      const again = found.get(placeKey(file, m));
      if (!again || !(m.static && m.status === 'Survived')) continue;
      if (again.status === 'Killed' || again.status === 'Timeout') {
        m.status = again.status;
        m.statusReason = `${again.statusReason ?? ''} (static: run again, activated before its module loaded)`.trim();
        changed++;
      }
    }
  }
  return changed;
}

/** Test files that take long with every mutant run again (the generated bodies): tried only on what the rest leave alive. */
const SLOW_TESTS = /properties\.db\.test\.ts$/;

function runRecheck({ file, ranges, tests }, runs, out) {
  const config = out.replace(/\.json$/, '.config.mjs');
  const options = { mutate: ranges, coverageAnalysis: 'off', ignoreStatic: false, incremental: false, reporters: ['json'], jsonReporter: { fileName: out } };
  writeFileSync(config, `import base from ${JSON.stringify(join(root, 'stryker.config.mjs'))};\nexport default { ...base, ...${JSON.stringify(options)} };\n`);
  const result = spawnSync(process.execPath, [stryker, 'run', config], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, MBED_TSDB_PROPERTY_RUNS: runs, MBED_TSDB_MUTATE_TESTS: tests.join(',') },
  });
  if (result.status !== 0) throw new Error(`the static recheck of ${file} failed (exit ${result.status})`);
  return JSON.parse(readFileSync(out, 'utf8'));
}

export function recheckStatic(report, runs) {
  const dir = join(root, 'node_modules', '.cache', 'mbed-tsdb', 'mutate-static');
  mkdirSync(dir, { recursive: true });
  let changed = 0;
  for (const [stage, pick] of [
    ['quick', (tests) => tests.filter((t) => !SLOW_TESTS.test(t))],
    ['slow', (tests) => (tests.some((t) => SLOW_TESTS.test(t)) ? tests : [])],
  ]) {
    for (const [index, item] of staticRecheckPlan(report).entries()) {
      const tests = pick(item.tests);
      if (tests.length === 0) continue;
      process.stderr.write(`static mutants of ${item.file} (${stage}): ${item.keys.size}, run again against ${tests.length} test file(s)\n`);
      changed += mergeRecheck(report, runRecheck({ ...item, tests }, runs, join(dir, `${stage}-${index}.json`)));
    }
  }
  return changed;
}

/** The saved summary again, from the saved report, with the equivalent mutants as judged now. */
function resummarize() {
  const previous = JSON.parse(readFileSync(summaryFile, 'utf8'));
  const equivalent = JSON.parse(readFileSync(join(root, 'stryker.equivalent.json'), 'utf8'));
  const summary = summarize(JSON.parse(readFileSync(reportFile, 'utf8')), equivalent);
  const { commit, dirty, measuredAt, propertyRuns, staticKilledOnRecheck } = previous;
  writeFileSync(summaryFile, `${JSON.stringify({ commit, dirty, measuredAt, propertyRuns, staticKilledOnRecheck, judgedAt: new Date().toISOString(), ...summary }, null, 2)}\n`);
  return summary;
}

const report = (summary) =>
  process.stderr.write(`mutation score of the data path: ${(summary.score * 100).toFixed(1)} % (${JSON.stringify(summary.counts)}); ${summary.survivors.length} survivor(s) in ${summaryFile}\n`);

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === '--summary') {
  // `npm run mutate -- --summary`: after judging survivors (stryker.equivalent.json), without running Stryker again.
  report(resummarize());
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const runs = process.env.MBED_TSDB_PROPERTY_RUNS ?? '40';
  const result = spawnSync(process.execPath, [stryker, 'run', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit', env: { ...process.env, MBED_TSDB_PROPERTY_RUNS: runs } });
  if (result.status !== 0) process.exit(result.status ?? 1);
  if (!existsSync(reportFile)) throw new Error(`no report at ${reportFile}`);
  const saved = JSON.parse(readFileSync(reportFile, 'utf8'));
  const rechecked = recheckStatic(saved, runs);
  writeFileSync(reportFile, JSON.stringify(saved));
  const equivalent = JSON.parse(readFileSync(join(root, 'stryker.equivalent.json'), 'utf8'));
  const summary = summarize(saved, equivalent);
  const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
  const dirty = execFileSync('git', ['status', '--porcelain', '--', 'templates', 'src/db', 'test'], { cwd: root, encoding: 'utf8' }).trim() !== '';
  mkdirSync(dirname(summaryFile), { recursive: true });
  writeFileSync(summaryFile, `${JSON.stringify({ commit, dirty, measuredAt: new Date().toISOString(), propertyRuns: Number(runs), staticKilledOnRecheck: rechecked, ...summary }, null, 2)}\n`);
  report(summary);
}
