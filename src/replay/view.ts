// What the screen shows at a cursor, as plain data: the TUI components only lay it out.
import { compareNames } from './describe.js';
import { describeCuts } from './network.js';
import type { Filter, LogLine, NotableKind, Replay } from './replay.js';
import { ROLE_CANDIDATE, ROLE_FOLLOWER, ROLE_LEADER, ROLE_NONE, ROLE_PRECANDIDATE, type NetRates, type ReplayState } from './state.js';

export type RoleLetter = 'L' | 'F' | 'C' | 'P' | 'l' | '.';

export interface GridCell {
  role: RoleLetter;
  term: number;
  commit: number;
  applied: number;
  /** Entries the leader has committed that this replica has not applied; null without a leader. */
  lag: number | null;
}

export interface GridRow {
  machine: string;
  /** The machine's zone ("us-west-a"), or null when the trace has no places. */
  place: string | null;
  crashed: boolean;
  paused: boolean;
  /** On the minority side of the cuts: reaches fewer than a majority of servers both ways. */
  cutOff: boolean;
  skewUs: number;
  diskFactor: number;
  cells: GridCell[];
}

export interface GridView {
  shards: number;
  rows: GridRow[];
}

export interface NetworkView {
  /** Partition sides among servers (and machines the cuts name), or null. */
  sides: string[][] | null;
  /** Cut links when they do not form sides. */
  cutLinks: string[];
  rates: NetRates;
  clogs: string[];
  inflight: number;
  inflightRaft: number;
  inflightClient: number;
  /** Age of the oldest message in flight. */
  oldestInflightUs: number;
  /** Busiest links by messages in flight: "n1->n3 12". */
  busiest: string[];
}

export interface KeyReplica {
  machine: string;
  role: RoleLetter;
  crashed: boolean;
  value: string | null;
  /** Log index of the value held (0 = never written here). */
  index: number;
  /** Committed versions of the key this replica has not applied yet. */
  behind: number;
}

export interface KeyRead {
  tUs: number;
  machine: string;
  reader: string | null;
  level: string;
  stale: boolean;
  behind: number;
}

export interface KeyView {
  key: string;
  shard: number;
  committed: { value: string; index: number } | null;
  versions: number;
  replicas: KeyReplica[];
  reads: KeyRead[];
}

export interface StatusView {
  tUs: number;
  durationUs: number;
  index: number;
  count: number;
  scenario: string;
  seed: number | null;
  /** A real run (run.start mode 'real'): its times are the host's clocks as recorded. */
  real: boolean;
  soFar: Record<NotableKind, number>;
}

const ROLE_LETTERS: Record<number, RoleLetter> = {
  [ROLE_NONE]: '.',
  [ROLE_FOLLOWER]: 'F',
  [ROLE_PRECANDIDATE]: 'P',
  [ROLE_CANDIDATE]: 'C',
  [ROLE_LEADER]: 'L',
};

function roleLetter(state: ReplayState, c: number): RoleLetter {
  const role = state.role[c]!;
  if (role === ROLE_FOLLOWER && state.learner[c] === 1) return 'l';
  return ROLE_LETTERS[role] ?? '.';
}

/** The serving leader of a shard: highest term among live leaders, or -1. */
export function leaderOf(state: ReplayState, shard: number, servers: readonly number[]): number {
  let best = -1;
  for (const m of servers) {
    const c = state.cell(m, shard);
    if (state.role[c] !== ROLE_LEADER || state.crashed[m] === 1) continue;
    if (best < 0 || state.term[c]! > state.term[state.cell(best, shard)]!) best = m;
  }
  return best;
}

/** Servers that reach fewer than a majority of servers (itself included) in both directions. */
export function cutOffServers(state: ReplayState, servers: readonly number[]): boolean[] {
  const out: boolean[] = [];
  if (state.cut.size === 0) return new Array<boolean>(servers.length).fill(false);
  const majority = Math.floor(servers.length / 2) + 1;
  for (const a of servers) {
    let reach = 1;
    for (const b of servers) if (b !== a && !state.isCut(a, b) && !state.isCut(b, a)) reach++;
    out.push(reach < majority);
  }
  return out;
}

export function gridView(replay: Replay, state: ReplayState): GridView {
  const store = replay.store;
  const servers = store.serverIds;
  const shards = Math.max(1, store.shards);
  const leaders = Array.from({ length: shards }, (_, s) => leaderOf(state, s, servers));
  const cutOff = cutOffServers(state, servers);
  const rows: GridRow[] = [];
  servers.forEach((m, row) => {
    const cells: GridCell[] = [];
    for (let s = 0; s < shards; s++) {
      const c = state.cell(m, s);
      const leader = leaders[s]!;
      const lag = leader < 0 || state.role[c] === ROLE_NONE ? null : Math.max(0, state.commit[state.cell(leader, s)]! - state.applied[c]!);
      cells.push({ role: roleLetter(state, c), term: state.term[c]!, commit: state.commit[c]!, applied: state.applied[c]!, lag });
    }
    rows.push({
      machine: store.names[m]!,
      place: replay.places?.label(store.names[m]!) ?? null,
      crashed: state.crashed[m] === 1,
      paused: state.paused[m] === 1,
      cutOff: cutOff[row]!,
      skewUs: state.skewUs[m]!,
      diskFactor: state.diskFactor[m]!,
      cells,
    });
  });
  return { shards, rows };
}

export function networkView(replay: Replay, state: ReplayState): NetworkView {
  const store = replay.store;
  const members: number[] = [];
  const inCut = new Set<number>();
  for (const link of state.cut) {
    inCut.add(Math.floor(link / state.machines));
    inCut.add(link % state.machines);
  }
  for (let m = 0; m < store.names.length; m++) if (store.isServer(m) || inCut.has(m)) members.push(m);
  members.sort((a, b) => compareNames(store.names[a]!, store.names[b]!));
  const cuts = describeCuts(members, store.names, (a, b) => state.isCut(a, b));
  const clogs: string[] = [];
  for (const [link, untilUs] of state.clogs) {
    if (untilUs <= state.tUs) continue;
    clogs.push(`${store.names[Math.floor(link / state.machines)]}->${store.names[link % state.machines]}`);
  }
  let raft = 0;
  let oldestUs = 0;
  const perLink = new Map<string, number>();
  for (const sendIndex of state.inflight.values()) {
    const label = store.labels[store.msgLabel[sendIndex]!] ?? '';
    if (label.startsWith('raft.')) raft++;
    oldestUs = Math.max(oldestUs, state.tUs - store.timesUs[sendIndex]!);
    const name = `${store.names[store.msgFrom[sendIndex]!]}->${store.names[store.msgTo[sendIndex]!]}`;
    perLink.set(name, (perLink.get(name) ?? 0) + 1);
  }
  const busiest = [...perLink.entries()]
    .sort((a, b) => b[1] - a[1] || compareNames(a[0], b[0]))
    .slice(0, 3)
    .map(([name, count]) => `${name} ${count}`);
  return {
    sides: cuts.sides,
    cutLinks: cuts.sides === null ? cuts.links : [],
    rates: state.rates,
    clogs,
    inflight: state.inflight.size,
    inflightRaft: raft,
    inflightClient: state.inflight.size - raft,
    oldestInflightUs: oldestUs,
    busiest,
  };
}

export function keyView(replay: Replay, state: ReplayState, key: string, cursor: number, readsShown: number): KeyView | null {
  const k = replay.keys.get(key);
  if (k === undefined) return null;
  const store = replay.store;
  const applies = replay.appliesBefore(key, cursor);
  const versions = new Set<number>();
  let committed: { value: string; index: number } | null = null;
  const held = new Map<string, { value: string; index: number }>();
  for (const i of applies) {
    const e = store.objectAt(i);
    if (e?.type !== 'store.apply') continue;
    versions.add(e.index);
    if (committed === null || e.index > committed.index) committed = { value: e.value, index: e.index };
    // Newest first: the first apply seen on a machine is what it holds now.
    if (!held.has(e.machine)) held.set(e.machine, { value: e.value, index: e.index });
  }
  const replicas: KeyReplica[] = [];
  for (const m of store.serverIds) {
    if (k.shard >= state.shards || !state.hosts(m, k.shard)) continue;
    const name = store.names[m]!;
    const h = held.get(name);
    const index = h?.index ?? 0;
    let behind = 0;
    for (const v of versions) if (v > index) behind++;
    replicas.push({ machine: name, role: roleLetter(state, state.cell(m, k.shard)), crashed: state.crashed[m] === 1, value: h?.value ?? null, index, behind });
  }
  const reads: KeyRead[] = [];
  for (const i of replay.readsBefore(key, cursor, readsShown)) {
    const e = store.objectAt(i);
    if (e?.type !== 'store.read') continue;
    reads.push({ tUs: e.t, machine: e.machine, reader: replay.readerOf(i), level: e.level, stale: e.stale, behind: e.behind });
  }
  return { key, shard: k.shard, committed, versions: versions.size, replicas, reads };
}

export function statusView(replay: Replay, state: ReplayState): StatusView {
  const start = replay.store.objectAt(0);
  return {
    tUs: state.tUs,
    durationUs: replay.store.durationUs,
    index: state.index,
    count: replay.count,
    scenario: start?.type === 'run.start' ? start.scenario : '?',
    seed: start?.type === 'run.start' ? start.seed : null,
    real: start?.type === 'run.start' && start.mode === 'real',
    soFar: replay.notablesSoFar(state.index),
  };
}

/** Everything one frame shows. */
export interface FrameView {
  status: StatusView;
  grid: GridView;
  network: NetworkView;
  key: KeyView | null;
  log: LogLine[];
  timeline: (NotableKind | null)[];
  cursorColumn: number;
}

export interface FrameRequest {
  cursor: number;
  filter: Filter | null;
  key: string | null;
  logBefore: number;
  logAfter: number;
  timelineWidth: number;
  readsShown: number;
}

export function frameView(replay: Replay, req: FrameRequest): FrameView {
  const state = replay.stateAt(req.cursor);
  const key = req.key ?? replay.defaultKey(state.index);
  return {
    status: statusView(replay, state),
    grid: gridView(replay, state),
    network: networkView(replay, state),
    key: key === null ? null : keyView(replay, state, key, state.index, req.readsShown),
    log: replay.logAround(state.index, req.logBefore, req.logAfter, req.filter),
    timeline: replay.timelineMarks(req.timelineWidth),
    cursorColumn: replay.columnOf(state.index, req.timelineWidth),
  };
}
