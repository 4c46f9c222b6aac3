// Real-runtime figures (`kvsim bench --only real`): the disk and codec on their own, then a
// local cluster of 3 server processes (RF 3) on 127.0.0.1 driven by closed-loop clients in this
// process — acknowledged (fsync'd) puts/s, follower and linearizable reads/s with p50/p99, the
// log's fsync time and batch size during the put phase, and how long after a leader's SIGKILL
// every shard serves writes again.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { realBench } from '../../real/bench.js';
import { RealClock } from '../../real/clock.js';
import { ClientSession, type KvResult } from '../../node/client.js';
import { currentRingOf, type ClusterFile } from '../../node/cluster-file.js';
import { clusterDown, clusterUp, killServer, leadersOf, statusesOf } from '../../node/local-cluster.js';
import type { ReadLevel } from '../../history/op.js';
import type { BenchFigure, BenchSection } from './types.js';

const SESSIONS = 4;
const OUTSTANDING_PER_SESSION = 16;

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

interface Phase {
  opsPerSec: number;
  ok: number;
  notOk: number;
  p50Ms: number;
  p99Ms: number;
}

/** Closed loop: every session keeps `outstanding` operations in flight for `ms`. */
async function phase(sessions: readonly ClientSession[], ms: number, op: (s: ClientSession, i: number) => Promise<KvResult>, outstanding = OUTSTANDING_PER_SESSION): Promise<Phase> {
  const latencies: number[] = [];
  let notOk = 0;
  let i = 0;
  const start = performance.now();
  const end = start + ms;
  await Promise.all(
    sessions.flatMap((s) =>
      Array.from({ length: outstanding }, async () => {
        while (performance.now() < end) {
          const r = await op(s, i++);
          if (r.outcome === 'ok') latencies.push(r.latencyMs);
          else notOk++;
        }
      }),
    ),
  );
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return { opsPerSec: Math.round(latencies.length / seconds), ok: latencies.length, notOk, p50Ms: percentile(latencies, 0.5), p99Ms: percentile(latencies, 0.99) };
}

interface DiskTotals {
  fsyncs: number;
  writes: number;
  fsyncSeconds: number;
}

async function diskTotals(cluster: ClusterFile): Promise<DiskTotals> {
  const t: DiskTotals = { fsyncs: 0, writes: 0, fsyncSeconds: 0 };
  for (const s of cluster.servers) {
    const text = await (await fetch(`http://127.0.0.1:${s.httpPort}/metrics`)).text();
    const value = (name: string) => Number(new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
    t.fsyncs += value('kvsim_disk_fsyncs');
    t.writes += value('kvsim_disk_writes_durable');
    t.fsyncSeconds += value('kvsim_disk_fsync_seconds_total');
  }
  return t;
}

/** A key per shard (the first kN that the ring sends there). */
function keyPerShard(cluster: ClusterFile): string[] {
  const ring = currentRingOf(cluster);
  const keys: (string | undefined)[] = Array.from({ length: cluster.shards }, () => undefined);
  for (let n = 0; keys.some((k) => k === undefined) && n < 1_000_000; n++) {
    const shard = ring.shardOfKey(`k${n}`);
    if (keys[shard] === undefined) keys[shard] = `k${n}`;
  }
  return keys.map((k) => k!);
}

/** SIGKILL the machine leading most shards; ms until a put to every shard has succeeded again. */
async function failover(dir: string, cluster: ClusterFile, session: ClientSession): Promise<{ ms: number; victim: string; shardsLed: number }> {
  const leaders = leadersOf(cluster, await statusesOf(cluster));
  const counts = new Map<string, number>();
  for (const l of leaders) if (l.leader !== null) counts.set(l.leader, (counts.get(l.leader) ?? 0) + 1);
  const [victim, shardsLed] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]!;
  const keys = keyPerShard(cluster);
  const start = performance.now();
  await killServer(dir, victim);
  await Promise.all(
    keys.map(async (key) => {
      for (let i = 0; i < 100; i++) if ((await session.put(key, `after-${i}`)).outcome === 'ok') return;
    }),
  );
  return { ms: Math.round(performance.now() - start), victim, shardsLed };
}

export const realSection: BenchSection = {
  name: 'real',
  async run(quick: boolean): Promise<BenchFigure[]> {
    const figures: BenchFigure[] = (await realBench(quick)).map((f) => ({ name: `real disk/codec: ${f.name}`, value: f.value, unit: f.unit, key: f.key }));
    const dir = mkdtempSync(join(tmpdir(), 'kvsim-bench-real-'));
    const phaseMs = quick ? 1_500 : 5_000;
    const sessions: ClientSession[] = [];
    try {
      const cluster = await clusterUp({ dir, machines: 3, shards: 8, replication: 3, seed: 1, readyBoundMs: 30_000 });
      const clock = new RealClock();
      for (let i = 0; i < SESSIONS; i++) sessions.push(await ClientSession.open(cluster, `bench-${i}`, null, () => {}, { clock }));
      const before = await diskTotals(cluster);
      const puts = await phase(sessions, phaseMs, (s, i) => s.put(`key-${i % 1000}`, `value-${i}`));
      const after = await diskTotals(cluster);
      const read = (level: ReadLevel) => phase(sessions, phaseMs, (s, i) => s.get(`key-${i % 1000}`, level));
      // The same puts at a light load (one session, 4 in flight): latency without queueing.
      const light = await phase([sessions[0]!], phaseMs, (s, i) => s.put(`key-${i % 1000}`, `light-${i}`), 4);
      const follower = await read('follower');
      const linear = await read('linearizable');
      const fsyncs = after.fsyncs - before.fsyncs;
      const fo = await failover(dir, cluster, sessions[0]!);
      const c = `3 servers, RF 3, 8 shards, ${SESSIONS * OUTSTANDING_PER_SESSION} ops in flight`;
      figures.push(
        { name: `real cluster (${c}): acknowledged puts/s`, value: puts.opsPerSec, unit: 'ops/s', target: '>= 2000', key: 'realPutsPerSec' },
        { name: 'real cluster: put latency p50', value: puts.p50Ms, unit: 'ms' },
        { name: 'real cluster: put latency p99', value: puts.p99Ms, unit: 'ms', target: '<= 50', key: 'realPutP99Ms' },
        { name: 'real cluster, light load (4 puts in flight): puts/s', value: light.opsPerSec, unit: 'ops/s' },
        { name: 'real cluster, light load: put latency p50', value: light.p50Ms, unit: 'ms' },
        { name: 'real cluster, light load: put latency p99', value: light.p99Ms, unit: 'ms', target: '<= 50', key: 'realPutP99MsLight' },
        { name: 'real cluster: follower reads/s', value: follower.opsPerSec, unit: 'ops/s', target: '>= 10000', key: 'realFollowerReadsPerSec' },
        { name: 'real cluster: follower read latency p50', value: follower.p50Ms, unit: 'ms' },
        { name: 'real cluster: follower read latency p99', value: follower.p99Ms, unit: 'ms' },
        { name: 'real cluster: linearizable reads/s', value: linear.opsPerSec, unit: 'ops/s', key: 'realLinearizableReadsPerSec' },
        { name: 'real cluster: linearizable read latency p50', value: linear.p50Ms, unit: 'ms' },
        { name: 'real cluster: linearizable read latency p99', value: linear.p99Ms, unit: 'ms' },
        { name: 'real cluster: fsync time per batch (put phase, all servers)', value: fsyncs === 0 ? 0 : Math.round(((after.fsyncSeconds - before.fsyncSeconds) / fsyncs) * 1e6) / 1e3, unit: 'ms' },
        { name: 'real cluster: write batches per fsync (put phase)', value: fsyncs === 0 ? 0 : Math.round(((after.writes - before.writes) / fsyncs) * 10) / 10, unit: 'batches' },
        { name: 'real cluster: operations not ok during the four phases', value: puts.notOk + light.notOk + follower.notOk + linear.notOk, unit: 'ops' },
        { name: `real cluster: SIGKILL of the leader of ${fo.shardsLed} shards (${fo.victim}) until every shard takes writes`, value: fo.ms, unit: 'ms', target: '<= 2000', key: 'realFailoverMs' },
      );
    } finally {
      await Promise.all(sessions.map((s) => s.close()));
      await clusterDown(dir).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
    return figures;
  },
};
