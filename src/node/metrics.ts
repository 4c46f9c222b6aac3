// A real server's /metrics (Prometheus text format, prom-client): counted from the same typed
// trace events the simulator emits, plus the runtime's own counters read at scrape time.
// One registry per server (several servers can share a process in tests).
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { TraceEvent } from '../trace/events.js';
import type { RealMachine } from '../real/context.js';
import type { StoreServer } from '../store/server.js';

export class Metrics {
  private readonly registry = new Registry();
  private readonly readsServed: Counter<'level'>;
  private readonly readsBehind: Counter<'level'>;
  private readonly elections: Counter;
  private readonly applies: Counter;
  private readonly roleChanges: Counter<'role'>;
  private readonly opLatency: Histogram<'op' | 'outcome'>;
  private machine: RealMachine | null = null;
  private store: StoreServer | null = null;

  constructor(readonly id: string) {
    this.registry.setDefaultLabels({ server: id });
    const registers = [this.registry];
    this.readsServed = new Counter({ name: 'kvsim_reads_served_total', help: 'Reads this server answered, by level', labelNames: ['level'], registers });
    this.readsBehind = new Counter({
      name: 'kvsim_reads_served_behind_total',
      help: 'Reads answered while this replica had applied less than it knew to be committed (possibly stale)',
      labelNames: ['level'],
      registers,
    });
    this.elections = new Counter({ name: 'kvsim_elections_won_total', help: 'Elections this server won (any shard)', registers });
    this.applies = new Counter({ name: 'kvsim_writes_applied_total', help: 'Writes applied to this server\'s state machines', registers });
    this.roleChanges = new Counter({ name: 'kvsim_role_changes_total', help: 'Raft role changes, by new role', labelNames: ['role'], registers });
    this.opLatency = new Histogram({
      name: 'kvsim_http_op_seconds',
      help: 'Latency of operations through this server\'s HTTP door',
      labelNames: ['op', 'outcome'],
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2],
      registers,
    });
    const self = this;
    new Gauge({
      name: 'kvsim_shards_led',
      help: 'Shards this server leads now',
      registers,
      collect() {
        this.set(self.store?.leaderGroups().length ?? 0);
      },
    });
    new Gauge({
      name: 'kvsim_shards_hosted',
      help: 'Shard replicas on this server',
      registers,
      collect() {
        this.set(self.store?.replicas.size ?? 0);
      },
    });
    const disk = (name: string, help: string, read: (m: RealMachine) => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          if (self.machine !== null) this.set(read(self.machine));
        },
      });
    disk('kvsim_disk_fsyncs', 'fsync calls of the write-ahead log (counter)', (m) => m.disk.stats.fsyncs);
    disk('kvsim_disk_writes_durable', 'write batches made durable (counter)', (m) => m.disk.stats.writesDurable);
    disk('kvsim_disk_group_writes_max', 'most write batches that shared one fsync', (m) => m.disk.stats.groupWritesMax);
    disk('kvsim_disk_fsync_seconds_total', 'time spent in fsync of the log (counter)', (m) => m.disk.stats.fsyncUsTotal / 1e6);
    disk('kvsim_disk_bytes_written', 'bytes appended to the log (counter)', (m) => m.disk.stats.bytesWritten);
    disk('kvsim_net_frames_sent', 'frames sent to peers and clients (counter)', (m) => m.transport.counters.framesSent);
    disk('kvsim_net_frames_received', 'frames received (counter)', (m) => m.transport.counters.framesReceived);
    disk('kvsim_net_frames_dropped', 'messages dropped: full queue, filter, no route, too large (counter)', (m) => {
      const c = m.transport.counters;
      return c.droppedFilterSend + c.droppedFilterReceive + c.droppedQueueFull + c.droppedTooLarge + c.droppedNoRoute + c.droppedMisaddressed;
    });
    disk('kvsim_net_bad_connections', 'connections closed for what they sent: garbage, over-long frames (counter)', (m) => m.transport.counters.badConnections);
    disk('kvsim_net_reconnects', 'reconnections to peers (counter)', (m) => m.transport.counters.reconnects);
  }

  attach(machine: RealMachine, store: StoreServer): void {
    this.machine = machine;
    this.store = store;
  }

  observe(event: TraceEvent): void {
    switch (event.type) {
      case 'store.read':
        this.readsServed.inc({ level: event.level });
        if (event.behind > 0 || event.stale) this.readsBehind.inc({ level: event.level });
        return;
      case 'store.apply':
        this.applies.inc();
        return;
      case 'raft.elected':
        this.elections.inc();
        return;
      case 'raft.role':
        this.roleChanges.inc({ role: event.role });
        return;
      default:
        return;
    }
  }

  /** An operation through the HTTP door. */
  op(op: 'put' | 'get', outcome: string, seconds: number): void {
    this.opLatency.observe({ op, outcome }, seconds);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
