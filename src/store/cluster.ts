// The store as a cluster of simulated machines: a StoreServer on every server machine, client
// machines with the store's client library, the placement driver (machine `pd`) and the routing
// directory they share. It knows nothing of scenarios, faults or checks: a harness builds it
// (src/harness/store-engine.ts), drives it, breaks it and judges it through the accessors below,
// the same way a test would drive a real cluster.
import type { RaftConfig } from '../raft/config.js';
import type { World } from '../sim/world.js';
import type { MachineContext } from '../sim/machine.js';
import { StoreClient, type ClientOptions, type Router } from './client.js';
import type { ClientReply } from './protocol.js';
import type { Ring } from './ring.js';
import type { Place } from '../base/place.js';
import { zoneReadReplicas } from './read-replicas.js';
import { StoreServer, type ServerEnv } from './server.js';
import { PlacementDriver, type Directory, type PlacementOptions } from './placement.js';

export interface ClusterOptions {
  /** Server machines at the start (n1..nM). */
  machines: readonly string[];
  /** The ring the cluster is founded with (every shard's founding members). */
  ring: Ring;
  raft: (group: number, id: string) => RaftConfig;
  snapshotEvery: number;
  bugs: ReadonlySet<string>;
  /** The placement driver runs when membership is managed. */
  placement: PlacementOptions | null;
  readServiceUs: number;
  /** White-box observer of applied writes and read freshness (trace annotations only). */
  observer?: ServerEnv['observer'];
  /**
   * Where machines are (a scenario's topology), read by clients choosing the nearest replica.
   * The cluster adds to it: a machine brought in by `replace` takes the replaced one's place.
   */
  places?: Map<string, Place>;
  /** Found every shard with a read replica in each zone its voters are not in (needs `places`). */
  readReplicasByZone?: boolean;
}

/** What a replica holds at the end of a run (white-box, for the checks). */
export interface ReplicaFinal {
  machine: string;
  shard: number;
  appliedIndex: number;
  appliedAt(opId: number): number | undefined;
  digest: string;
}

/** A client's copy of the routing table: refreshed when a server says it is stale, or on a timeout. */
class CachedRouter implements Router {
  private ring: Ring;
  private readReplicas: Map<number, string[]>;
  private members: Directory['members'];
  private version: number;

  constructor(
    private readonly directory: Directory,
    private readonly places: ReadonlyMap<string, Place> | undefined,
  ) {
    this.ring = directory.ring;
    this.readReplicas = new Map(directory.readReplicas);
    this.members = new Map(directory.members);
    this.version = directory.version;
  }

  get shards(): number {
    return this.ring.shards;
  }
  shardOfKey(key: string): number {
    return this.ring.shardOfKey(key);
  }
  /** Where the shard's replicas are (the placement driver's last word), else where the ring puts them. */
  replicasOf(shard: number): readonly string[] {
    const actual = this.members.get(shard);
    return actual !== undefined && actual.machines.length > 0 ? actual.machines : this.ring.replicasOf(shard);
  }
  preferredLeaderOf(shard: number): string {
    return this.members.get(shard)?.leader ?? this.ring.preferredLeaderOf(shard);
  }
  readReplicasOf(shard: number): readonly string[] {
    const extra = this.readReplicas.get(shard)?.filter((m) => !this.replicasOf(shard).includes(m));
    return extra === undefined || extra.length === 0 ? this.replicasOf(shard) : [...this.replicasOf(shard), ...extra];
  }
  placeOf(machine: string): Place | undefined {
    return this.places?.get(machine);
  }
  refresh(): void {
    if (this.version === this.directory.version) return;
    this.ring = this.directory.ring;
    this.readReplicas = new Map(this.directory.readReplicas);
    this.members = new Map(this.directory.members);
    this.version = this.directory.version;
  }
}


/** What a transfer-leadership fault did: `asked` when a leader was asked to hand over. */
export interface TransferOutcome {
  detail: string;
  asked?: { leader: string; target: string; accepted: boolean };
}

export class StoreCluster {
  readonly serverOf = new Map<string, StoreServer>();
  readonly directory: Directory;
  placementDriver: PlacementDriver | undefined;
  learnersAdded = 0;
  learnersRemoved = 0;
  /** Server machines in the cluster now (joins add, replace adds the replacement). */
  private readonly machineList: string[];
  /** Machines replaced as failed: they stay down, even when the store settles. */
  private readonly retired = new Set<string>();
  private readonly env: ServerEnv;

  constructor(
    private readonly world: World,
    private readonly options: ClusterOptions,
  ) {
    const byZone = options.readReplicasByZone === true && options.places !== undefined ? zoneReadReplicas(options.ring, options.places) : undefined;
    this.directory = { ring: options.ring, readReplicas: new Map(byZone ?? []), members: new Map(), version: 0 };
    this.machineList = [...options.machines];
    this.env = {
      ring: options.ring,
      ...(byZone !== undefined && { foundingLearnersOf: (shard: number) => byZone.get(shard) ?? [] }),
      ...(options.placement !== null && { placementDriver: 'pd' }),
      readServiceUs: options.readServiceUs,
      raftConfig: options.raft,
      snapshotEvery: options.snapshotEvery,
      bugs: options.bugs,
      ...(options.observer !== undefined && { observer: options.observer }),
    };
    for (const id of options.machines) this.addServer(id);
  }

  /** A client machine running the store's client library; `boot` runs at every (re)start. */
  /** `route` may wrap the client's router (the harness's probe pins reads to one replica). */
  addClient(id: string, clientOptions: ClientOptions, boot: (client: StoreClient, ctx: MachineContext) => void = () => {}, route: (router: Router) => Router = (r) => r): void {
    this.world.addMachine(id, (ctx) => {
      const client = new StoreClient(ctx, route(new CachedRouter(this.directory, this.options.places)), clientOptions, () => this.world.nowUs);
      boot(client, ctx);
      return { onMessage: (from, payload) => client.onReply(from, payload as ClientReply) };
    });
  }

  /** Start the placement driver (when the options ask for one); call after the clients. */
  startPlacement(): void {
    const options = this.options.placement;
    if (options === null) return;
    this.world.addMachine('pd', (ctx) => {
      const live = (m: string) => !this.retired.has(m);
      this.placementDriver = new PlacementDriver(ctx, this.directory, () => this.machineList.filter(live), () => [...this.serverOf.keys()].filter(live), (m) => !live(m), options, (e) => {
        if (e.kind === 'learner-added') this.learnersAdded++;
        if (e.kind === 'learner-removed') this.learnersRemoved++;
        ctx.emit({ t: 0, type: 'store.placement', kind: e.kind, shard: e.shard, machine: e.machine });
      });
      const observer = this.options.observer;
      if (observer?.malformed !== undefined) this.placementDriver.onMalformed = (kind, payload) => observer.malformed?.('pd', kind, payload);
      return this.placementDriver;
    });
  }

  private addServer(id: string): void {
    this.world.addMachine(id, (ctx) => {
      const server = new StoreServer(ctx, this.env);
      this.serverOf.set(id, server);
      return server;
    });
  }

  // ------------------------------------------------------------------ membership

  private announce(action: 'join' | 'leave' | 'replace', machine: string, replacement: string | null): void {
    this.world.emit({ t: this.world.nowUs, type: 'store.membership', action, machine, replacement });
  }

  /** A new machine joins the ring; the placement driver moves replicas onto it. */
  join(m: string): string {
    if (this.machineList.includes(m)) return `${m} is already a member`;
    if (this.retired.has(m)) return `${m} was replaced for good: it cannot join again`;
    if (!this.world.hasMachine(m)) this.addServer(m);
    this.machineList.push(m);
    this.directory.ring = this.directory.ring.join(m);
    this.directory.version++;
    this.announce('join', m, null);
    return `${m} joined; ring now ${this.machineList.length} machines`;
  }

  /** A graceful decommission: the machine leaves the ring and its replicas move away. */
  leave(m: string): string {
    if (!this.machineList.includes(m)) return `${m} cannot leave: not a member`;
    // Like a real decommission, a leave waits for somewhere to move the replicas to: shrinking
    // groups below the replication factor would let one more failure take a quorum away.
    const remaining = this.machineList.length - 1;
    if (remaining < Math.max(1, this.directory.ring.rf)) {
      return `${m} cannot leave: ${remaining} machines would remain for replication ${this.directory.ring.rf}`;
    }
    this.machineList.splice(this.machineList.indexOf(m), 1);
    this.directory.ring = this.directory.ring.leave(m);
    this.directory.version++;
    this.announce('leave', m, null);
    return `${m} decommissioned: its replicas move away`;
  }

  /** The machine fails for good; a fresh one takes its place in the ring. */
  replace(m: string): string {
    if (!this.machineList.includes(m)) return `${m} is not a member`;
    let n = this.machineList.length + this.retired.size + 1;
    while (this.world.hasMachine(`n${n}`)) n++;
    const fresh = `n${n}`;
    const place = this.options.places?.get(m);
    if (place !== undefined) this.options.places!.set(fresh, place);
    this.world.machine(m).retire();
    this.retired.add(m);
    this.machineList.splice(this.machineList.indexOf(m), 1, fresh);
    this.addServer(fresh);
    this.directory.ring = this.directory.ring.leave(m).join(fresh);
    // Read replicas on the failed machine go to its replacement (in its place), unless the new
    // ring makes the replacement a voter of that shard: left on the dead machine, the shard would
    // keep a learner that is gone for good, and the zone its nearest replica.
    for (const [shard, list] of this.directory.readReplicas) {
      if (!list.includes(m)) continue;
      const voter = this.directory.ring.replicasOf(shard).includes(fresh);
      this.directory.readReplicas.set(
        shard,
        list.flatMap((x) => (x !== m ? [x] : voter || list.includes(fresh) ? [] : [fresh])),
      );
    }
    this.directory.version++;
    this.announce('replace', m, fresh);
    return `${m} failed for good; ${fresh} takes its replicas`;
  }

  /** Server machines in the cluster now (none replaced for good). */
  servers(): string[] {
    return this.machineList.filter((m) => !this.retired.has(m));
  }

  isRetired(machine: string): boolean {
    return this.retired.has(machine);
  }

  // ------------------------------------------------------------------ white-box views

  /** The machine leading a shard with the highest term right now. */
  currentLeader(shard: number): string | undefined {
    let best: { machine: string; term: number } | undefined;
    for (const [machine, server] of this.serverOf) {
      if (this.world.machine(machine).state === 'crashed') continue;
      const info = server.groupInfo(shard);
      if (info !== undefined && info.role === 'leader' && (best === undefined || info.term > best.term)) best = { machine, term: info.term };
    }
    return best?.machine;
  }

  /** True while the machine is up and leads some shard. */
  leadsSomething(machine: string): boolean {
    const server = this.serverOf.get(machine);
    return server !== undefined && this.world.machine(machine).state !== 'crashed' && server.leaderGroups().length > 0;
  }

  /**
   * Ask a shard's leader to hand leadership over; `choose` picks the machine, given the leader
   * and the shard's other replicas (undefined: nobody to hand it to). Says what happened, and
   * when a leader was asked, who and whether it accepted.
   */
  transfer(shard: number, choose: (leader: string, others: string[]) => string | undefined): TransferOutcome {
    const leader = this.currentLeader(shard);
    if (leader === undefined) return { detail: `shard ${shard} has no leader to transfer from` };
    const target = choose(leader, this.directory.ring.replicasOf(shard).filter((m) => m !== leader));
    if (target === undefined || target === leader) return { detail: `shard ${shard}: no other replica to transfer leadership to` };
    const accepted = this.serverOf.get(leader)?.transferLeadership(shard, target) ?? false;
    return { detail: `shard ${shard} leadership ${leader} -> ${target}${accepted ? '' : ' (refused)'}`, asked: { leader, target, accepted } };
  }

  /** Every replica on an up machine, with its state machine's final state. */
  finalReplicas(): ReplicaFinal[] {
    const out: ReplicaFinal[] = [];
    for (const [machine, server] of this.serverOf) {
      if (this.world.machine(machine).state !== 'up') continue;
      for (const [shard, replica] of server.replicas) {
        const kv = replica.kv;
        out.push({ machine, shard, appliedIndex: kv.appliedIndex, appliedAt: (op) => kv.appliedAt(op), digest: kv.digest() });
      }
    }
    return out;
  }
}
