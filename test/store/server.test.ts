// The store server on the kernel: one shard on three machines, driven by a scripted client.
import { describe, expect, it } from 'vitest';
import { World } from '../../src/sim/world.js';
import { StoreServer, type ServerEnv } from '../../src/store/server.js';
import { defaultRaftConfig } from '../../src/raft/config.js';
import type { ClientReply, ClientRequest } from '../../src/store/protocol.js';
import type { MachineContext } from '../../src/sim/machine.js';

function cluster(snapshotEvery = 1000) {
  const world = new World({ seed: 3, link: { jitterUs: 0, tailProbability: 0 } });
  const machines = ['n1', 'n2', 'n3'];
  const env: ServerEnv = {
    ring: { shards: 1, shardOfKey: () => 0, replicasOf: () => machines, preferredLeaderOf: () => 'n1' },
    raftConfig: (g, id) => defaultRaftConfig(g, id),
    snapshotEvery,
    bugs: new Set(),
  };
  const servers = new Map<string, StoreServer>();
  for (const id of machines) world.addMachine(id, (ctx) => {
    const s = new StoreServer(ctx, env);
    servers.set(id, s);
    return s;
  });
  const replies: ClientReply[] = [];
  let client!: MachineContext;
  world.addMachine('c1', (ctx) => {
    client = ctx;
    return { onMessage: (_f, p) => replies.push(p as ClientReply) };
  });
  let reqId = 1;
  const ask = (to: string, req: Omit<ClientRequest, 'kind' | 'reqId' | 'shard'>, runUs = 200_000): ClientReply => {
    const id = reqId++;
    client.send(to, { kind: 'req', reqId: id, shard: 0, ...req }, 'test');
    world.run(world.nowUs + runUs);
    const reply = replies.find((r) => r.reqId === id);
    if (reply === undefined) throw new Error(`no reply to request ${id}`);
    return reply;
  };
  const leader = () => [...servers.entries()].find(([m, s]) => world.machine(m).state === 'up' && s.leaderGroups().includes(0))?.[0];
  world.run(2_000_000); // elect
  return { world, servers, ask, leader, replies };
}

describe('store server', () => {
  it('elects a leader and applies a put, replying with its log index', () => {
    const { ask, leader } = cluster();
    const l = leader()!;
    expect(l).toBeDefined();
    const reply = ask(l, { opId: 1, op: 'put', key: 'k', value: 'v1' });
    expect(reply).toMatchObject({ status: 'ok' });
    expect(reply.index).toBeGreaterThan(1); // after the leader's no-op
  });

  it('redirects writes and leader reads from a follower with the leader hint', () => {
    const { ask, leader } = cluster();
    const l = leader()!;
    const follower = ['n1', 'n2', 'n3'].find((m) => m !== l)!;
    expect(ask(follower, { opId: 1, op: 'put', key: 'k', value: 'v' })).toMatchObject({ status: 'not-leader', leaderHint: l });
    expect(ask(follower, { opId: 2, op: 'get', key: 'k', level: 'linearizable' })).toMatchObject({ status: 'not-leader', leaderHint: l });
  });

  it('serves linearizable, lease, follower, session and bounded reads of a committed value', () => {
    const { ask, leader } = cluster();
    const l = leader()!;
    const put = ask(l, { opId: 1, op: 'put', key: 'k', value: 'v1' });
    const follower = ['n1', 'n2', 'n3'].find((m) => m !== l)!;
    for (const [to, level] of [[l, 'linearizable'], [l, 'lease'], [follower, 'follower'], [follower, 'session']] as const) {
      const r = ask(to, { opId: 10, op: 'get', key: 'k', level, ...(level === 'session' && { sessionIndex: put.index }) });
      expect(r, level).toMatchObject({ status: 'ok', value: 'v1', version: put.index });
    }
    // A bounded read first finds the follower unconfirmed: it asks the leader and holds the read
    // for the answer (at most the bound), then serves it — even on an idle cluster.
    const first = ask(follower, { opId: 11, op: 'get', key: 'k', level: 'bounded', boundUs: 50_000 }, 50_000);
    expect(first).toMatchObject({ status: 'ok', value: 'v1' });
    const second = ask(follower, { opId: 12, op: 'get', key: 'k', level: 'bounded', boundUs: 50_000 }, 5_000);
    expect(second).toMatchObject({ status: 'ok', value: 'v1' });
    // The leader itself, unconfirmed at first, serves as well (its own ReadIndex round answers it).
    expect(ask(l, { opId: 13, op: 'get', key: 'k', level: 'bounded', boundUs: 50_000 }, 50_000)).toMatchObject({ status: 'ok', value: 'v1' });
  });

  it('a bounded read at a follower cut off from its leader is refused once its bound has passed, not before', () => {
    const { world, ask, leader, replies } = cluster();
    const l = leader()!;
    const follower = ['n1', 'n2', 'n3'].find((m) => m !== l)!;
    expect(ask(l, { opId: 1, op: 'put', key: 'k', value: 'v1' }).status).toBe('ok');
    world.network.cutAll([[l, follower]], 'test');
    world.run(world.nowUs + 500_000); // whatever freshness the follower had is older than the bound
    const before = replies.length;
    let early = false;
    try {
      ask(follower, { opId: 2, op: 'get', key: 'k', level: 'bounded', boundUs: 100_000 }, 90_000);
    } catch {
      early = true; // no answer within 90 ms: the read is held for its 100 ms bound
    }
    expect(early).toBe(true);
    expect(replies.length).toBe(before);
    world.run(world.nowUs + 50_000);
    expect(replies[replies.length - 1]).toMatchObject({ status: 'unavailable', reason: 'staler than the bound' });
  });

  it('a bounded read whose freshness query was lost asks again while it waits, and is served within its bound', () => {
    const { world, ask, leader } = cluster();
    const l = leader()!;
    const follower = ['n1', 'n2', 'n3'].find((m) => m !== l)!;
    expect(ask(l, { opId: 1, op: 'put', key: 'k', value: 'v1' }).status).toBe('ok');
    world.run(world.nowUs + 500_000); // whatever freshness the follower had is older than the bound
    // The query the read sends on arrival is lost; no other read comes to ask again.
    world.network.cutAll([[l, follower]], 'test');
    world.after(20_000, () => world.network.heal('all'));
    // Asked again at half the bound: served well before the bound, not refused at it.
    expect(ask(follower, { opId: 2, op: 'get', key: 'k', level: 'bounded', boundUs: 300_000 }, 250_000)).toMatchObject({ status: 'ok', value: 'v1' });
  });

  it('a bounded read at a replica that knows no leader asks once it knows one', () => {
    const { world, ask, leader, servers } = cluster();
    const l = leader()!;
    const follower = ['n1', 'n2', 'n3'].find((m) => m !== l)!;
    expect(ask(l, { opId: 1, op: 'put', key: 'k', value: 'v1' }).status).toBe('ok');
    // Cut off for longer than an election timeout, the follower campaigns and knows no leader.
    const others = ['n1', 'n2', 'n3'].filter((m) => m !== follower);
    world.network.cutAll(others.map((m) => [m, follower] as [string, string]), 'test');
    world.run(world.nowUs + 500_000);
    expect(servers.get(follower)!.groupInfo(0)!.leader).toBeNull();
    // Nothing can be sent on arrival; healed 10 ms later, it learns the leader from a heartbeat
    // and its next ask goes out while the read still waits.
    world.after(10_000, () => world.network.heal('all'));
    expect(ask(follower, { opId: 2, op: 'get', key: 'k', level: 'bounded', boundUs: 400_000 }, 350_000)).toMatchObject({ status: 'ok', value: 'v1' });
  });

  it('a retried put is applied once (dedup by op id)', () => {
    const { ask, leader } = cluster();
    const l = leader()!;
    const a = ask(l, { opId: 7, op: 'put', key: 'k', value: 'x' });
    const b = ask(l, { opId: 7, op: 'put', key: 'k', value: 'x' });
    expect(b.index).toBe(a.index);
  });

  it('a session read waits until the replica has applied the session index', () => {
    const { world, ask, leader, replies, servers } = cluster();
    const l = leader()!;
    const follower = ['n1', 'n2', 'n3'].find((m) => m !== l)!;
    world.network.cutAll([[l, follower]], 'test'); // the follower stops receiving the log
    const put = ask(l, { opId: 1, op: 'put', key: 'k', value: 'v1' });
    expect(put.status).toBe('ok');
    const before = replies.length;
    let ok = false;
    try {
      ask(follower, { opId: 2, op: 'get', key: 'k', level: 'session', sessionIndex: put.index }, 50_000);
    } catch {
      ok = true; // no reply while it cannot catch up
    }
    expect(ok).toBe(true);
    expect(replies.length).toBe(before);
    world.network.heal('all');
    world.run(world.nowUs + 500_000);
    const info = servers.get(follower)!.groupInfo(0);
    expect(info!.applied, JSON.stringify(info)).toBeGreaterThanOrEqual(put.index!);
    expect(replies[replies.length - 1]).toMatchObject({ status: 'ok', value: 'v1' });
  });

  it('recovers acknowledged writes from disk after every machine crashes', () => {
    const { world, ask, leader, servers } = cluster(4);
    const l = leader()!;
    const indexes: number[] = [];
    for (let i = 0; i < 10; i++) indexes.push(ask(l, { opId: 100 + i, op: 'put', key: `k${i}`, value: `v${i}` }).index!);
    for (const m of ['n1', 'n2', 'n3']) world.machine(m).crash();
    world.run(world.nowUs + 100_000);
    for (const m of ['n1', 'n2', 'n3']) world.machine(m).restart();
    world.run(world.nowUs + 3_000_000);
    const l2 = leader()!;
    expect(l2).toBeDefined();
    for (let i = 0; i < 10; i++) {
      expect(ask(l2, { opId: 200 + i, op: 'get', key: `k${i}`, level: 'linearizable' })).toMatchObject({ status: 'ok', value: `v${i}`, version: indexes[i] });
    }
    // Snapshots were taken (snapshotEvery 4) and every replica converged to the same state.
    const digests = ['n1', 'n2', 'n3'].map((m) => servers.get(m)!.kvOf(0)!.digest());
    expect(new Set(digests).size).toBe(1);
  });
});
