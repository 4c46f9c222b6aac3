// The simulated network: it moves opaque payloads between machines.
//
// Each directed link has its own random stream, so the draws of one link do not depend on
// traffic elsewhere. Latency = mean ± jitter (uniform), never below the minimum, and with a
// small probability multiplied by the tail factor (a long-tail spike). Unless reordering is on,
// a link is FIFO: a message never overtakes an earlier one on the same link. Partitions are a
// set of cut directed links, checked when a message is sent and again when it would arrive
// (a message in flight when the cut happens is lost). A clogged link holds the messages sent
// on it until the clog ends, then delivers them in order; healing everything ends every clog at
// once (the held messages then arrive, none is lost).
import type { Rng } from './random.js';
import { garble } from './garble.js';
import type { NetworkHost } from './hosts.js';

export interface LinkModel {
  minUs: number;
  meanUs: number;
  jitterUs: number;
  tailProbability: number;
  tailFactor: number;
  drop: number;
  duplicate: number;
  reorder: boolean;
}

export const DEFAULT_LINK: LinkModel = {
  minUs: 200,
  meanUs: 1000,
  jitterUs: 300,
  tailProbability: 0.01,
  tailFactor: 10,
  drop: 0,
  duplicate: 0,
  reorder: false,
};

interface Held {
  id: number;
  from: string;
  to: string;
  payload: unknown;
  label: string;
  /** When it would have arrived without the clog. */
  naturalUs: number;
  copy: boolean;
}

interface Link {
  rng: Rng;
  /** This link's model: the network's, or its tier's under a topology. */
  model: LinkModel;
  /** Extra delay a fault put on this link alone (a slow inter-region link), µs. */
  faultExtraUs: number;
  lastArrivalUs: number;
  clogUntilUs: number;
  /** Messages sent while clogged, in send order. */
  held: Held[];
  /** Time of the pending release event, or -1 (a heal or a longer clog voids the pending one). */
  releaseAtUs: number;
}

export interface NetworkStats {
  sent: number;
  delivered: number;
  dropped: number;
  duplicated: number;
  /** Sent garbled (the garble fault): each is also counted in sent, and delivered or dropped. */
  garbled: number;
}

/**
 * The messages a garble fault is aimed at. The network cannot tell messages apart (payloads are
 * opaque here), so whoever sets the fault says which payloads qualify and names the classes for
 * the trace. Null: every message.
 */
export interface GarbleAim {
  readonly classes: readonly string[];
  accepts(payload: unknown): boolean;
}

export function linkKey(from: string, to: string): string {
  return `${from}>${to}`;
}

export class Network {
  private readonly links = new Map<string, Map<string, Link>>();
  private readonly cut = new Set<string>();
  /** Extra fault rates on top of the model, set by faults. */
  faultDrop = 0;
  faultDuplicate = 0;
  /** Share of messages delivered garbled (one value of the wrong type: garble.ts). */
  faultGarble = 0;
  /** The messages `faultGarble` applies to (null: all). */
  faultGarbleAim: GarbleAim | null = null;
  faultDelayExtraUs = 0;
  faultReorder = false;
  readonly stats: NetworkStats = { sent: 0, delivered: 0, dropped: 0, duplicated: 0, garbled: 0 };
  private nextMessageId = 1;
  /** Every garbled copy in flight or delivered, with the path of the value garbled (by identity). */
  private readonly garbledCopies = new WeakMap<object, string>();
  /**
   * Told after each delivery of a garbled copy (white-box, for the harness's audit of what
   * receivers accept): `now` is false when the receiver was paused and handles it later.
   */
  afterGarbledDelivery: ((to: string, from: string, payload: object, path: string, label: string, now: boolean) => void) | null = null;

  /** Links with a fault's extra delay on them, for healing. */
  private readonly delayed = new Set<Link>();

  constructor(
    private readonly world: NetworkHost,
    readonly model: LinkModel,
    /** Per-link latency fields over `model` (a topology's tiers); absent: every link is `model`. */
    private readonly linkLatency?: (from: string, to: string) => Partial<LinkModel>,
  ) {}

  private link(from: string, to: string): Link {
    let byTo = this.links.get(from);
    if (byTo === undefined) {
      byTo = new Map();
      this.links.set(from, byTo);
    }
    let link = byTo.get(to);
    if (link === undefined) {
      const model = this.linkLatency === undefined ? this.model : { ...this.model, ...this.linkLatency(from, to) };
      link = { rng: this.world.stream(`link/${from}>${to}`), model, faultExtraUs: 0, lastArrivalUs: 0, clogUntilUs: 0, held: [], releaseAtUs: -1 };
      byTo.set(to, link);
    }
    return link;
  }

  isCut(from: string, to: string): boolean {
    return this.cut.size > 0 && this.cut.has(linkKey(from, to));
  }

  cutLinks(): [string, string][] {
    const out: [string, string][] = [];
    for (const key of this.cut) {
      const [from, to] = key.split('>') as [string, string];
      out.push([from, to]);
    }
    return out;
  }

  cutAll(links: [string, string][], description: string): void {
    for (const [from, to] of links) this.cut.add(linkKey(from, to));
    this.world.trace({ t: this.world.nowUs(), type: 'net.cut', links, description });
  }

  /** Undoes cuts; `'all'` also ends every clog now (held messages go on their way). */
  heal(links: [string, string][] | 'all'): void {
    if (links === 'all') this.cut.clear();
    else for (const [from, to] of links) this.cut.delete(linkKey(from, to));
    this.world.trace({ t: this.world.nowUs(), type: 'net.heal', links });
    if (links !== 'all') return;
    const now = this.world.nowUs();
    for (const byTo of this.links.values()) {
      for (const link of byTo.values()) {
        if (link.clogUntilUs <= now) continue;
        link.clogUntilUs = now;
        link.releaseAtUs = -1;
        this.release(link);
      }
    }
  }

  clog(from: string, to: string, untilUs: number): void {
    const link = this.link(from, to);
    link.clogUntilUs = Math.max(link.clogUntilUs, untilUs);
    this.scheduleRelease(link);
    this.world.trace({ t: this.world.nowUs(), type: 'net.clog', from, to, untilUs });
  }

  setFaultRates(drop: number, duplicate: number, delayExtraUs: number): void {
    this.faultDrop = drop;
    this.faultDuplicate = duplicate;
    this.faultDelayExtraUs = delayExtraUs;
    this.world.trace({ t: this.world.nowUs(), type: 'net.rates', drop, duplicate, delayExtraUs });
  }

  setGarble(rate: number, aim: GarbleAim | null = null): void {
    this.faultGarble = rate;
    this.faultGarbleAim = aim;
    this.world.trace({ t: this.world.nowUs(), type: 'net.garble', rate, ...(aim !== null && { messages: [...aim.classes] }) });
  }

  /** Extra delay on some links only (0 ends it), on top of any network-wide delay. */
  delayLinks(links: readonly [string, string][], extraUs: number): void {
    for (const [from, to] of links) {
      const link = this.link(from, to);
      link.faultExtraUs = extraUs;
      if (extraUs > 0) this.delayed.add(link);
      else this.delayed.delete(link);
    }
    this.world.trace({ t: this.world.nowUs(), type: 'net.delay', links: links.map(([a, b]) => [a, b]), extraUs });
  }

  /** Whether some link has a delay of its own. */
  hasLinkDelays(): boolean {
    return this.delayed.size > 0;
  }

  /** Ends every per-link delay. */
  clearLinkDelays(): void {
    for (const link of this.delayed) link.faultExtraUs = 0;
    this.delayed.clear();
    this.world.trace({ t: this.world.nowUs(), type: 'net.delay', links: [], extraUs: 0 });
  }

  private latencyUs(link: Link): number {
    const m = link.model;
    let latency = m.meanUs + (link.rng.next() * 2 - 1) * m.jitterUs;
    if (latency < m.minUs) latency = m.minUs;
    if (m.tailProbability > 0 && link.rng.next() < m.tailProbability) latency *= m.tailFactor;
    return Math.round(latency) + this.faultDelayExtraUs + link.faultExtraUs;
  }

  send(from: string, to: string, payload: unknown, label: string): void {
    const world = this.world;
    const id = this.nextMessageId++;
    this.stats.sent++;
    world.traceMessage({ t: world.nowUs(), type: 'msg.send', id, from, to, label });
    if (world.receiver(to) === undefined) return this.drop(id, from, to, label, 'unknown-machine');
    if (this.isCut(from, to)) return this.drop(id, from, to, label, 'partition');
    const link = this.link(from, to);
    const dropRate = this.model.drop + this.faultDrop;
    if (dropRate > 0 && link.rng.next() < dropRate) return this.drop(id, from, to, label, 'random');
    // An aimed garble draws only for the messages it is aimed at, so the others keep the link's draws.
    if (this.faultGarble > 0 && (this.faultGarbleAim === null || this.faultGarbleAim.accepts(payload)) && link.rng.next() < this.faultGarble) {
      const g = garble(payload, { int: (n) => link.rng.int(0, n - 1) });
      if (g !== null) {
        this.stats.garbled++;
        world.trace({ t: world.nowUs(), type: 'msg.garble', id, from, to, label, path: g.path });
        payload = g.payload;
        if (typeof payload === 'object' && payload !== null) this.garbledCopies.set(payload, g.path);
      }
    }
    this.schedule(link, id, from, to, payload, label, false);
    const dupRate = this.model.duplicate + this.faultDuplicate;
    if (dupRate > 0 && link.rng.next() < dupRate) {
      this.stats.duplicated++;
      this.schedule(link, id, from, to, payload, label, true);
    }
  }

  private schedule(link: Link, id: number, from: string, to: string, payload: unknown, label: string, copy: boolean): void {
    const world = this.world;
    const naturalUs = world.nowUs() + this.latencyUs(link);
    if (link.clogUntilUs > world.nowUs()) {
      link.held.push({ id, from, to, payload, label, naturalUs, copy });
      return;
    }
    if (link.held.length > 0) this.release(link); // the clog ended this instant: older messages first
    this.dispatch(link, id, from, to, payload, label, naturalUs, copy);
  }

  /** One pending release event per link, at the clog's current end. */
  private scheduleRelease(link: Link): void {
    if (link.releaseAtUs === link.clogUntilUs) return;
    const atUs = link.clogUntilUs;
    link.releaseAtUs = atUs;
    this.world.at(atUs, () => {
      if (link.releaseAtUs !== atUs) return; // healed early, or extended
      link.releaseAtUs = -1;
      this.release(link);
    });
  }

  /** The clog is over: held messages leave in send order, none earlier than it would have. */
  private release(link: Link): void {
    const held = link.held;
    link.held = [];
    for (const h of held) this.dispatch(link, h.id, h.from, h.to, h.payload, h.label, Math.max(h.naturalUs, this.world.nowUs()), h.copy);
  }

  private dispatch(link: Link, id: number, from: string, to: string, payload: unknown, label: string, naturalUs: number, copy: boolean): void {
    const world = this.world;
    let arrivalUs = naturalUs;
    const reorder = this.model.reorder || this.faultReorder;
    // FIFO per link unless reordering: never arrive before an earlier message on this link.
    // Duplicates are exempt: a retransmitted copy may come late.
    if (!reorder && !copy) {
      if (arrivalUs < link.lastArrivalUs) arrivalUs = link.lastArrivalUs;
      link.lastArrivalUs = arrivalUs;
    }
    world.at(arrivalUs, () => this.arrive(id, from, to, payload, label));
  }

  private arrive(id: number, from: string, to: string, payload: unknown, label: string): void {
    const world = this.world;
    if (this.isCut(from, to)) return this.drop(id, from, to, label, 'partition');
    const machine = world.receiver(to);
    if (machine === undefined) return this.drop(id, from, to, label, 'unknown-machine');
    if (machine.state === 'crashed') return this.drop(id, from, to, label, 'crashed');
    this.stats.delivered++;
    world.traceMessage({ t: world.nowUs(), type: 'msg.deliver', id, from, to, label });
    const path = this.garbledPath(payload);
    if (path === undefined) {
      machine.deliver(from, payload);
      return;
    }
    const now = machine.state === 'up';
    machine.deliver(from, payload);
    this.afterGarbledDelivery?.(to, from, payload as object, path, label, now);
  }

  /** The path of the value the garble fault changed in this payload (undefined: not garbled). */
  garbledPath(payload: unknown): string | undefined {
    return typeof payload === 'object' && payload !== null ? this.garbledCopies.get(payload) : undefined;
  }

  private drop(id: number, from: string, to: string, label: string, reason: 'partition' | 'random' | 'crashed' | 'unknown-machine'): void {
    this.stats.dropped++;
    this.world.trace({ t: this.world.nowUs(), type: 'msg.drop', id, from, to, label, reason });
  }
}

/** Directed links cut by a partition into sides: every pair on different sides, both ways. */
export function linksBetweenSides(sides: readonly (readonly string[])[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < sides.length; i++) {
    for (let j = 0; j < sides.length; j++) {
      if (i === j) continue;
      for (const a of sides[i]!) for (const b of sides[j]!) out.push([a, b]);
    }
  }
  return out;
}

/** Links that isolate one machine from all others (both directions). */
export function isolateLinks(machine: string, all: readonly string[]): [string, string][] {
  return linksBetweenSides([[machine], all.filter((m) => m !== machine)]);
}

/** One-way cut: messages from `from` to `to` are lost, the other direction still flows. */
export function oneWayLinks(from: readonly string[], to: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (const a of from) for (const b of to) if (a !== b) out.push([a, b]);
  return out;
}

/**
 * A bridge: two sides that cannot talk to each other directly, and one machine that talks to
 * both (the classic "bridge" nemesis that gives two majorities sharing a node).
 */
export function bridgeLinks(sideA: readonly string[], sideB: readonly string[]): [string, string][] {
  return linksBetweenSides([sideA, sideB]);
}
