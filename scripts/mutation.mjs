// npm run mutation [-- --sample N --budget-s S --seed N --concurrency N --plan-only --report-only]
//
// Mutation testing of the tester: StrykerJS mutates src/raft/ and src/store/, and for a seeded
// sample of its mutants a no-bug `kvsim hunt` runs on the mutated build. Steps, each writing
// under reports/mutation/ (git-ignored):
//   1. build the unmutated dist/ (the re-runs of step 5 use it)
//   2. listing pass: Stryker with a command that does nothing lists every mutant  -> listing.json
//   3. draw the sample (scripts/mutation/sample.mjs)                              -> sample.json
//   4. Stryker on the sample's ranges: first listing them again to learn the ids Stryker gives
//      the sampled mutants (ids.json), then the real pass, whose command is
//      scripts/mutant-hunt.mjs                                     -> stryker.json, results/
//   5. every find's seed and shrunk scenario re-run on the unmutated build    -> confirm.json
//   6. for every survivor, whether the seeds its hunt ran evaluate the mutated code at all
//      (scripts/mutation/reach.mjs, in the sandbox Stryker leaves)            -> reach.json
//   7. reports/MUTATION.md, with the judgements of reports/mutation-equivalent.json merged in
// Not part of npm test: a full run takes about 15–30 minutes on 2 cores.
import { Command } from 'commander';
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, type } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { confirmFinds } from './mutation/confirm.mjs';
import { reachSurvivors } from './mutation/reach.mjs';
import { joinOutcomes, renderReport, summarize } from './mutation/report.mjs';
import { mutantKey, pickSample, reportMutants } from './mutation/sample.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const WORK = join(ROOT, 'reports/mutation');
const RESULTS = join(WORK, 'results');
const JUDGEMENTS = join(ROOT, 'reports/mutation-equivalent.json');
const REPORT = join(ROOT, 'reports/MUTATION.md');
const STRYKER_BIN = join(ROOT, 'node_modules/@stryker-mutator/core/bin/stryker.js');

/** What Stryker mutates: the protocol and the store, without the benchmark and the planted-bug catalogue. */
const MUTATE_FILES = ['src/raft/**/*.ts', 'src/store/**/*.ts', '!src/raft/bench.ts', '!src/raft/bugs.ts', '!src/store/bugs.ts'];
/**
 * Mutators left out. StringLiteral: in these files strings are assertion and error messages,
 * trace labels and names inside error text, so its mutants mostly change nothing the store does.
 */
const EXCLUDED_MUTATIONS = ['StringLiteral'];
/** Not copied into Stryker's sandbox: the build is redone there, and nothing else is read. */
const SANDBOX_IGNORE = ['dist', 'reports', 'docs', 'test', '.stryker-tmp'];
/** Load samples while Stryker runs, for the report's note on noise. */
const LOAD_SAMPLE_MS = 15_000;

const program = new Command('mutation')
  .description('mutation testing of the testbed with StrykerJS (writes reports/MUTATION.md)')
  .option('--sample <n>', 'mutants in the sample', '80')
  .option('--budget-s <s>', 'the no-bug hunt’s budget per mutant, seconds', '20')
  .option('--seed <n>', 'seed of the sample draw', '1')
  .option('--concurrency <n>', 'Stryker runners at once (each runs a 1-worker hunt)', '2')
  .option('--plan-only', 'list the mutants and draw the sample, then stop')
  .option('--reach-only', 'redo step 6 (survivors reached?) on the last run’s data and sandbox, then the report')
  .option('--report-only', 'rewrite reports/MUTATION.md from the last run’s data (after editing the judgements)')
  .parse();
const opts = program.opts();
const sampleSize = positiveInt(opts.sample, '--sample');
const budgetS = positiveInt(opts.budgetS, '--budget-s');
const sampleSeed = positiveInt(opts.seed, '--seed');
const concurrency = positiveInt(opts.concurrency, '--concurrency');

if (opts.reportOnly) {
  writeReport(readJson(join(WORK, 'meta.json')));
  process.exit(0);
}
if (opts.reachOnly) {
  await reachStep();
  writeReport(readJson(join(WORK, 'meta.json')));
  process.exit(0);
}

const startedMs = Date.now();
mkdirSync(WORK, { recursive: true });
// The real pass keeps its sandbox (to re-hunt one mutant by hand, see the README); start clean.
rmSync(join(ROOT, '.stryker-tmp'), { recursive: true, force: true });
step('build the unmutated dist/');
run('npx', ['tsc', '-p', 'tsconfig.json']);

step('listing pass: every mutant of src/raft and src/store');
await stryker('listing', strykerConfig({ name: 'listing', mutate: MUTATE_FILES, command: 'true' }));
const listing = readJson(join(WORK, 'listing.json'));
const sources = Object.fromEntries(Object.entries(listing.files).map(([file, e]) => [file, e.source]));
const sample = pickSample(reportMutants(listing), sources, { target: sampleSize, seed: sampleSeed });
writeJson(join(WORK, 'sample.json'), sample);
console.log(`mutation: ${sample.counts.made} mutants made, ${sample.counts.eligible} eligible; sampled ${sample.mutants.length} (seed ${sampleSeed}) at ${sample.ranges.length} ranges`);
if (opts.planOnly) {
  for (const m of sample.mutants) console.log(`  ${m.key}`);
  process.exit(0);
}

step('ids of the sampled mutants (listing the sample’s ranges)');
await stryker('listing-sample', strykerConfig({ name: 'listing-sample', mutate: sample.ranges, command: 'true' }));
const ids = sampledIds(readJson(join(WORK, 'listing-sample.json')), sample);
writeJson(join(WORK, 'ids.json'), ids);

step(`real pass: a ${budgetS} s no-bug hunt per sampled mutant, ${concurrency} at a time`);
rmSync(RESULTS, { recursive: true, force: true });
mkdirSync(RESULTS, { recursive: true });
const loads = [];
const loadTimer = setInterval(() => loads.push(loadavg()[0]), LOAD_SAMPLE_MS);
const realStartMs = Date.now();
// Stryker's timeout is timeoutFactor × (the initial run's time, one full budget) + timeoutMS:
// room for a find at the end of the budget, shrinking for as long again, and start-up.
const timeoutMs = budgetS * 1000 + 20_000;
await stryker(
  'stryker',
  strykerConfig({ name: 'stryker', mutate: sample.ranges, command: 'node scripts/mutant-hunt.mjs', build: true, timeoutMs }),
  { MUTATION_RESULTS_DIR: RESULTS, MUTATION_SAMPLE_IDS: join(WORK, 'ids.json'), MUTATION_BUDGET_S: String(budgetS) },
);
clearInterval(loadTimer);
const realWallMs = Date.now() - realStartMs;
console.log('mutation: (Stryker’s own table above counts the unsampled mutants of the sampled nodes as survivors: they were skipped)');
checkIds(readJson(join(WORK, 'stryker.json')), ids);

step('re-run every find on the unmutated build');
const results = readResults();
const finds = Object.values(results)
  .filter((r) => r.id !== null && r.json?.found === true && r.json.seed !== null)
  .map((r) => ({ id: r.id, seed: r.json.seed, shrunkFile: existsSync(join(RESULTS, `${r.id}.yaml`)) ? join(RESULTS, `${r.id}.yaml`) : null }));
writeJson(join(WORK, 'confirm.json'), confirmFinds(ROOT, finds));

step('did the hunts run the survivors’ mutated code?');
await reachStep();

const meta = {
  date: new Date(startedMs).toISOString().replace(/\.\d+Z$/, 'Z'),
  nproc: spawnSync('nproc', { encoding: 'utf8' }).stdout.trim(),
  cpuModel: cpus()[0]?.model ?? 'unknown CPU',
  node: process.version,
  os: `${type()} ${release()}`,
  strykerVersion: readJson(join(ROOT, 'node_modules/@stryker-mutator/core/package.json')).version,
  strykerNote: '10.x needs Node ≥ 22; 9.6.1 is the newest on Node 20',
  concurrency,
  budgetS,
  timeoutNote: `${Math.round(timeoutMs / 1000)} s past the initial run’s time`,
  load: loads.length > 0 ? `mean ${(loads.reduce((a, b) => a + b, 0) / loads.length).toFixed(1)}, max ${Math.max(...loads).toFixed(1)}` : 'not sampled',
  // Said plainly: a hunt's budget is wall-clock time, so anything else on the machine changes how many seeds it runs.
  loadNote: ' (the Stryker runners’ hunts and anything else on the machine; a hunt’s budget is wall-clock time, so load changes how many seeds it runs)',
  wallNote: `${minutes(Date.now() - startedMs)} in all, of which the hunts (Stryker’s real pass) ${minutes(realWallMs)}`,
  dryRunNote: dryRunNote(results['dry-run']),
};
writeJson(join(WORK, 'meta.json'), meta);
const figures = writeReport(meta);
console.log(
  `mutation: score ${figures.scorePercent?.toFixed(1) ?? '–'} % (${figures.seen}/${figures.total - figures.equivalent}), ${figures.unjudged} survivors not judged yet; ` +
    `time to find median ${figures.findMedianS ?? '–'} s; shrunk median ${figures.shrunkMedianPercent ?? '–'} %; ${minutes(Date.now() - startedMs)} -> ${REPORT}`,
);

/** One Stryker config; `mutate` is globs or exact ranges, `command` what runs per mutant. */
function strykerConfig({ name, mutate, command, build = false, timeoutMs = 60_000 }) {
  return {
    testRunner: 'command',
    commandRunner: { command },
    // Type errors in instrumented files are silenced by Stryker (// @ts-nocheck); the build
    // only has to emit JavaScript.
    ...(build && { buildCommand: 'npx tsc -p tsconfig.json' }),
    coverageAnalysis: 'off',
    mutate,
    mutator: { excludedMutations: EXCLUDED_MUTATIONS },
    ignorePatterns: SANDBOX_IGNORE,
    concurrency: build ? concurrency : 2,
    timeoutMS: timeoutMs,
    timeoutFactor: 1,
    reporters: build ? ['json', 'clear-text', 'progress-append-only'] : ['json'],
    jsonReporter: { fileName: `reports/mutation/${name}.json` },
    clearTextReporter: { allowColor: false, logTests: false },
    tempDirName: '.stryker-tmp',
    cleanTempDir: !build,
    allowConsoleColors: false,
  };
}

/** Runs Stryker with a config written to reports/mutation/NAME.config.json; its output goes to NAME.log. */
function stryker(name, config, env = {}) {
  const configFile = join(WORK, `${name}.config.json`);
  writeJson(configFile, config);
  const log = createWriteStream(join(WORK, `${name}.log`));
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [STRYKER_BIN, 'run', configFile], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const echo = config.buildCommand !== undefined;
    for (const stream of [child.stdout, child.stderr]) {
      stream.on('data', (chunk) => {
        log.write(chunk);
        if (echo) process.stdout.write(chunk);
      });
    }
    child.on('close', (code) => {
      log.end();
      if (code === 0) resolveRun();
      else reject(new Error(`stryker (${name}) exited ${code}; see ${join(WORK, `${name}.log`)}`));
    });
  });
}

/** {id: key} of the sampled mutants, from the listing of the sample's ranges. */
function sampledIds(report, sample) {
  const wanted = new Set(sample.mutants.map((m) => m.key));
  const ids = {};
  for (const m of reportMutants(report)) if (wanted.has(mutantKey(m))) ids[m.id] = mutantKey(m);
  const missing = [...wanted].filter((k) => !Object.values(ids).includes(k));
  if (missing.length > 0) throw new Error(`Stryker did not make ${missing.length} sampled mutant(s) from their ranges: ${missing.slice(0, 3).join('; ')}`);
  return ids;
}

/** The real pass must have numbered the mutants as the listing of the same ranges did. */
function checkIds(report, ids) {
  const byId = new Map(reportMutants(report).map((m) => [m.id, mutantKey(m)]));
  for (const [id, key] of Object.entries(ids)) {
    if (byId.get(id) !== key) throw new Error(`mutant id ${id} is ${byId.get(id)} in the real pass but ${key} in its listing: Stryker numbered them differently`);
  }
}

async function reachStep() {
  const stryk = new Map(reportMutants(readJson(join(WORK, 'stryker.json'))).map((m) => [m.id, m.status]));
  const results = readResults();
  const survivors = Object.keys(readJson(join(WORK, 'ids.json')))
    .filter((id) => stryk.get(id) === 'Survived')
    .map((id) => ({ id, seeds: Math.max(1, results[id]?.json?.seedsTried ?? 1) }));
  const sandboxes = readdirSync(join(ROOT, '.stryker-tmp')).filter((d) => d.startsWith('sandbox-'));
  if (sandboxes.length !== 1) throw new Error(`expected one Stryker sandbox in .stryker-tmp/, found ${sandboxes.length}`);
  writeJson(join(WORK, 'reach.json'), await reachSurvivors(join(ROOT, '.stryker-tmp', sandboxes[0]), survivors, concurrency));
}

function readResults() {
  const out = {};
  for (const f of readdirSync(RESULTS)) {
    if (!f.endsWith('.json') || f.endsWith('.start.json')) continue;
    const r = readJson(join(RESULTS, f));
    out[r.id ?? 'dry-run'] = r;
  }
  return out;
}

function writeReport(meta) {
  const sample = readJson(join(WORK, 'sample.json'));
  const judged = existsSync(JUDGEMENTS) ? readJson(JUDGEMENTS) : { judgements: [], notes: [] };
  const judgements = judged.judgements;
  const { rows, staleJudgements } = joinOutcomes({
    sample,
    strykerReport: readJson(join(WORK, 'stryker.json')),
    ids: readJson(join(WORK, 'ids.json')),
    results: readResults(),
    confirmations: readJson(join(WORK, 'confirm.json')),
    reach: existsSync(join(WORK, 'reach.json')) ? readJson(join(WORK, 'reach.json')) : {},
    judgements,
  });
  writeFileSync(REPORT, renderReport({ rows, staleJudgements, sample, meta, notes: judged.notes ?? [] }) + '\n');
  return summarize(rows);
}

function dryRunNote(r) {
  if (r === undefined) return 'left no result';
  const j = r.json;
  return j === null ? `failed (exit ${r.exitCode})` : `found ${j.found ? `a failure at seed ${j.seed} (${j.check})` : 'nothing'} in ${j.seedsTried} seeds over ${(j.wallMs / 1000).toFixed(1)} s`;
}

function step(what) {
  console.log(`mutation: ${what} (${minutes(Date.now() - startedMs)})`);
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}`);
}

function minutes(ms) {
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

function positiveInt(text, flag) {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) {
    console.error(`mutation: ${flag} must be a positive integer, got "${text}"`);
    process.exit(2);
  }
  return n;
}

function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

function writeJson(path, value) {
  writeFileSync(path, JSON.stringify(value, null, 1) + '\n');
}
