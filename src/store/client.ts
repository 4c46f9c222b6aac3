// The store's client library, as it runs inside a simulated client machine.
//
// An operation is routed to its shard through the ring. Writes and leader reads go to the
// leader the client believes in (a cache per shard, filled by "not leader" hints); follower,
// session and bounded reads go to a replica picked by the follower-choice policy. A failed
// attempt is retried with exponential backoff until the operation's deadline. The outcome is
//   ok            — a reply was received;
//   failed        — definitely not applied (every attempt was refused before proposing);
//   indeterminate — some attempt may have been applied (a put proposed or unanswered), or a
//                   read got no answer (which constrains nothing).
import type { OpRecord, ReadLevel } from '../history/op.js';
import type { MachineContext } from '../sim/machine.js';
import type { Rng } from '../sim/random.js';
import { isClientReply, type ClientReply, type ClientRequest } from './protocol.js';
import { AssertionError } from '../base/assert.js';
import { tierBetween, type Place, type Tier } from '../base/place.js';

export type FollowerChoice = 'random' | 'nearest' | 'sticky';

export interface ClientOptions {
  timeoutUs: number;
  attemptTimeoutUs: number;
  backoffMinUs: number;
  backoffMaxUs: number;
  followerChoice: FollowerChoice;
  boundedStalenessUs: number;
}

export const DEFAULT_CLIENT: ClientOptions = {
  timeoutUs: 2_000_000,
  attemptTimeoutUs: 250_000,
  backoffMinUs: 5_000,
  backoffMaxUs: 200_000,
  followerChoice: 'random',
  boundedStalenessUs: 100_000,
};

/** What the client needs to know about placement (the ring, possibly out of date). */
export interface Router {
  readonly shards: number;
  shardOfKey(key: string): number;
  replicasOf(shard: number): readonly string[];
  preferredLeaderOf(shard: number): string;
  /** Replicas follower-level reads may use (voters plus read replicas); default replicasOf. */
  readReplicasOf?(shard: number): readonly string[];
  /** Fetch a fresh routing table (after a server said it does not hold the shard). */
  refresh?(): void;
  /** Where a machine is (a scenario's topology); undefined everywhere: one flat network. */
  placeOf?(machine: string): Place | undefined;
}

export interface OperationSpec {
  op: 'put' | 'get';
  key: string;
  value?: string;
  level?: ReadLevel;
}

/** A record type with its readonly fields writable, for building one field by field. */
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export interface CompletedOp {
  record: OpRecord;
  /** For reads: index of the write whose value was returned (0: missing key). */
  version?: number;
  attempts: number;
}

interface Pending {
  id: number;
  client: number;
  spec: OperationSpec;
  shard: number;
  invokeUs: number;
  deadlineUs: number;
  attempts: number;
  /** True once some attempt may have reached a leader that proposed (or may have proposed) the put. */
  maybeApplied: boolean;
  reqId: number;
  target: string;
  attemptTimer: number;
  sentAtUs: number;
  backoffUs: number;
  /** Replicas tried for this op since the last success hint, to spread retries. */
  tried: Set<string>;
  done: (c: CompletedOp) => void;
}

/** The reason a server gives when it does not hold the shard (the client's route is stale). */
export const NOT_A_REPLICA = 'not a replica of this shard';

/** Bound on retries of one operation, whatever the deadline. */
const ATTEMPTS_MAX = 64;

export class StoreClient {
  private readonly pending = new Map<number, Pending>();
  private readonly leaderOf = new Map<number, string>();
  private readonly stickyOf = new Map<number, string>();
  private readonly latencyEwmaUs = new Map<string, number>();
  /** Session state: per logical client and shard, the highest index seen. */
  private readonly sessionIndex = new Map<string, number>();
  private nextReqId = 1;
  private readonly rng: Rng;
  /** Payloads dropped unread because they were not well-formed replies (protocol.ts). */
  malformed = 0;
  /** Told of every payload dropped as malformed (white-box: the harness checks none is, unless garbled). */
  onMalformed: ((payload: unknown) => void) | null = null;
  /** Told of every retried put (an attempt after the first): the harness aims faults at it. */
  onPutRetry: ((shard: number, previous: string, next: string) => void) | null = null;

  constructor(
    private readonly ctx: MachineContext,
    private readonly router: Router,
    private readonly options: ClientOptions,
    /** True simulated time, for the history (an observer's clock, not the client's local one). */
    private readonly trueNowUs: () => number,
  ) {
    this.rng = ctx.rng('client');
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** Starts an operation; `done` is called exactly once with its record. */
  execute(id: number, client: number, spec: OperationSpec, done: (c: CompletedOp) => void): void {
    const nowUs = this.trueNowUs();
    const shard = this.router.shardOfKey(spec.key);
    const p: Pending = {
      id,
      client,
      spec,
      shard,
      invokeUs: nowUs,
      deadlineUs: this.ctx.localNowUs() + this.options.timeoutUs,
      attempts: 0,
      maybeApplied: false,
      reqId: 0,
      target: '',
      attemptTimer: -1,
      sentAtUs: 0,
      backoffUs: this.options.backoffMinUs,
      tried: new Set(),
      done,
    };
    this.ctx.emit({ t: 0, type: 'client.invoke', client, op: id, kind: spec.op, key: spec.key, level: spec.level ?? null, shard });
    this.attempt(p);
  }

  private needsLeader(spec: OperationSpec): boolean {
    return spec.op === 'put' || spec.level === 'linearizable' || spec.level === 'lease' || spec.level === undefined;
  }

  private chooseTarget(p: Pending): string {
    const replicas = this.router.replicasOf(p.shard);
    if (this.needsLeader(p.spec)) {
      const known = this.leaderOf.get(p.shard);
      if (known !== undefined && !p.tried.has(known)) return known;
      const preferred = this.router.preferredLeaderOf(p.shard);
      if (!p.tried.has(preferred)) return preferred;
      const untried = replicas.filter((r) => !p.tried.has(r));
      return untried.length > 0 ? this.rng.pick(untried) : this.rng.pick(replicas);
    }
    const readable = this.router.readReplicasOf?.(p.shard) ?? replicas;
    const untried = readable.filter((r) => !p.tried.has(r));
    const pool = untried.length > 0 ? untried : readable;
    switch (this.options.followerChoice) {
      case 'random':
        return this.rng.pick(pool);
      case 'sticky': {
        const sticky = this.stickyOf.get(p.shard);
        if (sticky !== undefined && pool.includes(sticky)) return sticky;
        const chosen = this.rng.pick(pool);
        this.stickyOf.set(p.shard, chosen);
        return chosen;
      }
      case 'nearest': {
        // The closest tier first (this zone, this region, anywhere), then the lowest observed
        // round trip within it; a replica never measured counts as 0 so it gets tried.
        let best = pool[0]!;
        let bestTier = 3;
        let bestUs = Infinity;
        for (const r of pool) {
          const tier = this.tierTo(r);
          const us = this.latencyEwmaUs.get(r) ?? 0;
          if (tier < bestTier || (tier === bestTier && us < bestUs)) {
            best = r;
            bestTier = tier;
            bestUs = us;
          }
        }
        return best;
      }
      default: {
        const never: never = this.options.followerChoice;
        throw new AssertionError(`unknown follower choice ${String(never)}`);
      }
    }
  }

  /** How far a machine is from this client: 0 when either has no place (a flat network). */
  private tierTo(machine: string): Tier {
    const mine = this.router.placeOf?.(this.ctx.id);
    const theirs = this.router.placeOf?.(machine);
    return mine === undefined || theirs === undefined ? 0 : tierBetween(mine, theirs);
  }

  private attempt(p: Pending): void {
    if (p.attempts >= ATTEMPTS_MAX || this.ctx.localNowUs() >= p.deadlineUs) return this.finish(p, undefined);
    p.attempts++;
    p.reqId = this.nextReqId++;
    const previous = p.target;
    p.target = this.chooseTarget(p);
    p.tried.add(p.target);
    if (p.attempts > 1 && p.spec.op === 'put') this.onPutRetry?.(p.shard, previous, p.target);
    p.sentAtUs = this.ctx.localNowUs();
    this.pending.set(p.reqId, p);
    // Optional fields are set after the literal (same field order as before): a conditional
    // spread allocates a temporary object per field on this per-attempt path.
    const req: Mutable<ClientRequest> = { kind: 'req', reqId: p.reqId, opId: p.id, shard: p.shard, op: p.spec.op, key: p.spec.key };
    if (p.spec.value !== undefined) req.value = p.spec.value;
    if (p.spec.level !== undefined) req.level = p.spec.level;
    if (p.spec.level === 'session') req.sessionIndex = this.sessionIndex.get(`${p.client}/${p.shard}`) ?? 0;
    if (p.spec.level === 'bounded') req.boundUs = this.options.boundedStalenessUs;
    this.ctx.send(p.target, req, p.spec.op === 'put' ? 'put' : `get.${p.spec.level ?? 'linearizable'}`);
    const waitUs = Math.min(this.options.attemptTimeoutUs, Math.max(0, p.deadlineUs - this.ctx.localNowUs()));
    const reqId = p.reqId;
    p.attemptTimer = this.ctx.setTimer(waitUs, () => this.onAttemptTimeout(reqId));
  }

  private onAttemptTimeout(reqId: number): void {
    const p = this.pending.get(reqId);
    if (p === undefined) return;
    this.pending.delete(reqId);
    // No answer: a put may have been proposed by the target.
    if (p.spec.op === 'put') p.maybeApplied = true;
    if (this.needsLeader(p.spec) && this.leaderOf.get(p.shard) === p.target) this.leaderOf.delete(p.shard);
    // Silence may mean the route is stale (the target failed for good and the shard moved on):
    // fetch fresh placement before choosing the next target, as a real client drops its cached
    // route on a send failure. Retrying a dead machine's address costs a whole attempt timeout.
    this.router.refresh?.();
    this.retryLater(p);
  }

  private retryLater(p: Pending): void {
    const jitter = this.rng.int(0, p.backoffUs >> 1);
    const delay = p.backoffUs + jitter;
    p.backoffUs = Math.min(this.options.backoffMaxUs, p.backoffUs * 2);
    if (p.tried.size >= this.router.replicasOf(p.shard).length) p.tried.clear();
    if (this.ctx.localNowUs() + delay >= p.deadlineUs) return this.finish(p, undefined);
    this.ctx.setTimer(delay, () => this.attempt(p));
  }

  /** A payload for this client: a reply is acted on once its shape is checked (over TCP it may be
   * anything); anything else is counted in `malformed` and dropped. */
  onReply(from: string, payload: unknown): void {
    if (!isClientReply(payload)) {
      this.malformed += 1;
      this.onMalformed?.(payload);
      return;
    }
    const reply = payload;
    const p = this.pending.get(reply.reqId);
    if (p === undefined) return; // a late or duplicated reply to an attempt we gave up on
    this.pending.delete(reply.reqId);
    this.ctx.cancelTimer(p.attemptTimer);
    const rttUs = this.ctx.localNowUs() - p.sentAtUs;
    const ewma = this.latencyEwmaUs.get(from);
    this.latencyEwmaUs.set(from, ewma === undefined ? rttUs : Math.round(ewma * 0.8 + rttUs * 0.2));
    switch (reply.status) {
      case 'ok':
        if (this.needsLeader(p.spec)) this.leaderOf.set(p.shard, from);
        return this.finish(p, reply, from);
      case 'not-leader':
        if (reply.leaderHint !== undefined && reply.leaderHint !== from) {
          this.leaderOf.set(p.shard, reply.leaderHint);
          // A new hint is fresh information: follow it at once. A hint already tried in this
          // operation means replicas point at each other (a transfer or election in flight):
          // back off instead, or the attempts burn out in a few milliseconds.
          const fresh = !p.tried.has(reply.leaderHint);
          p.tried.delete(reply.leaderHint);
          if (fresh && this.ctx.localNowUs() < p.deadlineUs) return this.attempt(p);
          return this.retryLater(p);
        } else if (this.leaderOf.get(p.shard) === from) {
          this.leaderOf.delete(p.shard);
        }
        return this.retryLater(p);
      case 'unavailable':
        if (this.stickyOf.get(p.shard) === from) this.stickyOf.delete(p.shard);
        // A stale route: the shard moved. Routing tables update lazily, on this answer.
        if (reply.reason === NOT_A_REPLICA) this.router.refresh?.();
        return this.retryLater(p);
      case 'unknown':
        p.maybeApplied = true;
        if (this.leaderOf.get(p.shard) === from) this.leaderOf.delete(p.shard);
        return this.retryLater(p);
      default: {
        const never: never = reply.status;
        throw new AssertionError(`unknown reply status ${String(never)}`);
      }
    }
  }

  private finish(p: Pending, reply: ClientReply | undefined, from?: string): void {
    const completeUs = this.trueNowUs();
    // Built field by field in a fixed order (no conditional spreads: this runs once per operation).
    const r: Mutable<OpRecord> = { id: p.id, client: p.client, op: p.spec.op, key: p.spec.key } as Mutable<OpRecord>;
    const isGet = p.spec.op === 'get';
    if (reply !== undefined && reply.status === 'ok') {
      r.value = p.spec.op === 'put' ? p.spec.value! : (reply.value ?? null);
      if (p.spec.level !== undefined && isGet) r.level = p.spec.level;
      if (p.spec.level === 'bounded' && isGet) r.boundUs = this.options.boundedStalenessUs;
      r.invokeUs = p.invokeUs;
      r.completeUs = completeUs;
      r.outcome = 'ok';
      if (from !== undefined) r.servedBy = from;
      if (reply.index !== undefined) r.index = reply.index;
      r.shard = p.shard;
      const seen = p.spec.op === 'put' ? reply.index : reply.version;
      if (seen !== undefined) {
        const sessionKey = `${p.client}/${p.shard}`;
        if (seen > (this.sessionIndex.get(sessionKey) ?? 0)) this.sessionIndex.set(sessionKey, seen);
      }
    } else {
      const outcome = isGet || p.maybeApplied ? 'indeterminate' : 'failed';
      if (p.spec.op === 'put') r.value = p.spec.value!;
      if (p.spec.level !== undefined && isGet) r.level = p.spec.level;
      if (p.spec.level === 'bounded' && isGet) r.boundUs = this.options.boundedStalenessUs;
      r.invokeUs = p.invokeUs;
      r.completeUs = outcome === 'failed' ? completeUs : null;
      r.outcome = outcome;
      r.shard = p.shard;
    }
    const record: OpRecord = r;
    this.ctx.emit({
      t: 0,
      type: 'client.complete',
      client: p.client,
      op: p.id,
      outcome: record.outcome,
      value: record.value ?? null,
      servedBy: record.servedBy ?? null,
      index: record.index ?? null,
      attempts: p.attempts,
    });
    const done = { record } as CompletedOp;
    if (reply?.version !== undefined) done.version = reply.version;
    done.attempts = p.attempts;
    p.done(done);
  }
}
