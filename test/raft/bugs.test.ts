// Every planted bug is caught: by a bounded seed search on the test cluster (oracle or
// assertion), or by a targeted scenario. With the bugs off, the same searches find nothing.
import { describe, expect, it } from 'vitest';
import { RAFT_BUG_NAMES } from '../../src/raft/bugs.js';
import { Cluster, randomSchedule, type ScheduleOptions } from './harness.js';

const FIVE = ['a', 'b', 'c', 'd', 'e'];
const PROFILES: Record<string, ScheduleOptions> = {
  default: { steps: 3000, crash: 0.01, partition: 0.01, drop: 0.05, duplicate: 0.05, compact: 0.01 },
  heavy: { steps: 3000, crash: 0.03, partition: 0.03, drop: 0.1, duplicate: 0.1, compact: 0.01 },
  lease: { steps: 3000, partition: 0.03, drop: 0.05, duplicate: 0.05, readMode: 'lease' },
};

interface Found {
  seed: number;
  check: string;
}

/** Seeds lo..hi in order; the first seed where the oracle or an assertion fires. */
function search(bugs: string[], profile: ScheduleOptions, lo: number, hi: number): Found | null {
  for (let seed = lo; seed <= hi; seed++) {
    const c = new Cluster({ ids: FIVE, seed, strict: false, bugs });
    try {
      const v = randomSchedule(c, seed, profile);
      if (v !== null) return { seed, check: `oracle: ${v.check}` };
    } catch (e) {
      const msg = (e as Error).message;
      if (!msg.startsWith('assertion')) throw e;
      return { seed, check: msg.split(' on ')[0]!.slice(0, 60) };
    }
  }
  return null;
}

const SEARCHED: [bug: string, profile: string, maxSeed: number][] = [
  ['vote-without-log-check', 'default', 20],
  ['ack-before-persist', 'default', 20],
  ['leader-read-without-quorum', 'default', 20],
  ['readindex-before-term-commit', 'default', 20],
  ['truncate-on-matching-heartbeat', 'default', 20],
  ['next-index-overshoot', 'default', 20],
  ['snapshot-drops-last-entry', 'default', 20],
  ['follower-serves-uncommitted', 'default', 20],
  ['commit-previous-term', 'default', 20],
];

describe('planted bugs are caught by a bounded search', () => {
  for (const [bug, profile, maxSeed] of SEARCHED) {
    it(`${bug} (profile ${profile}, seeds 1..${maxSeed})`, () => {
      const found = search([bug], PROFILES[profile]!, 1, maxSeed);
      expect(found).not.toBe(null);
      console.log(`catch: ${bug} seed=${found!.seed} by ${found!.check}`);
    });
  }

  for (const profile of ['default', 'heavy']) {
    const maxSeed = Math.max(...SEARCHED.filter((s) => s[1] === profile).map((s) => s[2]));
    it(`with every bug off the same search (profile ${profile}, seeds 1..${maxSeed}) finds nothing`, () => {
      expect(search([], PROFILES[profile]!, 1, maxSeed)).toBe(null);
    });
  }
});

describe('planted bugs caught by targeted scenarios', () => {
  it('forget-vote-on-restart: a voter that crashes right after voting votes again in the same term', () => {
    // §5.2: each server votes for at most one candidate per term, and votedFor is persistent.
    // a wins with c's vote; c crashes before a's first append reaches it and restarts; b, cut
    // off from a, campaigns in the same term and asks c again.
    const run = (bugs: string[]) => {
      const c = new Cluster({ ids: ['a', 'b', 'c'], bugs, strict: false, timeouts: { a: 'lo', b: 'hi', c: 'hi' } });
      c.partition(['a'], ['b']);
      expect(c.elect('a')).toBe(true);
      const term = c.r('a').currentTerm;
      c.crash('c');
      c.restart('c');
      c.campaign('b');
      c.deliverUntil(() => c.r('b').role === 'leader' || c.oracle.violation !== null);
      return { term, bTerm: c.r('b').currentTerm, bLeads: c.r('b').role === 'leader', violation: c.oracle.violation };
    };
    const honest = run([]);
    expect(honest.violation).toBe(null);
    expect(honest.bLeads && honest.bTerm === honest.term).toBe(false);
    const buggy = run(['forget-vote-on-restart']);
    expect(buggy.violation?.check).toBe('election-safety');
  });

  it('no-election-timer-reset: without faults the leader changes although it is healthy', () => {
    const elections = (bugs: string[]) => {
      const c = new Cluster({ ids: ['a', 'b', 'c'], bugs });
      for (let i = 0; i < 200; i++) {
        for (const id of ['a', 'b', 'c']) c.tick(id);
        c.settle();
      }
      return c.elections();
    };
    expect(elections([])).toBe(1);
    expect(elections(['no-election-timer-reset'])).toBeGreaterThan(1);
  });

  it('accept-stale-term: a follower takes a deposed leader’s append and overwrites a committed entry', () => {
    const run = (bugs: string[]) => {
      const c = new Cluster({ ids: FIVE, bugs, config: { checkQuorum: false } });
      expect(c.elect('a')).toBe(true);
      c.settle();
      // a is cut off; b leads term 2; its no-op (index 2) commits with d's ack, but the news
      // of that commit never reaches d.
      c.isolate('a');
      expect(c.elect('b')).toBe(true);
      c.deliverUntil(() => c.r('b').commitIndex >= 2);
      c.cut.add('b>d');
      c.net = c.net.filter((m) => !(m.from === 'b' && m.to === 'd'));
      expect(c.r('d').commitIndex).toBeLessThan(2);
      // a, unaware, proposes at index 2 in term 1; its stale append reaches d.
      c.cut.delete('a>d');
      c.cut.delete('d>a');
      c.r('a').propose('stale');
      c.drain('a');
      c.settle();
      // b's heartbeats now tell d that 2 is committed.
      c.cut.delete('b>d');
      c.tick('b', 3);
      c.settle();
    };
    expect(() => run([])).not.toThrow();
    expect(() => run(['accept-stale-term'])).toThrow(/state-machine-safety|log-matching|assertion/);
  });

  it('lease-ignores-drift: a drifting old leader serves a lease read after a newer commit', () => {
    // a leads with a slow clock (−5 %); b and c run fast (+5 %) and time out as early as allowed.
    const run = (bugs: string[]): string | null => {
      const c = new Cluster({ ids: ['a', 'b', 'c'], bugs, strict: false, timeouts: { a: 'hi', b: 'lo', c: 'hi' } });
      const rate: Record<string, number> = { a: 0.95, b: 1.05, c: 1.05 };
      const tickUs = 10_000;
      const advance = (toUs: number) => {
        while (c.nowUs < toUs) {
          c.nowUs += 1000;
          for (const id of ['a', 'b', 'c']) {
            const n = c.node(id);
            while (n.replica !== null && n.clockUs + tickUs <= Math.floor(c.nowUs * rate[id]!)) {
              n.clockUs += tickUs;
              n.replica.tick(n.clockUs);
              c.drain(id);
            }
          }
          c.settle();
        }
      };
      if (!c.elect('a')) return 'setup: a did not lead';
      c.settle();
      // Line the clocks up with the simulated time after the hand-driven election.
      c.nowUs = Math.ceil(c.node('a').clockUs / rate.a!);
      for (const id of ['b', 'c']) c.node(id).clockUs = Math.floor((c.nowUs * rate[id]!) / tickUs) * tickUs;
      advance(c.nowUs + 100_000);
      if (c.leader() !== 'a') return 'setup: a lost the lead';
      c.r('a').propose('x');
      c.drain('a');
      advance(c.nowUs + 30_000);
      // Right after a heartbeat round is acked, cut a off. b takes over after its quiet period.
      c.isolate('a');
      const cutAt = c.nowUs;
      let served: string | null = null;
      let q = 0;
      while (c.nowUs < cutAt + 200_000 && served === null) {
        advance(c.nowUs + 1000);
        const b = c.node('b').replica!;
        if (b.role === 'leader' && b.commitIndex > 0) {
          b.propose(`new${q}`);
          c.drain('b');
        }
        const a = c.node('a');
        a.replica!.read(`r${q++}`, 'lease', Math.floor(c.nowUs * rate.a!));
        c.drain('a');
        if (c.oracle.violation !== null) served = c.oracle.violation.check;
      }
      return served;
    };
    expect(run([])).toBe(null);
    expect(run(['lease-ignores-drift'])).toBe('read-safety');
  });

  it('commit-previous-term is caught by the Figure 8 scenario (figure8.test.ts)', () => {
    expect(RAFT_BUG_NAMES).toContain('commit-previous-term');
  });

  it('every planted bug has a catching test here or in figure8.test.ts', () => {
    const covered = new Set([...SEARCHED.map((s) => s[0]), 'accept-stale-term', 'lease-ignores-drift', 'commit-previous-term', 'no-election-timer-reset', 'forget-vote-on-restart']);
    expect(RAFT_BUG_NAMES.filter((b) => !covered.has(b))).toEqual([]);
  });
});

