// A real 3-server cluster inside the test process: the store's own servers on RealMachines
// (TCP on 127.0.0.1, files in a temp dir), reached through the store's client library and each
// server's HTTP door. A follower cut off with the runtime's peer filter serves stale reads.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { makeClusterFile, everyShardLed } from '../../src/node/local-cluster.js';
import { RealServer } from '../../src/node/server.js';
import { ClientSession, LEVELS } from '../../src/node/client.js';
import type { ClusterFile } from '../../src/node/cluster-file.js';
import { currentRingOf } from '../../src/node/cluster-file.js';
import { onCleanup, sleep, tempDir, useRealTestLimits } from '../real/helpers.js';

useRealTestLimits();

async function startCluster(shards = 2): Promise<{ cluster: ClusterFile; servers: RealServer[]; dir: string }> {
  const dir = tempDir();
  const cluster = await makeClusterFile({ machines: 3, shards, replication: 3, seed: 7 });
  const servers: RealServer[] = [];
  onCleanup(() => Promise.all(servers.map((s) => s.stop())));
  for (const s of cluster.servers) {
    servers.push(await RealServer.start({ clusterPath: join(dir, 'cluster.json'), cluster, id: s.id, dataDir: join(dir, s.id), tracePath: null, log: () => {} }));
  }
  const deadline = performance.now() + 10_000;
  while (!everyShardLed(cluster, servers.map((s) => s.status()))) {
    if (performance.now() > deadline) throw new Error('no leaders within 10 s');
    await sleep(20);
  }
  return { cluster, servers, dir };
}

async function session(cluster: ClusterFile, name: string): Promise<ClientSession> {
  const c = await ClientSession.open(cluster, name, null, () => {});
  onCleanup(() => c.close());
  return c;
}

describe('a real cluster in one process', () => {
  it('puts, then reads the value back at every level through the client library', async () => {
    const { cluster } = await startCluster();
    const c = await session(cluster, 'test-client-1');
    const put = await c.put('greeting', 'hello');
    expect(put.outcome).toBe('ok');
    expect(put.index).toBeGreaterThan(0);
    for (const level of LEVELS) {
      // A bounded read needs a fresh replica: retry a few times as a user would.
      let r = await c.get('greeting', level);
      for (let i = 0; i < 5 && r.outcome !== 'ok'; i++) r = await c.get('greeting', level);
      expect(r.outcome, level).toBe('ok');
      // Follower-level reads may be stale in general; here the write was acknowledged first
      // and nothing else wrote, so every replica that answers has it or is missing it.
      if (level === 'linearizable' || level === 'lease' || level === 'session') expect(r.value, level).toBe('hello');
      else expect([null, 'hello'], level).toContain(r.value);
    }
    const missing = await c.get('no-such-key');
    expect(missing).toMatchObject({ outcome: 'ok', value: null });
  });

  it('answers HTTP: PUT and GET /kv/KEY, /status, /metrics', async () => {
    const { cluster, servers } = await startCluster();
    const http = `http://127.0.0.1:${cluster.servers[1]!.httpPort}`;
    const put = await fetch(`${http}/kv/colour`, { method: 'PUT', body: 'blue' });
    expect(put.status).toBe(200);
    expect(await put.json()).toMatchObject({ op: 'put', outcome: 'ok' });
    const get = await fetch(`${http}/kv/colour?level=linearizable`);
    expect(await get.json()).toMatchObject({ op: 'get', value: 'blue', outcome: 'ok' });
    expect((await fetch(`${http}/kv/nothing`)).status).toBe(404);
    expect((await fetch(`${http}/kv/colour?level=sometimes`)).status).toBe(400);
    const status = (await (await fetch(`${http}/status`)).json()) as { id: string; shards: { role: string; term: number }[] };
    expect(status.id).toBe('n2');
    expect(status.shards).toHaveLength(2);
    expect(status).toEqual(servers[1]!.status());
    const metrics = await (await fetch(`${http}/metrics`)).text();
    expect(metrics).toMatch(/kvsim_http_op_seconds_count\{server="n2",op="put",outcome="ok"\} 1/);
    expect(metrics).toMatch(/kvsim_disk_fsyncs\{server="n2"\} [1-9]/);
  });

  it('a follower cut off by the peer filter serves stale follower reads, and catches up once healed', async () => {
    const { cluster, servers } = await startCluster(1);
    const ids = cluster.servers.map((s) => s.id);
    const c = await session(cluster, 'test-client-2');
    expect((await c.put('k', 'v1')).outcome).toBe('ok');
    // Wait until every replica has applied v1 (followers learn the commit on the next heartbeat).
    const deadline = performance.now() + 5_000;
    while (servers.some((s) => s.status().shards[0]!.applied < servers[0]!.status().shards[0]!.commit)) {
      if (performance.now() > deadline) throw new Error('followers did not apply v1');
      await sleep(10);
    }
    // Cut the follower that is not the leader: servers only, clients still reach it.
    const leader = servers.find((s) => s.status().shards[0]!.role === 'leader')!;
    const cut = servers.find((s) => s !== leader)!;
    cut.machine.transport.filter = (from, to) => (ids.includes(from) && ids.includes(to) && from !== to ? 'drop' : 'deliver');
    expect((await c.put('k', 'v2')).outcome).toBe('ok');
    const fromCut: (string | null)[] = [];
    const fromOthers: (string | null)[] = [];
    for (let i = 0; i < 60 && fromCut.length < 3; i++) {
      const r = await c.get('k', 'follower');
      expect(r.outcome).toBe('ok');
      (r.servedBy === cut.id ? fromCut : fromOthers).push(r.value);
    }
    expect(fromCut.length).toBeGreaterThan(0);
    expect(new Set(fromCut)).toEqual(new Set(['v1'])); // stale: the cut follower never saw v2
    const linear = await c.get('k', 'linearizable');
    expect(linear.value).toBe('v2');
    cut.machine.transport.filter = null;
    const healBy = performance.now() + 5_000;
    while (cut.status().shards[0]!.applied < leader.status().shards[0]!.commit) {
      if (performance.now() > healBy) throw new Error('the healed follower did not catch up');
      await sleep(10);
    }
    expect(currentRingOf(cluster).replicasOf(0)).toContain(cut.id);
  });
});
