// Coverage-guided sweeps: the corpus learns between generations only, so the sweep is the same on
// any number of workers; mutants are valid scenario files that `kvsim run` reproduces; mutants
// aimed at a rare counter reach it more often than fresh seeds do.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GENERATION_SIZE, Guide, mutate } from '../../src/explore/guided.js';
import { emptyCounts } from '../../src/explore/coverage.js';
import { executeScenario } from '../../src/explore/execute.js';
import { WorkerPool } from '../../src/explore/pool.js';
import { sweep } from '../../src/explore/sweep.js';
import { swarmDraw } from '../../src/explore/swarm.js';
import { parseScenarioText } from '../../src/scenario/load.js';
import { scenarioToYaml } from '../../src/explore/yaml.js';
import { RandomStreams } from '../../src/sim/random.js';
import { parseDurationUs } from '../../src/base/time.js';
import { kvsim } from '../cli/helpers.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kvsim-guided-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('guided sweeps', () => {
  it('the first generation is fresh swarm seeds; later ones mutate the corpus, reproducibly', () => {
    const guide = new Guide([], join(dir, 'unit'));
    const first = Array.from({ length: GENERATION_SIZE }, (_, i) => guide.job(i + 1));
    expect(first.every((j) => j.parent === null && j.source.kind === 'swarm' && j.runSeed === j.seed)).toBe(true);
    // Seed 7 alone reached a compound counter: it is rare, so it is the whole corpus.
    guide.endGeneration(first.map((j) => ({ seed: j.seed, coverage: { ...emptyCounts(), ...(j.seed === 7 && { putCommittedTwice: 1 }) } })));
    const second = Array.from({ length: GENERATION_SIZE }, (_, i) => guide.job(GENERATION_SIZE + i + 1));
    const mutants = second.filter((j) => j.parent !== null);
    expect(mutants.length).toBeGreaterThan(GENERATION_SIZE * 0.4);
    expect(mutants.length).toBeLessThan(GENERATION_SIZE * 0.8);
    for (const m of mutants) {
      expect(m.parent).toMatchObject({ seed: 7, counter: 'putCommittedTwice' });
      expect(m.file).not.toBe(null);
      const text = readFileSync(m.file!, 'utf8');
      expect(text).toContain(`# Reproduce: kvsim run ${m.file} --seed ${m.runSeed}`);
      expect(text).toContain('Mutations: ');
      expect(parseScenarioText(m.file!, text).scenario.name).toBe(`guided-${m.seed}`);
    }
    expect(guide.summary()).toMatchObject({ generations: 1, mutants: mutants.length, invalid: 0, corpus: { putCommittedTwice: 1 } });
  });

  it('every mutation keeps the scenario valid, and the same stream gives the same mutant', () => {
    let changed = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const { scenario, profile } = swarmDraw(seed);
      const parent = { seed, runSeed: seed, scenario, profile, depth: 0 };
      for (let k = 0; k < 5; k++) {
        const stream = () => new RandomStreams(1000 * seed + k).stream('guided');
        const a = mutate(parent, 1000 * seed + k, stream());
        const b = mutate(parent, 1000 * seed + k, stream());
        expect(b).toEqual(a);
        expect(a.mutations.length).toBeGreaterThan(0);
        expect(() => parseScenarioText(`m-${seed}-${k}.yaml`, scenarioToYaml(a.scenario)), a.mutations.join('; ')).not.toThrow();
        if (JSON.stringify(a.scenario) !== JSON.stringify(scenario) || a.runSeed !== seed) changed++;
      }
    }
    // The parent itself is never changed in place.
    expect(swarmDraw(3).scenario).toEqual(swarmDraw(3).scenario);
    // A mutation may land on the value it replaces (a read ratio drawn again): rarely.
    expect(changed).toBeGreaterThanOrEqual(190);
  });

  it('keeps mutants in the envelope however deep: round trips well inside an election timeout, bounded fsync, rate and length', () => {
    // Found: a no-bug guided hunt's mutant 20 rounds deep had a 72 ms mean latency against a
    // 220 ms election timeout, and failed liveness on correct code.
    for (let seed = 1; seed <= 10; seed++) {
      const { scenario, profile } = swarmDraw(seed);
      let entry = { seed, runSeed: seed, scenario, profile, depth: 0 };
      for (let round = 1; round <= 40; round++) {
        const child = mutate(entry, 100 * seed + round, new RandomStreams(100 * seed + round).stream('guided'));
        entry = { ...entry, scenario: child.scenario, runSeed: child.runSeed, depth: child.depth };
        const s = child.scenario;
        const electionUs = parseDurationUs(s.raft!.electionTimeout!)!;
        const meanUs = parseDurationUs(s.network?.latency?.mean ?? '1ms')!;
        expect(meanUs * 30, `seed ${seed} round ${round}: ${child.mutations.join('; ')}`).toBeLessThanOrEqual(electionUs);
        expect(meanUs).toBeLessThanOrEqual(6_000);
        expect(parseDurationUs(s.disk?.fsyncMean ?? '1ms')!).toBeLessThanOrEqual(5_000);
        expect(s.workload!.rate ?? 0).toBeLessThanOrEqual(600);
        expect(parseDurationUs(s.duration!)!).toBeLessThanOrEqual(6_000_000);
      }
    }
  });

  it('gives the same coverage, corpus and mutants on one worker and on two', async () => {
    const range = { from: 1, to: GENERATION_SIZE + 20 };
    const once = async (workers: number, reportsDir: string) => {
      const pool = new WorkerPool(workers);
      try {
        return await sweep(pool, {
          source: { kind: 'swarm' },
          range,
          shard: null,
          bugs: [],
          checkDeterminism: false,
          untilCovered: false,
          reportsDir,
          guide: new Guide([], reportsDir),
          nowMs: () => 0,
        });
      } finally {
        await pool.close();
      }
    };
    const a = await once(1, join(dir, 'w1'));
    const b = await once(2, join(dir, 'w2'));
    expect(a.failures).toEqual([]);
    expect(b.coverage).toEqual(a.coverage);
    expect(b.guided).toEqual(a.guided);
    expect(a.guided!.mutants).toBeGreaterThan(0);
    const files = readdirSync(join(dir, 'w1', 'guided')).sort();
    expect(readdirSync(join(dir, 'w2', 'guided')).sort()).toEqual(files);
    expect(files.length).toBe(a.guided!.mutants);
    // A written mutant runs the same from its file, twice.
    const file = join(dir, 'w1', 'guided', files[0]!);
    const text = readFileSync(file, 'utf8');
    const seed = Number(/--seed (\d+)/.exec(text)![1]);
    expect(executeScenario(file, text, seed, []).traceHash).toBe(executeScenario(file, text, seed, []).traceHash);
    expect(readFileSync(join(dir, 'w2', 'guided', files[0]!), 'utf8').replaceAll(join(dir, 'w2'), '')).toBe(text.replaceAll(join(dir, 'w1'), ''));
  }, 240_000);

  it('refuses --guided without --swarm, and with --shard', () => {
    const noSwarm = kvsim(['sweep', 'scenarios/default.yaml', '--guided', '--seeds', '1..2']);
    expect(noSwarm.code).toBe(2);
    expect(noSwarm.stderr).toContain('--guided goes with --swarm');
    const sharded = kvsim(['sweep', '--swarm', '--guided', '--seeds', '1..4', '--shard', '1/2']);
    expect(sharded.code).toBe(2);
    expect(sharded.stderr).toContain('--guided cannot be sharded');
  });
});
