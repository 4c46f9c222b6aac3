// The command Stryker runs for each mutant (and once, with no mutant, for its initial run), in
// its sandbox: a no-bug `kvsim hunt --json` on the sandbox's instrumented build, which activates
// the mutant named by __STRYKER_ACTIVE_MUTANT__ (inherited by the hunt's worker threads).
// Exit 1 when the hunt found something (Stryker: killed), 0 when it found nothing (survived).
//
// Environment (set by scripts/mutation.mjs):
//   MUTATION_RESULTS_DIR  absolute path; the hunt's result goes to <dir>/<mutant id>.json (and
//                         its shrunk scenario to <dir>/<mutant id>.yaml), the initial run's to
//                         <dir>/dry-run.json
//   MUTATION_SAMPLE_IDS   absolute path of {"<id>": "<key>"}: the sampled mutants. Stryker also
//                         makes the other mutants of the sampled nodes; those exit 0 at once and
//                         the report leaves them out
//   MUTATION_BUDGET_S     the hunt's --budget-s
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const ACTIVE_MUTANT_ENV = '__STRYKER_ACTIVE_MUTANT__';
/** Bound on the hunt's output kept (its JSON is one short line; the rest is diagnostics). */
const OUTPUT_KEPT_BYTES_MAX = 64 * 1024;

const resultsDir = requiredEnv('MUTATION_RESULTS_DIR');
const budgetS = requiredEnv('MUTATION_BUDGET_S');
const sampleIds = JSON.parse(readFileSync(requiredEnv('MUTATION_SAMPLE_IDS'), 'utf8'));
const id = process.env[ACTIVE_MUTANT_ENV];

if (id !== undefined && !(id in sampleIds)) process.exit(0);
const name = id ?? 'dry-run';
writeJson(join(resultsDir, `${name}.start.json`), { id: id ?? null, startedAt: new Date().toISOString() });
const result = await hunt();
if (result.json?.shrunk?.file !== undefined && existsSync(result.json.shrunk.file)) {
  copyFileSync(result.json.shrunk.file, join(resultsDir, `${name}.yaml`));
}
writeJson(join(resultsDir, `${name}.json`), { id: id ?? null, key: id !== undefined ? sampleIds[id] : null, ...result });
// 0 = nothing found; 1 = found (the hunt's own exit code); anything else = the hunt itself failed,
// which Stryker also counts as killed and the report lists apart.
process.exit(result.exitCode === 0 ? 0 : 1);

function hunt() {
  return new Promise((resolve) => {
    const startMs = performance.now();
    const args = ['dist/src/cli/main.js', 'hunt', '--json', '--budget-s', budgetS, '--workers', '1'];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      if (stdout.length < OUTPUT_KEPT_BYTES_MAX) stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      if (stderr.length < OUTPUT_KEPT_BYTES_MAX) stderr += chunk;
    });
    child.on('close', (code, signal) => {
      const wallMs = Math.round(performance.now() - startMs);
      let json = null;
      const line = stdout.trim().split('\n').at(-1) ?? '';
      try {
        json = line.startsWith('{') ? JSON.parse(line) : null;
      } catch {
        json = null;
      }
      resolve({ exitCode: code ?? -1, signal, wallMs, json, stderrTail: stderr.slice(-2000) });
    });
  });
}

function requiredEnv(key) {
  const value = process.env[key];
  if (value === undefined || value === '') {
    process.stderr.write(`mutant-hunt: ${key} is not set (run through npm run mutation)\n`);
    process.exit(2);
  }
  return value;
}

/** Written whole or not at all: a timed-out run is killed, and half a file would read as a result. */
function writeJson(path, value) {
  writeFileSync(`${path}.tmp`, JSON.stringify(value, null, 1) + '\n');
  renameSync(`${path}.tmp`, path);
}
