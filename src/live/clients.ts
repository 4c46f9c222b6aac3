// The load of a real run: the scenario's workload, from the same modules a simulated run uses
// (WorkloadDriver for arrivals, keys and levels; StoreClient for routing, retries and outcomes),
// on client machines c1..cN that live in the driver process (RealMachine with no listener: they
// dial the servers over TCP as any client does) and share the driver's clock, so the history's
// invoke/complete times are true µs since the run started, monotonic.
//
// After the load, liveness probes (one machine `probe`, the same probe client settings and key
// choice as the simulator's store engine) write and then linearizably read one key per shard,
// retrying until each succeeds or the settle period ends.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LivenessProbe } from '../check/liveness.js';
import type { OpRecord } from '../history/op.js';
import type { RealClock } from '../real/clock.js';
import { RealMachine } from '../real/context.js';
import type { PeerAddress } from '../real/transport.js';
import { StoreClient, type ClientOptions } from '../store/client.js';
import { SessionRouter } from '../node/client.js';
import { currentRingOf, runningServersOf, type ClusterFile } from '../node/cluster-file.js';
import { keyDistribution } from '../workload/keys.js';
import { WorkloadDriver, type WorkloadShared } from '../workload/driver.js';
import { PROBE_CLIENT, PROBE_CLIENT_BASE, PROBE_RETRY_DELAY_US, probeKeyInShard, type StoreSettings } from '../harness/store-engine.js';

interface ClientMachine {
  machine: RealMachine;
  client: StoreClient;
}

export class LiveClients {
  readonly history: OpRecord[] = [];
  readonly shared: WorkloadShared = { rateFactor: 1, hotKey: null, nextOpId: 1, shed: 0 };
  readonly machines: RealMachine[] = [];
  private probe: ClientMachine | undefined;
  /** Routes by the cluster's current ring; a membership change swaps it (updateCluster). */
  private readonly router: SessionRouter;
  started = 0;
  completed = 0;
  private readonly tempDir: string;

  constructor(
    private readonly settings: StoreSettings,
    private readonly clock: RealClock,
    private readonly peers: Readonly<Record<string, PeerAddress>>,
    private readonly seed: number,
    private readonly traceDir: string,
    private readonly onCompleted: () => void,
  ) {
    this.tempDir = mkdtempSync(join(tmpdir(), 'kvsim-live-clients-'));
    this.router = new SessionRouter(settings.ring, null);
  }

  /** After a join or leave: the new ring, and addresses for servers that joined. */
  updateCluster(cluster: ClusterFile): void {
    this.router.ring = currentRingOf(cluster);
    const running = new Set<string>();
    for (const s of runningServersOf(cluster)) {
      running.add(s.id);
      for (const m of this.machines) m.transport.setPeer(s.id, { host: s.host, port: s.port });
    }
    for (const s of cluster.servers) if (!running.has(s.id)) for (const m of this.machines) m.transport.removePeer(s.id);
  }

  private async machine(id: string, options: ClientOptions): Promise<ClientMachine> {
    let client: StoreClient | undefined;
    const machine = await RealMachine.start({
      id,
      seed: this.seed,
      boot: (ctx) => {
        client = new StoreClient(ctx, this.router, options, () => this.clock.trueUs());
        return { onMessage: (from, payload) => client!.onReply(from, payload) };
      },
      dataDir: join(this.tempDir, id),
      listen: null,
      peers: this.peers,
      tracePath: join(this.traceDir, `${id}.trace.jsonl`),
      clock: this.clock,
      log: () => {},
    });
    this.machines.push(machine);
    return { machine, client: client! };
  }

  /** Starts every client machine and its workload driver (load begins at the workload's start). */
  async start(): Promise<void> {
    const s = this.settings;
    const dist = keyDistribution(s.keys);
    for (const [index, id] of s.clients.entries()) {
      const { machine, client } = await this.machine(id, s.client);
      const ctx = machine.ctx;
      const driver = new WorkloadDriver(index, s.workload, dist, this.shared, ctx.rng('workload'), {
        trueNowUs: () => this.clock.trueUs(),
        setTimer: (delayUs, fn) => void ctx.setTimer(delayUs, fn),
        execute: (opId, logicalClient, intent, done) => {
          this.started++;
          client.execute(opId, logicalClient, intent, (c) => {
            this.history.push(c.record);
            this.completed++;
            this.onCompleted();
            done();
          });
        },
      });
      machine.runProcess(() => driver.start());
    }
    this.probe = await this.machine('probe', { ...s.client, ...PROBE_CLIENT, timeoutUs: s.settleUs });
  }

  get pending(): number {
    return this.started - this.completed;
  }

  /** Per shard, a put then a linearizable get, each retried until it succeeds or `endUs`. */
  runProbes(endUs: number): Promise<LivenessProbe[]> {
    const probe = this.probe;
    const ring = this.settings.ring;
    if (probe === undefined) return Promise.resolve([]);
    const all: Promise<LivenessProbe>[] = [];
    for (let shard = 0; shard < ring.shards; shard++) {
      const key = probeKeyInShard(ring, shard);
      const result: LivenessProbe = { shard, writeOkUs: null, readOkUs: null };
      if (key === undefined) {
        all.push(Promise.resolve(result));
        continue;
      }
      const logical = PROBE_CLIENT_BASE + shard;
      let attempt = 0;
      const once = (spec: { op: 'put'; key: string; value: string } | { op: 'get'; key: string; level: 'linearizable' }) =>
        new Promise<boolean>((resolve) => {
          probe.machine.runProcess(() =>
            probe.client.execute(this.shared.nextOpId++, logical, spec, (r) => {
              this.history.push(r.record);
              resolve(r.record.outcome === 'ok');
            }),
          );
        });
      const pause = () => new Promise((r) => setTimeout(r, PROBE_RETRY_DELAY_US / 1000));
      all.push(
        (async () => {
          while (this.clock.trueUs() < endUs) {
            if (await once({ op: 'put', key, value: `probe#${shard}#${attempt++}` })) {
              result.writeOkUs = this.clock.trueUs();
              break;
            }
            await pause();
          }
          while (result.writeOkUs !== null && this.clock.trueUs() < endUs) {
            if (await once({ op: 'get', key, level: 'linearizable' })) {
              result.readOkUs = this.clock.trueUs();
              break;
            }
            await pause();
          }
          return result;
        })(),
      );
    }
    return Promise.all(all);
  }

  async close(): Promise<void> {
    await Promise.all(this.machines.map((m) => m.close()));
    rmSync(this.tempDir, { recursive: true, force: true });
  }
}
