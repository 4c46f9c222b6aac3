// The reconstructed state of the cluster after a prefix of the trace: what every replica
// believes (role, term, commit and applied index), which machines are down, and what the
// network does. Per-key values are not kept here (see keys.ts): they would make every
// checkpoint as large as the key space.
import type { TraceEvent } from '../trace/events.js';
import { machineOfReplica } from '../store/replica-id.js';
import { CODE_MSG_DELIVER, CODE_MSG_SEND, type TraceStore } from './trace-store.js';

export const ROLE_NONE = 0;
export const ROLE_FOLLOWER = 1;
export const ROLE_PRECANDIDATE = 2;
export const ROLE_CANDIDATE = 3;
export const ROLE_LEADER = 4;

const ROLE_CODES: Record<string, number> = {
  follower: ROLE_FOLLOWER,
  precandidate: ROLE_PRECANDIDATE,
  candidate: ROLE_CANDIDATE,
  leader: ROLE_LEADER,
};

export interface NetRates {
  drop: number;
  duplicate: number;
  delayExtraUs: number;
}

/**
 * Mutable state; `clone()` gives an independent copy (checkpoints and the values handed to the
 * UI). Cells are indexed `machine * shards + shard`; machines by the trace's name ids.
 */
export class ReplayState {
  /** Index of the last event applied; -1 before the first. */
  index = -1;
  tUs = 0;
  readonly machines: number;
  readonly shards: number;
  role: Uint8Array;
  term: Float64Array;
  /** Known leader's name id, -1 when none. */
  leader: Int32Array;
  commit: Float64Array;
  applied: Float64Array;
  lastIndex: Float64Array;
  learner: Uint8Array;
  crashed: Uint8Array;
  paused: Uint8Array;
  skewUs: Float64Array;
  driftPpm: Float64Array;
  diskFactor: Float64Array;
  /** Cut directed links, encoded `from * machines + to`. */
  cut: Set<number>;
  /** Clogged links (encoded as in `cut`) and the time the clog lifts. */
  clogs: Map<number, number>;
  rates: NetRates;
  /** Messages sent and not yet delivered or dropped: message id -> index of the send. */
  inflight: Map<number, number>;

  constructor(machines: number, shards: number) {
    this.machines = machines;
    this.shards = shards;
    const cells = machines * shards;
    this.role = new Uint8Array(cells);
    this.term = new Float64Array(cells);
    this.leader = new Int32Array(cells).fill(-1);
    this.commit = new Float64Array(cells);
    this.applied = new Float64Array(cells);
    this.lastIndex = new Float64Array(cells);
    this.learner = new Uint8Array(cells);
    this.crashed = new Uint8Array(machines);
    this.paused = new Uint8Array(machines);
    this.skewUs = new Float64Array(machines);
    this.driftPpm = new Float64Array(machines);
    this.diskFactor = new Float64Array(machines).fill(1);
    this.cut = new Set();
    this.clogs = new Map();
    this.rates = { drop: 0, duplicate: 0, delayExtraUs: 0 };
    this.inflight = new Map();
  }

  clone(): ReplayState {
    const c = new ReplayState(this.machines, this.shards);
    c.index = this.index;
    c.tUs = this.tUs;
    c.role.set(this.role);
    c.term.set(this.term);
    c.leader.set(this.leader);
    c.commit.set(this.commit);
    c.applied.set(this.applied);
    c.lastIndex.set(this.lastIndex);
    c.learner.set(this.learner);
    c.crashed.set(this.crashed);
    c.paused.set(this.paused);
    c.skewUs.set(this.skewUs);
    c.driftPpm.set(this.driftPpm);
    c.diskFactor.set(this.diskFactor);
    c.cut = new Set(this.cut);
    c.clogs = new Map(this.clogs);
    c.rates = { ...this.rates };
    c.inflight = new Map(this.inflight);
    return c;
  }

  cell(machine: number, shard: number): number {
    return machine * this.shards + shard;
  }

  /** True when the machine hosts (or hosted) a replica of the shard. */
  hosts(machine: number, shard: number): boolean {
    return this.role[this.cell(machine, shard)] !== ROLE_NONE;
  }

  isCut(from: number, to: number): boolean {
    return this.cut.has(from * this.machines + to);
  }
}

/** Applies event i of the store to the state (which must hold events before i). */
export function applyEvent(state: ReplayState, store: TraceStore, i: number): void {
  state.index = i;
  state.tUs = store.timesUs[i]!;
  const code = store.codes[i]!;
  if (code === CODE_MSG_SEND) {
    state.inflight.set(store.refs[i]!, i);
    return;
  }
  if (code === CODE_MSG_DELIVER) {
    state.inflight.delete(store.refs[i]!);
    return;
  }
  const event = store.objects[store.refs[i]!]!;
  applyObject(state, store, event, i);
}

function applyObject(state: ReplayState, store: TraceStore, event: TraceEvent, i: number): void {
  // Cells are per machine: a replica id (n3#2) is drawn on its machine's row.
  const m = (name: string): number => store.findName(machineOfReplica(name));
  switch (event.type) {
    case 'msg.send':
      state.inflight.set(event.id, i);
      return;
    case 'msg.deliver':
    case 'msg.drop':
      state.inflight.delete(event.id);
      return;
    case 'raft.role': {
      const c = cellOf(state, m(event.replica), event.group);
      if (c < 0) return;
      state.role[c] = ROLE_CODES[event.role] ?? ROLE_FOLLOWER;
      state.term[c] = event.term;
      state.leader[c] = event.leader === null ? -1 : m(event.leader);
      if (event.reason === 'removed') state.role[c] = ROLE_NONE;
      return;
    }
    case 'raft.restart': {
      const c = cellOf(state, m(event.replica), event.group);
      if (c < 0) return;
      if (state.role[c] === ROLE_NONE) state.role[c] = ROLE_FOLLOWER;
      state.term[c] = event.term;
      state.commit[c] = event.commit;
      state.applied[c] = event.snapshotIndex;
      state.lastIndex[c] = event.lastIndex;
      state.leader[c] = -1;
      return;
    }
    case 'raft.append': {
      const c = cellOf(state, m(event.replica), event.group);
      if (c >= 0) state.lastIndex[c] = event.to;
      return;
    }
    case 'raft.commit': {
      const c = cellOf(state, m(event.replica), event.group);
      if (c >= 0) state.commit[c] = Math.max(state.commit[c]!, event.to);
      return;
    }
    case 'raft.apply': {
      const c = cellOf(state, m(event.replica), event.group);
      if (c >= 0) state.applied[c] = Math.max(state.applied[c]!, event.to);
      return;
    }
    case 'raft.snapshot': {
      const c = cellOf(state, m(event.replica), event.group);
      if (c < 0 || !event.installed) return;
      state.applied[c] = Math.max(state.applied[c]!, event.index);
      state.commit[c] = Math.max(state.commit[c]!, event.index);
      state.lastIndex[c] = Math.max(state.lastIndex[c]!, event.index);
      return;
    }
    case 'raft.conf': {
      // Each replica reports the configuration it knows; its own learner mark follows it.
      const me = m(event.replica);
      const c = cellOf(state, me, event.group);
      if (c < 0) return;
      state.learner[c] = event.learners.includes(event.replica) ? 1 : 0;
      return;
    }
    case 'raft.elected': {
      const c = cellOf(state, m(event.replica), event.group);
      if (c < 0) return;
      state.role[c] = ROLE_LEADER;
      state.term[c] = event.term;
      state.leader[c] = m(event.replica);
      return;
    }
    case 'machine.crash': {
      const id = m(event.machine);
      if (id < 0) return;
      state.crashed[id] = 1;
      state.paused[id] = 0;
      // Volatile state is gone; the replicas come back through raft.restart.
      for (let s = 0; s < state.shards; s++) {
        const c = state.cell(id, s);
        if (state.role[c] !== ROLE_NONE) {
          state.role[c] = ROLE_FOLLOWER;
          state.leader[c] = -1;
        }
      }
      // Messages queued for a crashed machine are dropped by the network, which reports it.
      return;
    }
    case 'machine.restart': {
      const id = m(event.machine);
      if (id >= 0) state.crashed[id] = 0;
      return;
    }
    case 'machine.pause': {
      const id = m(event.machine);
      if (id >= 0) state.paused[id] = 1;
      return;
    }
    case 'machine.resume': {
      const id = m(event.machine);
      if (id >= 0) state.paused[id] = 0;
      return;
    }
    case 'clock.skew': {
      const id = m(event.machine);
      if (id < 0) return;
      state.skewUs[id] = event.skewUs;
      state.driftPpm[id] = event.driftPpm;
      return;
    }
    case 'net.cut':
      for (const [from, to] of event.links) {
        const a = m(from);
        const b = m(to);
        if (a >= 0 && b >= 0) state.cut.add(a * state.machines + b);
      }
      return;
    case 'net.heal':
      if (event.links === 'all') {
        state.cut.clear();
        return;
      }
      for (const [from, to] of event.links) {
        const a = m(from);
        const b = m(to);
        if (a >= 0 && b >= 0) state.cut.delete(a * state.machines + b);
      }
      return;
    case 'net.clog': {
      const a = m(event.from);
      const b = m(event.to);
      if (a >= 0 && b >= 0) state.clogs.set(a * state.machines + b, event.untilUs);
      return;
    }
    case 'net.delay':
      return; // seen in the event log; the link map shows cuts and clogs
    case 'net.rates':
      state.rates = { drop: event.drop, duplicate: event.duplicate, delayExtraUs: event.delayExtraUs };
      return;
    case 'disk.slow': {
      const id = m(event.machine);
      if (id >= 0) state.diskFactor[id] = event.factor;
      return;
    }
    case 'run.start':
    case 'run.end':
    case 'run.summary':
    case 'disk.durable':
    case 'disk.lost':
    case 'net.garble':
    case 'msg.garble':
    case 'fault':
    case 'demo.ping':
    case 'demo.pong':
    case 'raft.vote':
    case 'raft.transfer':
    case 'raft.quiesce':
    case 'raft.read-request':
    case 'raft.read':
    case 'client.invoke':
    case 'client.complete':
    case 'store.read':
    case 'store.apply':
    case 'store.duplicate':
    case 'store.spike':
    case 'store.settle':
    // Placement and membership show through the Raft events that follow them.
    case 'store.placement':
    case 'store.membership':
      return;
    default: {
      // A newer trace may carry kinds this replay does not know; they change nothing shown here.
      const unknown: never = event;
      void unknown;
      return;
    }
  }
}

function cellOf(state: ReplayState, machine: number, shard: number): number {
  if (machine < 0 || machine >= state.machines || !Number.isInteger(shard) || shard < 0 || shard >= state.shards) return -1;
  return machine * state.shards + shard;
}
