// Real server processes (kvsim serve, detached, as `kvsim cluster up` starts them) on 127.0.0.1:
// the CLI end to end; a SIGKILL in the middle of a burst of writes loses no acknowledged write
// (kvsim's own linearizability and durability checkers over the recorded history); a torn log
// tail is cut and the replica catches up; a corrupt record stops the server with the file and
// offset; bad input is one line and exit 2. Every test brings its cluster down, pass or fail.
import { describe, expect, it, vi } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import {
  CLUSTER_FILE,
  clusterDown,
  clusterUp,
  killServer,
  logTail,
  pidOf,
  spawnServer,
  statusesOf,
  waitUntilLed,
} from '../../src/node/local-cluster.js';
import { currentRingOf, type ClusterFile } from '../../src/node/cluster-file.js';
import { ClientSession } from '../../src/node/client.js';
import type { ServerState } from '../../src/node/server.js';
import { RealClock } from '../../src/real/clock.js';
import { checkHistory } from '../../src/check/linearizability.js';
import { checkDurability, type ReplicaFinalState } from '../../src/check/durability.js';
import type { OpRecord } from '../../src/history/op.js';
import { onCleanup, sleep, tempDir, useRealTestLimits } from '../real/helpers.js';

useRealTestLimits();
vi.setConfig({ testTimeout: 60_000, hookTimeout: 30_000 });

const CLI = join(import.meta.dirname, '../../dist/src/cli/main.js');

function kvsim(args: string[], timeoutMs = 20_000): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: timeoutMs });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function up(shards: number): Promise<{ dir: string; cluster: ClusterFile }> {
  const dir = tempDir();
  onCleanup(async () => {
    await clusterDown(dir).catch(() => undefined);
  });
  const cluster = await clusterUp({ dir, machines: 3, shards, replication: 3, seed: 3, readyBoundMs: 15_000 });
  return { dir, cluster };
}

async function state(cluster: ClusterFile): Promise<ServerState[]> {
  return Promise.all(cluster.servers.map(async (s) => (await (await fetch(`http://127.0.0.1:${s.httpPort}/state`)).json()) as ServerState));
}

/** Waits until every replica of every shard holds the same state (same digest and index). */
async function converged(cluster: ClusterFile, boundMs = 10_000): Promise<ServerState[]> {
  const deadline = performance.now() + boundMs;
  for (;;) {
    const st = await state(cluster).catch(() => null);
    if (st !== null) {
      const same = Array.from({ length: cluster.shards }, (_, shard) => new Set(st.map((s) => { const x = s.shards.find((y) => y.shard === shard); return x === undefined ? 'none' : `${x.appliedIndex}/${x.digest}`; })).size === 1);
      if (same.every(Boolean)) return st;
    }
    if (performance.now() > deadline) throw new Error('replicas did not converge');
    await sleep(50);
  }
}

describe('real server processes', () => {
  it('kvsim cluster up, kv put/get at several levels, status and down, through the CLI', async () => {
    const dir = tempDir();
    onCleanup(async () => {
      await clusterDown(dir).catch(() => undefined);
    });
    const upOut = kvsim(['cluster', 'up', '--dir', dir, '--machines', '3', '--shards', '2', '--rf', '3']);
    expect(upOut.stderr).toBe('');
    expect(upOut.code).toBe(0);
    expect(upOut.stdout).toMatch(/every shard led/);
    const put = kvsim(['kv', 'put', 'city', 'Lisbon', '--dir', dir, '--json']);
    expect(put.code).toBe(0);
    expect(JSON.parse(put.stdout)).toMatchObject({ op: 'put', outcome: 'ok' });
    for (const level of ['linearizable', 'lease', 'session']) {
      const get = kvsim(['kv', 'get', 'city', '--level', level, '--dir', dir, '--json']);
      expect(get.code, level).toBe(0);
      expect(JSON.parse(get.stdout), level).toMatchObject({ value: 'Lisbon', level, outcome: 'ok' });
    }
    const status = kvsim(['cluster', 'status', '--dir', dir, '--json']);
    expect(status.code).toBe(0);
    const st = JSON.parse(status.stdout) as { servers: { up: boolean }[]; shards: { leader: string | null }[] };
    expect(st.servers.every((s) => s.up)).toBe(true);
    expect(st.shards.every((s) => s.leader !== null)).toBe(true);
    expect(kvsim(['kv', 'get', 'city', '--level', 'often', '--dir', dir]).code).toBe(2);
    const down = kvsim(['cluster', 'down', '--dir', dir, '--json']);
    expect(JSON.parse(down.stdout)).toEqual({ stopped: ['n1', 'n2', 'n3'], killed: [], notRunning: [], left: [] });
    // Graceful: each server logged its stop after flushing.
    for (const id of ['n1', 'n2', 'n3']) expect(logTail(dir, id)).toMatch(/stopped \(disk flushed\)/);
  });

  it('SIGKILL of a server during a burst of writes loses no acknowledged write (linearizability and durability checkers)', async () => {
    const { dir, cluster } = await up(2);
    const clock = new RealClock();
    const history: OpRecord[] = [];
    const sessions = await Promise.all([1, 2, 3].map((i) => ClientSession.open(cluster, `burst-${i}`, null, () => {}, { clock })));
    onCleanup(() => Promise.all(sessions.map((s) => s.close())));
    let stop = false;
    let n = 0;
    const loops = sessions.map(async (s, i) => {
      while (!stop) {
        const key = `k${(n++) % 6}`;
        const r = await s.put(key, `c${i}-${n}`);
        history.push(r.record);
      }
    });
    await sleep(400);
    const victim = 'n1';
    expect(await killServer(dir, victim)).toBe(true);
    await sleep(500);
    spawnServer(dir, victim);
    expect(await waitUntilLed(dir, cluster, 10_000, [victim])).toBe(true);
    await sleep(400);
    stop = true;
    await Promise.all(loops);
    const acked = history.filter((o) => o.outcome === 'ok').length;
    expect(acked).toBeGreaterThan(20);
    // Final linearizable reads of every key, then the checkers.
    for (let k = 0; k < 6; k++) history.push((await sessions[0]!.get(`k${k}`, 'linearizable')).record);
    const lin = checkHistory(history, { model: 'kv', missingValue: null });
    expect(lin.verdict, lin.explanation?.text).toBe('linearizable');
    const finals: ReplicaFinalState[] = (await converged(cluster)).flatMap((s) =>
      s.shards.map((x) => {
        const at = new Map(x.applied);
        return { machine: s.id, shard: x.shard, appliedIndex: x.appliedIndex, appliedAt: (op: number) => at.get(op) };
      }),
    );
    const ring = currentRingOf(cluster);
    const durability = checkDurability(history, finals, (key) => ring.ownerOfKey(key));
    expect(durability.lost).toEqual([]);
    expect(durability.ok).toBe(true);
    expect(durability.acknowledged).toBe(acked);
  });

  it('a torn log tail is cut at start-up and the replica catches up; a flipped byte inside an earlier record stops the server naming file and offset', async () => {
    const { dir, cluster } = await up(1);
    const c = await ClientSession.open(cluster, 'torn-client', null, () => {});
    onCleanup(() => c.close());
    for (let i = 0; i < 30; i++) expect((await c.put(`k${i % 5}`, `v${i}`)).outcome).toBe('ok');
    await converged(cluster);
    // A torn tail is what a crash between a write and its fsync leaves: restart n3 on a slow disk
    // (every fsync 400 ms late), write on (n1 and n2 commit without it), and kill it while its
    // last records are written but not yet fsync'd — so never acknowledged to the leader.
    const victim = 'n3';
    expect(await killServer(dir, victim)).toBe(true);
    spawnServer(dir, victim, ['--fsync-delay-ms', '400']);
    expect(await waitUntilLed(dir, cluster, 10_000, [victim])).toBe(true);
    for (let i = 30; i < 36; i++) expect((await c.put(`k${i % 5}`, `v${i}`)).outcome).toBe('ok');
    await sleep(450); // the slow follower has appended the entries; its fsync is still pending
    expect((await c.put('k0', 'last')).outcome).toBe('ok');
    await sleep(60);
    expect(await killServer(dir, victim)).toBe(true);
    const diskDir = join(dir, victim, 'disk');
    const log = join(diskDir, readdirSync(diskDir).filter((f) => f.startsWith('log.')).sort().pop()!);
    truncateSync(log, statSync(log).size - 3); // the middle of the last record
    // Writes go on meanwhile (two of three replicas are up).
    for (let i = 40; i < 50; i++) expect((await c.put(`k${i % 5}`, `v${i}`)).outcome).toBe('ok');
    spawnServer(dir, victim);
    expect(await waitUntilLed(dir, cluster, 10_000, [victim])).toBe(true);
    expect(readFileSync(join(dir, victim, 'server.log'), 'utf8')).toMatch(/cut a torn tail of \d+ bytes at byte \d+/);
    const st = await converged(cluster);
    expect(st.map((s) => s.shards[0]!.digest)).toEqual(Array(3).fill(st[0]!.shards[0]!.digest));

    // Now corrupt the middle: flip one byte of the first record of the log.
    expect(await killServer(dir, victim)).toBe(true);
    const log2 = join(diskDir, readdirSync(diskDir).filter((f) => f.startsWith('log.')).sort()[0]!);
    const bytes = readFileSync(log2);
    expect(bytes.length).toBeGreaterThan(200);
    bytes[20] = bytes[20]! ^ 0xff;
    writeFileSync(log2, bytes);
    const r = kvsim(['serve', '--cluster', join(dir, CLUSTER_FILE), '--id', victim, '--data', join(dir, victim)], 15_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(log2);
    expect(r.stderr).toMatch(/offset|byte \d+/);
    expect(r.stderr.trim().split('\n').filter((l) => l.includes('kvsim:'))).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('bad input: malformed cluster file, unknown --id, a port in use; garbage on a server port closes that connection only', async () => {
    const dir = tempDir();
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"version": 1, "servers": [');
    let r = kvsim(['serve', '--cluster', bad, '--id', 'n1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^kvsim: ${bad}:1:\\d+: not JSON`));
    writeFileSync(bad, JSON.stringify({ version: 1, seed: 1, servers: [{ id: 'n1', host: '127.0.0.1', port: 4000, httpPort: 4001, extra: true }], shards: 1, replication: 1 }));
    r = kvsim(['serve', '--cluster', bad, '--id', 'n1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/servers\[0\]: Unrecognized key: "extra"/);

    const { dir: cdir, cluster } = await up(1);
    r = kvsim(['serve', '--cluster', join(cdir, CLUSTER_FILE), '--id', 'n7']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no server n7; expected one of n1, n2, n3/);
    // n1's own ports are taken (by n1 itself): a second n1 must say so and exit 2.
    r = kvsim(['serve', '--cluster', join(cdir, CLUSTER_FILE), '--id', 'n1', '--data', join(dir, 'other-n1')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/port \d+: the port is in use/);

    // Garbage on n2's Raft port: random bytes, then a frame claiming 1 GiB.
    const port = cluster.servers[1]!.port;
    for (const payload of [Buffer.from('GET / HTTP/1.1\r\n\r\n\u0000\u0001garbage'), Buffer.from([0x40, 0, 0, 0, 1, 2, 3])]) {
      const closed = await new Promise<boolean>((resolve) => {
        const sock = connect(port, '127.0.0.1', () => sock.write(payload));
        sock.on('close', () => resolve(true));
        sock.on('error', () => undefined);
        setTimeout(() => {
          sock.destroy();
          resolve(false);
        }, 3_000);
      });
      expect(closed).toBe(true);
    }
    const statuses = await statusesOf(cluster);
    expect(statuses.every((s) => s !== null)).toBe(true);
    expect(pidOf(cdir, 'n2')).not.toBeNull();
    // And the cluster still serves.
    const c = await ClientSession.open(cluster, 'after-garbage', null, () => {});
    onCleanup(() => c.close());
    expect((await c.put('still', 'here')).outcome).toBe('ok');
  });
});
