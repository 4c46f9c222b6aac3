// Coalesced heartbeats (raft.coalesceHeartbeats): every leader on a machine heartbeats on the
// host's shared beat, so one network message per (leader machine, follower machine) pair per
// heartbeat interval carries every group's heartbeat, and one carries the replies. Each group
// still runs its own rules: leaders stay put, ReadIndex and lease reads are served, and the
// oracle holds under random faults.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RaftGroupWorld } from '../../src/harness/raft-world.js';
import { linksBetweenSides } from '../../src/sim/network.js';
import { World } from '../../src/sim/world.js';
import { machineFaultArb, scheduleFaults } from './multi-faults.js';

const MS = 1000;
const THREE = ['n1', 'n2', 'n3'];
const GROUPS = [1, 2, 3, 4, 5, 6];
/** defaultRaftConfig: 10 ms ticks, heartbeat every 2 ticks. */
const BEAT_US = 20 * MS;

function world(seed: number, coalesce: boolean, machines = THREE, groups = GROUPS): RaftGroupWorld {
  const w = new World({ seed, disk: { fsyncMinUs: 200, fsyncMeanUs: 1000 } });
  return new RaftGroupWorld({ world: w, machines, groups, config: { coalesceHeartbeats: coalesce } });
}

/** Network messages per directed machine pair sent in [fromUs, toUs). */
function countSends(g: RaftGroupWorld, fromUs: number, toUs: number): Map<string, number> {
  const out = new Map<string, number>();
  g.world.tracer.listen((e) => {
    if (e.type !== 'msg.send' || e.t < fromUs || e.t >= toUs) return;
    const k = `${e.from}>${e.to}`;
    out.set(k, (out.get(k) ?? 0) + 1);
  });
  return out;
}

/** Groups each machine leads at the end. */
function ledBy(g: RaftGroupWorld): Map<string, number> {
  const out = new Map<string, number>();
  for (const group of g.groups) {
    const l = g.leader(group);
    if (l !== null) out.set(l, (out.get(l) ?? 0) + 1);
  }
  return out;
}

describe('coalesced heartbeats', () => {
  it('an idle cluster sends one message per machine pair per beat, whatever the number of groups', () => {
    const windowUs = 1000 * MS;
    const per: Record<string, { sends: Map<string, number>; led: Map<string, number>; elections: number }> = {};
    for (const coalesce of [true, false]) {
      const g = world(3, coalesce);
      // Elections settle in the first half second; the window after it is quiet.
      const sends = countSends(g, 1000 * MS, 1000 * MS + windowUs);
      g.world.run(600 * MS);
      const electionsBefore = g.elections;
      g.world.run(1000 * MS + windowUs);
      for (const group of GROUPS) expect(g.leader(group), `group ${group} has a leader`).not.toBeNull();
      expect(g.oracle.verdict().ok).toBe(true);
      per[String(coalesce)] = { sends, led: ledBy(g), elections: g.elections - electionsBefore };
    }
    const beats = windowUs / BEAT_US;
    const on = per['true']!;
    const off = per['false']!;
    // No group lost its leader in the quiet window in either mode.
    expect(on.elections).toBe(0);
    expect(off.elections).toBe(0);
    // From a to b per beat: one message with a's heartbeats for every group it leads (if any),
    // and one with a's replies to b's heartbeats for every group b leads (if any).
    for (const a of THREE) {
      for (const b of THREE.filter((m) => m !== a)) {
        const expected = beats * ((on.led.has(a) ? 1 : 0) + (on.led.has(b) ? 1 : 0));
        const sent = on.sends.get(`${a}>${b}`) ?? 0;
        expect(sent, `${a}>${b} (${a} leads ${on.led.get(a) ?? 0}, ${b} leads ${on.led.get(b) ?? 0})`).toBeLessThanOrEqual(expected + 4);
        expect(sent).toBeGreaterThanOrEqual(expected - 4);
      }
    }
    // Per group, a machine leading k groups sends k heartbeats per beat to each follower.
    const [busiest, k] = [...off.led].sort((a, b) => b[1] - a[1])[0]!;
    expect(k).toBeGreaterThanOrEqual(2);
    const follower = THREE.find((m) => m !== busiest)!;
    expect(off.sends.get(`${busiest}>${follower}`) ?? 0).toBeGreaterThanOrEqual(k * beats - 2 * k);
  });

  it('ReadIndex and lease reads are served in every group; writes commit', () => {
    for (const mode of ['index', 'lease'] as const) {
      const g = world(5, true);
      g.drive(10 * MS, 1500 * MS, 20 * MS, mode);
      g.world.run(2000 * MS);
      for (const group of GROUPS) {
        expect(g.maxCommit(group), `group ${group}`).toBeGreaterThan(50);
        const served = g.readResults.filter((r) => r.group === group && r.result.ok).length;
        expect(served, `${mode} reads served in group ${group}`).toBeGreaterThan(20);
      }
      expect(g.oracle.verdict().message ?? 'ok').toBe('ok');
    }
  });

  it('a partitioned leader machine steps down in every group and the majority takes over', () => {
    const g = world(8, true);
    g.drive(10 * MS, 2500 * MS);
    g.world.run(600 * MS);
    const [victim] = [...ledBy(g)].sort((a, b) => b[1] - a[1])[0]!;
    const links = linksBetweenSides([[victim], THREE.filter((m) => m !== victim)]);
    g.world.network.cutAll(links, 'isolate the busiest leader');
    g.world.run(1500 * MS);
    for (const group of GROUPS) {
      expect(g.leaders(group), `group ${group}`).not.toContain(victim);
      expect(g.leader(group)).not.toBeNull();
    }
    g.world.network.heal(links);
    g.world.run(3000 * MS);
    expect(g.oracle.verdict().message ?? 'ok').toBe('ok');
  });

  it('same seed, same trace; the two modes make different traces', () => {
    const hash = (coalesce: boolean) => {
      const g = world(12, coalesce);
      g.world.network.setFaultRates(0.05, 0.05, 0);
      g.drive(5 * MS, 800 * MS, 20 * MS);
      g.world.run(1000 * MS);
      return g.world.tracer.hash();
    };
    expect(hash(true)).toBe(hash(true));
    expect(hash(true)).not.toBe(hash(false));
  });
});

// The kernel property of test/raft/kernel.test.ts, with several groups per machine coalescing.
const RUNS = Math.max(10, Math.round(Number(process.env.KVSIM_PROP_RUNS ?? 300) / 10));

describe('property: coalesced multi-Raft under random crashes, partitions and loss', () => {
  it(`no oracle violation, and every group commits after healing (${RUNS} runs)`, () => {
    const five = ['n1', 'n2', 'n3', 'n4', 'n5'];
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.array(machineFaultArb(2500, 800, 5), { maxLength: 8 }), fc.constantFrom<'index' | 'lease'>('index', 'lease'), (seed, faults, mode) => {
        const g = world(seed, true, five, [1, 2, 3]);
        const w = g.world;
        scheduleFaults(w, five, faults);
        g.drive(10 * MS, 3000 * MS, 20 * MS, mode);
        w.run(3000 * MS);
        w.network.heal('all');
        w.network.setFaultRates(0, 0, 0);
        for (const id of five) if (w.machine(id).state === 'crashed') w.machine(id).restart();
        w.run(5000 * MS);
        const before = g.groups.map((group) => g.maxCommit(group));
        for (const group of g.groups) g.propose('final', group);
        w.run(6000 * MS);
        const v = g.oracle.verdict();
        if (!v.ok) throw new Error(`seed ${seed}: ${v.message}`);
        g.groups.forEach((group, i) => {
          if (g.maxCommit(group) <= before[i]!) throw new Error(`seed ${seed}: group ${group} commits nothing after healing`);
        });
      }),
      { numRuns: RUNS, seed: 43 },
    );
  });
});
