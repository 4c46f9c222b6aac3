// First pass over a trace: everything the report shows except the space-time window, folded
// into bounded aggregates while the events stream past. What grows with the run is only what
// the report must show in full (role spans, elections, faults) and one number per completed
// operation (latencies, for exact percentiles).
import type { RaftRoleName } from '../trace/events-raft.js';
import type { TraceEvent } from '../trace/events.js';
import { machineOfReplica } from '../store/replica-id.js';
import { TraceHasher } from '../trace/hash.js';
import { BucketSeries } from './series.js';
import { parseVerdicts, type RunVerdicts } from './summary.js';
import type { Period } from './svg.js';
import { isLastingName } from '../scenario/fault.js';
import { clientName } from '../replay/describe.js';
import { isClientMachine, TracePlaces } from '../replay/places.js';
import { GeoCollector, type GeoModel } from './geo.js';
import { countRead, emptyLevelStaleness, type LevelStaleness, type ReadAge } from './staleness.js';

export type { LevelStaleness } from './staleness.js';
export { VISIBILITY_EDGES_US } from './staleness.js';

export type RoleOrDown = RaftRoleName | 'down';

export interface RoleSpan {
  group: number;
  replica: string;
  role: RoleOrDown;
  term: number;
  startUs: number;
  endUs: number;
}

export interface Election {
  tUs: number;
  group: number;
  replica: string;
  term: number;
}

export interface FaultPeriod extends Period {
  action: string;
  detail: string;
}

export interface MachineStats {
  sent: number;
  received: number;
  /** Messages this machine sent that the network dropped. */
  dropped: number;
  /** Log writes: raft.append events on this machine's replicas, and the entries they wrote. */
  logWrites: number;
  logEntries: number;
  snapshots: number;
  /** disk.durable / disk.lost write counts (only traces that record the disk emit them). */
  durableWrites: number;
  lostWrites: number;
  crashes: number;
  pauses: number;
  readsServed: number;
  staleServed: number;
  /** Summed over the machine's replicas (one per shard it hosts). */
  roleUs: Record<RoleOrDown, number>;
}

export interface ShardStats {
  invoked: number;
  writes: number;
  readsServed: number;
  staleServed: number;
  elections: number;
  termMax: number;
  commitIndex: number;
  replicas: Set<string>;
}

export interface ReportModel {
  scenario: string;
  seed: number | null;
  /** run.start says `mode: 'real'`: real processes, times as the host's clocks recorded them. */
  realRun: boolean;
  machines: string[];
  bugs: string[];
  traceHash: string;
  events: number;
  /** The count run.end says the run emitted (to spot a truncated trace). */
  runEndEvents: number | null;
  endUs: number;
  settleUs: number | null;
  verdicts: RunVerdicts | null;
  faults: FaultPeriod[];
  /** Completed-ok latencies per operation group ("put", "get follower", ...). */
  latencyUs: Map<string, number[]>;
  /** lat:<group> (latency), done:<outcome>, done:read / done:write (completions) per bucket. */
  series: BucketSeries;
  roleSpans: RoleSpan[];
  elections: Election[];
  groups: number[];
  machineStats: Map<string, MachineStats>;
  shardStats: Map<number, ShardStats>;
  staleness: Map<string, LevelStaleness>;
  /** Where machines are (run.start's places); null for a trace without a topology. */
  places: TracePlaces | null;
  /** Operations and reads by client region; null without places. */
  geo: GeoModel | null;
  /** Trace event types in first-seen order with counts. */
  eventCounts: Map<string, number>;
}

/** Recent first-apply times kept per key, to tell how long a stale read's value had been superseded. */
const KEY_HISTORY_MAX = 64;


interface RoleState {
  role: RoleOrDown;
  term: number;
  sinceUs: number;
}

interface Pending {
  tUs: number;
  group: string;
  shard: number;
  /** The invoking client's region (traces with places only). */
  region: string | null;
}

/** A store.read waiting for the event after it: the reply that names the client machine. */
interface ServedRead {
  tUs: number;
  machine: string;
  level: string;
  stale: boolean;
  behind: number;
  age: ReadAge | null;
}

function emptyMachine(): MachineStats {
  return {
    sent: 0,
    received: 0,
    dropped: 0,
    logWrites: 0,
    logEntries: 0,
    snapshots: 0,
    durableWrites: 0,
    lostWrites: 0,
    crashes: 0,
    pauses: 0,
    readsServed: 0,
    staleServed: 0,
    roleUs: { follower: 0, precandidate: 0, candidate: 0, leader: 0, down: 0 },
  };
}

export class ReportAggregator {
  private readonly hasher = new TraceHasher();
  private events = 0;
  private lastUs = 0;
  private scenario = '';
  private seed: number | null = null;
  private realRun = false;
  private machines: string[] = [];
  private bugs: string[] = [];
  private runEndEvents: number | null = null;
  private settleUs: number | null = null;
  private verdicts: RunVerdicts | null = null;
  private readonly openFaults = new Map<string, FaultPeriod>();
  private readonly faults: FaultPeriod[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly latencyUs = new Map<string, number[]>();
  private readonly series = new BucketSeries();
  private readonly roles = new Map<string, RoleState & { group: number; replica: string }>();
  private readonly roleSpans: RoleSpan[] = [];
  private readonly elections: Election[] = [];
  private readonly machineStats = new Map<string, MachineStats>();
  private readonly shardStats = new Map<number, ShardStats>();
  private readonly staleness = new Map<string, LevelStaleness>();
  /** Per key: indexes and first-apply times of recent writes, ascending by index. */
  private readonly keyWrites = new Map<string, { index: number[]; tUs: number[] }>();
  private readonly eventCounts = new Map<string, number>();
  private places: TracePlaces | null = null;
  private geo: GeoCollector | null = null;
  private servedRead: ServedRead | null = null;

  constructor() {
    for (const name of ['done:ok', 'done:failed', 'done:indeterminate', 'done:read', 'done:write']) this.series.declare(name);
  }

  private machine(id: string): MachineStats {
    let m = this.machineStats.get(id);
    if (m === undefined) this.machineStats.set(id, (m = emptyMachine()));
    return m;
  }

  private shard(id: number): ShardStats {
    let s = this.shardStats.get(id);
    if (s === undefined) this.shardStats.set(id, (s = { invoked: 0, writes: 0, readsServed: 0, staleServed: 0, elections: 0, termMax: 0, commitIndex: 0, replicas: new Set() }));
    return s;
  }

  private level(name: string): LevelStaleness {
    let l = this.staleness.get(name);
    if (l === undefined) this.staleness.set(name, (l = emptyLevelStaleness()));
    return l;
  }

  /** Ends the current role of one replica at `tUs` and starts `next`. */
  private setRole(group: number, replica: string, next: RoleOrDown, term: number, tUs: number): void {
    const key = `${group}/${replica}`;
    const cur = this.roles.get(key);
    if (cur !== undefined) {
      if (cur.role === next && cur.term === term) return;
      this.closeRole(cur, tUs);
    }
    this.roles.set(key, { group, replica, role: next, term, sinceUs: tUs });
  }

  private closeRole(cur: RoleState & { group: number; replica: string }, tUs: number): void {
    const spanUs = Math.max(0, tUs - cur.sinceUs);
    this.machine(cur.replica).roleUs[cur.role] += spanUs;
    // Follower time is the background; only the other roles are drawn, so only they are kept.
    if (cur.role !== 'follower' && spanUs >= 0) {
      this.roleSpans.push({ group: cur.group, replica: cur.replica, role: cur.role, term: cur.term, startUs: cur.sinceUs, endUs: tUs });
    }
  }

  add(event: TraceEvent): void {
    this.events++;
    this.lastUs = Math.max(this.lastUs, event.t);
    this.eventCounts.set(event.type, (this.eventCounts.get(event.type) ?? 0) + 1);
    this.hasher.value(event);
    if (this.servedRead !== null) this.attributeRead(this.servedRead, event);
    switch (event.type) {
      case 'run.start':
        this.scenario = event.scenario;
        this.seed = event.seed;
        this.realRun = event.mode === 'real';
        this.machines = [...event.machines];
        this.places = TracePlaces.fromStart(event);
        this.geo = this.places === null ? null : new GeoCollector(this.places, this.series);
        return;
      case 'store.membership':
        this.places?.note(event);
        return;
      case 'run.summary':
        this.scenario ||= event.scenario;
        this.seed ??= event.seed;
        this.bugs = [...event.bugs];
        this.verdicts = parseVerdicts(event.summary);
        return;
      case 'run.end':
        this.runEndEvents = event.events;
        return;
      case 'msg.send':
        this.machine(event.from).sent++;
        return;
      case 'msg.deliver':
        this.machine(event.to).received++;
        return;
      case 'msg.drop':
        this.machine(event.from).dropped++;
        return;
      case 'machine.crash': {
        this.machine(event.machine).crashes++;
        for (const r of [...this.roles.values()]) if (r.replica === event.machine) this.setRole(r.group, r.replica, 'down', r.term, event.t);
        return;
      }
      case 'machine.pause':
        this.machine(event.machine).pauses++;
        return;
      case 'disk.durable':
        this.machine(event.machine).durableWrites += event.writes;
        return;
      case 'disk.lost':
        this.machine(event.machine).lostWrites += event.writes;
        return;
      case 'fault':
        this.onFault(event.t, event.action, event.detail);
        return;
      case 'store.settle':
        this.settleUs ??= event.t;
        return;
      case 'raft.role':
        this.shard(event.group).replicas.add(machineOfReplica(event.replica));
        this.setRole(event.group, machineOfReplica(event.replica), event.role, event.term, event.t);
        return;
      case 'raft.elected': {
        this.elections.push({ tUs: event.t, group: event.group, replica: machineOfReplica(event.replica), term: event.term });
        const s = this.shard(event.group);
        s.elections++;
        s.termMax = Math.max(s.termMax, event.term);
        return;
      }
      case 'raft.append': {
        const m = this.machine(machineOfReplica(event.replica));
        m.logWrites++;
        m.logEntries += Math.max(0, event.to - event.from + 1);
        return;
      }
      case 'raft.snapshot':
        this.machine(machineOfReplica(event.replica)).snapshots++;
        return;
      case 'raft.commit': {
        const s = this.shard(event.group);
        s.commitIndex = Math.max(s.commitIndex, event.to);
        return;
      }
      case 'client.invoke': {
        const group = event.kind === 'put' ? 'put' : `get ${event.level ?? 'linearizable'}`;
        const region = this.geo === null ? null : this.geo.invoke(clientName(event.client), group);
        this.pending.set(event.op, { tUs: event.t, group, shard: event.shard, region });
        const s = this.shard(event.shard);
        s.invoked++;
        if (event.kind === 'put') s.writes++;
        return;
      }
      case 'client.complete': {
        const p = this.pending.get(event.op);
        if (p === undefined) return;
        this.pending.delete(event.op);
        this.series.add(event.t, `done:${event.outcome}`, 1);
        this.series.add(event.t, p.group === 'put' ? 'done:write' : 'done:read', 1);
        const latencyUs = event.t - p.tUs;
        if (p.region !== null) this.geo?.complete(event.t, p.region, p.group, event.outcome === 'ok', latencyUs);
        else if (event.outcome === 'ok') this.geo?.unattributedOk();
        if (event.outcome !== 'ok') return;
        let list = this.latencyUs.get(p.group);
        if (list === undefined) this.latencyUs.set(p.group, (list = []));
        list.push(latencyUs);
        this.series.add(event.t, `lat:${p.group}`, latencyUs);
        return;
      }
      case 'store.apply':
        this.onApply(event.t, event.key, event.index);
        return;
      case 'store.read':
        this.onRead(event.t, event.machine, event.shard, event.key, event.level, event.stale, event.behind);
        return;
      default:
        return;
    }
  }

  private onFault(tUs: number, action: string, detail: string): void {
    // Detail starts with "#<fault index>"; the end of a fault with `for` is "end-<action>" "#<index>".
    const index = /^#(\d+)/.exec(detail)?.[1] ?? detail;
    if (action.startsWith('end-')) {
      const open = this.openFaults.get(index);
      if (open !== undefined) {
        open.endUs = tUs;
        this.openFaults.delete(index);
      }
      return;
    }
    const period: FaultPeriod = { startUs: tUs, endUs: isLastingName(action) ? tUs : null, label: `${action} ${detail}`, action, detail };
    this.faults.push(period);
    if (!isLastingName(action)) return;
    // A repeating fault (`every`) fires again under the same index: the older firing ends here.
    const older = this.openFaults.get(index);
    if (older !== undefined) older.endUs = tUs;
    this.openFaults.set(index, period);
  }

  private onApply(tUs: number, key: string, index: number): void {
    // The first replica to apply an index marks when the write became visible anywhere.
    let w = this.keyWrites.get(key);
    if (w === undefined) this.keyWrites.set(key, (w = { index: [], tUs: [] }));
    const last = w.index.length === 0 ? 0 : w.index[w.index.length - 1]!;
    if (index <= last) return;
    w.index.push(index);
    w.tUs.push(tUs);
    if (w.index.length > KEY_HISTORY_MAX) {
      w.index.shift();
      w.tUs.shift();
    }
  }

  private onRead(tUs: number, machine: string, shard: number, key: string, level: string, stale: boolean, behind: number): void {
    const m = this.machine(machine);
    m.readsServed++;
    const s = this.shard(shard);
    s.readsServed++;
    if (stale) {
      m.staleServed++;
      s.staleServed++;
    }
    const age = this.readAge(tUs, key, stale, behind);
    countRead(this.level(level), stale, behind, age);
    if (this.geo !== null) this.servedRead = { tUs, machine, level, stale, behind, age };
  }

  private readAge(tUs: number, key: string, stale: boolean, behind: number): ReadAge | null {
    const w = this.keyWrites.get(key);
    if (w === undefined || w.index.length === 0) return null;
    const sinceUs = tUs - w.tUs[w.tUs.length - 1]!;
    if (!(stale && behind > 0)) return { sinceUs, timeBehindUs: null };
    // The oldest write the read missed is the behind-th newest; beyond the kept history the
    // oldest kept one gives a lower bound.
    const i = Math.max(0, w.tUs.length - behind);
    return { sinceUs, timeBehindUs: tUs - w.tUs[i]! };
  }

  /**
   * A served read belongs to the client machine its reply goes to. The server emits store.read
   * and sends the reply in one step (src/store/server.ts, serveRead), so the reply is the very
   * next event; anything else (a probe's read, a real run's merged trace) stays unattributed.
   */
  private attributeRead(read: ServedRead, next: TraceEvent): void {
    this.servedRead = null;
    const to = next.type === 'msg.send' && next.from === read.machine && next.t === read.tUs && next.label.startsWith('reply.') ? next.to : null;
    const region = to !== null && isClientMachine(to) ? this.places?.get(to)?.region : undefined;
    if (region === undefined) {
      this.geo?.unattributedRead();
      return;
    }
    this.geo?.read(read.tUs, region, read.level, read.stale, read.behind, read.age);
  }

  finish(): ReportModel {
    const endUs = this.lastUs;
    if (this.servedRead !== null) {
      this.servedRead = null;
      this.geo?.unattributedRead();
    }
    for (const r of this.roles.values()) this.closeRole(r, endUs);
    this.roles.clear();
    for (const f of this.openFaults.values()) f.endUs = this.settleUs ?? endUs;
    this.openFaults.clear();
    const groups = [...this.shardStats.keys()].filter((g) => this.shardStats.get(g)!.replicas.size > 0).sort((a, b) => a - b);
    for (const l of this.staleness.values()) l.visibility = l.visibility.filter((b) => b.reads > 0);
    return {
      scenario: this.scenario || '(unknown scenario)',
      seed: this.seed,
      realRun: this.realRun,
      machines: this.machines,
      bugs: this.bugs,
      traceHash: this.hasher.digest(),
      events: this.events,
      runEndEvents: this.runEndEvents,
      endUs,
      settleUs: this.settleUs,
      verdicts: this.verdicts,
      faults: this.faults,
      latencyUs: this.latencyUs,
      series: this.series,
      roleSpans: this.roleSpans,
      elections: this.elections,
      groups,
      machineStats: this.machineStats,
      shardStats: this.shardStats,
      staleness: this.staleness,
      places: this.places,
      geo: this.geo === null ? null : this.geo.finish(),
      eventCounts: this.eventCounts,
    };
  }
}
