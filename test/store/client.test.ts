// The client library against scripted servers: routing, redirects, retries, read levels and
// the three outcomes.
import { describe, expect, it } from 'vitest';
import { World } from '../../src/sim/world.js';
import type { MachineContext } from '../../src/sim/machine.js';
import { StoreClient, DEFAULT_CLIENT, type CompletedOp, type ClientOptions, type Router } from '../../src/store/client.js';
import type { ClientReply, ClientRequest } from '../../src/store/protocol.js';

type Script = (machine: string, req: ClientRequest) => Omit<ClientReply, 'kind' | 'reqId'> | null;

function setup(script: Script, options: Partial<ClientOptions> = {}, replicas = ['n1', 'n2', 'n3']) {
  const world = new World({ seed: 1, link: { jitterUs: 0, tailProbability: 0, meanUs: 1000, minUs: 1000 } });
  const seen: { machine: string; req: ClientRequest }[] = [];
  for (const id of replicas) {
    world.addMachine(id, (ctx) => ({
      onMessage: (from, payload) => {
        const req = payload as ClientRequest;
        seen.push({ machine: id, req });
        const reply = script(id, req);
        if (reply !== null) ctx.send(from, { kind: 'reply', reqId: req.reqId, ...reply }, 'reply');
      },
    }));
  }
  const router: Router = { shards: 1, shardOfKey: () => 0, replicasOf: () => replicas, preferredLeaderOf: () => replicas[0]! };
  let client!: StoreClient;
  let clientCtx!: MachineContext;
  world.addMachine('c1', (ctx) => {
    clientCtx = ctx;
    client = new StoreClient(ctx, router, { ...DEFAULT_CLIENT, ...options }, () => world.nowUs);
    return { onMessage: (from, payload) => client.onReply(from, payload as ClientReply) };
  });
  const done: CompletedOp[] = [];
  const run = (spec: Parameters<StoreClient['execute']>[2]) => {
    client.execute(done.length + 1, 7, spec, (c) => done.push(c));
    world.run(world.nowUs + 10_000_000);
    return done[done.length - 1]!;
  };
  return { world, seen, run, ctx: () => clientCtx };
}

describe('store client', () => {
  it('sends a put to the preferred leader first and reports ok with the index', () => {
    const { seen, run } = setup(() => ({ status: 'ok', index: 12 }));
    const c = run({ op: 'put', key: 'k1', value: 'v' });
    expect(seen.map((s) => s.machine)).toEqual(['n1']);
    expect(c.record).toMatchObject({ op: 'put', key: 'k1', value: 'v', outcome: 'ok', index: 12, servedBy: 'n1', client: 7 });
    expect(c.record.completeUs! - c.record.invokeUs).toBe(2000); // one round trip
  });

  it('follows a not-leader hint at once', () => {
    const { seen, run } = setup((m) => (m === 'n3' ? { status: 'ok', index: 3 } : { status: 'not-leader', leaderHint: 'n3' }));
    const c = run({ op: 'put', key: 'k', value: 'v' });
    expect(seen.map((s) => s.machine)).toEqual(['n1', 'n3']);
    expect(c.record.outcome).toBe('ok');
    expect(c.record.completeUs! - c.record.invokeUs).toBe(4000); // no backoff on a hint
  });

  it('remembers the leader for the next operation', () => {
    const { seen, run } = setup((m) => (m === 'n2' ? { status: 'ok', index: 1 } : { status: 'not-leader', leaderHint: 'n2' }));
    run({ op: 'put', key: 'a', value: '1' });
    run({ op: 'put', key: 'b', value: '2' });
    expect(seen.map((s) => s.machine)).toEqual(['n1', 'n2', 'n2']);
  });

  it('a put refused everywhere until the deadline fails (definitely not applied)', () => {
    const { run } = setup(() => ({ status: 'not-leader' }), { timeoutUs: 300_000 });
    const c = run({ op: 'put', key: 'k', value: 'v' });
    expect(c.record.outcome).toBe('failed');
    expect(c.attempts).toBeGreaterThan(2);
    expect(c.record.completeUs).not.toBeNull();
  });

  it('a put that got no answer is indeterminate, never failed', () => {
    const { run } = setup(() => null, { timeoutUs: 600_000, attemptTimeoutUs: 100_000 });
    const c = run({ op: 'put', key: 'k', value: 'v' });
    expect(c.record.outcome).toBe('indeterminate');
    expect(c.record.completeUs).toBeNull();
    expect(c.record.value).toBe('v');
  });

  it('a put whose leader lost leadership after proposing is indeterminate unless a retry succeeds', () => {
    let calls = 0;
    const { run } = setup(() => (++calls === 1 ? { status: 'unknown' } : { status: 'not-leader' }), { timeoutUs: 300_000 });
    expect(run({ op: 'put', key: 'k', value: 'v' }).record.outcome).toBe('indeterminate');
    calls = 0;
    const ok = setup(() => (++calls === 1 ? { status: 'unknown' } : { status: 'ok', index: 5 }));
    expect(ok.run({ op: 'put', key: 'k', value: 'v' }).record).toMatchObject({ outcome: 'ok', index: 5 });
  });

  it('a read with no answer is indeterminate with no value (it constrains nothing)', () => {
    const { run } = setup(() => null, { timeoutUs: 400_000, attemptTimeoutUs: 100_000 });
    const c = run({ op: 'get', key: 'k', level: 'follower' });
    expect(c.record.outcome).toBe('indeterminate');
    expect(c.record).not.toHaveProperty('value');
  });

  it('linearizable and lease reads go to the leader; follower reads spread over replicas', () => {
    const { seen, run } = setup(() => ({ status: 'ok', value: 'x', version: 4, index: 9 }));
    run({ op: 'get', key: 'k', level: 'linearizable' });
    run({ op: 'get', key: 'k', level: 'lease' });
    expect(seen.map((s) => s.machine)).toEqual(['n1', 'n1']);
    for (let i = 0; i < 30; i++) run({ op: 'get', key: 'k', level: 'follower' });
    const followers = new Set(seen.slice(2).map((s) => s.machine));
    expect(followers.size).toBe(3);
  });

  it('sticky follower choice keeps one replica while it answers', () => {
    const { seen, run } = setup(() => ({ status: 'ok', value: null, version: 0, index: 1 }), { followerChoice: 'sticky' });
    for (let i = 0; i < 10; i++) run({ op: 'get', key: 'k', level: 'follower' });
    expect(new Set(seen.map((s) => s.machine)).size).toBe(1);
  });

  it('nearest follower choice settles on the lowest-latency replica', () => {
    const world = setup(() => ({ status: 'ok', value: null, version: 0, index: 1 }), { followerChoice: 'nearest' });
    for (let i = 0; i < 10; i++) world.run({ op: 'get', key: 'k', level: 'follower' });
    // All replicas are equally near here: after each was tried once it stays on one of them.
    const tail = world.seen.slice(3).map((s) => s.machine);
    expect(new Set(tail).size).toBe(1);
  });

  it('session reads carry the highest index the client has seen in the shard', () => {
    const { seen, run } = setup((_m, req) => (req.op === 'put' ? { status: 'ok', index: 42 } : { status: 'ok', value: 'v', version: 42, index: 42 }));
    run({ op: 'put', key: 'k', value: 'v' });
    run({ op: 'get', key: 'k', level: 'session' });
    expect(seen[1]!.req.sessionIndex).toBe(42);
  });

  it('bounded reads carry their bound and retry elsewhere when a replica is too stale', () => {
    const { seen, run } = setup((m) => (m === 'n1' ? { status: 'ok', value: 'v', version: 1, index: 1 } : { status: 'unavailable', reason: 'stale' }), {
      boundedStalenessUs: 50_000,
    });
    const c = run({ op: 'get', key: 'k', level: 'bounded' });
    expect(c.record.outcome).toBe('ok');
    expect(seen.every((s) => s.req.boundUs === 50_000)).toBe(true);
    expect(seen[seen.length - 1]!.machine).toBe('n1');
  });

  it('ignores replies to attempts it gave up on', () => {
    let first = true;
    const { world, run } = setup(() => {
      if (first) {
        first = false;
        return null;
      }
      return { status: 'ok', index: 2 };
    }, { attemptTimeoutUs: 10_000 });
    const c = run({ op: 'put', key: 'k', value: 'v' });
    expect(c.record.outcome).toBe('ok');
    expect(world.pendingEvents).toBe(0);
  });
});
