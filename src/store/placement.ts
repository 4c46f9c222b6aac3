// The placement driver: a control-plane process (machine `pd`) that moves shard replicas to
// where the ring wants them and, optionally, adds read replicas to hot shards.
//
// It is a reconciliation loop, not a workflow: every round it asks each shard's leader for the
// shard's membership and replication progress, compares that with the desired placement, and
// sends the one next step that brings them closer:
//   1. a desired machine is not in the group: tell it to host the shard, then add it as a learner;
//   2. a desired learner has caught up (match within `catchUpLagEntries` of commit): promote it;
//   3. a voter is no longer desired: if it leads, transfer leadership to a desired voter first,
//      then remove it; once the removal is committed, tell the machine to drop its replica;
//   4. a learner is neither desired nor an autoscaled read replica: remove it, then drop it.
// Members are replica ids (store/replica-id.ts); the ring speaks of machines. A replica hosted
// for a move gets a fresh id from its machine, which `host` answers once it is durable; only
// then is that id added as a learner, so every member's machine is known to host it.
// Every step is idempotent and only taken on a fresh status with no membership change in
// flight, so a crash, a partition or a lost message only delays a move; the next round picks
// up where the cluster actually is. At most `movesMax` shards are mid-move at once.
//
// Read autoscaling: servers report follower-level reads per shard; a shard whose reads per
// replica stay above `scaleUpReadsPerSec` for `scaleRounds` reports gets a learner on the least
// loaded machine that does not hold it (up to `learnersMax` per shard); one whose load stays
// below `scaleDownReadsPerSec` loses its newest extra learner.
import type { MachineContext, Process } from '../sim/machine.js';
import { isAdminReply, isLoadReport, kindOf, type AdminReply, type AdminRequest, type LoadReport, type ShardStatus } from './protocol.js';
import type { Ring } from './ring.js';
import { machineOfReplica } from './replica-id.js';

export interface PlacementOptions {
  roundUs: number;
  movesMax: number;
  catchUpLagEntries: number;
  autoscale: boolean;
  scaleUpReadsPerSec: number;
  scaleDownReadsPerSec: number;
  scaleRounds: number;
  learnersMax: number;
}

export const DEFAULT_PLACEMENT: PlacementOptions = {
  roundUs: 100_000,
  movesMax: 2,
  catchUpLagEntries: 10,
  autoscale: false,
  scaleUpReadsPerSec: 400,
  scaleDownReadsPerSec: 100,
  scaleRounds: 3,
  learnersMax: 2,
};

/** The routing view shared with clients: the current ring plus read-only replicas. */
export interface Directory {
  ring: Ring;
  /** Autoscaled learners per shard (follower reads may use them). */
  readReplicas: Map<number, string[]>;
  /**
   * Where each shard's replicas actually are, as the driver last heard from its leader: the
   * machines of its members (none replaced for good) and the leader's. The ring says where a
   * shard should be; while it moves, clients route by this (as a TiKV client asks PD for a
   * region's peers), else a route refreshed mid-move would name machines that do not hold it yet.
   */
  members: Map<number, { machines: string[]; leader: string }>;
  /** Bumped on every change, so cached copies know they are old. */
  version: number;
}

export type PlacementEvent = { kind: 'move-started' | 'move-done' | 'learner-added' | 'learner-removed'; shard: number; machine: string };

interface ShardView {
  status: ShardStatus | null;
  statusAtUs: number;
  leaderGuess: string | null;
  /** Machines told to host this shard, not yet seen in the membership: the replica id they
   * answered with (null until the answer arrives). */
  hosting: Map<string, string | null>;
  /** Machines whose replica must be dropped (removed from the membership, or an orphan): its id,
   * or null for whatever an orphan host made (its answer never came). */
  toDrop: Map<string, string | null>;
  hotRounds: number;
  coldRounds: number;
  moving: boolean;
  askRotation: number;
}

type AdminStep = AdminRequest extends infer R ? (R extends AdminRequest ? Omit<R, 'seq'> : never) : never;

/** Bound on placement steps per round, so a flapping cluster cannot flood the network. */
const STEPS_MAX_PER_ROUND = 64;

export class PlacementDriver implements Process {
  private readonly shards: ShardView[] = [];
  private seq = 1;
  private readonly loads = new Map<string, Map<number, number>>();
  movesCompleted = 0;
  /** Payloads dropped unread because they were not well-formed admin replies or load reports. */
  malformed = 0;
  /** Told of every payload dropped as malformed (white-box: the harness checks none is, unless garbled). */
  onMalformed: ((kind: string, payload: unknown) => void) | null = null;

  constructor(
    private readonly ctx: MachineContext,
    private readonly directory: Directory,
    private readonly servers: () => readonly string[],
    /** Every machine that may still host replicas: the ring's, and those leaving it. */
    private readonly hosts: () => readonly string[],
    /** Machines gone for good (replaced): nothing to drop there. */
    private readonly retired: (machine: string) => boolean,
    private readonly options: PlacementOptions,
    private readonly notify: (e: PlacementEvent) => void,
  ) {
    for (let s = 0; s < directory.ring.shards; s++) {
      this.shards.push({ status: null, statusAtUs: -Infinity, leaderGuess: null, hosting: new Map(), toDrop: new Map(), hotRounds: 0, coldRounds: 0, moving: false, askRotation: s });
    }
    this.schedule();
  }

  private schedule(): void {
    this.ctx.setTimer(this.options.roundUs, () => {
      this.round();
      this.schedule();
    });
  }

  private send(to: string, req: AdminStep): void {
    this.ctx.send(to, { ...req, seq: this.seq++ } as AdminRequest, `admin.${req.op}`);
  }

  private desiredVoters(shard: number): string[] {
    return [...this.directory.ring.replicasOf(shard)];
  }

  private round(): void {
    const now = this.ctx.localNowUs();
    let steps = 0;
    let moving = this.shards.filter((v) => v.moving).length;
    for (let shard = 0; shard < this.shards.length && steps < STEPS_MAX_PER_ROUND; shard++) {
      const view = this.shards[shard]!;
      // Ask the leader for a fresh status every round. When answers stop (the leader died or is
      // cut off), forget the guess and ask the shard's members in turn: one will know the leader.
      const stale = now - view.statusAtUs > 3 * this.options.roundUs;
      if (stale) {
        // The last known voters and the ring's choice first, then every host (a machine that
        // left the ring still holds its replicas until they move): if the ring has moved the
        // shard since we last heard of it, only the old holders know its leader.
        const members = [...new Set([...(view.status?.voters ?? []).map(machineOfReplica), ...this.desiredVoters(shard), ...this.hosts()])];
        view.leaderGuess = null;
        this.send(members[view.askRotation++ % members.length]!, { kind: 'admin', op: 'status', shard });
      } else {
        this.send(view.leaderGuess ?? machineOfReplica(view.status!.leader), { kind: 'admin', op: 'status', shard });
      }
      const st = view.status;
      if (st === null || stale) continue;
      const memberIds = [...st.voters, ...st.learners];
      const memberMachines = new Set(memberIds.map(machineOfReplica));
      for (const [m, id] of view.toDrop) {
        if (this.retired(m)) {
          view.toDrop.delete(m);
          continue;
        }
        // Resent every round until the machine confirms: it may be down or cut off now.
        const stillMember = id === null ? memberMachines.has(m) : memberIds.includes(id);
        // A removal given up: the replica is still a member, no change is pending, and the
        // placement wants that machine again (the ring moved the shard back, or the removal was
        // refused before). Nothing will be dropped; waiting for it kept the driver unsettled for
        // good (swarm seed 640). A stale request for that removal can still arrive, but only
        // while the membership has not changed since (the server checks confIndex); the machine
        // then answers a new `host` with the replica it kept.
        if (stillMember && st.confCommitted && (this.desiredVoters(shard).includes(m) || (this.directory.readReplicas.get(shard) ?? []).includes(m))) {
          view.toDrop.delete(m);
          continue;
        }
        if (!stillMember && st.confCommitted) {
          this.send(m, { kind: 'admin', op: 'drop', shard, ...(id !== null && { replica: id }) });
          steps++;
        }
      }
      if (!st.confCommitted) continue; // one membership change at a time
      const desired = this.desiredVoters(shard);
      const extras = this.directory.readReplicas.get(shard) ?? [];
      // A machine whose drop of this shard is not confirmed yet is not asked to host it again:
      // the two requests could cross, and a late `host` would leave an orphan replica.
      const toAdd = desired.filter((m) => !memberMachines.has(m) && !view.toDrop.has(m));
      const toPromote = st.learners.filter((id) => desired.includes(machineOfReplica(id)));
      const toRemove = st.voters.filter((id) => !desired.includes(machineOfReplica(id)));
      const strayLearners = st.learners.filter((id) => !desired.includes(machineOfReplica(id)) && !extras.includes(machineOfReplica(id)));
      const extraToAdd = extras.filter((m) => !memberMachines.has(m) && !view.toDrop.has(m));
      const needsMove = toAdd.length + toPromote.length + toRemove.length > 0;
      if (needsMove && !view.moving) {
        if (moving >= this.options.movesMax) continue;
        view.moving = true;
        moving++;
        this.notify({ kind: 'move-started', shard, machine: toAdd[0] ?? machineOfReplica(toPromote[0] ?? toRemove[0]!) });
      }
      if (!needsMove && view.moving) {
        view.moving = false;
        moving--;
        this.movesCompleted++;
        this.notify({ kind: 'move-done', shard, machine: machineOfReplica(st.leader) });
      }
      steps++;
      // Caught up: it has replicated something (a learner cut off since it was added has match 0,
      // which is "within the lag" of a young log) and is within the lag of the commit index.
      // Promoting a learner that holds nothing can leave the group without a live quorum.
      const caughtUp = (id: string) => {
        const match = st.match[id] ?? 0;
        return match > 0 && match >= st.commit - this.options.catchUpLagEntries;
      };
      const leaderMachine = machineOfReplica(st.leader);
      const promotable = toPromote.find(caughtUp);
      if (promotable !== undefined) {
        this.send(leaderMachine, { kind: 'admin', op: 'conf', shard, confIndex: st.confIndex, change: { type: 'promote', id: promotable } });
      } else if (toAdd.length > 0 || extraToAdd.length > 0) {
        const m = toAdd[0] ?? extraToAdd[0]!;
        const hosted = view.hosting.get(m);
        if (hosted === undefined || hosted === null) {
          // Asked again until it answers (the request or the answer may be lost; hosting is
          // idempotent and answers with the replica already hosted).
          this.send(m, { kind: 'admin', op: 'host', shard });
          view.hosting.set(m, null);
        } else {
          this.send(leaderMachine, { kind: 'admin', op: 'conf', shard, confIndex: st.confIndex, change: { type: 'add-learner', id: hosted } });
        }
      } else if (toPromote.length > 0) {
        // Learners still catching up: wait.
      } else if (toRemove.length > 0 && st.voters.length > desired.length) {
        // Add before remove: a voter goes only once its successor votes, so the group never
        // shrinks below its desired size. (A desired machine may not be addable yet, e.g. while
        // its earlier replica's drop is unconfirmed; removing meanwhile could leave two voters,
        // and one of them lost for good would be a majority lost for good.)
        const victim = toRemove.includes(st.leader) ? st.leader : toRemove[0]!;
        if (victim === st.leader) {
          const heir = st.voters.find((id) => desired.includes(machineOfReplica(id)) && caughtUp(id));
          if (heir !== undefined) this.send(leaderMachine, { kind: 'admin', op: 'transfer', shard, to: heir });
        } else {
          this.send(leaderMachine, { kind: 'admin', op: 'conf', shard, confIndex: st.confIndex, change: { type: 'remove', id: victim } });
          view.toDrop.set(machineOfReplica(victim), victim);
        }
      } else if (strayLearners.length > 0) {
        const id = strayLearners[0]!;
        this.send(leaderMachine, { kind: 'admin', op: 'conf', shard, confIndex: st.confIndex, change: { type: 'remove', id } });
        view.toDrop.set(machineOfReplica(id), id);
      } else {
        steps--;
      }
      for (const m of memberMachines) view.hosting.delete(m);
      // Told to host, then the ring changed before it joined: an orphan replica. Drop it.
      for (const [m, id] of view.hosting) {
        if (this.retired(m)) {
          view.hosting.delete(m); // gone for good: nothing will join, nothing to drop
        } else if (!desired.includes(m) && !extras.includes(m)) {
          view.hosting.delete(m);
          view.toDrop.set(m, id);
        }
      }
    }
    if (this.options.autoscale) this.autoscale();
  }

  /** Hot shards get read replicas; cold ones give theirs back. */
  private autoscale(): void {
    const ring = this.directory.ring;
    const perShard = new Map<number, number>();
    const perMachine = new Map<string, number>();
    for (const [machine, reads] of this.loads) {
      for (const [shard, n] of reads) {
        perShard.set(shard, (perShard.get(shard) ?? 0) + n);
        perMachine.set(machine, (perMachine.get(machine) ?? 0) + n);
      }
    }
    const intervalSec = this.lastIntervalUs / 1_000_000;
    if (intervalSec <= 0) return;
    let changed = false;
    for (let shard = 0; shard < this.shards.length; shard++) {
      const view = this.shards[shard]!;
      const extras = this.directory.readReplicas.get(shard) ?? [];
      const replicas = ring.replicasOf(shard).length + extras.length;
      const perReplica = (perShard.get(shard) ?? 0) / intervalSec / replicas;
      view.hotRounds = perReplica > this.options.scaleUpReadsPerSec ? view.hotRounds + 1 : 0;
      view.coldRounds = perReplica < this.options.scaleDownReadsPerSec ? view.coldRounds + 1 : 0;
      if (view.hotRounds >= this.options.scaleRounds && extras.length < this.options.learnersMax) {
        const holders = new Set([...ring.replicasOf(shard), ...extras]);
        const candidates = this.servers().filter((m) => !holders.has(m));
        if (candidates.length > 0) {
          candidates.sort((a, b) => (perMachine.get(a) ?? 0) - (perMachine.get(b) ?? 0) || (a < b ? -1 : 1));
          const m = candidates[0]!;
          this.directory.readReplicas.set(shard, [...extras, m]);
          this.notify({ kind: 'learner-added', shard, machine: m });
          view.hotRounds = 0;
          changed = true;
        }
      } else if (view.coldRounds >= this.options.scaleRounds * 4 && extras.length > 0) {
        const m = extras[extras.length - 1]!;
        this.directory.readReplicas.set(shard, extras.slice(0, -1));
        this.notify({ kind: 'learner-removed', shard, machine: m });
        view.coldRounds = 0;
        changed = true;
      }
    }
    this.loads.clear();
    this.lastIntervalUs = 0;
    if (changed) this.directory.version++;
  }

  private lastIntervalUs = 0;

  /** Every payload's shape is checked before anything acts on it (over TCP it may be anything):
   * one that fails is counted in `malformed` and dropped. */
  onMessage(from: string, payload: unknown): void {
    const kind = kindOf(payload);
    if (kind === 'admin-load') {
      if (isLoadReport(payload)) return this.onLoadReport(from, payload);
    } else if (kind === 'admin-reply') {
      if (isAdminReply(payload)) return this.onAdminReply(from, payload);
    }
    this.malformed += 1;
    this.onMalformed?.(typeof kind === 'string' ? kind : typeof payload, payload);
  }

  private onLoadReport(from: string, message: LoadReport): void {
    const reads = new Map<number, number>();
    for (const [shard, n] of Object.entries(message.reads)) reads.set(Number(shard), n);
    const prev = this.loads.get(from);
    if (prev !== undefined) for (const [s, n] of prev) reads.set(s, (reads.get(s) ?? 0) + n);
    this.loads.set(from, reads);
    this.lastIntervalUs = Math.max(this.lastIntervalUs, message.intervalUs);
  }

  private onAdminReply(from: string, message: AdminReply): void {
    const view = this.shards[message.shard];
    if (view === undefined) return;
    if (message.op === 'drop') {
      if (message.ok) view.toDrop.delete(from);
      return;
    }
    if (message.op === 'host') {
      // Only an answer to a request still wanted counts (a late duplicate must not revive one).
      if (message.ok && message.replica !== null && view.hosting.get(from) === null) view.hosting.set(from, message.replica);
      return;
    }
    if (message.op === 'status') {
      if (message.status !== null) {
        view.status = message.status;
        view.statusAtUs = this.ctx.localNowUs();
        view.leaderGuess = machineOfReplica(message.status.leader);
        this.publishMembers(message.status);
      } else if (message.leaderHint !== null && message.leaderHint !== from) {
        // Not the leader: ask the one it names right away rather than waiting a round.
        view.leaderGuess = message.leaderHint;
        this.send(message.leaderHint, { kind: 'admin', op: 'status', shard: message.shard });
      }
    }
  }

  /** Record a shard's actual replicas for routing (the directory's version moves on a change). */
  private publishMembers(st: ShardStatus): void {
    const machines = [...st.voters, ...st.learners].map(machineOfReplica).filter((m) => !this.retired(m));
    const leader = machineOfReplica(st.leader);
    const known = this.directory.members.get(st.shard);
    if (known !== undefined && known.leader === leader && known.machines.join(',') === machines.join(',')) return;
    this.directory.members.set(st.shard, { machines, leader });
    this.directory.version++;
  }

  /**
   * True when every shard's membership matches the desired placement (voters where the ring
   * wants them, learners exactly the directory's read replicas), removed replicas are gone and
   * no machine asked to host a replica is still waiting to join.
   */
  settled(): boolean {
    for (let shard = 0; shard < this.shards.length; shard++) {
      const view = this.shards[shard]!;
      const st = view.status;
      if (st === null || view.toDrop.size > 0 || view.hosting.size > 0) return false;
      const desired = this.desiredVoters(shard);
      const voterMachines = st.voters.map(machineOfReplica);
      if (voterMachines.length !== desired.length || desired.some((m) => !voterMachines.includes(m))) return false;
      const extras = (this.directory.readReplicas.get(shard) ?? []).filter((m) => !desired.includes(m));
      const learnerMachines = st.learners.map(machineOfReplica);
      if (learnerMachines.length !== extras.length || extras.some((m) => !learnerMachines.includes(m))) return false;
    }
    return true;
  }
}
