// TCP between machines (node:net), the real counterpart of the simulated network.
//
// Wire: every message is one frame (frames.ts: 4-byte big-endian length, bound 16 MiB by
// default) holding a JSON envelope `{from, to, id, label, payload}`; `id` counts the sender's
// messages, so (from, id) names a message in every process's trace. A frame that is too long,
// is not JSON, or is not such an envelope — or whose `from` differs from the first frame's on
// that connection — closes that connection and is logged; the endpoint keeps serving the others.
// A well-formed envelope for another id is dropped and counted (a misconfigured peer).
//
// Routes. Each endpoint listens on its own port (or none: `listen: null`, a client that only
// dials). To reach an id in its peer map it dials that peer and keeps the connection up,
// reconnecting with exponential backoff (50 ms doubling to 1 s by default; reset on connect).
// Every connection is read in both directions, and an endpoint remembers, per remote id, the
// latest connection that id dialed to it: a message to an id *not* in the peer map — a client —
// goes back on that inbound connection (no route: dropped and counted). So clients need no
// port and no entry in any server's map; servers name each other in their maps.
//
// Bounds. Per peer, frames wait in a queue while disconnected (at most `queueMaxFrames` frames
// and `queueMaxBytes` bytes) and, once connected, go straight to the socket unless its unsent
// bytes would pass `queueMaxBytes`; beyond a bound the new frame is dropped and counted (a
// stopped peer cannot make us buffer without end). Delayed messages are bounded too.
//
// Peer filter (partitions and drops without root): `filter(from, to, label)` → 'deliver' |
// 'drop' | {delayMs, copyDelayMs?}, settable at run time, is asked on the SEND side as (self,
// to, label) before a message is queued, and on the RECEIVE side as (from, self, label) before it
// is delivered. Configuring one endpoint therefore cuts both directions of its links; configuring
// both ends applies the rule twice (delays add up). Self-sends skip the socket but not the filter.
// `copyDelayMs` duplicates the message: a second copy, same envelope and id, goes on (send) or is
// delivered (receive) after that delay, as the simulator's duplicates are; counted as duplicated.
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { assert } from '../base/assert.js';
import { decodeValue, encodeValue } from './codec.js';
import { FRAME_HEADER_BYTES, FRAME_MAX_BYTES_DEFAULT, FrameReader, encodeFrame } from './frames.js';

export interface PeerAddress {
  host: string;
  port: number;
}

/** `delayMs`: hold the message that long first; `copyDelayMs`: also send/deliver a copy after that long. */
export type FilterVerdict = 'deliver' | 'drop' | { delayMs: number; copyDelayMs?: number };
export type PeerFilter = (from: string, to: string, label: string) => FilterVerdict;

export interface Envelope {
  from: string;
  to: string;
  id: number;
  label: string;
  payload: unknown;
}

export interface TransportLimits {
  frameMaxBytes: number;
  /** Frames held per peer while it is not connected. */
  queueMaxFrames: number;
  /** Bytes held per peer: queued while disconnected, or unsent in the socket once connected. */
  queueMaxBytes: number;
  backoffMinMs: number;
  backoffMaxMs: number;
  /** A dial that has not connected by then is abandoned (and retried after the backoff). */
  connectTimeoutMs: number;
  /** Messages held at once by filter delays. */
  delayedMax: number;
  /** close(): how long connections get to send what they hold before they are cut. */
  closeGraceMs: number;
  /** Accepted connections open at once (each may hold up to one frame's bytes). */
  inboundMax: number;
}

export const DEFAULT_LIMITS: TransportLimits = {
  frameMaxBytes: FRAME_MAX_BYTES_DEFAULT,
  queueMaxFrames: 10_000,
  queueMaxBytes: 32 * 1024 * 1024,
  backoffMinMs: 50,
  backoffMaxMs: 1000,
  connectTimeoutMs: 2000,
  delayedMax: 100_000,
  closeGraceMs: 200,
  inboundMax: 1024,
};

export type TransportDropReason = 'filter' | 'queue-full' | 'too-large' | 'no-route';

/** Hooks for the machine's trace (msg.send / msg.deliver / msg.drop). */
export interface TransportObserver {
  sent(id: number, to: string, label: string): void;
  delivered(id: number, from: string, label: string): void;
  dropped(id: number, from: string, to: string, label: string, reason: TransportDropReason): void;
}

export interface TransportOptions {
  id: string;
  /** Where to listen (port 0: any free port); null for an endpoint that only dials. */
  listen: PeerAddress | null;
  peers: Readonly<Record<string, PeerAddress>>;
  /** A message for this endpoint, after the receive-side filter. */
  deliver(from: string, payload: unknown): void;
  log?: (line: string) => void;
  observer?: TransportObserver;
  limits?: Partial<TransportLimits>;
}

export interface TransportCounters {
  framesSent: number;
  bytesSent: number;
  framesReceived: number;
  bytesReceived: number;
  droppedFilterSend: number;
  droppedFilterReceive: number;
  /** Extra copies the filter asked for (copyDelayMs), on each side. */
  duplicatedSend: number;
  duplicatedReceive: number;
  droppedQueueFull: number;
  droppedTooLarge: number;
  droppedNoRoute: number;
  droppedMisaddressed: number;
  /** Connections closed because of what they sent (garbage, over-long frames, a changed id). */
  badConnections: number;
  connects: number;
  /** Connections to a peer made after its first one. */
  reconnects: number;
  connectErrors: number;
}

const ID_MAX_CHARS = 256;
const LABEL_MAX_CHARS = 256;

/** One TCP connection, dialed by us (`peer` set) or accepted. */
interface Link {
  readonly socket: Socket;
  readonly reader: FrameReader;
  /** The remote id: the peer's for a dialed link, learned from the first frame otherwise. */
  remoteId: string | null;
  readonly dialed: boolean;
  dead: boolean;
}

interface Queued {
  frame: Buffer;
  id: number;
  label: string;
}

/** A peer we dial. */
interface Peer {
  readonly id: string;
  addr: PeerAddress;
  link: Link | null;
  connected: boolean;
  queue: Queued[];
  queueBytes: number;
  backoffMs: number;
  retryTimer: NodeJS.Timeout | null;
  everConnected: boolean;
  /** In a streak of failed dials (logged once per streak). */
  failing: boolean;
  removed: boolean;
}

export class TcpTransport {
  /** Settable at any time; null delivers everything. */
  filter: PeerFilter | null = null;
  readonly counters: TransportCounters = {
    framesSent: 0,
    bytesSent: 0,
    framesReceived: 0,
    bytesReceived: 0,
    droppedFilterSend: 0,
    droppedFilterReceive: 0,
    duplicatedSend: 0,
    duplicatedReceive: 0,
    droppedQueueFull: 0,
    droppedTooLarge: 0,
    droppedNoRoute: 0,
    droppedMisaddressed: 0,
    badConnections: 0,
    connects: 0,
    reconnects: 0,
    connectErrors: 0,
  };
  readonly id: string;
  private readonly limits: TransportLimits;
  private readonly peers = new Map<string, Peer>();
  /** Latest connection each remote id dialed to us: the way back to ids we do not dial. */
  private readonly inbound = new Map<string, Link>();
  private readonly links = new Set<Link>();
  private readonly delayed = new Set<NodeJS.Timeout>();
  private readonly log: (line: string) => void;
  private server: Server | null = null;
  private nextMessageId = 1;
  private closed = false;

  private constructor(private readonly options: TransportOptions) {
    this.id = options.id;
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    assert(this.limits.backoffMinMs > 0 && this.limits.backoffMaxMs >= this.limits.backoffMinMs, 'backoff bounds are positive and ordered');
    this.log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
    // A cluster file may list this endpoint among the peers: it is not dialed.
    for (const [id, addr] of Object.entries(options.peers)) if (id !== this.id) this.setPeer(id, addr);
  }

  /** Creates the endpoint and, when asked, starts listening (resolves once it is). */
  static async start(options: TransportOptions): Promise<TcpTransport> {
    const t = TcpTransport.create(options);
    if (options.listen !== null) await t.listen();
    return t;
  }

  /** Creates the endpoint without listening yet (so a process can boot before the first delivery). */
  static create(options: TransportOptions): TcpTransport {
    return new TcpTransport(options);
  }

  /** The port this endpoint listens on (null when it only dials). */
  get port(): number | null {
    const addr = this.server?.address();
    return addr !== null && typeof addr === 'object' ? addr.port : null;
  }

  /** Adds or moves a peer (membership changes); its connection is redialed on the next send. */
  setPeer(id: string, addr: PeerAddress): void {
    assert(id !== this.id, 'an endpoint is not its own peer');
    const existing = this.peers.get(id);
    if (existing !== undefined) {
      if (existing.addr.host === addr.host && existing.addr.port === addr.port) return;
      this.removePeer(id);
    }
    this.peers.set(id, { id, addr: { ...addr }, link: null, connected: false, queue: [], queueBytes: 0, backoffMs: this.limits.backoffMinMs, retryTimer: null, everConnected: false, failing: false, removed: false });
  }

  removePeer(id: string): void {
    const peer = this.peers.get(id);
    if (peer === undefined) return;
    peer.removed = true;
    this.peers.delete(id);
    if (peer.retryTimer !== null) clearTimeout(peer.retryTimer);
    peer.link?.socket.destroy();
  }

  // ------------------------------------------------------------------ sending

  send(to: string, payload: unknown, label: string): void {
    // The receiver closes a connection whose envelope breaks these: catch it at the sender.
    assert(to !== '' && to.length <= ID_MAX_CHARS && label.length <= LABEL_MAX_CHARS, () => `send to "${to.slice(0, 40)}" labelled "${label.slice(0, 40)}": id or label out of bounds`);
    if (this.closed) return;
    const id = this.nextMessageId++;
    this.options.observer?.sent(id, to, label);
    const verdict = this.verdict(this.id, to, label);
    if (verdict === 'drop') {
      this.counters.droppedFilterSend++;
      this.options.observer?.dropped(id, this.id, to, label, 'filter');
      return;
    }
    const env: Envelope = { from: this.id, to, id, label, payload };
    if (verdict === 'deliver') return this.route(env);
    this.hold(verdict.delayMs, env, () => this.route(env));
    if (verdict.copyDelayMs !== undefined) {
      this.counters.duplicatedSend++;
      this.hold(verdict.copyDelayMs, env, () => this.route(env));
    }
  }

  private route(env: Envelope): void {
    if (this.closed) return;
    if (env.to === this.id) {
      // A self-send: no socket, but still a later turn and the receive-side filter.
      setImmediate(() => this.receive(env));
      return;
    }
    const frame = encodeFrame(encodeValue(env));
    if (frame.length - FRAME_HEADER_BYTES > this.limits.frameMaxBytes) {
      this.log(`${this.id}: message ${env.id} (${env.label}) to ${env.to} is ${frame.length} bytes, above the frame bound ${this.limits.frameMaxBytes}; dropped`);
      return this.drop(env, 'too-large');
    }
    const peer = this.peers.get(env.to);
    if (peer !== undefined) return this.enqueue(peer, { frame, id: env.id, label: env.label }, env);
    const back = this.inbound.get(env.to);
    if (back !== undefined && !back.dead) {
      if (!this.writeTo(back.socket, frame)) this.drop(env, 'queue-full');
      return;
    }
    this.drop(env, 'no-route');
  }

  private enqueue(peer: Peer, q: Queued, env: Envelope): void {
    if (peer.connected && peer.link !== null && peer.queue.length === 0) {
      if (!this.writeTo(peer.link.socket, q.frame)) this.drop(env, 'queue-full');
      return;
    }
    if (peer.queue.length >= this.limits.queueMaxFrames || peer.queueBytes + q.frame.length > this.limits.queueMaxBytes) return this.drop(env, 'queue-full');
    peer.queue.push(q);
    peer.queueBytes += q.frame.length;
    this.dial(peer);
  }

  /** Writes a frame unless the socket already holds too much unsent; false when it did not. */
  private writeTo(socket: Socket, frame: Buffer): boolean {
    if (socket.writableLength + frame.length > this.limits.queueMaxBytes) return false;
    socket.write(frame);
    this.counters.framesSent++;
    this.counters.bytesSent += frame.length;
    return true;
  }

  private drop(env: Envelope, reason: TransportDropReason): void {
    switch (reason) {
      case 'filter':
        break; // counted by the side that asked the filter
      case 'queue-full':
        this.counters.droppedQueueFull++;
        break;
      case 'too-large':
        this.counters.droppedTooLarge++;
        break;
      case 'no-route':
        this.counters.droppedNoRoute++;
        break;
      default: {
        const never: never = reason;
        assert(false, `unknown drop reason ${String(never)}`);
      }
    }
    this.options.observer?.dropped(env.id, env.from, env.to, env.label, reason);
  }

  private verdict(from: string, to: string, label: string): FilterVerdict {
    const filter = this.filter;
    if (filter === null) return 'deliver';
    const v = filter(from, to, label);
    if (typeof v === 'object') {
      assert(Number.isFinite(v.delayMs) && v.delayMs >= 0, () => `filter delay ${v.delayMs} ms must be finite and >= 0`);
      assert(v.copyDelayMs === undefined || (Number.isFinite(v.copyDelayMs) && v.copyDelayMs >= 0), () => `filter copy delay ${v.copyDelayMs} ms must be finite and >= 0`);
    }
    return v;
  }

  private hold(delayMs: number, env: Envelope, fn: () => void): void {
    if (this.delayed.size >= this.limits.delayedMax) return this.drop(env, 'queue-full');
    const timer = setTimeout(() => {
      this.delayed.delete(timer);
      fn();
    }, delayMs);
    this.delayed.add(timer);
  }

  // ------------------------------------------------------------------ connections

  private dial(peer: Peer): void {
    if (this.closed || peer.removed || peer.link !== null || peer.retryTimer !== null) return;
    const socket = createConnection({ host: peer.addr.host, port: peer.addr.port });
    socket.setNoDelay(true);
    const link = this.attach(socket, peer.id, true);
    peer.link = link;
    peer.connected = false;
    socket.setTimeout(this.limits.connectTimeoutMs, () => socket.destroy(new Error(`no connection within ${this.limits.connectTimeoutMs} ms`)));
    socket.once('connect', () => {
      socket.setTimeout(0);
      socket.setKeepAlive(true, 1000);
      peer.connected = true;
      peer.backoffMs = this.limits.backoffMinMs;
      this.counters.connects++;
      if (peer.everConnected) this.counters.reconnects++;
      if (peer.failing) this.log(`${this.id}: connected to ${peer.id} at ${peer.addr.host}:${peer.addr.port}`);
      peer.everConnected = true;
      peer.failing = false;
      const queued = peer.queue;
      peer.queue = [];
      peer.queueBytes = 0;
      for (const q of queued) {
        if (!this.writeTo(socket, q.frame)) {
          this.counters.droppedQueueFull++;
          this.options.observer?.dropped(q.id, this.id, peer.id, q.label, 'queue-full');
        }
      }
    });
    socket.on('error', (err) => {
      if (!peer.connected) {
        this.counters.connectErrors++;
        if (!peer.failing) this.log(`${this.id}: cannot reach ${peer.id} at ${peer.addr.host}:${peer.addr.port} (${err.message}); retrying`);
        peer.failing = true;
      }
    });
    socket.once('close', () => {
      if (peer.link !== link) return;
      peer.link = null;
      peer.connected = false;
      if (this.closed || peer.removed) return;
      const delay = peer.backoffMs;
      peer.backoffMs = Math.min(this.limits.backoffMaxMs, peer.backoffMs * 2);
      peer.retryTimer = setTimeout(() => {
        peer.retryTimer = null;
        this.dial(peer);
      }, delay);
    });
  }

  /** Starts listening on `options.listen` (resolves once it does). */
  listen(): Promise<void> {
    const addr = this.options.listen;
    assert(addr !== null && this.server === null && !this.closed, 'listen once, on an endpoint created with an address');
    const server = createServer((socket) => {
      if (this.closed) {
        socket.destroy();
        return;
      }
      socket.setNoDelay(true);
      socket.on('error', () => {
        // a reset by the remote: 'close' follows and cleans up
      });
      this.attach(socket, null, false);
    });
    server.maxConnections = this.limits.inboundMax;
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(addr.port, addr.host, () => {
        server.off('error', reject);
        server.on('error', (err) => this.log(`${this.id}: listener error: ${err.message}`));
        resolve();
      });
    });
  }

  private attach(socket: Socket, remoteId: string | null, dialed: boolean): Link {
    const link: Link = { socket, reader: new FrameReader(this.limits.frameMaxBytes), remoteId, dialed, dead: false };
    this.links.add(link);
    socket.on('data', (chunk: Buffer) => this.onData(link, chunk));
    socket.once('close', () => {
      link.dead = true;
      this.links.delete(link);
      if (link.remoteId !== null && this.inbound.get(link.remoteId) === link) this.inbound.delete(link.remoteId);
    });
    return link;
  }

  // ------------------------------------------------------------------ receiving

  private onData(link: Link, chunk: Buffer): void {
    if (link.dead) return;
    this.counters.bytesReceived += chunk.length;
    const r = link.reader.push(chunk);
    for (const frame of r.frames) {
      if (!this.onFrame(link, frame)) return;
    }
    if (!r.ok) this.reject(link, r.error);
  }

  /** Handles one frame; false when it closed the connection. */
  private onFrame(link: Link, frame: Buffer): boolean {
    let value: unknown;
    try {
      value = decodeValue(frame.toString('utf8'));
    } catch {
      this.reject(link, `a ${frame.length}-byte frame that is not JSON`);
      return false;
    }
    const problem = envelopeProblem(value);
    if (problem !== null) {
      this.reject(link, `a frame that is not a message envelope (${problem})`);
      return false;
    }
    const env = value as Envelope;
    if (link.remoteId === null) {
      link.remoteId = env.from;
      if (!link.dialed) this.inbound.set(env.from, link);
    } else if (env.from !== link.remoteId) {
      this.reject(link, `a frame from ${env.from} on the connection of ${link.remoteId}`);
      return false;
    }
    this.counters.framesReceived++;
    if (env.to !== this.id) {
      this.counters.droppedMisaddressed++;
      return true;
    }
    this.receive(env);
    return true;
  }

  private receive(env: Envelope): void {
    if (this.closed) return;
    const verdict = this.verdict(env.from, this.id, env.label);
    if (verdict === 'drop') {
      this.counters.droppedFilterReceive++;
      this.options.observer?.dropped(env.id, env.from, env.to, env.label, 'filter');
      return;
    }
    if (verdict === 'deliver') return this.deliverNow(env);
    this.hold(verdict.delayMs, env, () => this.deliverNow(env));
    if (verdict.copyDelayMs !== undefined) {
      this.counters.duplicatedReceive++;
      this.hold(verdict.copyDelayMs, env, () => this.deliverNow(env));
    }
  }

  private deliverNow(env: Envelope): void {
    if (this.closed) return;
    this.options.observer?.delivered(env.id, env.from, env.label);
    this.options.deliver(env.from, env.payload);
  }

  private reject(link: Link, why: string): void {
    if (link.dead) return;
    link.dead = true;
    this.counters.badConnections++;
    const remote = `${link.socket.remoteAddress ?? '?'}:${link.socket.remotePort ?? '?'}`;
    this.log(`${this.id}: closing the connection ${link.dialed ? 'to' : 'from'} ${link.remoteId ?? remote} (${remote}): it sent ${why}`);
    link.socket.destroy();
  }

  // ------------------------------------------------------------------ shutdown

  /** Stops accepting, gives open connections `closeGraceMs` to send what they hold, then cuts them. */
  close(): Promise<void> {
    return this.shutDown(this.limits.closeGraceMs);
  }

  /** Cuts every connection at once, as a killed process would (resolves once the port is free). */
  abort(): Promise<void> {
    return this.shutDown(0);
  }

  private async shutDown(graceMs: number): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const peer of this.peers.values()) if (peer.retryTimer !== null) clearTimeout(peer.retryTimer);
    for (const timer of this.delayed) clearTimeout(timer);
    this.delayed.clear();
    const serverClosed = new Promise<void>((resolve) => {
      if (this.server === null) return resolve();
      this.server.close(() => resolve());
    });
    const links = [...this.links];
    if (graceMs > 0) await this.endLinks(links, graceMs);
    for (const l of links) l.socket.destroy();
    await serverClosed;
  }

  private async endLinks(links: Link[], graceMs: number): Promise<void> {
    const ended = Promise.all(
      links.map(
        (l) =>
          new Promise<void>((resolve) => {
            if (l.socket.destroyed) return resolve();
            l.socket.once('close', () => resolve());
            l.socket.end();
          }),
      ),
    );
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([ended, new Promise<void>((resolve) => (grace = setTimeout(resolve, graceMs)))]);
    clearTimeout(grace);
  }
}

/** Why a decoded frame is not an envelope, or null when it is one. */
export function envelopeProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not an object';
  const e = value as Record<string, unknown>;
  if (typeof e.from !== 'string' || e.from === '' || e.from.length > ID_MAX_CHARS) return 'field "from" is not an id';
  if (typeof e.to !== 'string' || e.to === '' || e.to.length > ID_MAX_CHARS) return 'field "to" is not an id';
  if (typeof e.label !== 'string' || e.label.length > LABEL_MAX_CHARS) return 'field "label" is not a label';
  if (typeof e.id !== 'number' || !Number.isSafeInteger(e.id) || e.id < 0) return 'field "id" is not a message number';
  if (!('payload' in e)) return 'no field "payload"';
  return null;
}
