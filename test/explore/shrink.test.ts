// Shrinking: fault targets stay valid on a smaller cluster, and a failure a sweep finds with a
// planted Raft bug shrinks to a much smaller file that `kvsim run` fails on the same check.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { kvsim } from '../cli/helpers.js';
import { fitFault, shrinkScenario } from '../../src/explore/shrink.js';
import { executeScenario } from '../../src/explore/execute.js';
import { scenarioToYaml } from '../../src/explore/yaml.js';
import { parseScenarioText } from '../../src/scenario/load.js';
import type { ScenarioInput } from '../../src/explore/arbitraries.js';

const OUT = 'reports/.test/explore';

describe('fitting faults to a smaller cluster', () => {
  it('wraps single targets, drops names beyond the cluster from lists, and drops faults that lose a side', () => {
    expect(fitFault({ at: '1s', crash: 'n5' }, 3, 2)).toEqual({ at: '1s', crash: 'n2' });
    expect(fitFault({ at: '1s', isolate: 'leader(shard 5)' }, 3, 2)).toEqual({ at: '1s', isolate: 'leader(shard 1)' });
    expect(fitFault({ at: '1s', partition: [['n1', 'n4'], ['rest']] }, 3, 2)).toEqual({ at: '1s', partition: [['n1'], ['rest']] });
    expect(fitFault({ at: '1s', partition: [['n4'], ['n1', 'n2']] }, 3, 2)).toBeUndefined();
    expect(fitFault({ at: '1s', bridge: { sides: [['n1'], ['n4']], via: 'n2' } }, 3, 2)).toBeUndefined();
    expect(fitFault({ when: { leaderElected: 3 }, transfer: { shard: 3, to: 'n6' } }, 5, 2)).toEqual({ when: { leaderElected: 1 }, transfer: { shard: 1, to: 'n1' } });
  });
});

describe('shrinkScenario', () => {
  it('returns null for a run that passes, and stays within its run bound', () => {
    const text = readFileSync('scenarios/demo-ping.yaml', 'utf8');
    const input = parse(text) as ScenarioInput;
    const run = (s: ScenarioInput) => executeScenario('x.yaml', scenarioToYaml(s), 1, []);
    expect(shrinkScenario(input, { run })).toBeNull();
  });

  it('keeps the same failing check and never grows the scenario', () => {
    const input = parse(readFileSync('scenarios/default.yaml', 'utf8')) as ScenarioInput;
    let runs = 0;
    const run = (s: ScenarioInput) => {
      runs++;
      return executeScenario('x.yaml', scenarioToYaml(s), 1, ['stale-route-no-redirect']);
    };
    const result = shrinkScenario(input, { run, runsMax: 40 })!;
    expect(result).not.toBeNull();
    expect(runs).toBeLessThanOrEqual(40);
    expect(result.runs).toBe(runs);
    expect(result.after.faults + result.after.ops).toBeLessThan(result.before.faults + result.before.ops);
    const again = executeScenario('x.yaml', scenarioToYaml(result.scenario), 1, ['stale-route-no-redirect']);
    expect(again.failing).toContain(result.check);
    expect(parseScenarioText('x.yaml', scenarioToYaml(result.scenario)).scenario.expect).toBeUndefined();
  });
});

describe('kvsim shrink on a planted Raft bug found by a sweep', () => {
  it('sweep finds a failing seed; shrink writes a file that kvsim run fails on the same check', () => {
    const bug = 'follower-serves-uncommitted';
    const sweep = kvsim(['sweep', '--swarm', '--seeds', '1..12', '--workers', '2', '--bug', bug, '--json']);
    expect(sweep.code).toBe(1);
    const failure = (JSON.parse(sweep.stdout) as { failures: { seed: number; check: string }[] }).failures[0]!;
    const out = `${OUT}/shrunk-${bug}.yaml`;
    const shrink = kvsim(['shrink', `reports/swarm-${failure.seed}.yaml`, '--seed', String(failure.seed), '--bug', bug, '--out', out, '--json']);
    expect(shrink.code).toBe(1);
    const s = JSON.parse(shrink.stdout) as { check: string; before: { faults: number; ops: number }; after: { faults: number; ops: number }; runs: number; repro: string };
    expect(s.check).toBe(failure.check);
    expect(s.runs).toBeLessThanOrEqual(301);
    expect(s.after.faults + s.after.ops).toBeLessThanOrEqual(s.before.faults + s.before.ops);
    expect(s.repro).toBe(`kvsim run ${out} --seed ${failure.seed} --bug ${bug}`);
    const text = readFileSync(out, 'utf8');
    expect(text).toMatch(/^# shrunk-/);
    expect(text).toContain(`# Reproduce: ${s.repro}`);
    const run = kvsim([...s.repro.split(' ').slice(1), '--json']);
    expect(run.code).toBe(1);
    const verdict = (JSON.parse(run.stdout) as { checks: Record<string, { ok: boolean | null }> }).checks[s.check]!;
    expect(verdict.ok).toBe(false);
  });

  it('a passing run has nothing to shrink (exit 0)', () => {
    const r = kvsim(['shrink', 'scenarios/demo-ping.yaml', '--seed', '1']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('nothing to shrink');
  });
});
