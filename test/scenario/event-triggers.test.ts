// Faults at protocol events (`when: { event }`, targets `involved` and `peer`): each fires at
// the nth occurrence of its event (of its shard, if it names one), after its delay, on the
// machine the event names — checked against the trace's own record of the event.
import { describe, expect, it } from 'vitest';
import { executeScenario } from '../../src/explore/execute.js';
import { swarmDraw, swarmFileText } from '../../src/explore/swarm.js';
import { parseScenarioText } from '../../src/scenario/load.js';
import { refuseForReal } from '../../src/live/run.js';
import type { TraceEvent } from '../../src/trace/events.js';

const BASE = `
duration: 6s
cluster: { machines: 5, shards: 4, replication: 3 }
workload: { clients: 4, rate: 200, readRatio: 0.7, keys: 50 }
`;

function run(faults: string, seed = 1): { events: TraceEvent[]; hash: string; failing: string[] } {
  const text = `name: event-triggers${BASE}faults:\n${faults}`;
  const out = executeScenario('event-triggers.yaml', text, seed, [], { captureEvents: true });
  return { events: out.eventLog!.map((line) => JSON.parse(line) as TraceEvent), hash: out.traceHash, failing: out.failing };
}

type FaultEvent = Extract<TraceEvent, { type: 'fault' }>;
const faultsOf = (events: TraceEvent[], action: string): FaultEvent[] =>
  events.filter((e): e is FaultEvent => e.type === 'fault' && e.action === action);

// Leader crashes make elections (votes), and a partition of a leader makes suffixes to truncate.
const CHURN = `  - at: 1s
    for: 1s
    crash: leader(shard 0)
  - at: 2500ms
    for: 800ms
    partition: [[leader(shard 1)], [rest]]
`;

describe('protocol-event triggers', () => {
  it('crash: involved on the 2nd real vote crashes that voter, at that instant', () => {
    const { events, failing } = run(`${CHURN}  - when: { event: voteGranted, nth: 2 }\n    for: 300ms\n    crash: involved\n`);
    expect(failing).toEqual([]);
    const votes = events.filter((e): e is Extract<TraceEvent, { type: 'raft.vote' }> => e.type === 'raft.vote' && !e.pre);
    expect(votes.length).toBeGreaterThanOrEqual(2);
    const crash = faultsOf(events, 'crash').find((f) => f.detail.startsWith('#2'))!;
    expect(crash.t).toBe(votes[1]!.t);
    expect(crash.detail).toBe(`#2 on voteGranted of shard ${votes[1]!.group} at ${votes[1]!.replica} (peer ${votes[1]!.candidate}): ${votes[1]!.replica}`);
    const restart = events.find((e) => e.type === 'machine.restart' && e.t === crash.t + 300_000);
    expect(restart).toBeDefined();
  });

  it('a delay and a shard filter: pause: peer fires that long after the shard\'s first vote', () => {
    const { events } = run(`${CHURN}  - when: { event: voteGranted, shard: 1, delay: 7ms }\n    for: 100ms\n    pause: peer\n`);
    const vote = events.find((e): e is Extract<TraceEvent, { type: 'raft.vote' }> => e.type === 'raft.vote' && !e.pre && e.group === 1)!;
    const pause = faultsOf(events, 'pause')[0]!;
    expect(pause.t).toBe(vote.t + 7_000);
    expect(pause.detail.endsWith(`: ${vote.candidate}`)).toBe(true);
    expect(events.some((e) => e.type === 'machine.pause' && e.machine === vote.candidate && e.t === pause.t)).toBe(true);
  });

  it('crash: involved on a truncation crashes the truncating replica before anything else happens', () => {
    const { events, failing } = run(`${CHURN}  - when: { event: truncated }\n    for: 200ms\n    crash: involved\n`);
    expect(failing).toEqual([]);
    const cut = events.find((e): e is Extract<TraceEvent, { type: 'raft.append' }> => e.type === 'raft.append' && e.truncatedFrom !== null);
    expect(cut).toBeDefined();
    const crash = faultsOf(events, 'crash').find((f) => f.detail.startsWith('#2'))!;
    expect(crash.t).toBe(cut!.t);
    expect(crash.detail).toMatch(new RegExp(`^#2 on truncated of shard ${cut!.group} at ${cut!.replica.split('#')[0]}`));
  });

  it('a retried put names the server it goes to and the one before; a restart names only the machine', () => {
    const { events } = run(`${CHURN}  - when: { event: putRetried }\n    for: 50ms\n    isolate: involved\n  - when: { event: restarted }\n    for: 50ms\n    pause: involved\n`);
    const isolate = faultsOf(events, 'isolate')[0]!;
    expect(isolate.detail).toMatch(/^#2 on putRetried of shard \d at n\d( \(peer n\d\))?: n\d cut off from the rest$/);
    const pause = faultsOf(events, 'pause')[0]!;
    const restart = events.find((e) => e.type === 'machine.restart')!;
    expect(pause.t).toBe(restart.t);
    expect(pause.detail).toBe(`#3 on restarted at ${(restart as { machine: string }).machine}: ${(restart as { machine: string }).machine}`);
  });

  it('an event that never happens leaves its fault unfired', () => {
    const { events } = run(`  - when: { event: transferReceived }\n    crash: involved\n`);
    expect(faultsOf(events, 'crash')).toEqual([]);
  });

  it('runs replay bit for bit', () => {
    const faults = `${CHURN}  - when: { event: truncated, nth: 2, delay: 1ms }\n    for: 200ms\n    crash: peer\n`;
    expect(run(faults, 7).hash).toBe(run(faults, 7).hash);
  });

  it('real runs refuse them with one located line', () => {
    const loaded = parseScenarioText('real.yaml', `name: r\nduration: 2s\ncluster: { machines: 3, shards: 1 }\nfaults:\n  - when: { event: truncated }\n    crash: involved\n`);
    expect(() => refuseForReal(loaded)).toThrow(/real\.yaml: faults\[0\]\.when\.event: protocol-event triggers are simulated only/);
  });

  it('the swarm adds them to some seeds, and every such file parses', () => {
    let withEvents = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const { eventFaults, garbleFaults, comebacks, adminGarbleFaults, scenario } = swarmDraw(seed);
      if (eventFaults === 0) continue;
      withEvents++;
      const faults = scenario.faults!.slice(0, scenario.faults!.length - garbleFaults - comebacks - adminGarbleFaults);
      const last = faults.slice(-eventFaults);
      for (const f of last) expect(f.when?.event).toBeDefined();
      expect(() => parseScenarioText(`swarm-${seed}.yaml`, swarmFileText(seed, []))).not.toThrow();
    }
    expect(withEvents).toBeGreaterThan(10);
    expect(withEvents).toBeLessThan(50);
  });
});
