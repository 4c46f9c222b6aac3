// The control channel of real servers (src/node/control.ts): control requests parsed strictly;
// the net-rule filter's semantics (blocked links on both hooks, rates and delays only on the
// sender's own sends, clogs, reordering, duplicates) and the transport's duplicate verdict; a
// real in-process cluster whose leader is cut off by POST /control elects another and heals; the
// clock and disk controls; planted bugs from the cluster file reaching the store, raft and the
// rings; and `kvsim serve --exit-with-parent` not outliving its parent. Loopback only, every
// server and process released after each test.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../src/base/errors.js';
import { ClientSession } from '../../src/node/client.js';
import { bugsOf, clusterFileText, currentRingOf, foundingRingOf, parseClusterFile, type ClusterFile } from '../../src/node/cluster-file.js';
import { filterOf, noNetRules, NO_NET_RULES, parseControlRequest, sendControl, type ControlState, type NetRules } from '../../src/node/control.js';
import { everyShardLed, makeClusterFile } from '../../src/node/local-cluster.js';
import { RealServer } from '../../src/node/server.js';
import type { Ring } from '../../src/store/ring.js';
import { TcpTransport } from '../../src/real/transport.js';
import { freePort, onCleanup, sleep, tempDir, useRealTestLimits, waitFor } from '../real/helpers.js';

useRealTestLimits();

const CLI = join(import.meta.dirname, '../../dist/src/cli/main.js');

function rules(partial: Partial<NetRules>): NetRules {
  return { ...NO_NET_RULES, ...partial };
}

/** Draws from a fixed list, round and round (a filter's `random`). */
function draws(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length]!;
}

function parseError(text: string): string {
  try {
    parseControlRequest(text);
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return (err as Error).message;
  }
  throw new Error(`parsed: ${text}`);
}

describe('parseControlRequest', () => {
  it('takes net, clock and disk, filling a partial net with empty rules', () => {
    expect(parseControlRequest('{}')).toEqual({});
    expect(parseControlRequest('{"net": {"drop": 0.25}}')).toEqual({ net: rules({ drop: 0.25 }) });
    expect(parseControlRequest('{"clock": {"adjustUs": -5000, "driftPpm": 200}, "disk": {"fsyncDelayMs": 20}}')).toEqual({
      clock: { adjustUs: -5000, driftPpm: 200 },
      disk: { fsyncDelayMs: 20 },
    });
    const full = parseControlRequest(JSON.stringify({ net: { blocked: [['n1', 'n2']], clogged: [{ from: 'n1', to: 'n3', untilWallMs: 5 }], delayMs: 3, reorderMs: 4, duplicate: 1 } }));
    expect(full.net).toEqual({ blocked: [['n1', 'n2']], drop: 0, duplicate: 1, delayMs: 3, reorderMs: 4, clogged: [{ from: 'n1', to: 'n3', untilWallMs: 5 }] });
  });

  it('refuses unknown keys and bad types, naming the field', () => {
    expect(parseError('{"nett": {}}')).toMatch(/^control request: Unrecognized key: "nett"/);
    expect(parseError('{"net": {"dropp": 0.1}}')).toMatch(/^control request: net: Unrecognized key: "dropp"/);
    expect(parseError('{"net": {"drop": "often"}}')).toMatch(/^control request: net\.drop: .*expected number/);
    expect(parseError('{"net": {"drop": 2}}')).toMatch(/^control request: net\.drop: .*<=\s?1/);
    expect(parseError('{"net": {"blocked": [["n1"]]}}')).toMatch(/^control request: net\.blocked\[0\]/);
    expect(parseError('{"net": {"clogged": [{"from": "n1", "to": "n2"}]}}')).toMatch(/net\.clogged\[0\]\.untilWallMs/);
    expect(parseError('{"clock": {"adjustUs": 1.5, "driftPpm": 0}}')).toMatch(/^control request: clock\.adjustUs: .*integer/);
    expect(parseError('{"clock": {"adjustUs": 0}}')).toMatch(/^control request: clock\.driftPpm/);
    expect(parseError('{"disk": {"fsyncDelayMs": -1}}')).toMatch(/^control request: disk\.fsyncDelayMs/);
    expect(parseError('[1]')).toMatch(/^control request: .*expected object/);
    expect(parseError('{"net": ')).toMatch(/^control request: not JSON/);
  });
});

describe('filterOf', () => {
  const now = () => 1_000_000;

  it('drops blocked links as listed, in that direction only, on either hook', () => {
    const f = filterOf('n1', rules({ blocked: [['n1', 'n2'], ['n3', 'n1']] }), draws(0.5), now);
    expect(f('n1', 'n2', 'x')).toBe('drop'); // send hook
    expect(f('n3', 'n1', 'x')).toBe('drop'); // receive hook
    expect(f('n2', 'n1', 'x')).toBe('deliver');
    expect(f('n1', 'n3', 'x')).toBe('deliver');
    // Another machine's filter with the same rules sees the same links.
    const g = filterOf('n2', rules({ blocked: [['n1', 'n2']] }), draws(0.5), now);
    expect(g('n1', 'n2', 'x')).toBe('drop');
    expect(g('n2', 'n1', 'x')).toBe('deliver');
    expect(noNetRules(NO_NET_RULES)).toBe(true);
    expect(noNetRules(rules({ blocked: [['a', 'b']] }))).toBe(false);
  });

  it('drops, delays and duplicates only what self sends; a self-send gets blocked links only', () => {
    const dropAll = filterOf('n1', rules({ drop: 1 }), draws(0.999), now);
    expect(dropAll('n1', 'n2', 'x')).toBe('drop');
    expect(dropAll('n1', 'client-7', 'x')).toBe('drop');
    expect(dropAll('n2', 'n1', 'x')).toBe('deliver'); // receive hook: the sender's own rules apply there
    expect(dropAll('n1', 'n1', 'x')).toBe('deliver');
    const someDrop = filterOf('n1', rules({ drop: 0.3 }), draws(0.2, 0.5), now);
    expect([someDrop('n1', 'n2', 'x'), someDrop('n1', 'n2', 'x')]).toEqual(['drop', 'deliver']);

    const delay = filterOf('n1', rules({ delayMs: 30 }), draws(0.5), now);
    expect(delay('n1', 'n2', 'x')).toEqual({ delayMs: 30 });
    expect(delay('n2', 'n1', 'x')).toBe('deliver');

    const dup = filterOf('n1', rules({ duplicate: 1, delayMs: 5 }), draws(0.5), now);
    expect(dup('n1', 'n2', 'x')).toEqual({ delayMs: 5, copyDelayMs: 5 });
    expect(dup('n2', 'n1', 'x')).toBe('deliver');
    const noDup = filterOf('n1', rules({ duplicate: 0.5 }), draws(0.7), now);
    expect(noDup('n1', 'n2', 'x')).toBe('deliver');
  });

  it('reorders: a uniform extra in [0, reorderMs] per message and per copy', () => {
    const f = filterOf('n1', rules({ reorderMs: 40, delayMs: 10, duplicate: 1 }), Math.random, now);
    const seen: number[] = [];
    for (let i = 0; i < 200; i++) {
      const v = f('n1', 'n2', 'x');
      if (typeof v !== 'object') throw new Error(`expected a delay, got ${v}`);
      seen.push(v.delayMs, v.copyDelayMs!);
    }
    expect(Math.min(...seen)).toBeGreaterThanOrEqual(10);
    expect(Math.max(...seen)).toBeLessThanOrEqual(50);
    expect(Math.max(...seen) - Math.min(...seen)).toBeGreaterThan(20); // spread out, so they overtake
    const fixed = filterOf('n1', rules({ reorderMs: 40 }), draws(0, 0.5, 1), now);
    expect([fixed('n1', 'n2', 'x'), fixed('n1', 'n2', 'x'), fixed('n1', 'n2', 'x')]).toEqual(['deliver', { delayMs: 20 }, { delayMs: 40 }]);
  });

  it('holds a clogged link\'s messages until the clog ends, then delivers them', () => {
    let wallMs = 1_000;
    const f = filterOf('n1', rules({ clogged: [{ from: 'n1', to: 'n2', untilWallMs: 1_250 }], delayMs: 20 }), draws(0.5), () => wallMs);
    expect(f('n1', 'n2', 'x')).toEqual({ delayMs: 250 });
    expect(f('n1', 'n3', 'x')).toEqual({ delayMs: 20 }); // another link
    expect(f('n2', 'n1', 'x')).toBe('deliver'); // the other direction
    wallMs = 1_240;
    expect(f('n1', 'n2', 'x')).toEqual({ delayMs: 20 }); // its own delay is longer than what is left
    wallMs = 1_300;
    expect(f('n1', 'n2', 'x')).toEqual({ delayMs: 20 });
  });
});

describe('the transport\'s duplicate verdict', () => {
  it('sends, or delivers, a second copy of the same envelope after copyDelayMs, and counts it', async () => {
    const [pa, pb] = [await freePort(), await freePort()];
    const got: { at: string; payload: unknown }[] = [];
    const make = (id: string, port: number, peer: string, peerPort: number) =>
      TcpTransport.start({ id, listen: { host: '127.0.0.1', port }, peers: { [peer]: { host: '127.0.0.1', port: peerPort } }, deliver: (_from, payload) => got.push({ at: id, payload }), log: () => {} });
    const a = await make('n1', pa, 'n2', pb);
    onCleanup(() => a.close());
    const b = await make('n2', pb, 'n1', pa);
    onCleanup(() => b.close());
    a.filter = (from) => (from === 'n1' ? { delayMs: 0, copyDelayMs: 30 } : 'deliver');
    a.send('n2', 'twice', 'x');
    await waitFor(() => got.length === 2, 'both copies');
    expect(got).toEqual([{ at: 'n2', payload: 'twice' }, { at: 'n2', payload: 'twice' }]);
    expect(a.counters.duplicatedSend).toBe(1);
    expect(b.counters.framesReceived).toBe(2);
    // Receive side: n1 duplicates what reaches it.
    a.filter = (from) => (from === 'n2' ? { delayMs: 10, copyDelayMs: 0 } : 'deliver');
    b.send('n1', 'back', 'x');
    await waitFor(() => got.filter((g) => g.at === 'n1').length === 2, 'both delivered copies');
    expect(a.counters.duplicatedReceive).toBe(1);
    expect(b.counters.framesSent).toBe(1);
  });
});

async function startCluster(shape: { machines: number; shards: number; replication: number; bugs?: string[] }): Promise<{ cluster: ClusterFile; servers: RealServer[] }> {
  const dir = tempDir();
  const cluster = await makeClusterFile({ ...shape, seed: 11 });
  const servers: RealServer[] = [];
  onCleanup(() => Promise.all(servers.map((s) => s.stop())));
  for (const s of cluster.servers) {
    servers.push(await RealServer.start({ clusterPath: join(dir, 'cluster.json'), cluster, id: s.id, dataDir: join(dir, s.id), tracePath: null, log: () => {} }));
  }
  await waitFor(() => everyShardLed(cluster, servers.map((s) => s.status())), 'a leader for every shard', 10_000);
  return { cluster, servers };
}

async function control(port: number, body: string, method = 'POST'): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`http://127.0.0.1:${port}/control`, { method, ...(method === 'POST' && { body }), signal: AbortSignal.timeout(3_000) });
  return { status: res.status, body: await res.json() };
}

describe('POST /control on real servers', () => {
  it('cuts a shard\'s leader off with blocked links (the others elect another), then heals with no rules', async () => {
    const { cluster, servers } = await startCluster({ machines: 3, shards: 1, replication: 3 });
    const leader = servers.find((s) => s.status().shards[0]!.role === 'leader')!;
    const oldTerm = leader.status().shards[0]!.term;
    const others = servers.filter((s) => s !== leader).map((s) => s.id);
    const blocked: [string, string][] = others.flatMap((o): [string, string][] => [[leader.id, o], [o, leader.id]]);
    await sendControl(leader.httpPort, { net: rules({ blocked }) });
    expect(leader.machine.transport.filter).not.toBeNull();
    expect(leader.controlState().net.blocked).toEqual(blocked);
    await waitFor(
      () => servers.some((s) => s !== leader && s.status().shards[0]!.role === 'leader' && s.status().shards[0]!.term > oldTerm),
      'a new leader among the others',
      10_000,
    );
    const counters = leader.machine.transport.counters;
    expect(counters.droppedFilterSend).toBeGreaterThan(0); // its heartbeats
    expect(counters.droppedFilterReceive).toBeGreaterThan(0); // the others' votes and appends
    const answer = await control(leader.httpPort, JSON.stringify({ net: NO_NET_RULES }));
    expect(answer.status).toBe(200);
    expect((answer.body as ControlState).net).toEqual(NO_NET_RULES);
    expect(leader.machine.transport.filter).toBeNull();
    await waitFor(() => everyShardLed(cluster, servers.map((s) => s.status())), 'the old leader following the new one', 10_000);
    expect(leader.status().shards[0]!.role).not.toBe('leader');
  });

  it('answers 400 on a bad body and 405 on another method; GET shows the clock adjusted relatively, and the fsync delay applies', async () => {
    const { cluster, servers } = await startCluster({ machines: 3, shards: 1, replication: 3 });
    const port = servers[0]!.httpPort;
    const bad = await control(port, '{"net": {"drop": 7}}');
    expect(bad.status).toBe(400);
    expect((bad.body as { error: string }).error).toMatch(/net\.drop/);
    expect((await control(port, 'not json')).status).toBe(400);
    expect((await control(port, '', 'PUT')).status).toBe(405);
    await expect(sendControl(port, { net: { ...NO_NET_RULES, duplicate: 3 } })).rejects.toThrow(new RegExp(`HTTP port ${port}: HTTP 400: .*net\\.duplicate`));
    await expect(sendControl(await freePort(), {}, 1_000)).rejects.toThrow(/HTTP port \d+: /);
    const missing = await fetch(`http://127.0.0.1:${port}/nowhere`);
    expect(((await missing.json()) as { error: string }).error).toMatch(/\/control/);

    const before = (await control(port, '', 'GET')).body as ControlState;
    expect(before).toMatchObject({ net: NO_NET_RULES, clock: { skewUs: 0, driftPpm: 0 }, disk: { fsyncDelayMs: 0 } });
    expect(Math.abs(before.clock.offsetUs)).toBeLessThan(1_000);
    await sendControl(port, { clock: { adjustUs: 3_000_000, driftPpm: 250 } });
    await sendControl(port, { clock: { adjustUs: 2_000_000, driftPpm: 100 } });
    const after = (await control(port, '', 'GET')).body as ControlState;
    expect(after.clock.skewUs).toBe(5_000_000); // relative: the jumps add up
    expect(after.clock.driftPpm).toBe(100); // the drift is set, not added
    expect(after.clock.offsetUs).toBeGreaterThanOrEqual(5_000_000);
    expect(after.clock.offsetUs).toBeLessThan(5_100_000);
    expect(servers[0]!.machine.clock.offsetUs()).toBeGreaterThanOrEqual(5_000_000);

    // A slow disk everywhere: a put cannot commit before some server's fsync, so it waits the delay.
    for (const s of servers) await sendControl(s.httpPort, { disk: { fsyncDelayMs: 80 } });
    expect(servers.map((s) => s.machine.disk.fsyncDelayMs)).toEqual([80, 80, 80]);
    expect(((await control(servers[1]!.httpPort, '', 'GET')).body as ControlState).disk.fsyncDelayMs).toBe(80);
    const c = await ClientSession.open(cluster, 'control-client', null, () => {});
    onCleanup(() => c.close());
    const slow = await c.put('k', 'v');
    expect(slow.outcome).toBe('ok');
    expect(slow.latencyMs).toBeGreaterThanOrEqual(75);
    for (const s of servers) await sendControl(s.httpPort, { disk: { fsyncDelayMs: 0 } });
    expect(servers.map((s) => s.machine.disk.fsyncDelayMs)).toEqual([0, 0, 0]);
  });
});

describe('planted bugs from the cluster file', () => {
  function parseErrorOf(cluster: unknown): string {
    try {
      parseClusterFile('c.json', JSON.stringify(cluster, null, 2));
    } catch (err) {
      expect(err).toBeInstanceOf(UserError);
      return (err as Error).message;
    }
    throw new Error('parsed');
  }

  it('reach the store, every replica\'s raft config and the rings of servers and clients', async () => {
    const { cluster, servers } = await startCluster({ machines: 1, shards: 2, replication: 1, bugs: ['follower-serves-uncommitted', 'ring-boundary-off-by-one'] });
    expect(cluster.bugs).toEqual(['follower-serves-uncommitted', 'ring-boundary-off-by-one']);
    const reread = parseClusterFile('c.json', clusterFileText(cluster));
    expect(reread.bugs).toEqual(cluster.bugs);
    const store = servers[0]!.store;
    expect([...store.env.bugs]).toEqual(['follower-serves-uncommitted', 'ring-boundary-off-by-one']);
    expect(store.env.raftConfig(0, 'n1').bugs.has('follower-serves-uncommitted')).toBe(true);
    // The ring-boundary bug: the first position of shard 1 is routed to shard 0.
    const ring = store.env.ring as Ring;
    expect(ring.shardOfPosition(ring.boundaryOf(1))).toBe(0);
    const session = await ClientSession.open(cluster, 'bugged-client', null, () => {});
    onCleanup(() => session.close());
    expect(session.ring.shardOfPosition(session.ring.boundaryOf(1))).toBe(0);
    expect(currentRingOf(cluster).shardOfPosition(currentRingOf(cluster).boundaryOf(1))).toBe(0);
    // An honest file: none.
    const honest = await makeClusterFile({ machines: 1, shards: 2, replication: 1 });
    expect(honest.bugs).toBeUndefined();
    expect(bugsOf(honest).size).toBe(0);
    expect(foundingRingOf(honest).shardOfPosition(foundingRingOf(honest).boundaryOf(1))).toBe(1);
  });

  it('an unknown, repeated or ill-typed entry is a UserError naming the file and the place', async () => {
    const base = await makeClusterFile({ machines: 1, shards: 1, replication: 1 });
    expect(parseErrorOf({ ...base, bugs: ['follower-serves-uncommitted', 'no-such-bug'] })).toMatch(/^c\.json: bugs\[1\]: unknown planted bug "no-such-bug"; expected one of .*follower-serves-uncommitted/);
    expect(parseErrorOf({ ...base, bugs: ['accept-stale-term', 'accept-stale-term'] })).toMatch(/^c\.json: bugs\[1\]: "accept-stale-term" is listed twice/);
    expect(parseErrorOf({ ...base, bugs: [3] })).toMatch(/^c\.json: bugs\[0\]: .*expected string/);
    expect(parseErrorOf({ ...base, bugs: 'accept-stale-term' })).toMatch(/^c\.json: bugs: .*expected array/);
    await expect(makeClusterFile({ machines: 1, shards: 1, replication: 1, bugs: ['nope'] })).rejects.toThrow(/--bug: unknown planted bug "nope"/);
  });
});

/** Alive and not a zombie (an orphan's exit is reaped by init a little later). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

describe('kvsim serve --exit-with-parent', () => {
  /** Runs `script` (ESM) as a parent process; resolves with what it printed once it exits. */
  function runParent(script: string, args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.once('exit', (code) => {
        clearTimeout(timer);
        if (code === 0) resolve(out);
        else reject(new Error(`the parent exited ${code}: ${err}`));
      });
    });
  }

  function killOnCleanup(pid: number): void {
    onCleanup(() => {
      if (running(pid)) process.kill(pid, 'SIGKILL');
    });
  }

  it('a server whose parent exits after it is up stops within a few seconds', async () => {
    const dir = tempDir();
    const cluster = await makeClusterFile({ machines: 1, shards: 1, replication: 1 });
    const file = join(dir, 'cluster.json');
    writeFileSync(file, clusterFileText(cluster));
    // The parent starts the server as spawnServer does (detached), waits until it answers, exits.
    const script = `
      import { spawn } from 'node:child_process';
      import { openSync } from 'node:fs';
      const [cli, file, data, httpPort, logFile] = process.argv.slice(1);
      const out = openSync(logFile, 'a');
      const child = spawn(process.execPath, [cli, 'serve', '--cluster', file, '--id', 'n1', '--data', data, '--exit-with-parent'], { detached: true, stdio: ['ignore', out, out] });
      child.unref();
      console.log(child.pid);
      for (let i = 0; i < 100; i++) {
        try { if ((await fetch('http://127.0.0.1:' + httpPort + '/status')).ok) process.exit(0); } catch {}
        await new Promise((r) => setTimeout(r, 100));
      }
      process.exit(3);
    `;
    const logFile = join(dir, 'server.log');
    const out = await runParent(script, [CLI, file, join(dir, 'n1'), String(cluster.servers[0]!.httpPort), logFile]);
    const pid = Number(out.trim());
    expect(Number.isInteger(pid) && pid > 0).toBe(true);
    killOnCleanup(pid);
    await waitFor(() => !running(pid), 'the server to exit after its parent', 8_000);
    const afterExit = await fetch(`http://127.0.0.1:${cluster.servers[0]!.httpPort}/status`).then(() => 'answered', () => 'refused');
    expect(afterExit).toBe('refused');
    const log = readFileSync(logFile, 'utf8');
    expect(log).toMatch(/n1: parent process \d+ is gone: stopping/);
    expect(log).toMatch(/n1: stopped \(disk flushed\)/); // gracefully, not by the bound
  });

  it('a server spawned by spawnServer whose parent is gone before it looks stops too', async () => {
    const dir = tempDir();
    const cluster = await makeClusterFile({ machines: 1, shards: 1, replication: 1 });
    writeFileSync(join(dir, 'cluster.json'), clusterFileText(cluster));
    const localCluster = join(import.meta.dirname, '../../dist/src/node/local-cluster.js');
    // Exits at once: the server has not even read its cluster file yet.
    const script = `
      const { spawnServer } = await import(process.argv[1]);
      console.log(spawnServer(process.argv[2], 'n1', ['--exit-with-parent']));
    `;
    const pid = Number((await runParent(script, [localCluster, dir])).trim());
    expect(Number.isInteger(pid) && pid > 0).toBe(true);
    killOnCleanup(pid);
    await waitFor(() => !running(pid), 'the server to exit after its parent', 8_000);
    await sleep(50);
    expect(readFileSync(join(dir, 'n1', 'server.log'), 'utf8')).toMatch(/parent process \d+ is gone/);
  });
});
