// A world of machines that host Raft groups and nothing else (no store), with the invariant
// oracle listening to the tracer and an omniscient test client that proposes at whoever leads.
// The kernel-level Raft tests, their fault searches and `benchRaftGroup` drive the production
// RaftHost through it; it lives here, in the harness, so store/ never imports a checker.
import { RaftInvariantOracle } from '../check/raft-invariants.js';
import { confOf, defaultRaftConfig, type RaftConfig } from '../raft/config.js';
import type { ReadMode, ReadResult } from '../raft/replica.js';
import type { World } from '../sim/world.js';
import { RaftHost } from '../store/raft-host.js';


/**
 * A world of machines that host Raft groups and nothing else, with the safety oracle listening
 * to the tracer and an omniscient test client that proposes at whoever leads. Used by the
 * kernel-level Raft tests, fault searches and `benchRaftGroup`.
 */

export interface RaftGroupWorldOptions {
  readonly world: World;
  readonly machines: readonly string[];
  readonly groups?: readonly number[];
  readonly config?: Partial<RaftConfig>;
  readonly bugs?: readonly string[];
}

export class RaftGroupWorld {
  readonly world: World;
  readonly machines: readonly string[];
  readonly groups: readonly number[];
  readonly oracle = new RaftInvariantOracle();
  readonly hosts = new Map<string, RaftHost>();
  /** Normal entries applied, per machine and group, since the machine's last boot. */
  readonly applied = new Map<string, Map<number, string[]>>();
  readonly readResults: { machine: string; group: number; result: ReadResult }[] = [];
  elections = 0;
  committedNormal = 0;

  constructor(o: RaftGroupWorldOptions) {
    this.world = o.world;
    this.machines = o.machines;
    this.groups = o.groups ?? [1];
    const bugs = new Set(o.bugs ?? []);
    const config = (group: number, id: string) => defaultRaftConfig(group, id, { ...o.config, bugs });
    const bootstrap = confOf(o.machines);
    this.world.tracer.listen((e) => {
      this.oracle.observe(e);
      if (e.type === 'raft.elected') this.elections += 1;
    });
    for (const id of o.machines) {
      this.world.addMachine(id, (ctx) => {
        const perGroup = new Map<number, string[]>();
        this.applied.set(id, perGroup);
        const host = new RaftHost({
          ctx,
          groups: this.groups.map((group) => ({ group, bootstrap })),
          config,
          hooks: {
            onApply: (group, items) => {
              let list = perGroup.get(group);
              if (list === undefined) perGroup.set(group, (list = []));
              for (const it of items) {
                if (it.kind === 'snapshot') list.length = 0;
                else if (it.entry.kind === 'normal') list.push(it.entry.data);
              }
            },
            onRead: (group, result) => this.readResults.push({ machine: id, group, result }),
          },
        });
        this.hosts.set(id, host);
        return { onMessage: (from, payload) => void host.onMessage(from, payload) };
      });
    }
  }

  up(id: string): boolean {
    return this.world.machine(id).state !== 'crashed';
  }

  /** The up machine leading `group` in the highest term, if any. */
  leader(group = this.groups[0] as number): string | null {
    let best: { id: string; term: number } | null = null;
    for (const id of this.machines) {
      if (!this.up(id)) continue;
      const r = this.hosts.get(id)?.replica(group);
      if (r !== undefined && r.role === 'leader' && (best === null || r.currentTerm > best.term)) best = { id, term: r.currentTerm };
    }
    return best === null ? null : best.id;
  }

  /** Propose at the current leader; returns whether a leader accepted it. */
  propose(data: string, group = this.groups[0] as number): boolean {
    const l = this.leader(group);
    if (l === null || this.world.machine(l).state !== 'up') return false;
    return (this.hosts.get(l) as RaftHost).propose(group, data).ok;
  }

  read(requestId: string, mode: ReadMode, group = this.groups[0] as number): boolean {
    const l = this.leader(group);
    if (l === null || this.world.machine(l).state !== 'up') return false;
    (this.hosts.get(l) as RaftHost).read(group, requestId, mode);
    return true;
  }

  /** Schedule a proposal every `everyUs` (and a read every `readEveryUs`) until `untilUs`. */
  drive(everyUs: number, untilUs: number, readEveryUs = 0, readMode: ReadMode = 'index'): void {
    let n = 0;
    const loop = (): void => {
      if (this.world.nowUs > untilUs) return;
      for (const g of this.groups) this.propose(`w${n}`, g);
      if (readEveryUs > 0 && n % Math.max(1, Math.round(readEveryUs / everyUs)) === 0) {
        for (const g of this.groups) this.read(`q${n}`, readMode, g);
      }
      n += 1;
      this.world.after(everyUs, loop);
    };
    this.world.after(everyUs, loop);
  }

  /** Up machines that believe they lead `group`. */
  leaders(group = this.groups[0] as number): string[] {
    return this.machines.filter((id) => this.up(id) && this.hosts.get(id)?.replica(group)?.role === 'leader');
  }

  /** Highest commit index of `group` over the up machines. */
  maxCommit(group = this.groups[0] as number): number {
    let c = 0;
    for (const id of this.machines) {
      if (!this.up(id)) continue;
      c = Math.max(c, this.hosts.get(id)?.replica(group)?.commitIndex ?? 0);
    }
    return c;
  }
}

// ------------------------------------------------------------------ benchmark

export interface BenchRaftGroupOptions {
  /** Wall clock injected by the caller (src/ never reads one itself). */
  nowMs(): number;
  /** Simulated duration to run. */
  simUs?: number;
  /** One proposal per this many simulated µs. */
  proposeEveryUs?: number;
  seed?: number;
}

/** Committed entries per wall-clock second for a 5-replica group on the kernel (no faults). */
export function benchRaftGroup(
  world: (seed: number) => World,
  opts: BenchRaftGroupOptions,
): { committedPerSec: number; committed: number; wallMs: number; simUs: number } {
  const simUs = opts.simUs ?? 5_000_000;
  const g = new RaftGroupWorld({ world: world(opts.seed ?? 1), machines: ['n1', 'n2', 'n3', 'n4', 'n5'] });
  g.drive(opts.proposeEveryUs ?? 200, simUs);
  const start = opts.nowMs();
  g.world.run(simUs);
  const wallMs = Math.max(opts.nowMs() - start, 1e-3);
  const committed = g.maxCommit();
  return { committedPerSec: Math.round((committed / wallMs) * 1000), committed, wallMs, simUs };
}
