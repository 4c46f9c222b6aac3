// Did the hunt run a survivor's mutated code at all? For each surviving mutant, a sweep over the
// swarm seeds its hunt ran (1..seedsTried), in Stryker's sandbox with the mutant active and a
// hit limit of 0 (reach-preload.mjs): a seed fails exactly when it evaluates the mutated code.
// Told apart this way, a survivor is either unreached (the generated scenarios never get there)
// or reached without a check noticing.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const PRELOAD = fileURLToPath(new URL('./reach-preload.mjs', import.meta.url));
const HIT_MESSAGE = 'Stryker: Hit count limit reached';
/** Bound per sweep: it runs the seeds one hunt ran in its budget, without the shrinking. */
const SWEEP_TIMEOUT_MS = 300_000;

/**
 * @param {string} sandbox Stryker's sandbox of the real pass (its dist/ holds every sampled mutant)
 * @param {{ id: string, seeds: number }[]} survivors
 * @param {number} concurrency sweeps at once (each one worker thread)
 * @returns {Promise<Record<string, { seeds: number, reached: number, firstSeed: number | null, otherFailures: number, error: string | null }>>}
 */
export async function reachSurvivors(sandbox, survivors, concurrency) {
  const out = {};
  const queue = survivors.slice();
  const runOne = async () => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) out[next.id] = await sweepReach(sandbox, next);
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, runOne));
  return out;
}

function sweepReach(sandbox, { id, seeds }) {
  return new Promise((resolve) => {
    const args = ['--import', PRELOAD, 'dist/src/cli/main.js', 'sweep', '--swarm', '--seeds', `1..${seeds}`, '--workers', '1', '--json'];
    const child = spawn(process.execPath, args, {
      cwd: sandbox,
      env: { ...process.env, __STRYKER_ACTIVE_MUTANT__: id },
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: SWEEP_TIMEOUT_MS,
    });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.on('close', (code) => {
      try {
        const summary = JSON.parse(stdout.trim().split('\n').at(-1) ?? '');
        const hits = summary.failures.filter((f) => String(f.message).startsWith(HIT_MESSAGE));
        resolve({
          seeds: summary.seeds,
          reached: hits.length,
          firstSeed: hits.length > 0 ? Math.min(...hits.map((f) => f.seed)) : null,
          otherFailures: summary.failures.length - hits.length,
          error: null,
        });
      } catch {
        resolve({ seeds, reached: 0, firstSeed: null, otherFailures: 0, error: `sweep printed no summary (exit ${code})` });
      }
    });
  });
}
