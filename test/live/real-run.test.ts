// Scenarios against real server processes (kvsim real): the shipped real-* scenarios pass every
// check, a planted bug is caught where the same seed without it passes, and no server outlives
// the run — after a pass, after a failed check, and after SIGINT to the command. Loopback only,
// every run bounded, every directory removed.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadScenarioFile } from '../../src/scenario/load.js';
import { runReal } from '../../src/live/run.js';
import type { LiveServers } from '../../src/live/servers.js';
import { loadTraceFile } from '../../src/replay/trace-store.js';
import { compareWithSimulation, type Comparison } from '../../src/live/compare.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = join(ROOT, 'dist/src/cli/main.js');
const dirs: string[] = [];

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'kvsim-real-test-'));
  dirs.push(d);
  return d;
}

/** Running and not a zombie (a reaped-late child must not count as an orphan server). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function serverPids(dir: string): number[] {
  return readdirSync(dir)
    .filter((d) => /^n\d+$/.test(d) && existsSync(join(dir, d, 'pid')))
    .map((d) => Number(readFileSync(join(dir, d, 'pid'), 'utf8')));
}

async function until(cond: () => boolean, boundMs: number): Promise<boolean> {
  const deadline = performance.now() + boundMs;
  while (performance.now() < deadline) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('kvsim real', () => {
  it('real-leader-crash: SIGKILL of a leader under load and a restart; indeterminate operations; every check passes; no server left', async () => {
    const dir = join(tempDir(), 'run');
    const registry = new Set<LiveServers>();
    const tracePath = join(dirs.at(-1)!, 'trace.jsonl');
    const loaded = loadScenarioFile(join(ROOT, 'scenarios/real-leader-crash.yaml'));
    let comparison: Comparison | undefined;
    const summary = await runReal(loaded, {
      seed: 1,
      bugs: [],
      dir,
      registry,
      tracePath,
      inspect: async (run) => {
        comparison = (await compareWithSimulation(loaded, 1, [], run)).json;
      },
    });
    expect(summary.mode).toBe('real');
    expect(summary.real.restarts).toBe(1);
    expect(summary.faults).toBe(2); // the slow disk, then the crash
    // The final-placement check needs each replica's committed membership, which a real server's status does not carry yet: n/a.
    for (const [name, v] of Object.entries(summary.checks)) expect([name, v.ok]).toEqual([name, name === 'placement' ? null : true]);
    expect(summary.ops.indeterminate).toBeGreaterThan(0);
    expect(summary.elections).toBeGreaterThanOrEqual(3);
    expect(summary.ok).toBe(true);
    expect(registry.size).toBe(0);
    expect(serverPids(dir).filter(running)).toEqual([]);
    // The merged trace opens in replay, marked real, with the crash and the restart in it.
    const store = loadTraceFile(tracePath);
    const types = new Set(Array.from({ length: store.count }, (_, i) => store.typeAt(i)));
    expect(types.has('machine.crash') && types.has('machine.restart') && types.has('raft.elected')).toBe(true);
    const start = store.event(0);
    expect(start.type === 'run.start' && start.mode === 'real').toBe(true);
    expect(store.typeAt(store.count - 1)).toBe('run.end');
    // --compare: both runs measured the same way; the crash cost each a leader for a while.
    for (const side of [comparison!.simulation, comparison!.real]) {
      expect(side.latency.put!.count).toBeGreaterThan(100);
      expect(side.latency.put!.p50Ms).toBeGreaterThan(0);
      expect(side.latency.put!.p99Ms).toBeGreaterThanOrEqual(side.latency.put!.p50Ms);
      expect(side.unavailability).toHaveLength(1);
      expect(side.unavailability[0]!.fault).toMatch(/^crash n\d at 2 s$/);
      expect(side.unavailability[0]!.leaderlessMs).toBeGreaterThan(0);
      expect(side.unavailability[0]!.leaderlessMs).toBeLessThan(2_000);
    }
    expect(comparison!.real.elections).toBe(summary.elections);
  }, 90_000);

  it('real-partition: stale follower reads counted, linearizable reads linearizable, liveness after the heal', async () => {
    const dir = join(tempDir(), 'run');
    const tracePath = join(dirs.at(-1)!, 'trace.jsonl');
    const summary = await runReal(loadScenarioFile(join(ROOT, 'scenarios/real-partition.yaml')), { seed: 1, bugs: [], dir, registry: new Set(), tracePath });
    expect(summary.staleReads).toBeGreaterThan(0);
    // The merged trace marks stale reads too (what replay and the report draw).
    const staleMarks = readFileSync(tracePath, 'utf8').split('\n').filter((l) => l.includes('"type":"store.read"') && l.includes('"stale":true')).length;
    expect(staleMarks).toBeGreaterThan(0);
    const eventual = summary.checks.eventual;
    expect(eventual.ok).toBe(true);
    if (eventual.ok !== null) expect(eventual.staleness.byLevel.follower?.stale).toBeGreaterThan(0);
    expect(summary.checks.linearizable.ok).toBe(true);
    expect(summary.checks.liveness.ok).toBe(true);
    expect(summary.ok).toBe(true);
    expect(serverPids(dir).filter(running)).toEqual([]);
  }, 90_000);

  it('a planted bug on the real servers is caught (same scenario and seed as the passing run above), and the failed run leaves no server', async () => {
    const dir = join(tempDir(), 'run');
    const summary = await runReal(loadScenarioFile(join(ROOT, 'scenarios/real-partition.yaml')), { seed: 1, bugs: ['stale-route-no-redirect'], dir, registry: new Set() });
    expect(summary.ok).toBe(false);
    expect(summary.checks.durability.ok).toBe(false);
    expect(summary.real.dir).toBe(dir);
    expect(serverPids(dir).filter(running)).toEqual([]);
  }, 90_000);

  it('real-membership: a server joins and a founding one leaves under load (new and stopped processes, the placement driver); every check passes', async () => {
    const dir = join(tempDir(), 'run');
    const summary = await runReal(loadScenarioFile(join(ROOT, 'scenarios/real-membership.yaml')), { seed: 1, bugs: [], dir, registry: new Set() });
    expect(summary.real.membership).toEqual({ joined: ['n4'], left: ['n1'], failures: [] });
    expect(summary.real.servers).toEqual(['n1', 'n2', 'n3', 'n4']);
    // The final-placement check needs each replica's committed membership, which a real server's status does not carry yet: n/a.
    for (const [name, v] of Object.entries(summary.checks)) expect([name, v.ok]).toEqual([name, name === 'placement' ? null : true]);
    expect(serverPids(dir).filter(running)).toEqual([]);
  }, 120_000);

  it('SIGINT to kvsim real stops every server it started (exit 130)', async () => {
    const dir = join(tempDir(), 'run');
    const child = spawn(process.execPath, [CLI, 'real', join(ROOT, 'scenarios/real-leader-crash.yaml'), '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      expect(await until(() => existsSync(dir) && serverPids(dir).length === 3 && serverPids(dir).every(running), 20_000)).toBe(true);
      const pids = serverPids(dir);
      await new Promise((r) => setTimeout(r, 500));
      child.kill('SIGINT');
      const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 15_000))]);
      expect(code).toBe(130);
      expect(stderr).toContain('every server stopped');
      expect(await until(() => pids.every((p) => !running(p)), 5_000)).toBe(true);
    } finally {
      child.kill('SIGKILL');
      for (const pid of existsSync(dir) ? serverPids(dir) : []) if (running(pid)) process.kill(pid, 'SIGKILL');
    }
  }, 60_000);

  it('a fault a real run cannot apply is refused with one line naming the file and the fault', async () => {
    const dir = tempDir();
    const file = join(dir, 'transfer.yaml');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, 'name: t\nduration: 2s\ncluster: { machines: 3, shards: 1 }\nfaults:\n  - at: 1s\n    transfer: { shard: 0 }\n');
    const child = spawn(process.execPath, [CLI, 'real', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain(`${file}: faults[0]: transfer is not available in real runs`);
  }, 20_000);
});
