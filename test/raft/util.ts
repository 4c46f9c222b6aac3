// Helpers for driving one replica message by message.
import { confOf, defaultRaftConfig, type RaftConfig } from '../../src/raft/config.js';
import type { Entry, RaftMessage } from '../../src/raft/messages.js';
import { RaftReplica, type Ready } from '../../src/raft/replica.js';
import type { PersistedState } from '../../src/raft/storage.js';
import { FixedRng } from './harness.js';

export interface MkOptions {
  peers?: string[];
  learners?: string[];
  config?: Partial<RaftConfig>;
  bugs?: string[];
  stored?: PersistedState | null;
}

export function mk(id: string, o: MkOptions = {}): RaftReplica {
  const r = new RaftReplica({
    config: defaultRaftConfig(1, id, { ...o.config, bugs: new Set(o.bugs ?? []) }),
    rng: new FixedRng('lo'),
    bootstrap: confOf(o.peers ?? ['a', 'b', 'c'], o.learners ?? []),
    stored: o.stored ?? null,
  });
  r.ready();
  return r;
}

export function msgs(rd: Ready): RaftMessage[] {
  return rd.messages.map((m) => m.msg);
}

export function ofType<T extends RaftMessage['type']>(rd: Ready, type: T): Extract<RaftMessage, { type: T }>[] {
  return msgs(rd).filter((m): m is Extract<RaftMessage, { type: T }> => m.type === type);
}

export function ticks(r: RaftReplica, n: number): Ready[] {
  const out: Ready[] = [];
  for (let i = 0; i < n; i++) {
    r.tick();
    out.push(r.ready());
  }
  return out;
}

export function ent(index: number, term: number, data = `e${index}`): Entry {
  return { kind: 'normal', index, term, data };
}

/** Stored state with the given log (terms per index from 1) and hard state. */
export function storedLog(terms: number[], term: number, vote: string | null = null, commit = 0): PersistedState {
  return { hardState: { term, vote, commit }, snapshot: null, entries: terms.map((t, i) => ent(i + 1, t)) };
}

export const base = (from: string, to: string, term: number) => ({ group: 1, from, to, term });

/** Make `r` (a member of a/b/c) leader of the next term: campaign and collect b's vote. */
export function electLeader(r: RaftReplica, voter = 'b'): Ready {
  r.tick(); // keep lastKnownUs moving
  for (let i = 0; i < 30 && r.role === 'follower'; i++) r.tick();
  let rd = r.ready();
  if (r.role === 'precandidate') {
    r.step({ ...base(voter, r.id, r.currentTerm + 1), type: 'vote-resp', pre: true, granted: true });
    rd = r.ready();
  }
  r.persisted(rd.persist?.id ?? 0);
  r.step({ ...base(voter, r.id, r.currentTerm), type: 'vote-resp', pre: false, granted: true });
  const out = r.ready();
  if (r.role !== 'leader') throw new Error(`electLeader: ${r.id} is ${r.role}`);
  return out;
}
