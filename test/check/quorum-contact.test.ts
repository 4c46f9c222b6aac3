import { describe, expect, it } from 'vitest';
import { QuorumContactWatch, type QuorumContactLeader } from '../../src/check/quorum-contact.js';

const E = 1_000_000; // election timeout, us
const leader: QuorumContactLeader = { group: 3, machine: 'n1', term: 4, voters: ['n1', 'n2', 'n3'], electionTimeoutUs: E };

describe('CheckQuorum watch', () => {
  it('accepts a leader that keeps hearing from one other voter (a majority of three with itself)', () => {
    const w = new QuorumContactWatch();
    for (let t = 0; t <= 10 * E; t += E / 2) {
      w.delivered('n2', 'n1', t);
      w.judge(t, [leader]);
    }
    expect(w.violation).toBeNull();
  });

  it('flags a leader cut off for longer than three election timeouts, counted from its last contact', () => {
    const w = new QuorumContactWatch();
    w.judge(0, [leader]);
    w.delivered('n2', 'n1', 1 * E);
    w.judge(4 * E, [leader]);
    expect(w.violation).toBeNull();
    w.judge(4 * E + 1, [leader]);
    expect(w.violation).toMatchObject({ group: 3, machine: 'n1', term: 4, atUs: 4 * E + 1, silentUs: 3 * E + 1, boundUs: 3 * E });
  });

  it('counts no time while the leader is paused, and local time at its clock rate', () => {
    const w = new QuorumContactWatch();
    w.judge(0, [leader]);
    w.machineStopped('n1', E);
    w.machineRunning('n1', 10 * E);
    w.judge(11 * E, [leader]); // 2 E of running time
    expect(w.violation).toBeNull();
    w.clockRate('n1', 11 * E, -500_000); // half speed from here
    w.judge(12.9 * E, [leader]); // 2.95 E
    expect(w.violation).toBeNull();
    w.judge(13.1 * E, [leader]); // 3.05 E
    expect(w.violation?.machine).toBe('n1');
  });

  it('a new membership starts a new count (the leader judges it from its next check on)', () => {
    const w = new QuorumContactWatch();
    w.judge(0, [leader]);
    for (let t = 0; t <= 5 * E; t += E / 2) {
      w.delivered('n2', 'n1', t);
      w.judge(t, [leader]);
    }
    // n4 joins at 5 E and is never heard from; n3 was last heard at 0: a 4-voter group lacks a quorum.
    const four = { ...leader, voters: ['n1', 'n2', 'n3', 'n4'] };
    w.judge(5 * E, [four]);
    w.delivered('n2', 'n1', 7 * E);
    w.judge(8 * E, [four]);
    expect(w.violation).toBeNull();
    w.judge(8 * E + 1, [four]);
    expect(w.violation?.silentUs).toBe(3 * E + 1);
  });

  it('a new term starts a new count, and a single voter needs nobody', () => {
    const w = new QuorumContactWatch();
    w.judge(0, [leader]);
    w.judge(2 * E, [{ ...leader, term: 5 }]);
    w.judge(5 * E, [{ ...leader, term: 5 }]);
    expect(w.violation).toBeNull();
    w.judge(100 * E, [{ ...leader, term: 6, voters: ['n1'] }]);
    expect(w.violation).toBeNull();
  });

  it('contact from a non-voter does not count, and a crash forgets what the machine heard', () => {
    const w = new QuorumContactWatch();
    w.judge(0, [leader]);
    w.delivered('n9', 'n1', 2 * E);
    w.judge(3.5 * E, [leader]);
    expect(w.violation).not.toBeNull();
    const v = new QuorumContactWatch();
    v.delivered('n2', 'n1', 0);
    v.machineCrashed('n1', E);
    v.machineRunning('n1', E);
    v.judge(E, [{ ...leader, term: 9 }]);
    v.judge(4.5 * E, [{ ...leader, term: 9 }]);
    expect(v.violation?.term).toBe(9);
  });
});
