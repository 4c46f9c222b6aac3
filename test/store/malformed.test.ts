// Every process that receives messages checks their shape first (src/store/protocol.ts,
// src/raft/validate.ts): over TCP anyone can send a well-formed frame with garbage inside. A
// malformed payload is dropped and counted in `malformed`, with no reply, no trace event and no
// disk write; what our own processes send always passes (else a simulated run would change).
import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { isDeepStrictEqual } from 'node:util';
import { World } from '../../src/sim/world.js';
import type { BootFn, MachineContext } from '../../src/sim/machine.js';
import { StoreCluster } from '../../src/store/cluster.js';
import { Ring } from '../../src/store/ring.js';
import { DEFAULT_PLACEMENT, type PlacementDriver } from '../../src/store/placement.js';
import { DEFAULT_CLIENT, type StoreClient } from '../../src/store/client.js';
import type { StoreServer } from '../../src/store/server.js';
import { defaultRaftConfig } from '../../src/raft/config.js';
import { parseRaftMessage, parseRaftMessages, RAFT_ENTRIES_PER_MSG_MAX, RAFT_ID_LENGTH_MAX } from '../../src/raft/validate.js';
import type { RaftMessageType } from '../../src/raft/messages.js';
import { AssertionError } from '../../src/base/assert.js';
import {
  isAdminReply,
  isAdminRequest,
  isClientReply,
  isClientRequest,
  isFreshnessAnswer,
  isFreshnessQuery,
  isLoadReport,
  KV_DATA_CHECK,
  kindOf,
} from '../../src/store/protocol.js';

// KVSIM_PROP_RUNS raises the number of cases (each is one synchronous delivery: cheap).
const RUNS = Number(process.env.KVSIM_PROP_RUNS ?? 300);

const MACHINES = ['n1', 'n2', 'n3'];

function storeCluster(seed: number, wrap?: (ctx: MachineContext) => MachineContext) {
  const world = new World({ seed });
  if (wrap !== undefined) {
    const add = world.addMachine.bind(world);
    world.addMachine = (id: string, boot: BootFn, options?: { start?: boolean }) => add(id, (ctx) => boot(wrap(ctx)), options);
  }
  const cluster = new StoreCluster(world, {
    machines: MACHINES,
    ring: Ring.build({ machines: MACHINES, shards: 2, rf: 3 }),
    raft: (g, id) => defaultRaftConfig(g, id),
    snapshotEvery: 10,
    bugs: new Set(),
    placement: { ...DEFAULT_PLACEMENT, roundUs: 50_000 },
    readServiceUs: 0,
  });
  let client!: StoreClient;
  cluster.addClient('c1', DEFAULT_CLIENT, (c) => (client = c));
  cluster.startPlacement();
  // A machine outside the cluster, as anyone who connects to a server's port.
  world.addMachine('x1', () => ({ onMessage: () => {} }));
  world.run(1_000_000);
  let op = 1;
  /** Puts and reads at every level; resolves how many completed ok. */
  const work = (rounds: number): number => {
    let ok = 0;
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < 4; k++) {
        const done = (c: { record: { outcome: string } }) => void (c.record.outcome === 'ok' && ok++);
        client.execute(op++, 0, { op: 'put', key: `key-${k}`, value: `v${round}` }, done);
        const level = (['linearizable', 'lease', 'follower', 'session', 'bounded'] as const)[(round + k) % 5]!;
        client.execute(op++, 0, { op: 'get', key: `key-${k}`, level }, done);
      }
      world.run(world.nowUs + 100_000);
    }
    world.run(world.nowUs + 2_000_000);
    return ok;
  };
  const server = (id: string): StoreServer => cluster.serverOf.get(id)!;
  return { world, cluster, work, server, client: () => client, driver: () => cluster.placementDriver as PlacementDriver };
}

/** Calls `deliver` and returns the trace events it caused (sends included: each is traced). */
function eventsDuring(world: World, deliver: () => void): string[] {
  const seen: string[] = [];
  let on = true;
  world.tracer.listen((e) => {
    if (on) seen.push(e.type);
  });
  deliver();
  on = false;
  return seen;
}

/** The receiver's check of a payload sent to machine `to` (true: it would be acted on). */
function accepted(to: string, payload: unknown, problems: string[]): void {
  const fail = (why: string) => problems.length < 5 && problems.push(`${why} -> ${to}: ${JSON.stringify(payload).slice(0, 300)}`);
  if (to === 'pd') {
    if (!isLoadReport(payload) && !isAdminReply(payload)) fail('driver refuses');
    return;
  }
  if (to.startsWith('c')) {
    if (!isClientReply(payload)) fail('client refuses');
    return;
  }
  const p = payload as { kind: string; msg: unknown; msgs: unknown[] };
  switch (kindOf(payload)) {
    case 'raft': {
      const m = parseRaftMessage(p.msg, KV_DATA_CHECK);
      if (m === null) fail('raft refuses');
      else if (!isDeepStrictEqual(m, p.msg)) fail('raft parse differs');
      return;
    }
    case 'raft-batch': {
      const quiet = (p as { quiet?: unknown }).quiet;
      if (quiet !== undefined && !(Array.isArray(quiet) && quiet.length % 2 === 0 && quiet.every((v) => Number.isSafeInteger(v) && v >= 0))) fail('raft batch quiet list refused');
      const ms = parseRaftMessages(p.msgs, KV_DATA_CHECK);
      if (ms === null) fail('raft batch refuses');
      else if (!isDeepStrictEqual(ms, p.msgs)) fail('raft batch parse differs');
      return;
    }
    case 'req':
      if (!isClientRequest(payload)) fail('server refuses request');
      return;
    case 'admin':
      if (!isAdminRequest(payload)) fail('server refuses admin');
      return;
    case 'fresh-req':
      if (!isFreshnessQuery(payload)) fail('server refuses freshness query');
      return;
    case 'fresh-resp':
      if (!isFreshnessAnswer(payload)) fail('server refuses freshness answer');
      return;
    default:
      fail('unknown kind');
  }
}

describe('what our own processes send passes every check', () => {
  it('a run with reads at every level, snapshots, a crash, a join and a transfer sends nothing a receiver refuses', () => {
    const problems: string[] = [];
    const types = new Set<RaftMessageType>();
    let messages = 0;
    const { world, cluster, work } = storeCluster(5, (ctx) => ({
      ...ctx,
      id: ctx.id,
      disk: ctx.disk,
      send: (to, payload, label) => {
        messages++;
        accepted(to, payload, problems);
        const p = payload as { kind?: string; msg?: { type: RaftMessageType }; msgs?: { type: RaftMessageType }[] };
        if (p.kind === 'raft') types.add(p.msg!.type);
        if (p.kind === 'raft-batch') for (const m of p.msgs!) types.add(m.type);
        ctx.send(to, payload, label);
      },
    }));
    expect(work(5)).toBeGreaterThan(30);
    world.machine('n2').crash();
    work(10); // the others compact past n2's log: it gets a snapshot on restart
    world.machine('n2').restart();
    cluster.join('n4');
    work(10);
    expect(cluster.transfer(0, (_leader, others) => others[0]).asked?.accepted).toBe(true);
    work(3);
    expect(problems).toEqual([]);
    expect(messages).toBeGreaterThan(2000);
    expect([...types].sort()).toEqual(['append', 'append-resp', 'heartbeat', 'heartbeat-resp', 'snapshot', 'timeout-now', 'vote', 'vote-resp']);
  });
});

/** Raft payloads for n1 that fail the check: each is dropped whole, and counted once. */
function badRaft(): [string, unknown][] {
  const base = { group: 0, from: 'n2', to: 'n1', term: 1 };
  const hb = { ...base, type: 'heartbeat', commit: 0, round: 1 };
  const append = (over: object, entries: unknown[]) => ({ kind: 'raft', msg: { ...base, type: 'append', prevIndex: 0, prevTerm: 0, commit: 0, entries, ...over } });
  const put = (data: unknown) => ({ kind: 'normal', index: 1, term: 1, data });
  const snapshot = (over: object) => ({
    kind: 'raft',
    msg: { ...base, type: 'snapshot', snapshot: { index: 5, term: 1, hash: 7, conf: { voters: ['n1', 'n2', 'n3'], learners: [] }, data: '', ...over } },
  });
  return [
    ['raft without msg', { kind: 'raft' }],
    ['raft with a group but no message', { kind: 'raft', group: 'x' }],
    ['msg null', { kind: 'raft', msg: null }],
    ['msg an array', { kind: 'raft', msg: [hb] }],
    ['unknown type', { kind: 'raft', msg: { ...hb, type: 'heartbeet' } }],
    ['group a string', { kind: 'raft', msg: { ...hb, group: '0' } }],
    ['term a string', { kind: 'raft', msg: { ...hb, term: '1' } }],
    ['term negative', { kind: 'raft', msg: { ...hb, term: -1 } }],
    ['term fractional', { kind: 'raft', msg: { ...hb, term: 1.5 } }],
    ['term NaN', { kind: 'raft', msg: { ...hb, term: Number.NaN } }],
    ['term beyond 2^53', { kind: 'raft', msg: { ...hb, term: 2 ** 60 } }],
    ['commit Infinity', { kind: 'raft', msg: { ...hb, commit: Number.POSITIVE_INFINITY } }],
    ['round missing', { kind: 'raft', msg: { ...base, type: 'heartbeat', commit: 0 } }],
    ['from missing', { kind: 'raft', msg: { ...hb, from: undefined } }],
    ['from a number', { kind: 'raft', msg: { ...hb, from: 2 } }],
    ['from empty', { kind: 'raft', msg: { ...hb, from: '' } }],
    ['from too long', { kind: 'raft', msg: { ...hb, from: 'n'.repeat(RAFT_ID_LENGTH_MAX + 1) } }],
    ['from itself', { kind: 'raft', msg: { ...hb, from: 'n1' } }],
    ['vote without pre', { kind: 'raft', msg: { ...base, type: 'vote', lastIndex: 0, lastTerm: 0, transfer: false } }],
    ['vote-resp granted a string', { kind: 'raft', msg: { ...base, type: 'vote-resp', pre: false, granted: 'yes' } }],
    ['append-resp without hint', { kind: 'raft', msg: { ...base, type: 'append-resp', success: false, matchIndex: 0, rejectedIndex: 3 } }],
    ['append entries not an array', append({}, null as unknown as unknown[])],
    ['append entries an object', append({ entries: { 0: put('') } }, [])],
    ['append entry with non-string data', append({}, [put(42)])],
    ['append entry data not JSON', append({}, [put('not json')])],
    ['append entry data another command', append({}, [put('{"type":"del","opId":1,"key":"k"}')])],
    ['append entry data with a numeric value', append({}, [put('{"type":"put","opId":1,"key":"k","value":5}')])],
    ['append entry of unknown kind', append({}, [{ kind: 'magic', index: 1, term: 1 }])],
    ['append entry index not after prevIndex', append({}, [{ kind: 'noop', index: 2, term: 1 }])],
    ['append entries with a gap', append({}, [{ kind: 'noop', index: 1, term: 1 }, { kind: 'noop', index: 3, term: 1 }])],
    ['append entry term above the message', append({}, [{ kind: 'noop', index: 1, term: 2 }])],
    ['append entry term below prevTerm', append({ term: 3, prevTerm: 2 }, [{ kind: 'noop', index: 1, term: 1 }])],
    ['append entry with a huge index', append({ prevIndex: 2 ** 60 }, [{ kind: 'noop', index: 2 ** 60 + 1, term: 1 }])],
    ['append with too many entries', append({}, Array.from({ length: RAFT_ENTRIES_PER_MSG_MAX + 1 }, (_, i) => ({ kind: 'noop', index: i + 1, term: 1 })))],
    ['conf entry with a bad change', append({}, [{ kind: 'conf', index: 1, term: 1, change: { type: 'add-voter', id: 'n9' }, conf: { voters: ['n1'], learners: [] } }])],
    ['conf entry with voters not a list', append({}, [{ kind: 'conf', index: 1, term: 1, change: { type: 'add-learner', id: 'n9' }, conf: { voters: 'n1', learners: [] } }])],
    ['conf entry with an empty id', append({}, [{ kind: 'conf', index: 1, term: 1, change: { type: 'remove', id: '' }, conf: { voters: ['n1'], learners: [] } }])],
    ['snapshot null', { kind: 'raft', msg: { ...base, type: 'snapshot', snapshot: null } }],
    ['snapshot hash negative', snapshot({ hash: -1 })],
    ['snapshot hash beyond 32 bits', snapshot({ hash: 2 ** 32 })],
    ['snapshot without conf', snapshot({ conf: undefined })],
    ['snapshot learners with a number', snapshot({ conf: { voters: ['n1'], learners: [7] } })],
    ['snapshot data not a KV snapshot', snapshot({ data: '{"appliedIndex":5}' })],
    ['snapshot data with a bad entry', snapshot({ data: '{"appliedIndex":5,"entries":[["k",{"value":1,"index":2}]],"applied":[]}' })],
    ['snapshot data not JSON', snapshot({ data: '{' })],
    ['batch msgs not an array', { kind: 'raft-batch', msgs: hb }],
    ['batch with one bad message after a good one', { kind: 'raft-batch', msgs: [hb, { ...hb, round: -1 }] }],
    ['heartbeat with quiesce not true', { kind: 'raft', msg: { ...hb, quiesce: 'yes' } }],
    ['batch quiet list of odd length', { kind: 'raft-batch', msgs: [], quiet: [1, 2, 3] }],
    ['batch quiet list with a negative group', { kind: 'raft-batch', msgs: [], quiet: [-1, 2] }],
    ['batch quiet not a list', { kind: 'raft-batch', msgs: [], quiet: { group: 1 } }],
  ];
}

/** Store payloads for a server that fail the check. */
function badStore(): [string, unknown][] {
  const req = { kind: 'req', reqId: 1, opId: 1, shard: 0, op: 'get', key: 'k' };
  const admin = { kind: 'admin', shard: 0, seq: 1 };
  return [
    ['null', null],
    ['a number', 42],
    ['a string', 'req'],
    ['an array', [req]],
    ['an empty object', {}],
    ['an unknown kind', { kind: 'nope' }],
    ['a kind that is not a string', { kind: 7 }],
    ['a put without key', { kind: 'req', reqId: 1, opId: 1, shard: 0, op: 'put' }],
    ['reqId a string', { ...req, reqId: '1' }],
    ['opId fractional', { ...req, opId: 1.5 }],
    ['op delete', { ...req, op: 'delete' }],
    ['key a number', { ...req, key: 5 }],
    ['value a number', { ...req, op: 'put', value: 5 }],
    ['level strong', { ...req, level: 'strong' }],
    ['shard negative', { ...req, shard: -1 }],
    ['shard beyond the ring', { ...req, shard: 2 }],
    ['shard a string', { ...req, shard: '0' }],
    ['sessionIndex negative', { ...req, level: 'session', sessionIndex: -1 }],
    ['boundUs NaN', { ...req, level: 'bounded', boundUs: Number.NaN }],
    ['boundUs negative', { ...req, level: 'bounded', boundUs: -5 }],
    ['freshness query without qid', { kind: 'fresh-req', shard: 0 }],
    ['freshness answer with a string index', { kind: 'fresh-resp', shard: 0, qid: 1, sent: 5, index: 'x' }],
    ['freshness answer beyond the ring', { kind: 'fresh-resp', shard: 99, qid: 1, sent: 5, index: 1 }],
    ['freshness query without its send time', { kind: 'fresh-req', shard: 0, qid: 1 }],
    ['freshness answer with a string send time', { kind: 'fresh-resp', shard: 0, qid: 1, sent: 'x', index: 1 }],
    ['admin op unknown', { ...admin, op: 'nuke' }],
    ['admin without seq', { kind: 'admin', shard: 0, op: 'status' }],
    ['admin conf without change', { ...admin, op: 'conf', confIndex: 0 }],
    ['admin conf with a bad change type', { ...admin, op: 'conf', confIndex: 0, change: { type: 'add-voter', id: 'n9' } }],
    ['admin conf without confIndex', { ...admin, op: 'conf', change: { type: 'remove', id: 'n3' } }],
    ['admin transfer to a number', { ...admin, op: 'transfer', to: 5 }],
    ['admin drop of a replica named by a number', { ...admin, op: 'drop', replica: 7 }],
    ['admin host of a shard beyond the ring', { ...admin, op: 'host', shard: 1_000_000_000 }],
  ];
}

describe('a server drops and counts malformed payloads', () => {
  it('does not throw, counts each once, emits nothing, writes nothing, and keeps serving', () => {
    const { world, work, server } = storeCluster(7);
    expect(work(3)).toBeGreaterThan(15);
    const s = server('n1');
    const table = [...badRaft(), ...badStore()];
    for (const [what, payload] of table) {
      const before = s.malformed;
      const stepped = s.host.stats.messagesIn;
      const pending = world.machine('n1').disk.pendingWrites;
      const events = eventsDuring(world, () => s.onMessage('x1', payload));
      expect(s.malformed, what).toBe(before + 1);
      expect(events, what).toEqual([]);
      expect(s.host.stats.messagesIn, what).toBe(stepped);
      expect(world.machine('n1').disk.pendingWrites, what).toBe(pending);
    }
    expect(s.host.stats.malformed).toBe(badRaft().length);
    // The server still works: the garbage changed nothing.
    expect(work(3)).toBeGreaterThanOrEqual(20); // of 24 (the network drops a few)
    for (const id of MACHINES) if (id !== 'n1') expect(server(id).malformed, id).toBe(0);
  });

  it('over the simulated network too: a machine outside the cluster sends garbage, the cluster carries on', () => {
    const { world, work, server } = storeCluster(8);
    const ctx = world.machine('x1').ctx;
    const table = [...badRaft(), ...badStore()];
    for (const id of MACHINES) for (const [, payload] of table) ctx.send(id, payload, 'garbage');
    expect(work(3)).toBeGreaterThanOrEqual(20); // of 24 (the network drops a few)
    for (const id of MACHINES) expect(server(id).malformed, id).toBe(table.length);
  });

  it('a well-formed Raft message that lies about the protocol state is beyond shape checks: Raft trusts its peers', () => {
    // A "leader" of a later term announcing a commit index past n1's log: every field has its
    // type, so it passes; the replica's own safety assertion stops on it (src/store/README.md).
    const { server } = storeCluster(9);
    const s = server('n1');
    const forged = { kind: 'raft', msg: { group: 0, from: 'n3', to: 'n1', term: 1_000, type: 'heartbeat', commit: 1_000_000, round: 1 } };
    expect(() => s.onMessage('x1', forged)).toThrow(AssertionError);
    expect(s.malformed).toBe(0);
  });
});

describe('a client and the placement driver drop and count malformed payloads', () => {
  it('the client', () => {
    const { world, client, work } = storeCluster(10);
    const c = client();
    const reply = { kind: 'reply', reqId: 1, status: 'ok' };
    const table: [string, unknown][] = [
      ['null', null],
      ['a request', { kind: 'req', reqId: 1, opId: 1, shard: 0, op: 'get', key: 'k' }],
      ['reply without reqId', { kind: 'reply', status: 'ok' }],
      ['reply with an unknown status', { ...reply, status: 'fine' }],
      ['reply with a numeric value', { ...reply, value: 5 }],
      ['reply with a negative index', { ...reply, index: -3 }],
      ['reply with a fractional version', { ...reply, version: 0.5 }],
      ['reply with an empty leader hint', { ...reply, status: 'not-leader', leaderHint: '' }],
      ['reply with a reason object', { ...reply, status: 'unavailable', reason: {} }],
    ];
    for (const [what, payload] of table) {
      const before = c.malformed;
      expect(eventsDuring(world, () => c.onReply('x1', payload)), what).toEqual([]);
      expect(c.malformed, what).toBe(before + 1);
    }
    expect(work(2)).toBeGreaterThanOrEqual(13); // of 16
  });

  it('the placement driver', () => {
    const { world, driver, work } = storeCluster(11);
    const d = driver();
    const status = { shard: 0, leader: 'n1', term: 1, voters: ['n1', 'n2', 'n3'], learners: [], confCommitted: true, confIndex: 0, commit: 4, match: { n1: 4, n2: 4, n3: 4 } };
    const reply = { kind: 'admin-reply', op: 'status', shard: 0, seq: 1, status, leaderHint: 'n1' };
    const table: [string, unknown][] = [
      ['null', null],
      ['a client reply', { kind: 'reply', reqId: 1, status: 'ok' }],
      ['load report with reads a list', { kind: 'admin-load', reads: [1, 2], intervalUs: 500_000 }],
      ['load report with a shard key that is not a number', { kind: 'admin-load', reads: { x: 1 }, intervalUs: 500_000 }],
      ['load report with a non-canonical shard key', { kind: 'admin-load', reads: { '01': 1 }, intervalUs: 500_000 }],
      ['load report with a negative count', { kind: 'admin-load', reads: { 0: -1 }, intervalUs: 500_000 }],
      ['load report without interval', { kind: 'admin-load', reads: {} }],
      ['status reply for another shard than it names', { ...reply, status: { ...status, shard: 1 } }],
      ['status with a leader that is not an id', { ...reply, status: { ...status, leader: null } }],
      ['status with voters a string', { ...reply, status: { ...status, voters: 'n1' } }],
      ['status with a match of a string', { ...reply, status: { ...status, match: { n1: '4' } } }],
      ['status without confCommitted', { ...reply, status: { ...status, confCommitted: undefined } }],
      ['status reply without leaderHint', { kind: 'admin-reply', op: 'status', shard: 0, seq: 1, status: null }],
      ['host reply with a numeric replica', { kind: 'admin-reply', op: 'host', shard: 0, seq: 1, ok: true, reason: 'hosting', replica: 3 }],
      ['drop reply without ok', { kind: 'admin-reply', op: 'drop', shard: 0, seq: 1, reason: 'dropped' }],
      ['reply of an unknown op', { kind: 'admin-reply', op: 'split', shard: 0, seq: 1, ok: true, reason: '' }],
    ];
    for (const [what, payload] of table) {
      const before = d.malformed;
      expect(eventsDuring(world, () => d.onMessage('x1', payload)), what).toEqual([]);
      expect(d.malformed, what).toBe(before + 1);
    }
    expect(work(2)).toBeGreaterThanOrEqual(13); // of 16
  });
});

describe('random payloads never make a receiver throw', () => {
  // One long-lived cluster for all cases, as a server that stays up while garbage arrives.
  const { world, server, client, driver } = storeCluster(12);
  const kinds = ['raft', 'raft-batch', 'req', 'reply', 'admin', 'admin-reply', 'admin-load', 'fresh-req', 'fresh-resp'];
  const json = fc.jsonValue({ maxDepth: 4 });
  // Garbage with a kind a receiver knows, so the checks past the first are exercised too.
  const shaped = fc.tuple(fc.constantFrom(...kinds), fc.dictionary(fc.constantFrom('msg', 'msgs', 'reqId', 'opId', 'shard', 'op', 'key', 'seq', 'status', 'reads', 'qid', 'index', 'type', 'group', 'from', 'to', 'term', 'entries'), json)).map(([kind, rest]) => ({ ...rest, kind }));
  const payload = fc.oneof(json, shaped);
  const receivers = fc.constantFrom('n1', 'n2', 'c1', 'pd');

  test.prop([receivers, payload], { numRuns: RUNS, seed: 4242 })('any JSON value, to a server, a client or the driver', (to, p) => {
    const deliver = () => {
      if (to === 'c1') client().onReply('x1', p);
      else if (to === 'pd') driver().onMessage('x1', p);
      else server(to).onMessage('x1', p);
    };
    expect(deliver).not.toThrow();
    world.run(world.nowUs + 1_000);
  });

  // What passes a store check must not throw either: well-formed store messages with any values
  // in their fields' domains (Raft's own messages are the exception above: Raft trusts peers).
  const id = fc.constantFrom('n1', 'n2', 'n3', 'n1#1', 'x1', 'zz');
  const num = fc.oneof(fc.nat(20), fc.nat());
  const wellFormed = fc.oneof(
    fc.record({
      kind: fc.constant('req'),
      reqId: fc.integer(),
      opId: fc.integer(),
      shard: fc.nat(1),
      op: fc.constantFrom('put', 'get'),
      key: fc.string({ maxLength: 5 }),
      value: fc.option(fc.string({ maxLength: 5 }), { nil: undefined }),
      level: fc.option(fc.constantFrom('linearizable', 'lease', 'follower', 'session', 'bounded'), { nil: undefined }),
      sessionIndex: fc.option(num, { nil: undefined }),
      boundUs: fc.option(num, { nil: undefined }),
    }),
    fc.record({ kind: fc.constant('fresh-req'), shard: fc.nat(1), qid: fc.integer(), sent: fc.integer() }),
    fc.record({ kind: fc.constant('fresh-resp'), shard: fc.nat(1), qid: fc.nat(100), sent: fc.integer(), index: num }),
    fc.record({ kind: fc.constant('admin'), op: fc.constantFrom('status', 'host', 'drop'), shard: fc.nat(1), seq: fc.integer(), replica: fc.option(id, { nil: undefined }) }),
    fc.record({ kind: fc.constant('admin'), op: fc.constant('transfer'), shard: fc.nat(1), seq: fc.integer(), to: id }),
    fc.record({
      kind: fc.constant('admin'),
      op: fc.constant('conf'),
      shard: fc.nat(1),
      seq: fc.integer(),
      confIndex: num,
      change: fc.record({ type: fc.constantFrom('add-learner', 'promote', 'remove'), id }),
    }),
  );

  test.prop([fc.constantFrom('n1', 'n2', 'n3'), wellFormed], { numRuns: RUNS, seed: 4243 })('well-formed store messages with any field values, to a server', (to, p) => {
    const s = server(to);
    expect(isClientRequest(p) || isFreshnessQuery(p) || isFreshnessAnswer(p) || isAdminRequest(p)).toBe(true);
    const before = s.malformed;
    expect(() => s.onMessage('x1', p)).not.toThrow();
    expect(s.malformed).toBe(before);
    world.run(world.nowUs + 5_000);
  });
});
