// One Raft replica as a pure state machine (Raft paper §5–§7, Ongaro's thesis §3–§6, §9).
//
// Inputs: step(message), tick(localNowUs), propose(data), read(requestId, mode, localNowUs),
// persisted(batchId), transferLeadership(to), proposeConfChange(change), compact(index, data).
// Output: ready() drains everything the inputs produced since the last call — one persist
// batch, outgoing messages (each tagged with the batch it must wait for), committed entries to
// apply, read results and trace events. Nothing here sleeps, sends, writes or draws randomness
// except through the `rng` the host hands in.
import {
  applyConfChange,
  EMPTY_CONF,
  isMember,
  isVoter,
  leaseDurationUs,
  validateRaftConfig,
  type RaftConfig,
} from './config.js';
import { RaftLog } from './log.js';
import {
  assertNever,
  type AppendRequest,
  type AppendResponse,
  type ConfChange,
  type ConfState,
  type Entry,
  type Heartbeat,
  type HeartbeatResponse,
  type RaftMessage,
  type Snapshot,
  type SnapshotRequest,
  type VoteRequest,
  type VoteResponse,
} from './messages.js';
import { LeaderState } from './leader.js';
import type { Progress } from './progress.js';
import { tallyVotes } from './quorum.js';
import type { PersistBatch, PersistedState } from './storage.js';
import type { RaftEvent, RaftEventBody, RaftRoleName, RaftRoleReason } from '../trace/events-raft.js';
import { assert, AssertionError } from '../base/assert.js';
import { bugOn } from './bugs.js';

export type Role = RaftRoleName;

/** The replica's only source of randomness: the host's stream for this replica. */
export interface RaftRng {
  int(lo: number, hi: number): number;
}

export interface RaftInit {
  readonly config: RaftConfig;
  readonly rng: RaftRng;
  /** Membership of a brand-new group (the implicit snapshot at index 0). A replica added
   * later passes none and learns its membership from the log or a snapshot. */
  readonly bootstrap?: ConfState;
  /** Durable state to restart from; absent on a first start. */
  readonly stored?: PersistedState | null;
}

export type ReadMode = 'index' | 'lease';

export type ApplyItem = { readonly kind: 'entry'; readonly entry: Entry } | { readonly kind: 'snapshot'; readonly snapshot: Snapshot };

export type ReadResult =
  | { readonly requestId: string; readonly ok: true; readonly index: number; readonly mode: ReadMode }
  | { readonly requestId: string; readonly ok: false; readonly leaderHint: string | null; readonly reason: string };

export type ProposeResult =
  | { readonly ok: true; readonly index: number; readonly term: number }
  | { readonly ok: false; readonly leaderHint: string | null; readonly reason: string };

export interface OutboundMessage {
  readonly msg: RaftMessage;
  /** Send only once persist batch `afterBatch` is durable; 0 = send now. */
  readonly afterBatch: number;
}

export interface Ready {
  readonly persist: PersistBatch | null;
  readonly messages: readonly OutboundMessage[];
  readonly apply: readonly ApplyItem[];
  readonly reads: readonly ReadResult[];
  /** Trace events, `t` 0 until the host stamps the time it emits them at. */
  readonly events: readonly RaftEvent[];
}

interface BatchMeta {
  readonly id: number;
  readonly lastIndex: number;
  readonly truncateFrom: number | null;
}

/** How a queued message relates to the disk. */
type Dependency = 'disk' | 'term';

/** Bound on batches awaiting durability; a host that never acknowledges is a host bug. */
const MAX_UNACKED_BATCHES = 100_000;

export class RaftReplica {
  readonly id: string;
  readonly group: number;
  private readonly cfg: RaftConfig;
  private readonly rng: RaftRng;
  private readonly bugs: ReadonlySet<string>;
  private readonly log: RaftLog;

  // Persistent (mirrored to disk through persist batches).
  private term = 0;
  private vote: string | null = null;
  private commit = 0;

  // Volatile.
  private applied = 0;
  private roleNow: Role = 'follower';
  private leaderNow: string | null = null;
  private conf: ConfState;
  /**
   * True once some membership this replica holds names it. A replica created empty (hosted for
   * a move, or on a new machine) knows no membership until a leader's log or snapshot reaches
   * it; until then it grants no vote, so it cannot help a stale candidate whose configuration
   * names an earlier replica of this machine (the host also gives every new replica an id never
   * used before in the group, so no configuration can name it by mistake).
   */
  private knownMember: boolean;
  /** Constructed from a durable term > 0 (a restart that may owe a leader its stickiness). */
  private readonly restartedWithTerm: boolean;
  private electionElapsed = 0;
  private randomizedTimeoutTicks: number;
  private ticks = 0;
  /** Quiescence, follower side: the leader said the group is idle; the election clock is stopped. */
  private quiet = false;
  /** When the leader's host last named this group in its beat (`touchQuiet`), in our ticks. */
  private quietSeenTicks = 0;
  /** The tally of the (pre-)campaign in progress: present exactly while precandidate or candidate. */
  private votes: Map<string, boolean> | null = null;
  /** This replica's leadership (leader.ts): present exactly while leader. Created in becomeLeader,
   * dropped in becomeFollower, the only place a leadership ends. */
  private lead: LeaderState | null = null;
  /** The last heartbeat round of the previous leadership; the next one continues the count. */
  private lastRound = 0;
  private lastKnownUs = 0;
  /** When this replica last started a leadership transfer. It outlives the leadership: a leader
   * serves no lease reads for 2 election timeouts after a transfer, even if it is elected again. */
  private lastTransferTick = -Infinity;

  // Persistence bookkeeping.
  private hardDirty = false;
  private commitDirty = false;
  private snapshotDirty: Snapshot | null = null;
  private lastBatchId = 0;
  private durableBatchId = 0;
  private lastTermBatchId = 0;
  private batches: BatchMeta[] = [];
  /** Highest index known durable in this replica's current log. */
  private persistedIndex: number;

  // Effects accumulated until ready().
  private outMsgs: { msg: RaftMessage; dep: Dependency }[] = [];
  private outApply: ApplyItem[] = [];
  private outReads: ReadResult[] = [];
  private outEvents: RaftEvent[] = [];

  constructor(init: RaftInit) {
    validateRaftConfig(init.config);
    this.cfg = init.config;
    this.id = init.config.id;
    this.group = init.config.group;
    this.rng = init.rng;
    this.bugs = init.config.bugs;
    const stored = init.stored ?? null;
    const base: Snapshot = stored?.snapshot ?? { index: 0, term: 0, hash: 0, conf: init.bootstrap ?? EMPTY_CONF, data: '' };
    this.log = new RaftLog(base, stored?.entries ?? []);
    const hs = stored?.hardState ?? { term: 0, vote: null, commit: 0 };
    this.term = hs.term;
    // Planted bug: votedFor is not reloaded, so this replica may vote twice in hs.term.
    this.vote = bugOn(this.bugs, 'forget-vote-on-restart') ? null : hs.vote;
    this.commit = Math.max(hs.commit, base.index);
    if (this.commit > this.log.lastIndex()) {
      throw new AssertionError(`stored commit ${this.commit} beyond stored log ${this.log.lastIndex()}`);
    }
    this.applied = base.index;
    this.persistedIndex = this.log.lastIndex();
    this.conf = this.log.confAt(this.log.lastIndex());
    this.knownMember = this.log.namesMember(this.id);
    this.restartedWithTerm = hs.term > 0;
    this.randomizedTimeoutTicks = this.drawTimeout();
    this.event({
      type: 'raft.restart',
      term: this.term,
      vote: this.vote,
      commit: this.commit,
      lastIndex: this.log.lastIndex(),
      snapshotIndex: base.index,
      voters: [...this.conf.voters],
      learners: [...this.conf.learners],
    });
    this.event({ type: 'raft.role', role: 'follower', term: this.term, leader: null, reason: 'start' });
    if (base.index > 0) this.outApply.push({ kind: 'snapshot', snapshot: base });
  }

  // ---------------------------------------------------------------- read-only accessors

  get role(): Role {
    return this.roleNow;
  }
  get currentTerm(): number {
    return this.term;
  }
  get votedFor(): string | null {
    return this.vote;
  }
  get leader(): string | null {
    return this.leaderNow;
  }
  get commitIndex(): number {
    return this.commit;
  }
  get appliedIndex(): number {
    return this.applied;
  }
  get lastIndex(): number {
    return this.log.lastIndex();
  }
  get lastTerm(): number {
    return this.log.lastTerm();
  }
  get membership(): ConfState {
    return this.conf;
  }
  /** Index of the latest membership entry in the log (0: the bootstrap membership). */
  get confIndex(): number {
    return this.log.lastConfIndex();
  }
  get snapshotIndex(): number {
    return this.log.snapshot().index;
  }
  termAt(index: number): number | undefined {
    return this.log.term(index);
  }
  hashAt(index: number): number | undefined {
    return this.log.hashAt(index);
  }
  entriesFrom(index: number): Entry[] {
    return index > this.log.lastIndex() ? [] : this.log.slice(Math.max(index, this.log.firstIndex()), this.log.lastIndex());
  }
  progressOf(peer: string): { match: number; next: number; state: string; inflight: number } | null {
    const p = this.lead?.progress.get(peer);
    return p === undefined ? null : { match: p.match, next: p.next, state: p.state, inflight: p.inflightCount() };
  }
  /** True while this replica may serve a lease read at local time `localNowUs`. */
  leaseValid(localNowUs: number): boolean {
    const lead = this.lead;
    if (lead === null || !this.committedInTerm()) return false;
    // Without CheckQuorum voters do not ignore candidates while they hear from us (leader
    // stickiness), so a successor can be elected inside the lease: no lease then (thesis §6.4.1).
    if (!this.cfg.checkQuorum) return false;
    if (lead.transfer !== null || this.ticks - this.lastTransferTick < 2 * this.cfg.electionTimeoutTicks) return false;
    if (this.conf.voters.length === 1 && this.conf.voters[0] === this.id) return true;
    return localNowUs < lead.leaseStartUs + leaseDurationUs(this.cfg);
  }

  // ---------------------------------------------------------------- inputs

  /**
   * Quiescence: the host of our leader named this group, in `term`, in its beat. Keeps a quiet
   * follower quiet (the host checks the beat came from the leader's machine).
   */
  touchQuiet(term: number): void {
    if (this.quiet && term === this.term) this.quietSeenTicks = this.ticks;
  }

  /** Quiescence: while this leader's group is quiesced, the members its host names the group to in
   * each beat; null otherwise. */
  quietPeers(): IterableIterator<string> | null {
    const lead = this.lead;
    return lead !== null && lead.quiesced ? lead.progress.keys() : null;
  }

  /**
   * One clock tick of the host's local clock. `heartbeatDue`: the host's beat, every
   * heartbeatTicks of its ticks, shared by all its groups (used with coalesceHeartbeats).
   */
  tick(localNowUs: number = this.lastKnownUs, heartbeatDue = false): void {
    this.observeTime(localNowUs);
    this.ticks += 1;
    const lead = this.lead;
    if (lead !== null) {
      this.tickLeader(lead, heartbeatDue);
    } else {
      if (this.quiet) {
        // The leader's host names the group in every beat while the leader lives; silence for an
        // election timeout means it may be gone, and the clock runs again from where it stopped.
        if (this.ticks - this.quietSeenTicks < this.cfg.electionTimeoutTicks) return;
        this.setQuiet(false, 'leader-silent');
      }
      this.electionElapsed += 1;
      if (this.promotable() && this.electionElapsed >= this.randomizedTimeoutTicks) {
        this.electionElapsed = 0;
        this.campaign(this.cfg.preVote ? 'pre' : 'real', false, 'election-timeout');
      }
    }
  }

  step(m: RaftMessage): void {
    if (m.to !== this.id || m.group !== this.group) {
      throw new AssertionError(`message for ${m.group}/${m.to} delivered to ${this.group}/${this.id}`);
    }
    if (m.from === this.id) throw new AssertionError('message from self');
    if (!this.stepTerm(m)) return;
    switch (m.type) {
      case 'vote':
        this.handleVote(m);
        return;
      case 'vote-resp':
        this.handleVoteResponse(m);
        return;
      case 'append':
        this.handleAppend(m);
        return;
      case 'append-resp':
        this.handleAppendResponse(m);
        return;
      case 'heartbeat':
        this.handleHeartbeat(m);
        return;
      case 'heartbeat-resp':
        this.handleHeartbeatResponse(m);
        return;
      case 'snapshot':
        this.handleSnapshot(m);
        return;
      case 'timeout-now':
        // §3.10: the leader has brought us up to date; campaign at once, skipping PreVote.
        if (this.lead === null && this.promotable()) this.campaign('real', true, 'timeout-now');
        return;
      default:
        assertNever(m, 'message');
    }
  }

  propose(data: string): ProposeResult {
    const lead = this.lead;
    if (lead === null) return this.notLeader();
    const refused = this.refuseProposal(lead);
    if (refused !== null) return refused;
    const e: Entry = { kind: 'normal', index: this.log.lastIndex() + 1, term: this.term, data };
    this.appendAsLeader(lead, e);
    return { ok: true, index: e.index, term: e.term };
  }

  /** Single-server membership change (thesis §4.1). Only one may be uncommitted at a time, and
   * only after the leader committed an entry of its term (the fix in thesis §4.1's erratum). */
  proposeConfChange(change: ConfChange): ProposeResult {
    const lead = this.lead;
    if (lead === null) return this.notLeader();
    const refused = this.refuseProposal(lead);
    if (refused !== null) return refused;
    if (!this.committedInTerm()) return { ok: false, leaderHint: this.id, reason: 'no-commit-in-term' };
    if (this.log.lastConfIndex() > this.commit) return { ok: false, leaderHint: this.id, reason: 'conf-change-pending' };
    const next = applyConfChange(this.conf, change);
    if (typeof next === 'string') return { ok: false, leaderHint: this.id, reason: next };
    // A learner becomes a voter only once its log holds the membership that names it: a voter
    // that does not know it is a member grants no votes, and could leave the group without an
    // electable quorum.
    if (change.type === 'promote' && (lead.progress.get(change.id)?.match ?? 0) < this.log.lastConfIndex()) {
      return { ok: false, leaderHint: this.id, reason: 'learner-behind-membership' };
    }
    const e: Entry = { kind: 'conf', index: this.log.lastIndex() + 1, term: this.term, change, conf: next };
    this.appendAsLeader(lead, e);
    return { ok: true, index: e.index, term: e.term };
  }

  /** A read: answered in ready().reads with the index to wait for (apply ≥ index) or a refusal. */
  read(requestId: string, mode: ReadMode, localNowUs: number = this.lastKnownUs): void {
    this.observeTime(localNowUs);
    this.event({ type: 'raft.read-request', requestId, mode });
    const lead = this.lead;
    if (lead === null) {
      this.rejectRead(requestId, 'not-leader');
      return;
    }
    if (lead.reads.isFull()) {
      this.rejectRead(requestId, 'too-many-reads');
      return;
    }
    if (mode === 'lease' && this.leaseValid(localNowUs)) {
      this.serveRead(requestId, this.commit, 'lease');
      return;
    }
    // Planted bug: serve from the local commit index without asking anyone.
    if (bugOn(this.bugs, 'leader-read-without-quorum')) {
      this.serveRead(requestId, this.commit, 'index');
      return;
    }
    // Planted bug: skip §6.4 step 1; a new leader's commit index may be behind.
    if (!this.committedInTerm() && !bugOn(this.bugs, 'readindex-before-term-commit')) {
      lead.reads.hold(requestId);
      return;
    }
    // Batching (etcd does the same in effect): while a round is in flight, later reads wait
    // for the next one instead of each starting a round of its own. Their read index is the
    // commit index when that round starts — later than their arrival, so still linearizable.
    if (lead.reads.roundInFlight()) {
      lead.reads.batch(requestId);
      return;
    }
    this.startHeartbeatRound(lead, [requestId]);
  }

  /** Persist batches up to and including `batchId` are durable. */
  persisted(batchId: number): void {
    if (batchId <= this.durableBatchId) return;
    if (batchId > this.lastBatchId) throw new AssertionError(`batch ${batchId} acknowledged but only ${this.lastBatchId} issued`);
    this.durableBatchId = batchId;
    let idx = this.persistedIndex;
    while (this.batches.length > 0 && (this.batches[0] as BatchMeta).id <= batchId) {
      idx = (this.batches.shift() as BatchMeta).lastIndex;
    }
    // A later batch that truncates makes part of the durable prefix stale again.
    for (const b of this.batches) if (b.truncateFrom !== null) idx = Math.min(idx, b.truncateFrom - 1);
    this.persistedIndex = idx;
    const lead = this.lead;
    if (lead !== null) {
      // Committing our own removal steps us down (thesis §4.2.2): then there is nothing to send.
      if (this.maybeCommit(lead) && this.lead === lead) this.broadcastAppend(lead);
    } else if (this.roleNow === 'candidate') {
      this.checkElection();
    }
  }

  /** The current term and vote are on stable storage. */
  private termDurable(): boolean {
    return !this.hardDirty && this.durableBatchId >= this.lastTermBatchId;
  }

  transferLeadership(to: string): boolean {
    const lead = this.lead;
    if (lead === null || to === this.id || !isVoter(this.conf, to)) return false;
    if (lead.transfer?.to === to) return true;
    this.wake(lead);
    lead.transfer = { to, elapsedTicks: 0 };
    this.lastTransferTick = this.ticks;
    this.event({ type: 'raft.transfer', term: this.term, to, phase: 'start' });
    const pr = lead.progress.get(to);
    assert(pr !== undefined, () => `leader ${this.id} has no progress for voter ${to}`);
    if (pr.match === this.log.lastIndex()) this.sendTimeoutNow(to);
    else this.sendAppend(lead, to, false);
    return true;
  }

  /** The state machine has a snapshot through `index` (≤ applied): compact the log under it. */
  compact(index: number, data: string): void {
    if (index > this.applied) throw new AssertionError(`compact at ${index} beyond applied ${this.applied}`);
    if (index <= this.log.snapshot().index) return;
    const snap: Snapshot = {
      index,
      term: this.log.term(index) as number,
      hash: this.log.hashAt(index) as number,
      conf: this.log.confAt(index),
      data,
    };
    // Planted bug: one entry too many leaves the log with a hole after the snapshot.
    const dropExtra = bugOn(this.bugs, 'snapshot-drops-last-entry') && index + 1 <= this.log.lastIndex() ? 1 : 0;
    this.log.compact(snap, dropExtra);
    this.snapshotDirty = snap;
    this.event({ type: 'raft.snapshot', index, term: snap.term, hash: snap.hash, installed: false });
  }

  /** Drain effects. Call after every input (or several). */
  ready(): Ready {
    this.collectApply();
    const persist = this.makeBatch();
    const latest = this.lastBatchId > this.durableBatchId ? this.lastBatchId : 0;
    const termBatch = this.lastTermBatchId > this.durableBatchId ? this.lastTermBatchId : 0;
    const ackEarly = bugOn(this.bugs, 'ack-before-persist');
    const messages: OutboundMessage[] = this.outMsgs.map(({ msg, dep }) => ({
      msg,
      // Planted bug: responses leave before the state they vouch for is durable.
      afterBatch: dep === 'disk' ? (ackEarly ? 0 : latest) : termBatch,
    }));
    const r: Ready = { persist, messages, apply: this.outApply, reads: this.outReads, events: this.outEvents };
    this.outMsgs = [];
    this.outApply = [];
    this.outReads = [];
    this.outEvents = [];
    return r;
  }

  // ---------------------------------------------------------------- §5.1 terms

  /** Returns false when the message is fully handled (stale or ignored). */
  private stepTerm(m: RaftMessage): boolean {
    if (m.term > this.term) {
      if (m.type === 'vote' && !m.transfer && this.inLease()) {
        // Leader stickiness (thesis §4.2.3 / §9.6): we heard from a leader within the election
        // timeout, so this candidate cannot be needed; ignoring it also protects leases.
        return false;
      }
      if (m.type === 'vote' && m.pre) return true; // a pre-vote never changes our term
      if (m.type === 'vote-resp' && m.pre && m.granted) return true; // carries the future term
      const leader = m.type === 'append' || m.type === 'heartbeat' || m.type === 'snapshot' ? m.from : null;
      this.becomeFollower(m.term, leader, leader === null ? 'higher-term' : 'leader-seen');
      return true;
    }
    if (m.term < this.term) {
      // Planted bug: handle the stale message as if it were current.
      if (bugOn(this.bugs, 'accept-stale-term')) return true;
      if ((this.cfg.checkQuorum || this.cfg.preVote) && (m.type === 'append' || m.type === 'heartbeat')) {
        // A leader cut off and since deposed would otherwise keep sending forever: our higher
        // term in the answer makes it step down.
        this.send({ group: this.group, from: this.id, to: m.from, term: this.term, type: 'append-resp', success: false, matchIndex: 0, rejectedIndex: 0, hintIndex: 0, hintTerm: 0 }, 'disk');
      } else if (m.type === 'vote') {
        // Figure 2: the answer carries our term, for the candidate to update itself. Silence
        // would leave a candidate that never hears our own campaigns (we do not count it as a
        // voter: our log lost the membership change that added it) one term behind forever.
        this.send({ group: this.group, from: this.id, to: m.from, term: this.term, type: 'vote-resp', pre: m.pre, granted: false }, 'disk');
      }
      return false;
    }
    return true;
  }

  private inLease(): boolean {
    if (!this.cfg.checkQuorum) return false;
    if (this.leaderNow !== null && this.electionElapsed < this.cfg.electionTimeoutTicks) return true;
    // A voter that acknowledged a leader's heartbeat promised to vote for nobody else for an
    // election timeout; that promise must survive a crash, or a restarted voter could elect a
    // successor while the old leader still serves lease reads. Having acknowledged anything
    // means a term > 0 was durable, so a replica restarted with one keeps quiet for an election
    // timeout of its own ticks (a fresh replica has promised nothing).
    return this.restartedWithTerm && this.ticks < this.cfg.electionTimeoutTicks;
  }

  // ---------------------------------------------------------------- §5.2 elections

  private campaign(kind: 'pre' | 'real', transfer: boolean, reason: RaftRoleReason): void {
    // Every (pre-)campaign tallies afresh, starting with our own vote.
    this.votes = new Map([[this.id, true]]);
    if (kind === 'pre') {
      // PreVote: ask whether we could win term+1 without disturbing anyone's term.
      this.setRole('precandidate', null, reason);
    } else {
      this.term += 1;
      this.vote = this.id;
      this.hardDirty = true;
      this.setRole('candidate', null, reason);
    }
    this.resetElectionTimer();
    const voteTerm = kind === 'pre' ? this.term + 1 : this.term;
    for (const v of this.conf.voters) {
      if (v === this.id) continue;
      const req: VoteRequest = {
        group: this.group,
        from: this.id,
        to: v,
        term: voteTerm,
        type: 'vote',
        pre: kind === 'pre',
        lastIndex: this.log.lastIndex(),
        lastTerm: this.log.lastTerm(),
        transfer,
      };
      // A real vote request carries our new term and self-vote: both must be durable first.
      this.send(req, 'disk');
    }
    this.checkElection();
  }

  private checkElection(): void {
    const votes = this.votes;
    assert(votes !== null, () => `${this.id} tallies an election as ${this.roleNow}`);
    const outcome = tallyVotes(this.conf.voters, votes);
    // Our own vote counts once the new term and self-vote are durable (other voters answer a
    // request that only leaves then). This matters when we are the only voter: leading a term
    // that a crash could forget would let us lead the same term twice with different logs.
    if (outcome === 'won' && this.roleNow === 'candidate' && !this.termDurable()) return;
    if (outcome === 'won') {
      if (this.roleNow === 'precandidate') this.campaign('real', false, 'won-prevote');
      else this.becomeLeader();
    } else if (outcome === 'lost') {
      this.becomeFollower(this.term, null, 'lost-election');
    }
  }

  private handleVote(m: VoteRequest): void {
    // We can vote for m.from if we already did this term, or have voted for nobody and know no
    // leader; a pre-vote for a later term promises nothing, so it only needs the log check.
    const canVote =
      this.vote === m.from || (this.vote === null && this.leaderNow === null) || (m.pre && m.term > this.term);
    // Planted bug: skip §5.4.1's up-to-date comparison.
    const upToDate = bugOn(this.bugs, 'vote-without-log-check') || this.log.isUpToDate(m.lastIndex, m.lastTerm);
    if (canVote && upToDate && this.knownMember && this.lead === null) {
      if (!m.pre) {
        this.vote = m.from;
        this.hardDirty = true;
        // Granting a vote resets the timer (§5.2), so we do not compete with whom we chose.
        this.electionElapsed = 0;
      }
      this.event({ type: 'raft.vote', term: m.term, candidate: m.from, pre: m.pre });
      this.send({ group: this.group, from: this.id, to: m.from, term: m.term, type: 'vote-resp', pre: m.pre, granted: true }, 'disk');
    } else {
      // We are a candidate of this very term with a log no better than the asker's: our vote is
      // spent (on ourselves), but the asker could win the next term where we may not. Back off:
      // restart our election clock with one extra election timeout, so the asker (whose clock
      // runs from its own campaign, at most 2E-1 ticks) surely opens the next term first instead
      // of both campaigning in lockstep while our requests (perhaps to a stale membership) win
      // nothing. Waiting longer is always safe.
      if (!m.pre && m.term === this.term && this.vote === this.id && this.roleNow === 'candidate' && upToDate) {
        this.resetElectionTimer();
        this.randomizedTimeoutTicks += this.cfg.electionTimeoutTicks;
      }
      this.send({ group: this.group, from: this.id, to: m.from, term: this.term, type: 'vote-resp', pre: m.pre, granted: false }, 'disk');
    }
  }

  private handleVoteResponse(m: VoteResponse): void {
    const stale = bugOn(this.bugs, 'accept-stale-term') ? false : m.pre ? m.term !== this.term + 1 && m.granted : m.term !== this.term;
    const campaigning = m.pre ? this.roleNow === 'precandidate' : this.roleNow === 'candidate';
    if (!campaigning || stale) return;
    const votes = this.votes;
    assert(votes !== null, () => `${this.id} campaigns with no tally`);
    votes.set(m.from, m.granted);
    this.checkElection();
  }

  private becomeFollower(term: number, leader: string | null, reason: RaftRoleReason): void {
    if (term < this.term) throw new AssertionError(`term would go back from ${this.term} to ${term}`);
    const lead = this.lead;
    if (term > this.term) {
      this.term = term;
      this.vote = null;
      this.hardDirty = true;
    }
    // The one place a leadership ends: its state goes with it, and its pending reads fail.
    const lostReads = lead === null ? [] : lead.reads.takeAll();
    if (lead !== null) {
      this.lastRound = lead.round;
      this.lead = null;
    }
    this.votes = null;
    // §5.2 (Figure 2): the election clock restarts on hearing from a leader or granting a vote,
    // not on a vote request we refuse. Restarting it there would let a candidate whose log is
    // too old to win keep everyone else from ever timing out (without PreVote it campaigns
    // again and again, each time with a higher term).
    if (lead !== null || leader !== null) this.resetElectionTimer();
    this.setRole('follower', leader, reason);
    for (const id of lostReads) this.rejectRead(id, 'leadership-lost');
  }

  private becomeLeader(): void {
    if (this.roleNow !== 'candidate') throw new AssertionError('only a candidate becomes leader');
    const votes = this.votes;
    assert(votes !== null && this.lead === null, () => `${this.id} becomes leader from a candidate without a tally or with a leadership`);
    // Membership safety on the winner's side: it leads only a configuration it votes in, and
    // only the votes of that configuration's voters were counted.
    if (!isVoter(this.conf, this.id)) throw new AssertionError(`${this.id} won group ${this.group} term ${this.term} but is not a voter`);
    for (const [v, granted] of votes) if (granted && !isVoter(this.conf, v)) throw new AssertionError(`${this.id} holds a vote from ${v}, not a voter of group ${this.group}`);
    // The one place a leadership starts, with every follower's progress at our log's end.
    const lead = new LeaderState(this.cfg.maxPendingReads, this.lastRound);
    for (const peer of this.members()) this.addProgress(lead, peer);
    this.votes = null;
    this.lead = lead;
    this.electionElapsed = 0;
    this.setRole('leader', this.id, 'elected');
    this.event({
      type: 'raft.elected',
      term: this.term,
      lastIndex: this.log.lastIndex(),
      commit: this.commit,
      digest: this.log.digestFrom(this.commit),
    });
    // §5.4.2 / §6.4: a no-op of our own term lets us commit (and learn) everything before it.
    this.appendAsLeader(lead, { kind: 'noop', index: this.log.lastIndex() + 1, term: this.term });
  }

  private setRole(role: Role, leader: string | null, reason: RaftRoleReason): void {
    // A role's own state exists exactly while the role lasts.
    assert((this.lead !== null) === (role === 'leader'), () => `${this.id} becomes ${role} with${this.lead === null ? 'out' : ''} leader state`);
    assert(
      (this.votes !== null) === (role === 'precandidate' || role === 'candidate'),
      () => `${this.id} becomes ${role} with${this.votes === null ? 'out' : ''} a vote tally`,
    );
    const changed = role !== this.roleNow || leader !== this.leaderNow;
    this.roleNow = role;
    this.leaderNow = leader;
    if (changed || reason === 'higher-term' || reason === 'election-timeout') {
      this.event({ type: 'raft.role', role, term: this.term, leader, reason });
    }
  }

  private setQuiet(quiet: boolean, reason: 'idle' | 'woken' | 'leader-silent'): void {
    if (this.quiet === quiet) return;
    this.quiet = quiet;
    if (quiet) this.quietSeenTicks = this.ticks;
    // A follower follows its leader's quiet and wake with every heartbeat and append: only the
    // leader's changes are traced, and a follower's own wake when the leader's machine went silent.
    if (reason === 'leader-silent') this.event({ type: 'raft.quiesce', term: this.term, quiet, reason });
  }

  /**
   * Quiescence, leader side: anything the group must send or hear again (a proposal, a read, a
   * transfer, a new member) ends the quiet. CheckQuorum starts a whole election timeout over,
   * from activity heard after waking.
   */
  private wake(lead: LeaderState): void {
    if (lead.quiesceRound === 0 && !lead.quiesced) return;
    const was = lead.quiesced;
    lead.quiesceRound = 0;
    lead.quiesced = false;
    this.electionElapsed = 0;
    lead.forgetActivity();
    if (was) this.event({ type: 'raft.quiesce', term: this.term, quiet: false, reason: 'woken' });
  }

  /** Nothing to send: every member holds our whole log, all of it committed, and nothing waits. */
  private idle(lead: LeaderState): boolean {
    const last = this.log.lastIndex();
    if (this.commit !== last || lead.transfer !== null || lead.reads.size() > 0 || this.persistedIndex < last) return false;
    if (!this.committedInTerm()) return false;
    for (const pr of lead.progress.values()) if (pr.match !== last || pr.state !== 'replicate' || pr.inflightCount() > 0) return false;
    return true;
  }

  private resetElectionTimer(): void {
    this.electionElapsed = 0;
    this.randomizedTimeoutTicks = this.drawTimeout();
  }

  private drawTimeout(): number {
    const e = this.cfg.electionTimeoutTicks;
    return this.rng.int(e, 2 * e - 1);
  }

  private promotable(): boolean {
    return isVoter(this.conf, this.id);
  }

  // ---------------------------------------------------------------- leader duties

  private tickLeader(lead: LeaderState, heartbeatDue: boolean): void {
    assert(this.lead === lead, 'ticking a leadership that has ended');
    this.electionElapsed += 1;
    lead.heartbeatElapsedTicks += 1;
    const transfer = lead.transfer;
    if (transfer !== null) {
      transfer.elapsedTicks += 1;
      if (transfer.elapsedTicks >= this.cfg.electionTimeoutTicks) {
        this.event({ type: 'raft.transfer', term: this.term, to: transfer.to, phase: 'abort' });
        lead.transfer = null;
      }
    }
    lead.retryLostSnapshots(this.cfg.electionTimeoutTicks);
    if (this.electionElapsed >= this.cfg.electionTimeoutTicks) {
      this.electionElapsed = 0;
      if (this.cfg.checkQuorum) {
        // CheckQuorum (thesis §6.2): a leader that has not heard from a majority in an election
        // timeout may be on the losing side of a partition; step down so clients go elsewhere.
        if (!lead.quorumActive(this.conf.voters, this.id)) {
          this.becomeFollower(this.term, null, 'check-quorum');
          return;
        }
        lead.forgetActivity();
      }
    }
    if (lead.quiesced) {
      // Quiesced: no heartbeats and no CheckQuorum (no acks come); the host's beat names the group
      // to every member instead, and any input wakes it.
      this.electionElapsed = 0;
      if (!this.idle(lead)) this.wake(lead);
      else return;
    }
    if (this.cfg.quiesce && heartbeatDue && this.idle(lead)) {
      lead.heartbeatElapsedTicks = 0;
      // Quiesce once every member acknowledged a round marked `quiesce` (so none is left with a
      // running clock and no heartbeats); until then, mark each periodic round.
      if (lead.quiesceRound > 0 && [...lead.progress.values()].every((pr) => pr.ackedRound >= lead.quiesceRound)) {
        lead.quiesced = true;
        this.event({ type: 'raft.quiesce', term: this.term, quiet: true, reason: 'idle' });
        return;
      }
      lead.quiesceRound = this.startHeartbeatRound(lead, [], true);
      return;
    }
    if (this.cfg.coalesceHeartbeats ? heartbeatDue : lead.heartbeatElapsedTicks >= this.cfg.heartbeatTicks) {
      lead.heartbeatElapsedTicks = 0;
      // Coalesced: reads batched behind a round in flight ride on this one (their read index is
      // the commit index now, later than their arrival, as when they start a round of their own).
      this.startHeartbeatRound(lead, this.cfg.coalesceHeartbeats ? lead.reads.takeBatched() : []);
    }
  }

  private notLeader(): ProposeResult {
    return { ok: false, leaderHint: this.leaderNow, reason: 'not-leader' };
  }

  private refuseProposal(lead: LeaderState): ProposeResult | null {
    if (lead.transfer !== null) return { ok: false, leaderHint: lead.transfer.to, reason: 'transferring' };
    if (this.log.lastIndex() - this.commit >= this.cfg.maxUncommittedEntries) {
      return { ok: false, leaderHint: this.id, reason: 'backpressure' };
    }
    return null;
  }

  private appendAsLeader(lead: LeaderState, e: Entry): void {
    this.wake(lead);
    this.log.append([e]);
    if (e.kind === 'conf') this.refreshConf();
    // With a single voter (or the planted bug) the leader's own ack may already commit.
    this.maybeCommit(lead);
    // Committing our own removal steps us down (thesis §4.2.2): then there is nothing to send.
    if (this.lead === lead) this.broadcastAppend(lead);
  }

  private members(): string[] {
    const out: string[] = [];
    for (const v of this.conf.voters) if (v !== this.id) out.push(v);
    for (const l of this.conf.learners) if (l !== this.id) out.push(l);
    return out;
  }

  private addProgress(lead: LeaderState, peer: string): void {
    lead.addPeer(peer, this.log.lastIndex() + 1, this.cfg.maxInflightMsgs);
  }

  private selfMatch(): number {
    // Planted bug: the leader counts entries it has not yet made durable.
    return bugOn(this.bugs, 'ack-before-persist') ? this.log.lastIndex() : Math.min(this.persistedIndex, this.log.lastIndex());
  }

  /** §5.3/§5.4.2: advance commit to the highest index on a majority — only for our term.
   * Returns whether commit moved; it may have stepped us down (a removed leader), so callers
   * check `this.lead === lead` before sending more. */
  private maybeCommit(lead: LeaderState): boolean {
    const q = lead.quorumMatch(this.conf.voters, this.id, this.selfMatch());
    if (q <= this.commit) return false;
    // Planted bug: counting replicas commits an older-term entry (Figure 8).
    if (this.log.term(q) !== this.term && !bugOn(this.bugs, 'commit-previous-term')) return false;
    this.commitTo(q);
    return true;
  }

  private commitTo(index: number): void {
    if (index <= this.commit) return;
    if (index > this.log.lastIndex()) {
      throw new AssertionError(`commit ${index} beyond last index ${this.log.lastIndex()} on ${this.id}`);
    }
    const from = this.commit + 1;
    const hashes: number[] = [];
    const terms: number[] = [];
    for (let i = from; i <= index; i++) {
      hashes.push(this.log.hashAt(i) as number);
      terms.push(this.log.term(i) as number);
    }
    this.commit = index;
    this.commitDirty = true;
    this.event({ type: 'raft.commit', term: this.term, from, to: index, hashes, terms });
    const lead = this.lead;
    if (lead !== null) {
      if (this.committedInTerm()) {
        const held = lead.reads.takeHeld();
        if (held.length > 0) this.startHeartbeatRound(lead, held);
      }
      // Thesis §4.2.2: a leader removed from the membership steps down once that is committed.
      if (!isVoter(this.conf, this.id) && this.log.lastConfIndex() <= this.commit) {
        this.becomeFollower(this.term, null, 'removed');
      }
    }
  }

  private committedInTerm(): boolean {
    return this.log.term(this.commit) === this.term;
  }

  private broadcastAppend(lead: LeaderState): void {
    assert(this.lead === lead, 'appending for a leadership that has ended');
    for (const peer of lead.progress.keys()) {
      this.sendAppend(lead, peer, true);
      while (this.sendAppend(lead, peer, false)) {
        // Streams until the in-flight window is full or the follower has everything.
      }
    }
  }

  /** Send the next AppendEntries (or a snapshot) to `peer`. Returns whether something went. */
  private sendAppend(lead: LeaderState, peer: string, allowEmpty: boolean): boolean {
    const pr = lead.progress.get(peer);
    if (pr === undefined || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    const prevTerm = this.log.term(prevIndex);
    if (prevTerm === undefined) {
      if (prevIndex > this.log.lastIndex()) throw new AssertionError(`next ${pr.next} for ${peer} beyond last ${this.log.lastIndex()}`);
      return this.sendSnapshot(lead, peer, pr);
    }
    const entries = pr.next <= this.log.lastIndex() ? this.log.slice(pr.next, this.log.lastIndex(), this.cfg.maxEntriesPerMsg) : [];
    if (entries.length === 0 && !allowEmpty) return false;
    const m: AppendRequest = { group: this.group, from: this.id, to: peer, term: this.term, type: 'append', prevIndex, prevTerm, entries, commit: this.commit };
    this.send(m, 'term');
    pr.sentAppend(prevIndex + entries.length, entries.length);
    return entries.length > 0;
  }

  private sendSnapshot(lead: LeaderState, peer: string, pr: Progress): boolean {
    const snapshot = this.log.snapshot();
    pr.becomeSnapshot(snapshot.index);
    lead.snapshotSent(peer);
    const m: SnapshotRequest = { group: this.group, from: this.id, to: peer, term: this.term, type: 'snapshot', snapshot };
    this.send(m, 'term');
    return false;
  }

  private sendTimeoutNow(to: string): void {
    this.event({ type: 'raft.transfer', term: this.term, to, phase: 'timeout-now' });
    this.send({ group: this.group, from: this.id, to: to, term: this.term, type: 'timeout-now' }, 'term');
  }

  private handleAppendResponse(m: AppendResponse): void {
    const lead = this.lead;
    if (lead === null) return;
    const pr = lead.progress.get(m.from);
    if (pr === undefined) return;
    pr.recentActive = true;
    if (!m.success) {
      // Fast backtracking: jump to the last index where our log could match the follower's.
      const hint = m.hintIndex <= this.log.snapshot().index ? m.hintIndex : this.log.conflictHint(m.hintIndex, m.hintTerm);
      if (pr.maybeDecrTo(m.rejectedIndex, hint)) {
        if (pr.state === 'replicate') pr.becomeProbe();
        this.sendAppend(lead, m.from, false) || this.sendAppend(lead, m.from, true);
      }
      return;
    }
    // Planted bug: believe the follower holds our whole log.
    const index = bugOn(this.bugs, 'next-index-overshoot') ? this.log.lastIndex() : m.matchIndex;
    if (index > this.log.lastIndex()) throw new AssertionError(`${m.from} acked ${index} beyond our last ${this.log.lastIndex()}`);
    if (pr.maybeUpdate(index)) {
      if (pr.state === 'probe') pr.becomeReplicate();
      else if (pr.state === 'snapshot' && pr.match >= pr.pendingSnapshot) {
        lead.snapshotDone(m.from);
        pr.becomeReplicate();
      }
      const committed = this.maybeCommit(lead);
      // Committing our own removal steps us down (thesis §4.2.2): then there is nothing to send.
      if (this.lead !== lead) return;
      if (committed) this.broadcastAppend(lead);
      if (m.from === lead.transfer?.to && pr.match === this.log.lastIndex()) this.sendTimeoutNow(m.from);
    }
    while (this.sendAppend(lead, m.from, false)) {
      // Refill the in-flight window.
    }
  }

  private handleHeartbeatResponse(m: HeartbeatResponse): void {
    const lead = this.lead;
    if (lead === null) return;
    const pr = lead.progress.get(m.from);
    if (pr === undefined) return;
    pr.recentActive = true;
    lead.acknowledge(pr, m.round);
    pr.onHeartbeatResponse();
    if (pr.match < this.log.lastIndex()) {
      // In replicate state the leader streams optimistically; if an append was lost and no new
      // entries follow, nothing would ever resend it. A reply showing no progress since the
      // previous one sends the follower back to probing from its match.
      if (pr.state === 'replicate' && pr.match === pr.matchAtHeartbeat) pr.becomeProbe();
      pr.matchAtHeartbeat = pr.match;
      // A probe may carry no entries (next can sit past the log, e.g. for a learner added while
      // its replica did not exist yet): send it anyway, so the follower's rejection hint walks
      // next back to where their logs agree.
      this.sendAppend(lead, m.from, pr.state === 'probe');
    } else {
      pr.matchAtHeartbeat = pr.match;
    }
    this.settleRounds(lead);
  }

  // ---------------------------------------------------------------- §6 reads: heartbeat rounds

  /**
   * The heartbeat-round rule, for both the heartbeat timer and ReadIndex (thesis §6.4): a round
   * goes to every follower with our commit index clipped to what that follower holds, and carries
   * the reads `readIds`, each to be served at the commit index of the round's start. Acks are
   * counted in `settleRounds`.
   */
  private startHeartbeatRound(lead: LeaderState, readIds: readonly string[], quiesce = false): number {
    assert(this.lead === lead, 'a heartbeat round for a leadership that has ended');
    if (!quiesce) this.wake(lead);
    const round = lead.startRound(this.lastKnownUs);
    for (const requestId of readIds) lead.reads.add({ requestId, index: this.commit, round });
    for (const [peer, pr] of lead.progress) {
      const hb: Heartbeat = quiesce
        ? { group: this.group, from: this.id, to: peer, term: this.term, type: 'heartbeat', commit: Math.min(pr.match, this.commit), round, quiesce: true }
        : { group: this.group, from: this.id, to: peer, term: this.term, type: 'heartbeat', commit: Math.min(pr.match, this.commit), round };
      this.send(hb, 'term');
    }
    this.settleRounds(lead);
    return round;
  }

  /** Serve reads (and extend the lease) for the latest round a quorum has acknowledged; reads
   * batched while a round was in flight start the next one. */
  private settleRounds(lead: LeaderState): void {
    const q = lead.quorumRound(this.conf.voters, this.id);
    for (const r of lead.reads.takeReady(q)) this.serveRead(r.requestId, r.index, 'index');
    if (!lead.reads.roundInFlight()) {
      const next = lead.reads.takeBatched();
      if (next.length > 0) this.startHeartbeatRound(lead, next);
    }
    lead.confirmRound(q);
  }

  private serveRead(requestId: string, index: number, mode: ReadMode): void {
    this.outReads.push({ requestId, ok: true, index, mode });
    this.event({ type: 'raft.read', requestId, ok: true, index, mode, term: this.term });
  }

  private rejectRead(requestId: string, reason: string): void {
    this.outReads.push({ requestId, ok: false, leaderHint: this.leaderNow === this.id ? null : this.leaderNow, reason });
    this.event({ type: 'raft.read', requestId, ok: false, index: 0, mode: 'index', term: this.term });
  }

  // ---------------------------------------------------------------- §5.3 followers

  private hearFromLeader(m: RaftMessage): void {
    if (this.lead !== null && m.term === this.term) {
      throw new AssertionError(`two leaders in term ${this.term}: ${this.id} and ${m.from}`);
    }
    if (this.roleNow === 'follower' && this.leaderNow !== null && this.leaderNow !== m.from) {
      throw new AssertionError(`two leaders in term ${this.term}: ${this.id} follows ${this.leaderNow} and hears from ${m.from}`);
    }
    if (this.roleNow !== 'follower' || this.leaderNow !== m.from) this.becomeFollower(Math.max(this.term, m.term), m.from, 'leader-seen');
    // Quiescence: a heartbeat marked `quiesce` (re)quiets us; anything else from the leader wakes us.
    const quiesce = m.type === 'heartbeat' && m.quiesce === true && this.cfg.quiesce;
    this.setQuiet(quiesce, quiesce ? 'idle' : 'woken');
    // Planted bug: the follower's election clock keeps running while the leader is healthy.
    if (!bugOn(this.bugs, 'no-election-timer-reset')) this.electionElapsed = 0;
  }

  private handleAppend(m: AppendRequest): void {
    this.hearFromLeader(m);
    for (let i = 0; i < m.entries.length; i++) {
      const e = m.entries[i] as Entry;
      if (e.index !== m.prevIndex + 1 + i || e.term > m.term) throw new AssertionError(`malformed append from ${m.from}`);
    }
    if (m.prevIndex < this.commit) {
      // Everything through our commit is already settled; tell the leader where we are.
      this.respondAppend(m.from, this.commit);
      return;
    }
    if (!this.log.matchTerm(m.prevIndex, m.prevTerm)) {
      const hintIndex = this.log.conflictHint(m.prevIndex, m.prevTerm);
      this.send(
        {
          group: this.group, from: this.id, to: m.from, term: this.term,
          type: 'append-resp',
          success: false,
          matchIndex: 0,
          rejectedIndex: m.prevIndex,
          hintIndex,
          hintTerm: this.log.term(hintIndex) as number,
        },
        'disk',
      );
      return;
    }
    let i = 0;
    let confTouched = false;
    for (; i < m.entries.length; i++) {
      const e = m.entries[i] as Entry;
      const t = this.log.term(e.index);
      if (t === undefined) break;
      if (t !== e.term) {
        // §5.3 step 3: a conflict; delete it and all that follow. Never below commit.
        if (e.index <= this.commit) throw new AssertionError(`truncating committed index ${e.index} (commit ${this.commit})`);
        confTouched = confTouched || this.log.lastConfIndex() >= e.index;
        this.log.truncateFrom(e.index);
        break;
      }
    }
    const fresh = m.entries.slice(i);
    this.log.append(fresh);
    if (fresh.some((e) => e.kind === 'conf')) confTouched = true;
    const lastNew = m.prevIndex + m.entries.length;
    // Planted bug: cut the suffix after a fully matching (possibly delayed) append.
    if (bugOn(this.bugs, 'truncate-on-matching-heartbeat') && fresh.length === 0 && this.log.lastIndex() > lastNew) {
      confTouched = confTouched || this.log.lastConfIndex() > lastNew;
      this.log.truncateFrom(lastNew + 1);
    }
    if (confTouched) this.refreshConf();
    this.commitTo(Math.min(m.commit, lastNew));
    this.respondAppend(m.from, lastNew);
  }

  private respondAppend(to: string, matchIndex: number): void {
    this.send(
      { group: this.group, from: this.id, to: to, term: this.term, type: 'append-resp', success: true, matchIndex, rejectedIndex: 0, hintIndex: 0, hintTerm: 0 },
      'disk',
    );
  }

  private handleHeartbeat(m: Heartbeat): void {
    this.hearFromLeader(m);
    this.commitTo(m.commit);
    this.send({ group: this.group, from: this.id, to: m.from, term: this.term, type: 'heartbeat-resp', round: m.round }, 'disk');
  }

  // ---------------------------------------------------------------- §7 snapshots

  private handleSnapshot(m: SnapshotRequest): void {
    this.hearFromLeader(m);
    const s = m.snapshot;
    if (s.index <= this.commit) {
      this.respondAppend(m.from, this.commit);
      return;
    }
    if (this.log.matchTerm(s.index, s.term)) {
      // We hold the snapshot's last entry: keep our log and simply learn the commit.
      this.commitTo(s.index);
      this.respondAppend(m.from, s.index);
      return;
    }
    this.log.restore(s);
    this.commit = s.index;
    this.commitDirty = true;
    this.applied = s.index;
    this.persistedIndex = Math.min(this.persistedIndex, s.index);
    this.snapshotDirty = s;
    this.outApply.push({ kind: 'snapshot', snapshot: s });
    this.event({ type: 'raft.snapshot', index: s.index, term: s.term, hash: s.hash, installed: true });
    this.refreshConf();
    this.respondAppend(m.from, s.index);
  }

  // ---------------------------------------------------------------- membership

  /** Membership takes effect as soon as its entry is in the log (thesis §4.1). */
  private refreshConf(): void {
    const next = this.log.confAt(this.log.lastIndex());
    if (!this.knownMember && isMember(next, this.id)) this.knownMember = true;
    const same =
      next.voters.join(',') === this.conf.voters.join(',') && next.learners.join(',') === this.conf.learners.join(',');
    if (same) return;
    this.conf = next;
    this.event({ type: 'raft.conf', index: this.log.lastConfIndex(), voters: [...next.voters], learners: [...next.learners] });
    const lead = this.lead;
    if (lead === null) return;
    for (const peer of this.members()) if (!lead.progress.has(peer)) this.addProgress(lead, peer);
    for (const peer of [...lead.progress.keys()]) if (!isMember(this.conf, peer)) lead.removePeer(peer);
    if (lead.transfer !== null && !isVoter(this.conf, lead.transfer.to)) {
      this.event({ type: 'raft.transfer', term: this.term, to: lead.transfer.to, phase: 'abort' });
      lead.transfer = null;
    }
  }

  // ---------------------------------------------------------------- effects

  private collectApply(): void {
    // Planted bug: a follower applies whatever it has, committed or not.
    const early = bugOn(this.bugs, 'follower-serves-uncommitted') && this.lead === null;
    const upTo = early ? this.log.lastIndex() : this.commit;
    if (!bugOn(this.bugs, 'follower-serves-uncommitted') && this.applied > this.commit) throw new AssertionError(`applied ${this.applied} > commit ${this.commit}`);
    if (upTo <= this.applied) return;
    const from = this.applied + 1;
    const hashes: number[] = [];
    for (let i = from; i <= upTo; i++) {
      this.outApply.push({ kind: 'entry', entry: this.log.entry(i) });
      hashes.push(this.log.hashAt(i) as number);
    }
    this.applied = upTo;
    this.event({ type: 'raft.apply', from, to: upTo, hashes });
  }

  private makeBatch(): PersistBatch | null {
    const unstable = this.log.takeUnstable();
    const snapshot = this.snapshotDirty;
    if (!this.hardDirty && unstable === null && snapshot === null) return null;
    if (this.batches.length >= MAX_UNACKED_BATCHES) throw new AssertionError('too many unacknowledged persist batches');
    const id = ++this.lastBatchId;
    const termChanged = this.hardDirty;
    const hardState = this.hardDirty || this.commitDirty ? { term: this.term, vote: this.vote, commit: this.commit } : null;
    const truncateFrom = unstable === null ? null : unstable.truncateFrom;
    this.batches.push({ id, lastIndex: this.log.lastIndex(), truncateFrom });
    if (truncateFrom !== null) this.persistedIndex = Math.min(this.persistedIndex, truncateFrom - 1);
    if (termChanged) this.lastTermBatchId = id;
    this.hardDirty = false;
    this.commitDirty = false;
    this.snapshotDirty = null;
    if (unstable !== null && (unstable.entries.length > 0 || unstable.cutFrom !== null)) {
      this.event({
        type: 'raft.append',
        from: unstable.truncateFrom,
        to: this.log.lastIndex(),
        term: this.log.lastTerm(),
        hash: this.log.lastHash(),
        truncatedFrom: unstable.cutFrom,
      });
    }
    return { id, hardState, snapshot, truncateFrom, entries: unstable?.entries ?? [] };
  }

  private observeTime(localNowUs: number): void {
    if (localNowUs > this.lastKnownUs) this.lastKnownUs = localNowUs;
  }

  // Messages are written as whole object literals (group, from, to, term, type, ...), never
  // spread from a shared base: spreads gave each message type hundreds of V8 hidden classes,
  // which made every read of a message field slow (bench-steady about a third faster so).
  private send(msg: RaftMessage, dep: Dependency): void {
    if (msg.to === this.id) throw new AssertionError('message to self');
    this.outMsgs.push({ msg, dep });
  }

  private event(e: DistributiveOmit<RaftEventBody, 'group' | 'replica'>): void {
    // Built once, with `t` first (the trace's field order); the host stamps the time.
    this.outEvents.push({ t: 0, ...e, group: this.group, replica: this.id } as RaftEvent);
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
