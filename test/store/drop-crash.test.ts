// A replica removed from its group and then dropped, with its machine crashed at every step of
// the drop: before the request arrives, after it was handled but before its disk batch is
// durable, and after. Whatever the crash point, the replica comes back whole (and is dropped
// again when the driver repeats the request) or not at all; it never comes back empty under
// its old id, and once the drop is confirmed it never votes or campaigns in the group again.
// The Raft invariant oracle (membership safety and leader completeness included) watches every
// run. A replica hosted again on the same machine afterwards has a new id and grants no vote
// before a leader has told it that it is a member.
import { describe, expect, it } from 'vitest';
import { World } from '../../src/sim/world.js';
import { StoreServer, type ServerEnv } from '../../src/store/server.js';
import { defaultRaftConfig } from '../../src/raft/config.js';
import { RaftInvariantOracle } from '../../src/check/raft-invariants.js';
import type { AdminReply, AdminRequest, ClientRequest } from '../../src/store/protocol.js';
import type { MachineContext } from '../../src/sim/machine.js';
import type { TraceEvent } from '../../src/trace/events.js';

const FOUNDING = ['n1', 'n2', 'n3'];
const MACHINES = [...FOUNDING, 'n4'];
type AdminStep = AdminRequest extends infer R ? (R extends AdminRequest ? Omit<R, 'seq' | 'kind' | 'shard'> : never) : never;

function cluster(seed: number) {
  const world = new World({ seed, link: { jitterUs: 0, tailProbability: 0 } });
  const oracle = new RaftInvariantOracle();
  const events: TraceEvent[] = [];
  world.tracer.listen((e) => {
    oracle.observe(e);
    if (e.type.startsWith('raft.') || e.type === 'msg.deliver' || e.type === 'msg.send' || e.type === 'disk.durable') events.push(e);
  });
  const env: ServerEnv = {
    ring: { shards: 1, shardOfKey: () => 0, replicasOf: () => FOUNDING, preferredLeaderOf: () => 'n1' },
    raftConfig: (g, id) => defaultRaftConfig(g, id),
    snapshotEvery: 1000,
    bugs: new Set(),
  };
  const servers = new Map<string, StoreServer>();
  for (const id of MACHINES) {
    world.addMachine(id, (ctx) => {
      const s = new StoreServer(ctx, env);
      servers.set(id, s);
      return s;
    });
  }
  const replies: AdminReply[] = [];
  let pd!: MachineContext;
  world.addMachine('pd', (ctx) => {
    pd = ctx;
    return { onMessage: (_f, p) => replies.push(p as AdminReply) };
  });
  let seq = 1;
  /** Send an admin request; returns its seq (the reply, if any, lands in `replies`). */
  const send = (to: string, step: AdminStep): number => {
    const s = seq++;
    pd.send(to, { kind: 'admin', shard: 0, seq: s, ...step } as AdminRequest, `admin.${step.op}`);
    return s;
  };
  const replyTo = (s: number) => replies.find((r) => r.seq === s);
  const up = (m: string) => world.machine(m).state === 'up';
  const leader = () => MACHINES.find((m) => up(m) && servers.get(m)!.leaderGroups().includes(0));
  const put = (to: string, opId: number) =>
    pd.send(to, { kind: 'req', reqId: opId, opId, shard: 0, op: 'put', key: `k${opId}`, value: `v${opId}` } satisfies ClientRequest, 'put');
  return { world, oracle, events, servers, send, replyTo, leader, put, up };
}

type Cluster = ReturnType<typeof cluster>;

/** Founding group on n1..n3, n4 added (learner, promoted), a follower removed; returns it and
 * the last index of its (durable) log. */
function removeAFollower(c: Cluster): { victim: string; leader: string; removedAt: number } {
  c.world.run(2_000_000);
  const leader = c.leader();
  if (leader === undefined) throw new Error('no leader');
  for (let i = 1; i <= 5; i++) c.put(leader, i);
  c.world.run(c.world.nowUs + 200_000);
  const host = c.send('n4', { op: 'host' });
  c.world.run(c.world.nowUs + 100_000);
  const hosted = c.replyTo(host);
  if (hosted?.op !== 'host' || hosted.replica === null) throw new Error('n4 did not answer host');
  expect(hosted.replica).toBe('n4#1'); // a replica created on request takes a fresh id
  const confIndex = () => c.servers.get(leader)!.host.replica(0)!.confIndex;
  c.send(leader, { op: 'conf', confIndex: confIndex(), change: { type: 'add-learner', id: hosted.replica } });
  c.world.run(c.world.nowUs + 500_000);
  c.send(leader, { op: 'conf', confIndex: confIndex(), change: { type: 'promote', id: hosted.replica } });
  c.world.run(c.world.nowUs + 500_000);
  const victim = FOUNDING.find((m) => m !== leader)!;
  c.send(leader, { op: 'conf', confIndex: confIndex(), change: { type: 'remove', id: victim } });
  c.world.run(c.world.nowUs + 500_000);
  // The leader stops replicating to a replica once its removal is in the log, so the victim
  // may never learn of it: it still believes it is a voter (and PreVote keeps it harmless).
  const raft = c.servers.get(victim)!.host.replica(0)!;
  const lead = c.servers.get(leader)!.host.replica(0)!;
  expect(lead.membership.voters).toEqual([...FOUNDING.filter((m) => m !== victim), 'n4#1'].sort());
  expect(lead.commitIndex).toBeGreaterThanOrEqual(lead.confIndex);
  return { victim, leader, removedAt: raft.lastIndex };
}

interface DropRun {
  c: Cluster;
  victim: string;
  removedAt: number;
  dropSentUs: number;
  confirmedUs: number;
}

/** Drop the removed follower, crashing its machine at `crashAtUs` (restart 50 ms later). */
function dropWithCrash(seed: number, crashAtUs: number | null): DropRun {
  const c = cluster(seed);
  const { victim, removedAt } = removeAFollower(c);
  const dropSentUs = c.world.nowUs;
  if (crashAtUs !== null) {
    c.world.at(crashAtUs, () => c.world.machine(victim).crash());
    c.world.at(crashAtUs + 50_000, () => c.world.machine(victim).restart());
  }
  // The driver repeats the drop until it is confirmed.
  let confirmedUs = -1;
  for (let round = 0; round < 20 && confirmedUs < 0; round++) {
    const s = c.send(victim, { op: 'drop', replica: victim });
    c.world.run(c.world.nowUs + 100_000);
    const reply = c.replyTo(s);
    if (reply !== undefined && reply.op === 'drop' && reply.ok) confirmedUs = c.world.nowUs;
  }
  expect(confirmedUs, 'the drop is confirmed').toBeGreaterThan(0);
  return { c, victim, removedAt, dropSentUs, confirmedUs };
}

/** Elections after the drop: the leader crashes twice, the victim's machine restarts once more. */
function churn(c: Cluster, victim: string): void {
  for (let i = 0; i < 2; i++) {
    const l = c.leader();
    if (l !== undefined) {
      c.world.machine(l).crash();
      c.world.run(c.world.nowUs + 700_000);
      c.world.machine(l).restart();
    }
    c.world.machine(victim).crash();
    c.world.run(c.world.nowUs + 20_000);
    c.world.machine(victim).restart();
    c.world.run(c.world.nowUs + 1_000_000);
  }
}

/** Crash points: just before the drop arrives, after it is handled, and around each disk write of the victim until the confirmation. */
function crashPoints(seed: number): number[] {
  const probe = dropWithCrash(seed, null);
  const deliver = probe.c.events.find((e) => e.type === 'msg.deliver' && e.label === 'admin.drop' && e.t >= probe.dropSentUs);
  const confirm = probe.c.events.find((e) => e.type === 'msg.send' && e.label === 'admin-reply.drop');
  if (deliver === undefined || confirm === undefined) throw new Error('the probe run shows no drop');
  const points = new Set<number>([deliver.t, deliver.t + 1, confirm.t, confirm.t + 1, confirm.t + 10_000]);
  for (const e of probe.c.events) {
    if (e.type === 'disk.durable' && e.machine === probe.victim && e.t >= deliver.t && e.t <= confirm.t) {
      points.add(e.t);
      points.add(e.t + 1);
    }
  }
  return [...points].sort((a, b) => a - b);
}

describe('a dropped replica, crashed at every step of its drop', () => {
  const seed = 11;
  const points = crashPoints(seed);

  it('has several distinct crash points to try', () => {
    expect(points.length).toBeGreaterThanOrEqual(4);
  });

  for (const at of points) {
    it(`crash at ${at} µs: back whole or not at all, and never votes or campaigns once dropped`, () => {
      const run = dropWithCrash(seed, at);
      const { c, victim } = run;
      churn(c, victim);
      expect(c.oracle.violation, c.oracle.violation?.message).toBeNull();
      for (const e of c.events) {
        if (e.type === 'raft.restart' && e.replica === victim && e.group === 0 && e.t > run.dropSentUs) {
          // Never half-deleted: a replica that comes back holds its log through the removal.
          expect(e.lastIndex, `restart at ${e.t}`).toBeGreaterThanOrEqual(run.removedAt);
          expect(e.term).toBeGreaterThan(0);
        }
        if (e.t <= run.confirmedUs || e.group !== 0 || !('replica' in e) || e.replica !== victim) continue;
        expect(e.type, `${victim} acts in the group after its drop was confirmed (t=${e.t})`).not.toBe('raft.vote');
        if (e.type === 'raft.role') expect(['precandidate', 'candidate', 'leader']).not.toContain(e.role);
        expect(e.type).not.toBe('raft.restart');
      }
      expect(c.servers.get(victim)!.host.hasGroup(0)).toBe(false);
      // The group still serves: a leader among the remaining voters.
      c.world.run(c.world.nowUs + 2_000_000);
      const l = c.leader();
      expect(l).toBeDefined();
      expect(l).not.toBe(victim);
    });
  }

  it('hosted again on the same machine, the replica has a new id and grants no vote until a leader adds it', () => {
    const run = dropWithCrash(seed, null);
    const { c, victim } = run;
    const s = c.send(victim, { op: 'host' });
    c.world.run(c.world.nowUs + 100_000);
    const reply = c.replyTo(s);
    expect(reply).toMatchObject({ op: 'host', ok: true, replica: `${victim}#1` });
    churn(c, victim);
    expect(c.oracle.violation, c.oracle.violation?.message).toBeNull();
    const votes = c.events.filter((e) => e.type === 'raft.vote' && e.group === 0 && (e.replica === `${victim}#1` || e.replica === victim) && e.t > run.confirmedUs);
    expect(votes).toEqual([]);
    // It restarted with the machine (twice) under its own id, empty, and still knows no membership.
    const restarts = c.events.filter((e) => e.type === 'raft.restart' && e.replica === `${victim}#1`);
    expect(restarts.length).toBeGreaterThanOrEqual(2);
    for (const r of restarts) if (r.type === 'raft.restart') expect(r.voters).toEqual([]);
  });
});
