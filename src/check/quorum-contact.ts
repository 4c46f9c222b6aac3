// CheckQuorum, checked from outside (thesis §6.2): a leader that hears from no majority of its
// voters steps down within about two election timeouts of its own ticks, so that clients stuck
// behind a partition go elsewhere instead of timing out until the heal. Raft's safety does not
// depend on it — leases and ReadIndex count acknowledgements, not this — so a leader that never
// steps down passes every other check; this one sees it.
//
// The watch reads trace events only: who delivered Raft traffic to whom (machine to machine, any
// group: conservative — traffic of another group counts as contact, so it can only miss a stuck
// leader, never invent one), and each machine's running time (crashes, pauses and clock drift:
// ticks follow the local clock, so time while paused does not count and a slow clock counts
// slower). The engine hands it, at moments between two handlers, the leaders it sees and their
// voters; the watch says whether one of them has had no quorum contact for longer than
// `boundFactor` election timeouts of its machine's running time, counted from its last contact
// with a majority, or from when it was first seen leading that membership if later.

export interface QuorumContactLeader {
  group: number;
  machine: string;
  term: number;
  /** Machines of the leader's voters (its own included). */
  voters: readonly string[];
  electionTimeoutUs: number;
}

export interface QuorumContactViolation {
  group: number;
  machine: string;
  term: number;
  atUs: number;
  /** Running time of the leader's machine since it last had contact with a quorum (or was elected). */
  silentUs: number;
  boundUs: number;
}

interface MachineClock {
  /** Running time (local-clock microseconds while up and not paused) up to `atUs`. */
  runUs: number;
  atUs: number;
  running: boolean;
  /** Local clock rate, 1 + drift. */
  rate: number;
}

/** Two election timeouts is the rule; the third absorbs tick phase and message processing. */
export const QUORUM_CONTACT_BOUND_FACTOR = 3;

export class QuorumContactWatch {
  private readonly clocks = new Map<string, MachineClock>();
  /** to → from → the receiver's running time at the last Raft delivery. */
  private readonly heard = new Map<string, Map<string, number>>();
  /** group/term/machine/voters → running time of the machine when it was first seen leading them. */
  private readonly since = new Map<string, number>();
  private found: QuorumContactViolation | null = null;

  constructor(private readonly boundFactor = QUORUM_CONTACT_BOUND_FACTOR) {}

  get violation(): QuorumContactViolation | null {
    return this.found;
  }

  private clock(machine: string, nowUs: number): MachineClock {
    let c = this.clocks.get(machine);
    if (c === undefined) this.clocks.set(machine, (c = { runUs: 0, atUs: nowUs, running: true, rate: 1 }));
    if (c.running) c.runUs += (nowUs - c.atUs) * c.rate;
    c.atUs = nowUs;
    return c;
  }

  /** A machine's running time now. */
  runUs(machine: string, nowUs: number): number {
    return this.clock(machine, nowUs).runUs;
  }

  machineStopped(machine: string, nowUs: number): void {
    this.clock(machine, nowUs).running = false;
  }

  machineRunning(machine: string, nowUs: number): void {
    this.clock(machine, nowUs).running = true;
  }

  machineCrashed(machine: string, nowUs: number): void {
    this.machineStopped(machine, nowUs);
    this.heard.delete(machine);
  }

  clockRate(machine: string, nowUs: number, driftPpm: number): void {
    this.clock(machine, nowUs).rate = (1_000_000 + driftPpm) / 1_000_000;
  }

  delivered(from: string, to: string, nowUs: number): void {
    let byFrom = this.heard.get(to);
    if (byFrom === undefined) this.heard.set(to, (byFrom = new Map()));
    byFrom.set(from, this.runUs(to, nowUs));
  }

  /** Judge the leaders seen now; the first violation sticks. */
  judge(nowUs: number, leaders: readonly QuorumContactLeader[]): void {
    if (this.found !== null) return;
    for (const l of leaders) {
      const now = this.runUs(l.machine, nowUs);
      // A new membership starts a new count: under the old one the leader may have had its
      // quorum, and it judges the new one only from its next check on.
      const key = `${l.group}/${l.term}/${l.machine}/${l.voters.join(',')}`;
      let since = this.since.get(key);
      if (since === undefined) this.since.set(key, (since = now));
      const quorum = Math.floor(l.voters.length / 2) + 1;
      const others = l.voters.filter((m) => m !== l.machine);
      const needed = quorum - (others.length < l.voters.length ? 1 : 0);
      if (needed <= 0) continue;
      const heard = this.heard.get(l.machine);
      const times = others.map((m) => heard?.get(m) ?? -Infinity).sort((a, b) => b - a);
      const contact = Math.max(since, times[needed - 1] ?? -Infinity);
      const boundUs = this.boundFactor * l.electionTimeoutUs;
      if (now - contact > boundUs) {
        this.found = { group: l.group, machine: l.machine, term: l.term, atUs: nowUs, silentUs: Math.round(now - contact), boundUs };
        return;
      }
    }
  }
}
