// Each find re-run on the unmutated build (this checkout's own dist/, not Stryker's sandbox):
// the finding swarm seed must pass there, and so must the shrunk scenario with that seed.
// A find that fails on the unmutated code too is a false alarm of the no-bug hunt, not a
// detection of the mutant.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Bound per re-run: one swarm scenario simulates 3.5–6 s and runs in about a second. */
const RERUN_TIMEOUT_MS = 120_000;

/**
 * @param {string} root the project directory (its dist/ is the unmutated build)
 * @param {{ id: string, seed: number, shrunkFile: string | null }[]} finds
 * @returns {Record<string, { seedPasses: boolean, seedDetail: string, shrunkPasses: boolean | null, shrunkDetail: string }>}
 */
export function confirmFinds(root, finds) {
  const bySeed = new Map();
  const out = {};
  for (const f of finds) {
    if (!bySeed.has(f.seed)) bySeed.set(f.seed, rerunSwarmSeed(root, f.seed));
    const seedRun = bySeed.get(f.seed);
    const shrunkRun = f.shrunkFile !== null && existsSync(f.shrunkFile) ? rerunFile(root, f.shrunkFile, f.seed) : null;
    out[f.id] = {
      seedPasses: seedRun.passes,
      seedDetail: seedRun.detail,
      shrunkPasses: shrunkRun === null ? null : shrunkRun.passes,
      shrunkDetail: shrunkRun === null ? 'no shrunk file' : shrunkRun.detail,
    };
  }
  return out;
}

function rerunSwarmSeed(root, seed) {
  const r = kvsim(root, ['sweep', '--swarm', '--seeds', `${seed}..${seed}`, '--workers', '1', '--json']);
  if (r.status !== 0 && r.status !== 1) return { passes: false, detail: `sweep exited ${r.status}: ${r.stderr.trim().split('\n').at(-1) ?? ''}` };
  try {
    const summary = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '');
    const failure = summary.failures[0];
    return failure === undefined ? { passes: true, detail: 'swarm seed passes' } : { passes: false, detail: `${failure.check}: ${String(failure.message).split('\n')[0]}` };
  } catch {
    return { passes: false, detail: `sweep printed no summary (exit ${r.status})` };
  }
}

function rerunFile(root, file, seed) {
  const r = kvsim(root, ['run', file, '--seed', String(seed)]);
  return r.status === 0 ? { passes: true, detail: 'shrunk scenario passes' } : { passes: false, detail: `run exited ${r.status}: ${(r.stdout + r.stderr).trim().split('\n').slice(0, 3).join(' / ')}` };
}

function kvsim(root, args) {
  const r = spawnSync(process.execPath, ['dist/src/cli/main.js', ...args], { cwd: root, encoding: 'utf8', timeout: RERUN_TIMEOUT_MS });
  return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}
