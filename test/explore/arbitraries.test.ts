// Generated scenarios: valid files of the documented size, replayable, and swarm profiles that
// really switch fault kinds off.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseScenarioText } from '../../src/scenario/load.js';
import { DRAWN_KINDS as FAULT_KINDS, RECIPES, scenarioArbitrary, swarmArbitrary, type ScenarioInput } from '../../src/explore/arbitraries.js';
import { parseDurationUs } from '../../src/base/time.js';
import { swarmDraw, swarmFileText, swarmScenario, VNODES_CHOICES } from '../../src/explore/swarm.js';
import { scenarioToYaml } from '../../src/explore/yaml.js';

const SETTLE_US = 2_000_000;

/** Every machine name and shard number a scenario's faults mention. */
function mentioned(s: ScenarioInput): { machines: number[]; shards: number[] } {
  const text = JSON.stringify(s.faults ?? []);
  return {
    machines: [...text.matchAll(/"n(\d+)"/g)].map((m) => Number(m[1])),
    shards: [
      ...[...text.matchAll(/leader\(shard (\d+)\)/g)].map((m) => Number(m[1])),
      ...[...text.matchAll(/"shard":(\d+)/g)].map((m) => Number(m[1])),
      ...[...text.matchAll(/"leaderElected":(\d+)/g)].map((m) => Number(m[1])),
    ],
  };
}

function checkShape(input: ScenarioInput): void {
  const text = scenarioToYaml(input, ['a comment']);
  expect(parse(text)).toEqual(input); // the YAML says exactly what the object says
  const { scenario } = parseScenarioText('generated.yaml', text);
  const { machines, shards = 8, replication = 3 } = scenario.cluster;
  expect(machines).toBeGreaterThanOrEqual(3);
  expect(machines).toBeLessThanOrEqual(7);
  expect(shards).toBeGreaterThanOrEqual(1);
  expect(shards).toBeLessThanOrEqual(8);
  expect(replication % 2).toBe(1);
  expect(replication).toBeLessThanOrEqual(Math.min(5, machines));
  // Settle and liveness bound: 2 s, doubled under lasting message loss of 3 % or more.
  const lossy = (scenario.network?.drop ?? 0) >= 0.03;
  const settleUs = lossy ? 2 * SETTLE_US : SETTLE_US;
  expect(scenario.checks?.settle).toBe(settleUs);
  expect(scenario.checks?.livenessBound).toBe(settleUs);
  const simulatedUs = scenario.duration + settleUs;
  expect(simulatedUs).toBeGreaterThanOrEqual(2_000_000);
  expect(simulatedUs).toBeLessThanOrEqual(lossy ? 8_000_000 : 6_000_000);
  const m = mentioned(input);
  // Joins bring new machines (n6 joins a 5-machine cluster); every other target is a member.
  const joins = (input.faults ?? []).filter((f) => f.join !== undefined).length;
  for (const n of m.machines) expect(n).toBeLessThanOrEqual(machines + joins);
  if ((input.faults ?? []).some((f) => f.replace !== undefined)) expect(replication).toBeGreaterThanOrEqual(3);
  for (const k of m.shards) expect(k).toBeLessThan(shards);
}

describe('scenario arbitraries', () => {
  it('generate valid scenario files of the documented size with valid fault targets', () => {
    fc.assert(fc.property(scenarioArbitrary(), checkShape), { numRuns: 300, seed: 7 });
    fc.assert(fc.property(swarmArbitrary(), checkShape), { numRuns: 300, seed: 8 });
  });

  it('cover the whole fault vocabulary and every trigger', () => {
    const seen = new Set<string>();
    for (const input of fc.sample(scenarioArbitrary(), { numRuns: 300, seed: 9 })) {
      for (const f of input.faults ?? []) {
        for (const key of Object.keys(f)) seen.add(key);
      }
    }
    for (const kind of FAULT_KINDS) expect(seen, kind).toContain(kind);
    for (const trigger of ['at', 'every', 'from', 'when', 'for']) expect(seen, trigger).toContain(trigger);
  });

  it('are replayable from fast-check seeds', () => {
    const a = fc.sample(scenarioArbitrary(), { numRuns: 5, seed: 42 });
    const b = fc.sample(scenarioArbitrary(), { numRuns: 5, seed: 42 });
    expect(a).toEqual(b);
  });
});

describe('swarm mode', () => {
  it('builds the scenario as a pure function of the seed', () => {
    expect(swarmScenario(17)).toEqual(swarmScenario(17));
    expect(swarmFileText(17, [])).toBe(swarmFileText(17, []));
    expect(swarmScenario(17)).not.toEqual(swarmScenario(18));
  });

  it('switches each fault kind off in some seeds and on in others, and only uses kinds that are on', () => {
    const off = new Set<string>();
    const on = new Set<string>();
    let garbled = 0;
    let comingBack = 0;
    let quiet = 0;
    let aimed = 0;
    const vnodes = new Set<number>();
    for (let seed = 1; seed <= 60; seed++) {
      const { profile, scenario, recipeFaults, eventFaults, garbleFaults, comebacks, adminGarbleFaults } = swarmDraw(seed);
      if (scenario.raft?.quiesce === true) quiet++;
      if (scenario.cluster.vnodes !== undefined) vnodes.add(scenario.cluster.vnodes);
      for (const kind of FAULT_KINDS) (profile.kinds[kind] === undefined ? off : on).add(kind);
      // A recipe's composed faults come after the drawn ones and are governed by the profile's
      // recipes instead; faults at protocol events come next, using only actions that are on;
      // a garble fault (from a stream of its own) next, and last the joins of machines coming
      // back after a leave (a stream of their own too); after them, a garble fault aimed at
      // admin messages, at a membership change (or anywhere, with autoscaling), never beside
      // another garble fault.
      const everything = scenario.faults ?? [];
      const withBack = everything.slice(0, everything.length - adminGarbleFaults);
      for (const f of everything.slice(everything.length - adminGarbleFaults)) {
        expect(Object.keys(f).sort()).toEqual(['at', 'for', 'garble']);
        expect(f.garble).toMatchObject({ messages: ['admin'] });
        const movesAt = withBack.filter((m) => (m.join ?? m.leave ?? m.replace) !== undefined && m.at !== undefined).map((m) => parseDurationUs(m.at!)!);
        const atUs = parseDurationUs(f.at!)!;
        expect(scenario.placement?.autoscale === true || movesAt.some((m) => m - atUs >= 0 && m - atUs <= 200_000), `seed ${seed}`).toBe(true);
        expect(withBack.some((g) => g.garble !== undefined)).toBe(false);
        aimed++;
      }
      const all = withBack.slice(0, withBack.length - comebacks);
      const tail = withBack.slice(withBack.length - comebacks);
      for (const back of tail) {
        if (back.leave !== undefined) continue; // a leave of the comeback's own, just before its join
        expect(Object.keys(back).sort()).toEqual(['at', 'join']);
        const left = [...all, ...tail].find((f) => f.leave === back.join && f.at !== undefined);
        expect(left, `seed ${seed}: ${back.join} comes back without leaving`).toBeDefined();
        expect(parseDurationUs(back.at!)!).toBeGreaterThan(parseDurationUs(left!.at!)!);
        comingBack++;
      }
      for (const f of all.slice(all.length - garbleFaults)) expect(Object.keys(f).sort()).toEqual(['at', 'for', 'garble']);
      if (garbleFaults > 0) garbled++;
      const faults = all.slice(0, all.length - garbleFaults);
      for (const f of faults.slice(faults.length - eventFaults)) {
        expect(f.when?.event, JSON.stringify(f)).toBeDefined();
        const kind = FAULT_KINDS.find((k) => k in f);
        expect(['crash', 'pause', 'isolate', 'clog']).toContain(kind);
        expect(profile.kinds[kind!], `seed ${seed}: ${kind} is off`).toBeDefined();
      }
      for (const f of faults.slice(0, faults.length - recipeFaults - eventFaults)) {
        const kind = FAULT_KINDS.find((k) => k in f);
        expect(kind, JSON.stringify(f)).toBeDefined();
        // A leave or replace that would break the cluster is drawn as a join instead.
        const allowed = kind === 'join' ? (profile.kinds.join ?? profile.kinds.leave ?? profile.kinds.replace) : profile.kinds[kind!];
        expect(allowed, `seed ${seed}: ${kind} is off`).toBeDefined();
      }
    }
    for (const kind of FAULT_KINDS) {
      expect(off, kind).toContain(kind);
      expect(on, kind).toContain(kind);
    }
    expect(garbled).toBeGreaterThan(5); // about a quarter of 60
    expect(garbled).toBeLessThan(30);
    expect(comingBack).toBeGreaterThan(0);
    expect(quiet).toBeGreaterThan(5); // about a quarter of 60, with quiescence on
    expect(quiet).toBeLessThan(30);
    expect(aimed).toBeGreaterThan(0); // about one in six
    expect([...vnodes].every((v) => VNODES_CHOICES.includes(v))).toBe(true);
    expect(vnodes.size).toBeGreaterThan(2); // about a quarter of 60 set a count, of six choices
  });

  it('adds a recipe only when the profile allows it, with its faults last', () => {
    const seen = new Set<string>();
    for (let seed = 1; seed <= 200; seed++) {
      const { profile, scenario, recipe, recipeFaults, eventFaults, garbleFaults, comebacks, adminGarbleFaults } = swarmDraw(seed);
      if (recipe === null) {
        expect(recipeFaults).toBe(0);
        continue;
      }
      seen.add(recipe);
      expect(profile.recipes[recipe], `seed ${seed}: ${recipe} is off`).toBeDefined();
      expect(recipeFaults).toBeGreaterThan(0);
      const all = scenario.faults ?? [];
      const tail = eventFaults + garbleFaults + comebacks + adminGarbleFaults;
      const last = all.slice(all.length - recipeFaults - tail, all.length - tail);
      if (recipe === 'flaky-bridge') expect(last.map((f) => Object.keys(f).find((k) => FAULT_KINDS.includes(k as never)))).toEqual(['bridge', 'slowDisk', 'crash']);
      if (recipe === 'slow-leader-cut-off') {
        // Clocks stay within the drift bound: two machines drift apart by at most 90 % of it
        // over one election timeout.
        const driftUs = parseDurationUs(scenario.raft!.maxClockDrift!)!;
        const electionUs = parseDurationUs(scenario.raft!.electionTimeout!)!;
        for (const f of last) if (f.skew !== undefined) expect((2 * Math.abs(f.skew.driftPpm ?? 0) * electionUs) / 1e6).toBeLessThanOrEqual(0.9 * driftUs);
        expect(scenario.workload!.levels!.lease).toBeGreaterThanOrEqual(5);
        expect(scenario.workload!.mode).toBeUndefined();
      }
    }
    expect([...seen].sort()).toEqual([...RECIPES].sort());
  });

  it('writes a commented file that names its reproduction command', () => {
    const text = swarmFileText(5, ['commit-previous-term']);
    expect(text).toMatch(/^# swarm-5: generated by/);
    expect(text).toContain('# Reproduce: kvsim run reports/swarm-5.yaml --seed 5 --bug commit-previous-term');
    expect(parseScenarioText('swarm-5.yaml', text).scenario.name).toBe('swarm-5');
  });
});
