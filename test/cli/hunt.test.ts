// kvsim hunt finds a planted bug, shrinks it to a file that reproduces the same failing check,
// and finds nothing with no bug switched on.
import { describe, expect, it } from 'vitest';
import { kvsim } from './helpers.js';

describe('kvsim hunt', () => {
  // The bar: `hunt --bug NAME --budget-s 20` finds it, and `kvsim run SHRUNK --bug NAME`
  // (the seed is in the file) fails the same check. A store-level bug, the Raft bug that needs
  // drifting clocks, and one caught by an assertion (the same assertion, numbers aside).
  for (const bug of ['follower-serves-uncommitted', 'lease-ignores-drift', 'accept-stale-term']) {
    it(`finds ${bug} within --budget-s 20 and the shrunk scenario fails the same check`, () => {
      const hunt = kvsim(['hunt', '--bug', bug, '--budget-s', '20', '--workers', '2', '--json']);
      expect(hunt.code, hunt.stderr).toBe(1);
      const r = JSON.parse(hunt.stdout);
      expect(r).toMatchObject({ bug, found: true });
      expect(r.seedsTried).toBeGreaterThan(0);
      expect(r.shrunk.after).toBeLessThan(r.shrunk.before);
      const rerun = kvsim(['run', r.shrunk.file, '--bug', bug, '--json']);
      expect(rerun.code).toBe(1);
      const out = JSON.parse(rerun.stdout);
      expect(out.seed).toBe(r.seed);
      const kind = (m: string) => m.replace(/\d+/g, 'N');
      if (r.check === 'assertion') {
        expect(kind(out.assertion)).toBe(kind(r.shrunk.message));
      } else {
        expect(out.checks[r.check].ok).toBe(false);
        expect(out.checks[r.check].message.split('\n')[0]).toBe(r.shrunk.message);
      }
      // The same seed with no bug fails no check: the find is the bug's, not a false alarm.
      const honest = kvsim(['run', `reports/swarm-${r.seed}.yaml`, '--seed', String(r.seed), '--json']);
      const failed = Object.entries(JSON.parse(honest.stdout).checks as Record<string, { ok: boolean | null }>).filter(([, v]) => v.ok === false);
      expect(failed).toEqual([]);
    }, 120_000);
  }

  it('with no bug switched on, finds nothing (no false alarms)', () => {
    const hunt = kvsim(['hunt', '--budget-s', '10', '--workers', '2', '--json']);
    expect(hunt.code).toBe(0);
    const r = JSON.parse(hunt.stdout);
    expect(r).toMatchObject({ bug: 'none', found: false, shrunk: null });
    expect(r.seedsTried).toBeGreaterThanOrEqual(8);
  });

  it('an unknown bug is bad input', () => {
    const hunt = kvsim(['hunt', '--bug', 'nope', '--budget-s', '1']);
    expect(hunt.code).toBe(2);
    expect(hunt.stderr.trim()).toMatch(/--bug: unknown planted bug "nope"/);
  });
});
