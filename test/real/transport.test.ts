// TCP transport on loopback: messages both ways, replies to a client that does not listen,
// garbage closing only the connection that sent it, reconnect after a peer restarts, bounded
// queues, the peer filter on both sides, and the frame reader on any split of the byte stream.
import { describe, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import { TcpTransport, envelopeProblem, type PeerAddress, type TransportOptions } from '../../src/real/transport.js';
import { FrameReader, encodeFrame } from '../../src/real/frames.js';
import { SeededRng } from '../../src/sim/random.js';
import { freePort, onCleanup, sleep, waitFor, useRealTestLimits } from './helpers.js';

useRealTestLimits();

interface Got {
  from: string;
  payload: unknown;
  atMs: number;
}

async function endpoint(id: string, port: number | null, peers: Record<string, PeerAddress> = {}, extra: Partial<TransportOptions> = {}) {
  const got: Got[] = [];
  const logs: string[] = [];
  const t = await TcpTransport.start({
    id,
    listen: port === null ? null : { host: '127.0.0.1', port },
    peers,
    deliver: (from, payload) => got.push({ from, payload, atMs: performance.now() }),
    log: (line) => logs.push(line),
    limits: { backoffMinMs: 20, backoffMaxMs: 100 },
    ...extra,
  });
  onCleanup(() => t.close());
  return { t, got, logs };
}

const at = (port: number): PeerAddress => ({ host: '127.0.0.1', port });

async function rawSocket(port: number): Promise<Socket> {
  const s = connect({ host: '127.0.0.1', port });
  onCleanup(() => s.destroy());
  await new Promise<void>((resolve, reject) => {
    s.once('connect', resolve);
    s.once('error', reject);
  });
  return s;
}

const closed = (s: Socket) => new Promise<void>((resolve) => (s.destroyed ? resolve() : s.once('close', () => resolve())));

describe('TcpTransport', () => {
  it('carries messages both ways between two listening endpoints, in order', async () => {
    const [pa, pb] = [await freePort(), await freePort()];
    const a = await endpoint('n1', pa, { n2: at(pb) });
    const b = await endpoint('n2', pb, { n1: at(pa) });
    for (let i = 0; i < 20; i++) a.t.send('n2', { kind: 'ping', i }, 'ping');
    await waitFor(() => b.got.length === 20, 'pings');
    expect(b.got.map((g) => g.payload)).toEqual(Array.from({ length: 20 }, (_, i) => ({ kind: 'ping', i })));
    b.t.send('n1', { kind: 'pong', nested: { list: [1, 'two', null, true] } }, 'pong');
    await waitFor(() => a.got.length === 1, 'the pong');
    expect(a.got[0]).toMatchObject({ from: 'n2', payload: { kind: 'pong', nested: { list: [1, 'two', null, true] } } });
    expect(a.t.counters).toMatchObject({ framesSent: 20, framesReceived: 1, connects: 1 });
    expect(b.t.counters.framesReceived).toBe(20);
    expect(b.t.counters.bytesReceived).toBe(a.t.counters.bytesSent);
  });

  it('answers a client that only dials on the connection it came in on; an unknown id has no route', async () => {
    const ps = await freePort();
    const server = await endpoint('n1', ps);
    const client = await endpoint('c1', null, { n1: at(ps) });
    expect(client.t.port).toBeNull();
    client.t.send('n1', { kind: 'req', reqId: 1 }, 'get');
    await waitFor(() => server.got.length === 1, 'the request');
    server.t.send('c1', { kind: 'reply', reqId: 1 }, 'reply.ok');
    await waitFor(() => client.got.length === 1, 'the reply');
    expect(client.got[0]).toMatchObject({ from: 'n1', payload: { kind: 'reply', reqId: 1 } });
    server.t.send('c9', { kind: 'reply' }, 'reply.ok');
    expect(server.t.counters.droppedNoRoute).toBe(1);
  });

  it('delivers a self-send on a later turn, and does not dial itself when its peers list it', async () => {
    const pa = await freePort();
    const a = await endpoint('n1', pa, { n1: at(pa) });
    a.t.send('n1', 'me', 'self');
    expect(a.got).toEqual([]);
    await waitFor(() => a.got.length === 1, 'the self-send');
    expect(a.got[0]).toMatchObject({ from: 'n1', payload: 'me' });
    expect(a.t.counters.connects).toBe(0);
    expect(() => a.t.send('x'.repeat(300), 1, 'l')).toThrow(/out of bounds/);
  });

  it('closes a connection that sends garbage, keeps serving the others, and logs why', async () => {
    const [pa, pb] = [await freePort(), await freePort()];
    const a = await endpoint('n1', pa);
    const b = await endpoint('n2', pb, { n1: at(pa) });
    const rng = new SeededRng('garbage');
    const garbage: [string, Buffer][] = [
      ['a frame of random bytes', Buffer.concat([Buffer.from([0, 0, 0, 64]), Buffer.from(Array.from({ length: 64 }, () => rng.int(0, 255)))])],
      ['an over-long length', Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3])],
      ['JSON that is no envelope', encodeFrame(JSON.stringify({ hello: 'world' }))],
      ['an empty frame', Buffer.from([0, 0, 0, 0])],
      ['a changed sender', Buffer.concat([encodeFrame(JSON.stringify({ from: 'x', to: 'n1', id: 1, label: 'l', payload: 1 })), encodeFrame(JSON.stringify({ from: 'y', to: 'n1', id: 2, label: 'l', payload: 2 }))])],
    ];
    for (const [what, bytes] of garbage) {
      const s = await rawSocket(pa);
      s.on('error', () => {});
      s.write(bytes);
      await closed(s);
      b.t.send('n1', { what }, 'after');
    }
    await waitFor(() => a.got.filter((g) => g.from === 'n2').length === garbage.length, 'messages after each garbage');
    expect(a.t.counters.badConnections).toBe(garbage.length);
    expect(a.logs.filter((l) => l.includes('closing the connection'))).toHaveLength(garbage.length);
    expect(a.logs.some((l) => l.includes('exceeds the bound'))).toBe(true);
    expect(a.got.filter((g) => g.from === 'x')).toHaveLength(1); // the first frame of that connection was a fine message
  });

  it('reconnects after the peer restarts, delivering what was queued meanwhile', async () => {
    const [pa, pb] = [await freePort(), await freePort()];
    const a = await endpoint('n1', pa, { n2: at(pb) });
    let b = await endpoint('n2', pb);
    a.t.send('n2', 1, 'm');
    await waitFor(() => b.got.length === 1, 'the first message');
    await b.t.close();
    await sleep(30);
    a.t.send('n2', 2, 'm'); // may be lost with the old connection
    await sleep(30);
    a.t.send('n2', 3, 'm'); // queued while n2 is down
    b = await endpoint('n2', pb);
    await waitFor(() => b.got.some((g) => g.payload === 3), 'the queued message', 5000);
    expect(a.t.counters.reconnects).toBeGreaterThanOrEqual(1);
    a.t.send('n2', 4, 'm');
    await waitFor(() => b.got.some((g) => g.payload === 4), 'a message after the reconnect');
  });

  it('drops beyond the queue bound while the peer is unreachable, and counts it', async () => {
    const pb = await freePort();
    const a = await endpoint('n1', null, { n2: at(pb) }, { limits: { queueMaxFrames: 5, backoffMinMs: 10, backoffMaxMs: 20 } });
    for (let i = 0; i < 12; i++) a.t.send('n2', i, 'm');
    expect(a.t.counters.droppedQueueFull).toBe(7);
    await sleep(50);
    expect(a.t.counters.connectErrors).toBeGreaterThanOrEqual(1);
    expect(a.logs.filter((l) => l.includes('cannot reach n2'))).toHaveLength(1); // once per streak
    const b = await endpoint('n2', pb);
    await waitFor(() => b.got.length === 5, 'the queued five');
    expect(b.got.map((g) => g.payload)).toEqual([0, 1, 2, 3, 4]);
  });

  it('applies the peer filter on the send side and the receive side, and delays', async () => {
    const [pa, pb] = [await freePort(), await freePort()];
    const a = await endpoint('n1', pa, { n2: at(pb) });
    const b = await endpoint('n2', pb, { n1: at(pa) });
    a.t.filter = (_from, _to, label) => (label === 'blocked' ? 'drop' : 'deliver');
    a.t.send('n2', 'blocked', 'blocked');
    a.t.send('n2', 'passes', 'ok');
    await waitFor(() => b.got.length === 1, 'the passing message');
    expect(b.got[0]!.payload).toBe('passes');
    expect(a.t.counters.droppedFilterSend).toBe(1);
    // Receive side: n1 alone cuts n2 -> n1 (both directions of a partition from one endpoint).
    a.t.filter = (from, to) => (from === 'n2' && to === 'n1' ? 'drop' : 'deliver');
    b.t.send('n1', 'cut', 'x');
    await waitFor(() => a.t.counters.droppedFilterReceive === 1, 'a receive-side drop');
    expect(a.got).toEqual([]);
    a.t.filter = () => ({ delayMs: 60 });
    const sentMs = performance.now();
    a.t.send('n2', 'late', 'x');
    await waitFor(() => b.got.length === 2, 'the delayed message');
    expect(b.got[1]!.atMs - sentMs).toBeGreaterThanOrEqual(55);
    a.t.filter = null;
    b.t.send('n1', 'healed', 'x');
    await waitFor(() => a.got.length === 1, 'a message after healing');
  });

  it('drops a message above the frame bound instead of sending it', async () => {
    const pb = await freePort();
    const b = await endpoint('n2', pb);
    const a = await endpoint('n1', null, { n2: at(pb) }, { limits: { frameMaxBytes: 1000 } });
    a.t.send('n2', 'x'.repeat(2000), 'big');
    a.t.send('n2', 'small', 'small');
    await waitFor(() => b.got.length === 1, 'the small message');
    expect(a.t.counters.droppedTooLarge).toBe(1);
  });
});

describe('frames', () => {
  it('reads the same frames back from every split of the byte stream', () => {
    const payloads = ['', 'a', 'héllo', 'x'.repeat(300)];
    const stream = Buffer.concat(payloads.map(encodeFrame));
    for (let cut1 = 0; cut1 <= stream.length; cut1 += 7) {
      for (const cut2 of [cut1 + 1, cut1 + 5, stream.length]) {
        const reader = new FrameReader(1024);
        const out: string[] = [];
        for (const part of [stream.subarray(0, cut1), stream.subarray(cut1, cut2), stream.subarray(cut2)]) {
          const r = reader.push(part);
          expect(r.ok).toBe(true);
          out.push(...r.frames.map((f) => f.toString('utf8')));
        }
        expect(out).toEqual(payloads);
        expect(reader.pendingBytes).toBe(0);
      }
    }
  });

  it('fails on a length above the bound, returning the frames before it', () => {
    const reader = new FrameReader(10);
    const r = reader.push(Buffer.concat([encodeFrame('ok'), Buffer.from([0, 0, 0, 11])]));
    expect(r.ok).toBe(false);
    expect(r.frames.map((f) => f.toString())).toEqual(['ok']);
  });

  it('accepts only message envelopes', () => {
    expect(envelopeProblem({ from: 'a', to: 'b', id: 1, label: 'l', payload: null })).toBeNull();
    for (const bad of [null, [], 'x', { from: 'a', to: 'b', id: 1, label: 'l' }, { from: '', to: 'b', id: 1, label: 'l', payload: 1 }, { from: 'a', to: 'b', id: -1, label: 'l', payload: 1 }, { from: 'a', to: 'b', id: 1.5, label: 'l', payload: 1 }, { from: 'a', to: 7, id: 1, label: 'l', payload: 1 }]) {
      expect(envelopeProblem(bad), JSON.stringify(bad)).not.toBeNull();
    }
  });
});
