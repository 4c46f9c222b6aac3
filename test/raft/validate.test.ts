// parseRaftMessage (src/raft/validate.ts): what a host runs on every arriving Raft message. The
// table of malformed messages fed to a real server is in test/store/malformed.test.ts; here the
// parser's own contract: what a replica sends comes back equal, as a new object with exactly its
// type's fields, its entries and snapshot the checked originals; the data check is the caller's.
import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { RaftReplica } from '../../src/raft/replica.js';
import { confOf, defaultRaftConfig } from '../../src/raft/config.js';
import type { AppendRequest, RaftMessage, SnapshotRequest } from '../../src/raft/messages.js';
import { parseRaftMessage, parseRaftMessages, RAFT_NUMBER_MAX, type RaftDataCheck } from '../../src/raft/validate.js';

const RUNS = Number(process.env.KVSIM_PROP_RUNS ?? 300);

/** A leader `a` of {a, b, c} with two entries proposed, and the messages it sent. */
function leaderMessages(): RaftMessage[] {
  const out: RaftMessage[] = [];
  let now = 0;
  const a = new RaftReplica({ config: defaultRaftConfig(3, 'a'), rng: { int: (lo) => lo }, bootstrap: confOf(['a', 'b', 'c']) });
  const drain = () => {
    const rd = a.ready();
    if (rd.persist !== null) a.persisted(rd.persist.id);
    for (const m of rd.messages) out.push(m.msg);
  };
  while (a.role !== 'precandidate') a.tick((now += 10_000));
  drain();
  a.step({ group: 3, from: 'b', to: 'a', term: 1, type: 'vote-resp', pre: true, granted: true });
  drain();
  a.step({ group: 3, from: 'b', to: 'a', term: 1, type: 'vote-resp', pre: false, granted: true });
  drain();
  a.propose('x');
  a.propose('y');
  drain();
  a.tick((now += 10_000));
  a.tick((now += 10_000));
  drain();
  return out;
}

describe('parseRaftMessage', () => {
  it('gives back what a replica sends, as a new object with the same fields', () => {
    const sent = leaderMessages();
    const types = new Set(sent.map((m) => m.type));
    expect([...types].sort()).toEqual(['append', 'heartbeat', 'vote']);
    for (const m of sent) {
      const parsed = parseRaftMessage(m);
      expect(parsed).toStrictEqual(m);
      expect(parsed).not.toBe(m);
    }
    const append = sent.find((m): m is AppendRequest => m.type === 'append' && m.entries.length > 0)!;
    expect((parseRaftMessage(append) as AppendRequest).entries).toBe(append.entries); // checked, not copied
  });

  it('keeps only the fields of the type', () => {
    const hb = { group: 1, from: 'b', to: 'a', term: 2, type: 'heartbeat', commit: 0, round: 3 };
    expect(parseRaftMessage({ ...hb, extra: { huge: 'x'.repeat(1000) }, entries: [1, 2] })).toStrictEqual(hb);
  });

  it('leaves entry and snapshot data to the caller’s check', () => {
    const snap: SnapshotRequest = {
      group: 1, from: 'b', to: 'a', term: 2, type: 'snapshot',
      snapshot: { index: 4, term: 2, hash: 99, conf: confOf(['a', 'b']), data: 'opaque' },
    };
    const refuseAll: RaftDataCheck = { entry: () => false, snapshot: () => false };
    expect(parseRaftMessage(snap)).toStrictEqual(snap);
    expect(parseRaftMessage(snap, refuseAll)).toBeNull();
    const append = { group: 1, from: 'b', to: 'a', term: 2, type: 'append', prevIndex: 0, prevTerm: 0, commit: 0, entries: [{ kind: 'normal', index: 1, term: 2, data: 'w1' }] };
    expect(parseRaftMessage(append)).toStrictEqual(append);
    expect(parseRaftMessage(append, refuseAll)).toBeNull();
    expect(parseRaftMessage({ ...append, entries: [{ kind: 'noop', index: 1, term: 2 }] }, refuseAll)).not.toBeNull();
  });

  it('takes indices and terms up to RAFT_NUMBER_MAX, no further', () => {
    const hb = { group: 1, from: 'b', to: 'a', term: RAFT_NUMBER_MAX, type: 'heartbeat', commit: RAFT_NUMBER_MAX, round: 0 };
    expect(parseRaftMessage(hb)).not.toBeNull();
    expect(parseRaftMessage({ ...hb, term: RAFT_NUMBER_MAX + 1 })).toBeNull();
  });

  it('refuses a whole batch for one bad message', () => {
    const hb = { group: 1, from: 'b', to: 'a', term: 2, type: 'heartbeat', commit: 0, round: 3 };
    expect(parseRaftMessages([hb, hb])).toHaveLength(2);
    expect(parseRaftMessages([hb, { ...hb, commit: -1 }])).toBeNull();
    expect(parseRaftMessages({ 0: hb, length: 1 })).toBeNull();
  });

  test.prop([fc.anything({ maxDepth: 4, withBigInt: true, withMap: true, withSet: true, withDate: true, withTypedArray: true, withSparseArray: true, withNullPrototype: true })], { numRuns: RUNS, seed: 77 })(
    'never throws on any value, and what it accepts is a message it can parse again',
    (x) => {
      const m = parseRaftMessage(x);
      if (m !== null) expect(parseRaftMessage(m)).toStrictEqual(m);
    },
  );
});
