// The catalogue is complete and every store-level planted bug is caught by the check it names.
import { describe, expect, it } from 'vitest';
import { BUGS } from '../../src/bugs/catalogue.js';
import { RAFT_BUGS } from '../../src/raft/bugs.js';
import { loadScenarioFile } from '../../src/scenario/load.js';
import { runScenario } from '../../src/harness/runner.js';
import { engineFactoryFor } from '../../src/harness/engines.js';
import { kvsim } from '../cli/helpers.js';

function run(file: string, bugs: string[]) {
  const loaded = loadScenarioFile(file);
  return runScenario(loaded, { seed: 1, bugs }, engineFactoryFor(loaded.scenario, bugs));
}

const failing = (s: ReturnType<typeof run>) => Object.entries(s.checks).filter(([, v]) => v.ok === false).map(([k]) => k);

describe('planted-bug catalogue', () => {
  it('has at least 12 bugs, each with a description, rule, catching check and code point', () => {
    expect(BUGS.length).toBeGreaterThanOrEqual(12);
    for (const name of ['follower-serves-uncommitted', 'truncate-on-matching-heartbeat', 'ring-boundary-off-by-one', 'session-token-ignored', 'snapshot-drops-last-entry', 'stale-route-no-redirect', 'next-index-overshoot']) {
      expect(BUGS.map((b) => b.name)).toContain(name);
    }
    for (const b of BUGS) {
      expect(b.description.length, b.name).toBeGreaterThan(30);
      expect(b.rule.length, b.name).toBeGreaterThan(5);
      expect(b.caughtBy.length, b.name).toBeGreaterThan(5);
      expect(b.codePoint, b.name).toMatch(/^src\//);
    }
    expect(new Set(BUGS.map((b) => b.name)).size).toBe(BUGS.length);
    expect(BUGS.filter((b) => b.layer === 'raft')).toHaveLength(RAFT_BUGS.length);
  });

  it('kvsim bugs --json lists them; an unknown --bug is bad input', () => {
    const list = kvsim(['bugs', '--json']);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout).length).toBe(BUGS.length);
    const bad = kvsim(['run', 'scenarios/default.yaml', '--bug', 'no-such-bug']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toMatch(/--bug: unknown planted bug "no-such-bug"/);
  });

  it('the bug scenarios pass with no bug planted', () => {
    expect(failing(run('test/fixtures/bugs/store-bugs.yaml', []))).toEqual([]);
    expect(failing(run('test/fixtures/bugs/store-bugs-few-keys.yaml', []))).toEqual([]);
  });

  it.each([
    ['stale-route-no-redirect', 'test/fixtures/bugs/store-bugs.yaml', 'durability'],
    ['bounded-ignores-bound', 'test/fixtures/bugs/store-bugs.yaml', 'eventual'],
    ['ring-boundary-off-by-one', 'test/fixtures/bugs/store-bugs.yaml', 'durability'],
    ['session-token-ignored', 'test/fixtures/bugs/store-bugs-few-keys.yaml', 'eventual'],
  ])('%s is caught by %s', (bug, file, check) => {
    expect(failing(run(file, [bug]))).toContain(check);
  });
});
