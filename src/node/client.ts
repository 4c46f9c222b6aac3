// The store's client library (src/store/client.ts, unchanged) on a RealMachine that only dials:
// routing by the ring, leader hints, retries until the deadline, and the same outcomes as in
// simulation (ok / failed / indeterminate). Used by `kvsim kv`, each server's HTTP door, and the
// tests that record histories of a real cluster.
//
// Operation ids must be unique across every client of the cluster (the state machine
// de-duplicates retried puts by them), and clients are separate processes that share nothing:
// each session draws a random 46-bit base from the OS and numbers its operations from there.
import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OpRecord, ReadLevel } from '../history/op.js';
import { RealClock } from '../real/clock.js';
import { RealMachine } from '../real/context.js';
import { StoreClient, type ClientOptions, type CompletedOp } from '../store/client.js';
import type { ClientReply } from '../store/protocol.js';
import { clientOptionsOf, peersOf, ringOf, type ClusterFile } from './cluster-file.js';

export const LEVELS: readonly ReadLevel[] = ['linearizable', 'lease', 'follower', 'session', 'bounded'];

export interface KvResult {
  op: 'put' | 'get';
  key: string;
  /** The value written (put) or read (get; null: the key is missing). */
  value: string | null;
  level: ReadLevel | null;
  outcome: OpRecord['outcome'];
  /** The machine whose reply decided the outcome. */
  servedBy: string | null;
  /** Log index of the write, or the applied index the read was served at. */
  index: number | null;
  attempts: number;
  latencyMs: number;
  /** The operation as the checkers read it. */
  record: OpRecord;
}

export class ClientSession {
  private nextOp: number;
  private readonly clientNo: number;

  private constructor(
    readonly machine: RealMachine,
    private readonly client: StoreClient,
    private readonly clock: RealClock,
    private readonly tempDir: string | null,
  ) {
    this.nextOp = randomInt(1, 2 ** 46) * 64;
    this.clientNo = randomInt(1, 2 ** 31);
  }

  /**
   * A client machine `id` (unique in the cluster: servers answer it on the connection it
   * dialed). `dataDir` null: a temporary directory removed on close (a client keeps nothing).
   */
  static async open(
    cluster: ClusterFile,
    id: string,
    dataDir: string | null,
    log?: (line: string) => void,
    options: { clock?: RealClock; client?: Partial<ClientOptions> } = {},
  ): Promise<ClientSession> {
    const clock = options.clock ?? new RealClock();
    const tempDir = dataDir === null ? mkdtempSync(join(tmpdir(), 'kvsim-client-')) : null;
    let client: StoreClient | undefined;
    const machine = await RealMachine.start({
      id,
      seed: randomInt(0, 2 ** 31),
      boot: (ctx) => {
        client = new StoreClient(ctx, ringOf(cluster), { ...clientOptionsOf(cluster), ...options.client }, () => clock.trueUs());
        return { onMessage: (from, payload) => client!.onReply(from, payload as ClientReply) };
      },
      dataDir: dataDir ?? tempDir!,
      listen: null,
      peers: peersOf(cluster, null),
      tracePath: null,
      traceMessages: false,
      clock,
      ...(log !== undefined && { log }),
    });
    return new ClientSession(machine, client!, clock, tempDir);
  }

  put(key: string, value: string): Promise<KvResult> {
    return this.run({ op: 'put', key, value });
  }

  get(key: string, level: ReadLevel = 'linearizable'): Promise<KvResult> {
    return this.run({ op: 'get', key, level });
  }

  private run(spec: { op: 'put' | 'get'; key: string; value?: string; level?: ReadLevel }): Promise<KvResult> {
    const id = this.nextOp++;
    const started = this.clock.trueUs();
    return new Promise((resolve) => {
      this.machine.runProcess(() =>
        this.client.execute(id, this.clientNo, spec, (c: CompletedOp) => {
          const r = c.record;
          resolve({
            op: spec.op,
            key: spec.key,
            value: r.value ?? null,
            level: spec.level ?? null,
            outcome: r.outcome,
            servedBy: r.servedBy ?? null,
            index: r.index ?? null,
            attempts: c.attempts,
            latencyMs: Math.round((this.clock.trueUs() - started) / 100) / 10,
            record: r,
          });
        }),
      );
    });
  }

  async close(): Promise<void> {
    await this.machine.close();
    if (this.tempDir !== null) rmSync(this.tempDir, { recursive: true, force: true });
  }
}
