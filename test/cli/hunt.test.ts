// kvsim hunt finds a planted bug, shrinks it to a file that reproduces the same failing check,
// and finds nothing with no bug switched on.
import { describe, expect, it } from 'vitest';
import { kvsim } from './helpers.js';

describe('kvsim hunt', () => {
  it('finds follower-serves-uncommitted and the shrunk scenario fails the same check', () => {
    const hunt = kvsim(['hunt', '--bug', 'follower-serves-uncommitted', '--budget-s', '60', '--workers', '2', '--json']);
    expect(hunt.code).toBe(1);
    const r = JSON.parse(hunt.stdout);
    expect(r).toMatchObject({ bug: 'follower-serves-uncommitted', found: true });
    expect(r.seedsTried).toBeGreaterThan(0);
    expect(r.shrunk.after).toBeLessThan(r.shrunk.before);
    const rerun = kvsim(['run', r.shrunk.file, '--seed', String(r.seed), '--bug', 'follower-serves-uncommitted', '--json']);
    expect(rerun.code).toBe(1);
    expect(JSON.parse(rerun.stdout).checks[r.check].ok).toBe(false);
  });

  it('with no bug switched on, finds nothing (no false alarms)', () => {
    const hunt = kvsim(['hunt', '--budget-s', '5', '--workers', '2', '--json']);
    expect(hunt.code).toBe(0);
    const r = JSON.parse(hunt.stdout);
    expect(r).toMatchObject({ bug: 'none', found: false, shrunk: null });
    expect(r.seedsTried).toBeGreaterThan(16);
  });

  it('an unknown bug is bad input', () => {
    const hunt = kvsim(['hunt', '--bug', 'nope', '--budget-s', '1']);
    expect(hunt.code).toBe(2);
    expect(hunt.stderr.trim()).toMatch(/--bug: unknown planted bug "nope"/);
  });
});
