// Shared fixtures for the replay tests: a real trace (leader-isolated, seed 3) recorded once
// per test process, and small hand-made traces.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engineFactoryFor } from '../../src/harness/engines.js';
import { loadScenarioFile } from '../../src/scenario/load.js';
import { runScenario } from '../../src/harness/runner.js';
import { Replay } from '../../src/replay/replay.js';
import { loadTraceFile, traceFromEvents } from '../../src/replay/trace-store.js';
import type { TraceEvent } from '../../src/trace/events.js';

let recorded: string | undefined;

/** Path of the leader-isolated seed 3 trace, recorded on first use. */
export function leaderIsolatedTrace(): string {
  if (recorded !== undefined) return recorded;
  const loaded = loadScenarioFile('scenarios/leader-isolated.yaml');
  const path = join(mkdtempSync(join(tmpdir(), 'kvsim-replay-')), 'leader-isolated-3.jsonl');
  runScenario(loaded, { seed: 3, tracePath: path }, engineFactoryFor(loaded.scenario, []));
  recorded = path;
  return path;
}

export function leaderIsolatedReplay(checkpointEvery?: number): Replay {
  return new Replay(loadTraceFile(leaderIsolatedTrace()), checkpointEvery);
}

export function replayOf(events: TraceEvent[], checkpointEvery?: number): Replay {
  return new Replay(traceFromEvents(events), checkpointEvery);
}

const SERVERS = ['n1', 'n2', 'n3', 'n4', 'n5'];

/** run.start plus every server following in shards 0..shards-1 at term 0. */
export function startEvents(shards = 2, machines = SERVERS): TraceEvent[] {
  const out: TraceEvent[] = [{ t: 0, type: 'run.start', seed: 1, scenario: 'hand-made', machines }];
  for (const replica of machines) {
    for (let group = 0; group < shards; group++) out.push({ t: 0, type: 'raft.role', group, replica, role: 'follower', term: 0, leader: null, reason: 'start' });
  }
  return out;
}

export function elected(t: number, group: number, replica: string, term: number): TraceEvent[] {
  return [
    { t, type: 'raft.role', group, replica, role: 'leader', term, leader: replica, reason: 'elected' },
    { t, type: 'raft.elected', group, replica, term, lastIndex: 0, commit: 0, digest: [] },
  ];
}
