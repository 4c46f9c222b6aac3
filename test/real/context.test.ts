// RealMachine: a process booted on two machines ping-pongs over TCP with timers, persists its
// count and picks it up after a restart; random streams match a simulated machine's; nothing
// reaches a process after close() or crash(); the trace file reads back as a trace.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { RealMachine, type RealMachineOptions } from '../../src/real/context.js';
import type { BootFn, MachineContext } from '../../src/sim/machine.js';
import { World } from '../../src/sim/world.js';
import { readTraceAll } from '../../src/trace/reader.js';
import { freePort, onCleanup, sleep, tempDir, waitFor, useRealTestLimits } from './helpers.js';

useRealTestLimits();

type Msg = { kind: 'ping'; seq: number; sentUs: number } | { kind: 'pong'; seq: number; sentUs: number };

/** Pings `peer` every 5 ms until `rounds` pongs are durable; answers pings. Count on disk. */
function pingPong(peer: string, rounds: number): BootFn {
  return (ctx) => {
    let pongs = Number(ctx.disk.get('pongs') ?? 0);
    const ping = () => ctx.send(peer, { kind: 'ping', seq: pongs, sentUs: ctx.localNowUs() } satisfies Msg, 'demo.ping');
    if (pongs < rounds) ctx.setTimer(5_000, ping);
    return {
      onMessage(from, payload) {
        const m = payload as Msg;
        if (m.kind === 'ping') {
          ctx.send(from, { kind: 'pong', seq: m.seq, sentUs: m.sentUs } satisfies Msg, 'demo.pong');
          return;
        }
        ctx.emit({ t: 0, type: 'demo.pong', from, to: ctx.id, seq: m.seq, rttUs: ctx.localNowUs() - m.sentUs });
        pongs = m.seq + 1;
        ctx.disk.write([{ key: 'pongs', value: pongs }], () => {
          if (pongs < rounds) ctx.setTimer(5_000, ping);
        });
      },
    };
  };
}

async function machine(options: Partial<RealMachineOptions> & Pick<RealMachineOptions, 'id' | 'boot' | 'dataDir'>): Promise<RealMachine> {
  const m = await RealMachine.start({ seed: 7, listen: null, peers: {}, tracePath: null, log: () => {}, ...options });
  onCleanup(() => m.close());
  return m;
}

describe('RealMachine', () => {
  it('runs a ping-pong over TCP with timers and disk, and resumes from disk after a restart', async () => {
    const [p1, p2] = [await freePort(), await freePort()];
    const [d1, d2] = [tempDir(), tempDir()];
    const trace1 = join(d1, 'trace.jsonl');
    const originWallUs = Date.now() * 1000;
    const start1 = (rounds: number) => machine({ id: 'n1', originWallUs, boot: pingPong('n2', rounds), dataDir: join(d1, 'data'), listen: { host: '127.0.0.1', port: p1 }, peers: { n2: { host: '127.0.0.1', port: p2 } }, tracePath: trace1 });
    const n2 = await machine({ id: 'n2', boot: pingPong('n1', 0), dataDir: join(d2, 'data'), listen: { host: '127.0.0.1', port: p2 }, peers: { n1: { host: '127.0.0.1', port: p1 } } });
    let n1 = await start1(5);
    await waitFor(() => n1.disk.get('pongs') === 5 && n1.disk.pendingWrites === 0, 'five durable pongs');
    await n1.close();
    expect(n1.state).toBe('closed');

    const events = await readTraceAll(trace1);
    const pongs = events.filter((e) => e.type === 'demo.pong');
    expect(pongs.map((e) => (e.type === 'demo.pong' ? e.seq : -1))).toEqual([0, 1, 2, 3, 4]);
    const sends = events.filter((e) => e.type === 'msg.send' && e.label === 'demo.ping');
    expect(sends).toHaveLength(5);
    const delivers = events.filter((e) => e.type === 'msg.deliver');
    expect(delivers.every((e) => e.type === 'msg.deliver' && e.from === 'n2' && e.to === 'n1')).toBe(true);
    for (let i = 1; i < events.length; i++) expect(events[i]!.t).toBeGreaterThanOrEqual(events[i - 1]!.t);
    const first = events[0] as unknown as { t: number; wallUs: number };
    expect(Math.abs(first.wallUs - n1.clock.wallUs(first.t))).toBe(0);

    n1 = await start1(8);
    expect(n1.recovery.keys).toBe(1);
    await waitFor(() => n1.disk.get('pongs') === 8, 'three more pongs after the restart');
    await n1.close();
    // One file, two incarnations, one time line: the shared origin keeps t increasing.
    const both = await readTraceAll(trace1);
    expect(both.filter((e) => e.type === 'demo.pong')).toHaveLength(8);
    for (let i = 1; i < both.length; i++) expect(both[i]!.t).toBeGreaterThanOrEqual(both[i - 1]!.t);
    expect(n2.stats().transport.framesReceived).toBeGreaterThanOrEqual(8);
  });

  it('gives a process the random streams a simulated machine of the same id and seed gets', async () => {
    const world = new World({ seed: 42 });
    let simDraws: number[] = [];
    world.addMachine('n3', (ctx) => {
      simDraws = [ctx.rng('raft/0').next(), ctx.rng('client').next(), ctx.rng('raft/0').next()];
      return { onMessage: () => {} };
    });
    let realDraws: number[] = [];
    await machine({
      id: 'n3',
      seed: 42,
      dataDir: tempDir(),
      boot: (ctx) => {
        realDraws = [ctx.rng('raft/0').next(), ctx.rng('client').next(), ctx.rng('raft/0').next()];
        return { onMessage: () => {} };
      },
    });
    expect(realDraws).toEqual(simDraws);
    expect(new Set(realDraws).size).toBe(3);
  });

  it('runs no process code after close(): no timer, no delivery, no disk callback', async () => {
    const port = await freePort();
    const ran: string[] = [];
    let ctx!: MachineContext;
    const m = await machine({
      id: 'n1',
      dataDir: tempDir(),
      listen: { host: '127.0.0.1', port },
      disk: { fsyncDelayMs: 30 },
      boot: (c) => {
        ctx = c;
        c.setTimer(20_000, () => ran.push('timer'));
        return { onMessage: () => ran.push('message') };
      },
    });
    ctx.disk.write([{ key: 'k', value: 1 }], () => ran.push('durable'));
    const closing = m.close();
    ctx.send('n1', 'to myself', 'x');
    await closing;
    await sleep(60);
    expect(ran).toEqual([]);
    expect(m.deliver('x', 'late')).toBe(false);
  });

  it('a crash drops unsynced writes and their callbacks; the restart sees what was durable', async () => {
    const dir = tempDir();
    let ctx!: MachineContext;
    const boot: BootFn = (c) => {
      ctx = c;
      return { onMessage: () => {} };
    };
    const m = await machine({ id: 'n1', dataDir: dir, boot });
    await new Promise<void>((resolve) => ctx.disk.write([{ key: 'kept', value: 1 }], resolve));
    let called = false;
    ctx.disk.write([{ key: 'lost', value: 2 }], () => (called = true));
    await m.crash();
    expect(m.state).toBe('crashed');
    await sleep(20);
    expect(called).toBe(false);
    const again = await machine({ id: 'n1', dataDir: dir, boot });
    expect(again.disk.get('kept')).toBe(1);
    expect(again.disk.get('lost')).toBeUndefined();
  });

  it('skews the local clock and traces it', async () => {
    const seen: string[] = [];
    let ctx!: MachineContext;
    const m = await machine({
      id: 'n1',
      dataDir: tempDir(),
      onEvent: (e) => seen.push(e.type),
      boot: (c) => {
        ctx = c;
        return { onMessage: () => {} };
      },
    });
    const before = ctx.localNowUs();
    m.skew(2_000_000, 100);
    expect(ctx.localNowUs() - before).toBeGreaterThanOrEqual(2_000_000);
    expect(seen).toContain('clock.skew');
  });
});
