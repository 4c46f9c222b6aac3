import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';

const MAIN = 'dist/src/cli/main.js';

function kvsim(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync('node', [MAIN, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  // The CLI tests drive the built output, which `npm test` builds before vitest starts. No
  // rebuild here: tsc rewriting dist/ while other test files run the CLI made those runs load
  // half-written modules and exit 1 (a sweep that should have said "no such file", exit 2).
  expect(existsSync(MAIN)).toBe(true);
});

describe('kvsim ring', () => {
  it('--zones and --regions report the spread: no shard with two replicas in one zone', () => {
    const r = kvsim('ring', '--machines', '10', '--shards', '256', '--rf', '3', '--zones', '10', '--regions', '2', '--leader-region', 'r2', '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { replicasMaxOverMean: number; spread: { shardsWithSharedZone: number; regionsPerShardMin: number; zones: { region: string; leaders: number }[] } };
    expect(out.spread.shardsWithSharedZone).toBe(0);
    expect(out.spread.regionsPerShardMin).toBe(2);
    expect(out.spread.zones).toHaveLength(10);
    expect(out.spread.zones.filter((z) => z.region === 'r1').reduce((a, z) => a + z.leaders, 0)).toBe(0);
    expect(out.replicasMaxOverMean).toBeLessThanOrEqual(1.1);
    const human = kvsim('ring', '--machines', '6', '--shards', '16', '--rf', '3', '--zones', '3');
    expect(human.stdout).toMatch(/shards with two replicas in one zone: 0/);
    const bad = kvsim('ring', '--machines', '6', '--shards', '16', '--rf', '3', '--regions', '2');
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('--json at 10 machines, 256 shards, RF 3 meets the three targets', () => {
    const r = kvsim('ring', '--machines', '10', '--shards', '256', '--rf', '3', '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, number>;
    for (const field of ['machines', 'shards', 'rf', 'vnodes', 'replicasMaxOverMean', 'leadersMaxOverMean', 'movedOnJoin', 'movedOnJoinIdeal', 'movedOnLeave', 'movedOnLeaveIdeal']) {
      expect(out).toHaveProperty(field);
    }
    expect(out.machines).toBe(10);
    expect(out.shards).toBe(256);
    expect(out.rf).toBe(3);
    expect(out.replicasMaxOverMean).toBeLessThanOrEqual(1.1);
    expect(out.leadersMaxOverMean).toBeLessThanOrEqual(1.25);
    expect(out.movedOnJoinIdeal).toBeCloseTo(768 / 11, 2);
    expect(out.movedOnJoin!).toBeLessThanOrEqual(1.15 * out.movedOnJoinIdeal!);
    expect(out.movedOnLeaveIdeal).toBeCloseTo(76.8, 2);
  });

  it('--vnodes is honoured and the output is the same on every run', () => {
    const a = kvsim('ring', '--machines', '5', '--shards', '16', '--rf', '3', '--vnodes', '8', '--json');
    const b = kvsim('ring', '--machines', '5', '--shards', '16', '--rf', '3', '--vnodes', '8', '--json');
    expect(a.code).toBe(0);
    expect(JSON.parse(a.stdout).vnodes).toBe(8);
    expect(a.stdout).toBe(b.stdout);
  });

  it('prints a human table with a row per machine and pass/fail marks', () => {
    const r = kvsim('ring', '--machines', '4', '--shards', '32', '--rf', '3');
    expect(r.code).toBe(0);
    for (const m of ['n1', 'n2', 'n3', 'n4']) expect(r.stdout).toMatch(new RegExp(`^${m}\\s+\\d+\\s+\\d+$`, 'm'));
    expect(r.stdout).toMatch(/replicas max\/mean.*(pass|FAIL)/);
    expect(r.stdout).toMatch(/leaders max\/mean.*(pass|FAIL)/);
    expect(r.stdout).toMatch(/moved on join.*(pass|FAIL)/);
  });

  const bad: [string, string[]][] = [
    ['non-integer machines', ['--machines', 'ten', '--shards', '16', '--rf', '3']],
    ['fractional shards', ['--machines', '5', '--shards', '1.5', '--rf', '3']],
    ['zero rf', ['--machines', '5', '--shards', '16', '--rf', '0']],
    ['zero shards', ['--machines', '5', '--shards', '0', '--rf', '3']],
    ['rf above machines', ['--machines', '2', '--shards', '16', '--rf', '3']],
    ['negative vnodes', ['--machines', '5', '--shards', '16', '--rf', '3', '--vnodes', '-4']],
    ['missing rf', ['--machines', '5', '--shards', '16']],
    ['unknown placement', ['--machines', '5', '--shards', '16', '--rf', '3', '--placement', 'random']],
  ];
  for (const [name, args] of bad) {
    it(`bad input (${name}) exits 2 with one line and no stack trace`, () => {
      const r = kvsim('ring', ...args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trim().split('\n');
      expect(lines[0]).toMatch(/^kvsim: ring: /);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  }
});
