// Geography in scenario files: validation against the rest of the scenario (each mistake one
// located line), resolution into places and per-tier link latencies, and what a run does with
// it (latency by tier, nearest-zone reads, faults on a region or zone).
import { describe, expect, it } from 'vitest';
import { parseScenarioText } from '../../src/scenario/load.js';
import { resolveTopology, machinesAt } from '../../src/scenario/topology.js';
import { runScenario } from '../../src/harness/runner.js';
import { engineFactoryFor } from '../../src/harness/engines.js';
import { Tracer } from '../../src/trace/tracer.js';
import type { TraceEvent } from '../../src/trace/events.js';
import type { OpRecord } from '../../src/history/op.js';
import { clientMachineOf } from '../../src/harness/geo.js';

const TOPOLOGY = `topology:
  regions:
    east:
      zones:
        east-a: { machines: 2 }
        east-b: { machines: [n5] }
    west:
      zones:
        west-a: { machines: 2, clients: 1 }
        west-b: { machines: 1, clients: 2 }
  latency:
    zone: { min: 100us, mean: 200us, jitter: 50us, tailProbability: 0 }
    region: { min: 2ms, mean: 3ms, jitter: 500us, tailProbability: 0 }
    global: { min: 30ms, mean: 40ms, jitter: 1ms, tailProbability: 0 }
`;

function scenario(extra: string, head = 'duration: 2s\ncluster:\n  machines: 6\n  shards: 4\nworkload:\n  clients: 3\n'): string {
  return head + extra;
}

function errorOf(text: string): string {
  try {
    parseScenarioText('geo.yaml', text);
  } catch (err) {
    return (err as Error).message;
  }
  return 'no error';
}

describe('topology validation', () => {
  const cases: [name: string, text: string, located: RegExp][] = [
    ['a place target naming no region', scenario(TOPOLOGY + 'faults:\n  - at: 1s\n    isolate: region(north)\n'), /^geo\.yaml:\d+:\d+: faults\[0\]\.isolate: unknown region "north"; expected one of east, west$/],
    ['a zone target naming no zone', scenario(TOPOLOGY + 'faults:\n  - at: 1s\n    crash: zone(east-c)\n'), /faults\[0\]\.crash: unknown zone "east-c"; expected one of east-a, east-b, west-a, west-b/],
    ['a place target without a topology', scenario('faults:\n  - at: 1s\n    crash: region(east)\n'), /faults\[0\]\.crash: region\(east\) names a place, but the scenario has no topology: section/],
    ['a side of a partition naming no region', scenario(TOPOLOGY + 'faults:\n  - at: 1s\n    partition: [[region(east)], [region(nowhere)]]\n'), /faults\[0\]\.partition\[1\]\[0\]: unknown region "nowhere"/],
    ['a machine without a zone', scenario(TOPOLOGY, 'duration: 2s\ncluster:\n  machines: 7\n  shards: 4\nworkload:\n  clients: 3\n'), /topology\.regions: n7 has no zone; expected every machine n1\.\.n7 \(cluster\.machines\) placed/],
    ['a machine in two zones', scenario(TOPOLOGY.replace('machines: [n5]', 'machines: [n5, n5]')), /topology\.regions\.east\.zones\.east-b\.machines\[1\]: n5 is placed twice/],
    ['client counts that do not add up', scenario(TOPOLOGY, 'duration: 2s\ncluster:\n  machines: 6\n  shards: 4\nworkload:\n  clients: 5\n'), /the zones place 3 clients; expected workload\.clients \(5\)/],
    ['an unknown region in a latency pair', scenario(TOPOLOGY + '    between:\n      - { regions: [east, north], mean: 80ms }\n'), /topology\.latency\.between\[0\]\.regions: unknown region "north"/],
    ['an unknown leader region', scenario(TOPOLOGY + '  leaderRegion: north\n'), /topology\.leaderRegion: unknown region "north"/],
    ['quotas too small for the replication', scenario(TOPOLOGY + '  replicasPerRegion: { east: 1, west: 1 }\n'), /the quotas allow 2 replicas per shard; expected at least cluster\.replication \(3\)/],
    ['a joining machine without a zone', scenario(TOPOLOGY + 'faults:\n  - at: 1s\n    join: n9\n'), /faults\[0\]\.join: n9 has no zone in topology/],
    ['a bad region name', scenario(TOPOLOGY.replace('    west:', '    West:')), /topology\.regions\.West: expected a name of lower case letters/],
    ['a typo in a zone', scenario(TOPOLOGY.replace('west-b: { machines: 1, clients: 2 }', 'west-b: { machine: 1, clients: 2 }')), /unknown key "machine" \(did you mean "machines"\?\)/],
    ['a targeted delay with two scopes', scenario(TOPOLOGY + 'faults:\n  - at: 1s\n    delay: { extra: 50ms, around: region(east), between: [region(east), region(west)] }\n'), /faults\[0\]\.delay: expected exactly one of between or around/],
  ];
  it.each(cases)('%s is one located line', (_name, text, located) => {
    const message = errorOf(text);
    expect(message.split('\n')).toHaveLength(1);
    expect(message).toMatch(located);
  });

  it('accepts a correct topology', () => {
    expect(errorOf(scenario(TOPOLOGY + 'faults:\n  - at: 1s\n    isolate: region(west)\n'))).toBe('no error');
  });
});

describe('topology resolution', () => {
  const topology = resolveTopology(parseScenarioText('geo.yaml', scenario(TOPOLOGY)).scenario)!;

  it('places counted machines on the lowest numbers no zone names, zone by zone', () => {
    const zoneOf = (m: string) => topology.places.get(m)?.zone;
    expect(['n1', 'n2', 'n3', 'n4', 'n5', 'n6'].map(zoneOf)).toEqual(['east-a', 'east-a', 'west-a', 'west-a', 'east-b', 'west-b']);
    expect(machinesAt(topology, 'region', 'east').filter((m) => m.startsWith('n'))).toEqual(['n1', 'n2', 'n5']);
  });

  it('places clients where the zones say, and the operator machines in the first zone', () => {
    expect(['c1', 'c2', 'c3'].map((c) => topology.places.get(c)?.zone)).toEqual(['west-a', 'west-b', 'west-b']);
    expect(topology.places.get('pd')?.zone).toBe('east-a');
    expect(machinesAt(topology, 'zone', 'east-a')).not.toContain('pd');
  });

  it('spreads clients round-robin over the zones when no zone says', () => {
    const t = resolveTopology(parseScenarioText('geo.yaml', scenario(TOPOLOGY.replace(', clients: 1', '').replace(', clients: 2', ''))).scenario)!;
    expect(['c1', 'c2', 'c3'].map((c) => t.places.get(c)?.zone)).toEqual(['east-a', 'east-b', 'west-a']);
  });

  it('gives each link its tier, and a named pair of regions its own latency', () => {
    expect(topology.linkLatency('n1', 'n2').meanUs).toBe(200);
    expect(topology.linkLatency('n1', 'n5').meanUs).toBe(3_000);
    expect(topology.linkLatency('n1', 'n3').meanUs).toBe(40_000);
    const t = resolveTopology(parseScenarioText('geo.yaml', scenario(TOPOLOGY + '    between:\n      - { regions: [west, east], mean: 80ms }\n')).scenario)!;
    expect(t.linkLatency('n1', 'n3')).toMatchObject({ meanUs: 80_000, minUs: 30_000 });
    expect(t.linkLatency('n3', 'n1').meanUs).toBe(80_000);
    expect(t.linkLatency('n1', 'unplaced')).toEqual({});
  });
});

function run(text: string, seed = 1): { events: TraceEvent[]; summary: ReturnType<typeof runScenario>; history: OpRecord[] } {
  const loaded = parseScenarioText('geo.yaml', text);
  const events: TraceEvent[] = [];
  const tracer = new Tracer();
  tracer.listen((e) => events.push(e));
  const summary = runScenario(loaded, { seed, tracer }, engineFactoryFor(loaded.scenario, []));
  const inv = new Map<number, TraceEvent & { type: 'client.invoke' }>();
  const history: OpRecord[] = [];
  for (const e of events) {
    if (e.type === 'client.invoke') inv.set(e.op, e);
    if (e.type === 'client.complete' && e.outcome === 'ok' && inv.get(e.op)!.client < 1_000_000_000) {
      const i = inv.get(e.op)!;
      history.push({ id: e.op, client: i.client, op: i.kind as OpRecord['op'], key: i.key, invokeUs: i.t, completeUs: e.t, outcome: 'ok', ...(i.level !== null && { level: i.level }), ...(e.servedBy !== undefined && { servedBy: e.servedBy }) });
    }
  }
  return { events, summary, history };
}

describe('a run with a topology', () => {
  it('delivers messages with the latency of their tier (the ping demo)', () => {
    const text = 'duration: 1s\ncluster:\n  machines: 6\ndemo:\n  pingEvery: 20ms\n' + TOPOLOGY;
    const { events } = run(text);
    const t = resolveTopology(parseScenarioText('geo.yaml', text).scenario)!;
    const byTier = new Map<number, number[]>();
    for (const e of events) {
      if (e.type !== 'demo.pong') continue;
      const a = t.places.get(e.from)!;
      const b = t.places.get(e.to)!;
      const tier = a.region !== b.region ? 2 : a.zone !== b.zone ? 1 : 0;
      (byTier.get(tier) ?? byTier.set(tier, []).get(tier)!).push(e.rttUs);
    }
    const range = (xs: number[]) => [Math.min(...xs), Math.max(...xs)];
    // Round trips: twice the one-way latency, mean ± jitter, no tail.
    expect(range(byTier.get(0)!)[0]).toBeGreaterThanOrEqual(2 * 150);
    expect(range(byTier.get(0)!)[1]).toBeLessThanOrEqual(2 * 250 + 100);
    expect(range(byTier.get(1)!)[0]).toBeGreaterThanOrEqual(2 * 2_500);
    expect(range(byTier.get(1)!)[1]).toBeLessThanOrEqual(2 * 3_500 + 100);
    expect(range(byTier.get(2)!)[0]).toBeGreaterThanOrEqual(2 * 39_000);
    expect(range(byTier.get(2)!)[1]).toBeLessThanOrEqual(2 * 41_000 + 100);
  });

  const store = `duration: 3s
cluster:
  machines: 6
  shards: 6
  replication: 3
raft:
  electionTimeout: 400ms
  heartbeat: 40ms
workload:
  clients: 6
  rate: 300
  readRatio: 0.9
  start: 1500ms
  followerChoice: nearest
  attemptTimeout: 500ms
  levels: { follower: 1 }
topology:
  regions:
    east:
      zones:
        east-a: { machines: 1 }
        east-b: { machines: 1 }
    west:
      zones:
        west-a: { machines: 1 }
        west-b: { machines: 1 }
    north:
      zones:
        north-a: { machines: 1 }
        north-b: { machines: 1 }
  latency:
    zone: { mean: 500us, jitter: 100us, tailProbability: 0 }
    region: { mean: 3ms, jitter: 500us, tailProbability: 0 }
    global: { min: 20ms, mean: 30ms, jitter: 2ms, tailProbability: 0 }
`;

  it('reads from a replica in the client zone when there is one, else in its region', () => {
    const { history, summary } = run(store);
    expect(summary.ok).toBe(true);
    const t = resolveTopology(parseScenarioText('geo.yaml', store).scenario)!;
    const reads = history.filter((o) => o.op === 'get' && o.servedBy !== undefined);
    expect(reads.length).toBeGreaterThan(100);
    // Every shard has one replica per region (three regions, RF 3), so every read stays in the
    // client's region; in its zone when the shard has a replica there.
    for (const o of reads) {
      const client = t.places.get(clientMachineOf(o.client))!;
      expect(t.places.get(o.servedBy!)!.region).toBe(client.region);
    }
  });

  it('with read replicas in every zone, every follower read stays in the client zone', () => {
    const text = store.replace('  latency:', '  readReplicas: every-zone\n  latency:');
    const { history, summary } = run(text);
    expect(summary.ok).toBe(true);
    const t = resolveTopology(parseScenarioText('geo.yaml', text).scenario)!;
    const reads = history.filter((o) => o.op === 'get' && o.servedBy !== undefined);
    expect(reads.length).toBeGreaterThan(100);
    for (const o of reads) expect(t.places.get(o.servedBy!)!.zone).toBe(t.places.get(clientMachineOf(o.client))!.zone);
    const byRegion = summary['byRegion'] as Record<string, { reads: { follower: { p50Us: number } } }>;
    for (const r of ['east', 'west', 'north']) expect(byRegion[r]!.reads.follower.p50Us).toBeLessThan(2_000);
  });

  it('cuts a region off as a whole: its servers and clients from everyone else, not from each other', () => {
    const { events } = run(store + 'faults:\n  - at: 2s\n    for: 500ms\n    isolate: region(west)\n');
    const cut = events.find((e): e is TraceEvent & { type: 'net.cut' } => e.type === 'net.cut')!;
    const inside = new Set(['n3', 'n4', 'c3', 'c4']);
    const links = new Set(cut.links.map(([a, b]) => `${a}>${b}`));
    for (const [a, b] of cut.links) expect(inside.has(a) !== inside.has(b)).toBe(true);
    expect(links.has('n3>n1')).toBe(true);
    expect(links.has('c1>n3')).toBe(true);
    expect(links.has('n3>n4')).toBe(false);
    expect(links.has('c3>n3')).toBe(false);
  });

  it('crashes the servers of a zone, and only those', () => {
    const { events } = run(store + 'faults:\n  - at: 2s\n    for: 300ms\n    crash: zone(north-b)\n');
    const crashed = events.filter((e) => e.type === 'machine.crash').map((e) => (e as { machine: string }).machine);
    expect(crashed).toEqual(['n6']);
  });

  it('slows the links between two regions only', () => {
    const { events } = run(store + 'faults:\n  - at: 2s\n    for: 500ms\n    delay: { extra: 100ms, between: [region(east), region(west)] }\n');
    const delay = events.find((e): e is TraceEvent & { type: 'net.delay' } => e.type === 'net.delay' && e.extraUs > 0)!;
    const east = new Set(['n1', 'n2', 'c1', 'c2']);
    const west = new Set(['n3', 'n4', 'c3', 'c4']);
    for (const [a, b] of delay.links) expect((east.has(a) && west.has(b)) || (west.has(a) && east.has(b))).toBe(true);
    // A message sent east -> west in the window takes the extra 100 ms; west -> north does not.
    const sent = new Map<number, { t: number; from: string; to: string }>();
    let slow = 0;
    let fast = 0;
    for (const e of events) {
      if (e.type === 'msg.send' && e.t > 2_050_000 && e.t < 2_400_000) sent.set(e.id, e);
      if (e.type === 'msg.deliver' && sent.has(e.id)) {
        const s = sent.get(e.id)!;
        const took = e.t - s.t;
        if (east.has(s.from) && west.has(s.to)) {
          expect(took).toBeGreaterThanOrEqual(100_000);
          slow++;
        } else if (s.from === 'n3' && s.to === 'n5') {
          expect(took).toBeLessThan(100_000);
          fast++;
        }
      }
    }
    expect(slow).toBeGreaterThan(0);
    expect(fast).toBeGreaterThan(0);
  });

  it('replays bit for bit', () => {
    expect(run(store).summary.traceHash).toBe(run(store).summary.traceHash);
  });
});
