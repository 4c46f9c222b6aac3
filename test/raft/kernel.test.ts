// Raft groups on the simulation kernel: elections, crashes, partitions, lossy networks, crashes
// before and after fsync — always under the online safety oracle.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isolateLinks, linksBetweenSides } from '../../src/sim/network.js';
import { World } from '../../src/sim/world.js';
import { RaftGroupWorld } from '../../src/harness/raft-world.js';

const MS = 1000;
const FIVE = ['n1', 'n2', 'n3', 'n4', 'n5'];
const THREE = ['n1', 'n2', 'n3'];

function groupWorld(seed: number, machines = THREE, extra: { bugs?: string[]; groups?: number[]; fsyncMeanUs?: number } = {}) {
  const world = new World({ seed, disk: { fsyncMinUs: 200, fsyncMeanUs: extra.fsyncMeanUs ?? 1000 } });
  const g = new RaftGroupWorld({ world, machines, ...(extra.groups && { groups: extra.groups }), ...(extra.bugs && { bugs: extra.bugs }) });
  return g;
}

function expectSafe(g: RaftGroupWorld): void {
  const v = g.oracle.verdict();
  expect(v.message ?? 'ok').toBe('ok');
}

/** Every up machine applied a prefix of the longest applied sequence. */
function expectPrefixes(g: RaftGroupWorld, group = 1): void {
  const seqs = g.machines.filter((m) => g.up(m)).map((m) => g.applied.get(m)?.get(group) ?? []);
  const longest = seqs.reduce((a, b) => (b.length > a.length ? b : a), [] as string[]);
  for (const s of seqs) expect(longest.slice(0, s.length)).toEqual(s);
}

describe('Raft on the kernel', () => {
  it('a 3-machine group elects one leader and every replica applies the same commands', () => {
    const g = groupWorld(1);
    g.drive(5 * MS, 500 * MS);
    g.world.run(800 * MS);
    expect(g.elections).toBeGreaterThanOrEqual(1);
    expect(g.leader()).not.toBe(null);
    const seqs = THREE.map((m) => g.applied.get(m)?.get(1) ?? []);
    expect(seqs[0]!.length).toBeGreaterThan(50);
    expect(seqs[1]).toEqual(seqs[0]);
    expect(seqs[2]).toEqual(seqs[0]);
    expectSafe(g);
  });

  it('leader crash: the others elect a new leader; the old one restarts and catches up', () => {
    const g = groupWorld(2);
    g.drive(5 * MS, 1500 * MS);
    g.world.run(300 * MS);
    const first = g.leader()!;
    g.world.machine(first).crash();
    g.world.run(700 * MS);
    const second = g.leader();
    expect(second).not.toBe(null);
    expect(second).not.toBe(first);
    g.world.machine(first).restart();
    g.world.run(2000 * MS);
    const seqs = THREE.map((m) => g.applied.get(m)?.get(1) ?? []);
    expect(seqs[0]).toEqual(seqs[1]);
    expect(seqs[1]).toEqual(seqs[2]);
    expectSafe(g);
  });

  it('an isolated leader (minority) steps down by CheckQuorum; the majority elects and commits; heal converges', () => {
    const g = groupWorld(3, FIVE);
    g.drive(5 * MS, 1500 * MS);
    g.world.run(300 * MS);
    const old = g.leader()!;
    const commitBefore = g.maxCommit();
    g.world.network.cutAll(isolateLinks(old, FIVE), 'isolate leader');
    g.world.run(700 * MS);
    expect(g.hosts.get(old)!.replica(1)!.role).not.toBe('leader');
    expect(g.leader()).not.toBe(old);
    expect(g.maxCommit()).toBeGreaterThan(commitBefore + 10);
    g.world.network.heal('all');
    g.world.run(2000 * MS);
    expect(g.leaders().length).toBe(1);
    expectPrefixes(g);
    const seqs = FIVE.map((m) => g.applied.get(m)?.get(1) ?? []);
    for (const s of seqs) expect(s).toEqual(seqs[0]);
    expectSafe(g);
  });

  it('a majority partition keeps committing while the minority side commits nothing', () => {
    const g = groupWorld(4, FIVE);
    g.world.run(300 * MS);
    const l = g.leader()!;
    const minority = [l, FIVE.find((m) => m !== l)!];
    const majority = FIVE.filter((m) => !minority.includes(m));
    g.world.network.cutAll(linksBetweenSides([minority, majority]), 'split');
    g.drive(5 * MS, 1000 * MS);
    g.world.run(1000 * MS);
    for (const m of minority) expect(g.hosts.get(m)!.replica(1)!.role).not.toBe('leader');
    const minCommit = Math.max(...minority.map((m) => g.hosts.get(m)!.replica(1)!.commitIndex));
    const majCommit = Math.max(...majority.map((m) => g.hosts.get(m)!.replica(1)!.commitIndex));
    expect(majCommit).toBeGreaterThan(minCommit + 20);
    expectSafe(g);
  });

  it('PreVote: a rejoining partitioned replica does not depose a healthy leader', () => {
    const g = groupWorld(5, FIVE);
    g.world.run(300 * MS);
    const l = g.leader()!;
    const loner = FIVE.find((m) => m !== l)!;
    const termBefore = g.hosts.get(l)!.replica(1)!.currentTerm;
    g.world.network.cutAll(isolateLinks(loner, FIVE), 'isolate follower');
    g.world.run(2000 * MS);
    expect(g.hosts.get(loner)!.replica(1)!.currentTerm).toBe(termBefore);
    g.world.network.heal('all');
    g.world.run(1000 * MS);
    expect(g.leader()).toBe(l);
    expect(g.hosts.get(l)!.replica(1)!.currentTerm).toBe(termBefore);
    expectSafe(g);
  });

  it('lost and duplicated messages: progress continues and nothing unsafe happens', () => {
    const g = groupWorld(6, FIVE);
    g.world.network.setFaultRates(0.2, 0.2, 0);
    g.drive(5 * MS, 2000 * MS, 20 * MS);
    g.world.run(2000 * MS);
    g.world.network.setFaultRates(0, 0, 0);
    g.world.run(3000 * MS);
    expect(g.maxCommit()).toBeGreaterThan(100);
    expect(g.readResults.filter((r) => r.result.ok).length).toBeGreaterThan(10);
    expectPrefixes(g);
    expectSafe(g);
  });

  it('crash before and after fsync: acknowledged entries survive, unsynced ones may vanish safely', () => {
    for (const seed of [7, 8, 9, 10]) {
      const g = groupWorld(seed, THREE, { fsyncMeanUs: 8000 });
      g.drive(2 * MS, 3000 * MS);
      let t = 200 * MS;
      for (let i = 0; i < 10; i++) {
        g.world.run(t);
        const victim = i % 2 === 0 ? g.leader() : THREE[i % 3]!;
        if (victim !== null) {
          g.world.machine(victim).crash();
          g.world.run(t + 30 * MS);
          g.world.machine(victim).restart();
        }
        t += 250 * MS;
      }
      g.world.run(5000 * MS);
      expectPrefixes(g);
      expectSafe(g);
    }
  });

  it('many groups share machines (multi-Raft): each group elects and commits independently', () => {
    const g = groupWorld(11, FIVE, { groups: [1, 2, 3, 4] });
    g.drive(10 * MS, 600 * MS);
    g.world.run(1000 * MS);
    for (const group of [1, 2, 3, 4]) {
      expect(g.leader(group)).not.toBe(null);
      expect(g.maxCommit(group)).toBeGreaterThan(20);
    }
    expectSafe(g);
  });

  it('runs are deterministic: same seed, same trace hash', () => {
    const hashes: string[] = [];
    for (let i = 0; i < 2; i++) {
      const g = groupWorld(12, FIVE);
      g.world.network.setFaultRates(0.05, 0.05, 0);
      g.drive(5 * MS, 800 * MS, 20 * MS);
      g.world.run(1000 * MS);
      hashes.push(String(g.world.tracer.hash()));
    }
    expect(hashes[0]).toBe(hashes[1]);
  });
});

// A bounded property test over random fault schedules with every planted bug off.
type Fault =
  | { kind: 'crash'; at: number; machine: number; downMs: number }
  | { kind: 'partition'; at: number; side: number[]; healMs: number }
  | { kind: 'rates'; at: number; drop: number; dup: number }
  | { kind: 'skew'; at: number; machine: number; driftPpm: number }
  | { kind: 'pause'; at: number; machine: number; forMs: number };

const faultArb: fc.Arbitrary<Fault> = fc.oneof(
  fc.record({ kind: fc.constant('crash' as const), at: fc.integer({ min: 0, max: 2500 }), machine: fc.integer({ min: 0, max: 4 }), downMs: fc.integer({ min: 1, max: 800 }) }),
  fc.record({ kind: fc.constant('partition' as const), at: fc.integer({ min: 0, max: 2500 }), side: fc.uniqueArray(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 2 }), healMs: fc.integer({ min: 50, max: 1000 }) }),
  fc.record({ kind: fc.constant('rates' as const), at: fc.integer({ min: 0, max: 2500 }), drop: fc.double({ min: 0, max: 0.3, noNaN: true }), dup: fc.double({ min: 0, max: 0.3, noNaN: true }) }),
  fc.record({ kind: fc.constant('skew' as const), at: fc.integer({ min: 0, max: 2500 }), machine: fc.integer({ min: 0, max: 4 }), driftPpm: fc.integer({ min: -40_000, max: 40_000 }) }),
  fc.record({ kind: fc.constant('pause' as const), at: fc.integer({ min: 0, max: 2500 }), machine: fc.integer({ min: 0, max: 4 }), forMs: fc.integer({ min: 1, max: 400 }) }),
);

function applyFaults(g: RaftGroupWorld, faults: readonly Fault[]): void {
  const w = g.world;
  const ids = g.machines;
  for (const f of faults) {
    w.at(f.at * MS, () => {
      switch (f.kind) {
        case 'crash': {
          const m = w.machine(ids[f.machine]!);
          m.crash();
          w.after(f.downMs * MS, () => m.restart());
          return;
        }
        case 'partition': {
          const side = f.side.map((i) => ids[i]!);
          const rest = ids.filter((x) => !side.includes(x));
          const links = linksBetweenSides([side, rest]);
          w.network.cutAll(links, 'split');
          w.after(f.healMs * MS, () => w.network.heal(links));
          return;
        }
        case 'rates':
          w.network.setFaultRates(f.drop, f.dup, 0);
          return;
        case 'skew':
          w.machine(ids[f.machine]!).skew(0, f.driftPpm);
          return;
        case 'pause': {
          const m = w.machine(ids[f.machine]!);
          m.pause();
          w.after(f.forMs * MS, () => m.resume());
          return;
        }
      }
    });
  }
}

// Issue 3 asks for a few hundred cases in CI (about 11 s); KVSIM_PROP_RUNS raises it.
const RUNS = Number(process.env.KVSIM_PROP_RUNS ?? 300);

describe('property: random fault schedules, bugs off', () => {
  it(`no oracle violation, and the group recovers after healing (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.array(faultArb, { maxLength: 12 }), fc.constantFrom<'index' | 'lease'>('index', 'lease'), (seed, faults, mode) => {
        const g = groupWorld(seed, FIVE);
        applyFaults(g, faults);
        g.drive(10 * MS, 3000 * MS, 20 * MS, mode);
        g.world.run(3000 * MS);
        // Heal everything, then demand a leader that commits.
        g.world.network.heal('all');
        g.world.network.setFaultRates(0, 0, 0);
        for (const id of FIVE) {
          const m = g.world.machine(id);
          if (m.state === 'crashed') m.restart();
          if (m.state === 'paused') m.resume();
          m.skew(0, 0);
        }
        g.world.run(5000 * MS);
        const before = g.maxCommit();
        g.propose('final');
        g.world.run(6000 * MS);
        const v = g.oracle.verdict();
        if (!v.ok) throw new Error(`seed ${seed}: ${v.message}`);
        if (g.maxCommit() <= before) throw new Error(`seed ${seed}: no commit after healing`);
      }),
      { numRuns: RUNS, seed: 42 },
    );
  });
});
