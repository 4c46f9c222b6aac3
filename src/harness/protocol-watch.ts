// Finds protocol events (scenario/protocol-events.ts) in a run's trace events, as they are
// emitted. It keeps just enough state to name each event's peer: the leader each replica
// follows (from its role events), each group's leader, and each replica's membership. Retried
// puts are not in the trace; the store client reports them (StoreEngine wires both together).
import type { TraceEvent } from '../trace/events.js';
import type { ProtocolEvent } from '../scenario/protocol-events.js';
import { machineOfReplica } from '../store/replica-id.js';

export class ProtocolWatch {
  /** The leader each replica follows, by `${group}/${replica}` (a replica id, or null). */
  private readonly following = new Map<string, string | null>();
  /** The replica leading each group, as it announced itself. */
  private readonly leaderOf = new Map<number, string>();
  /** Members (voters and learners) in force at each replica, by `${group}/${replica}`. */
  private readonly members = new Map<string, readonly string[]>();

  constructor(private readonly report: (e: ProtocolEvent) => void) {}

  observe(event: TraceEvent): void {
    switch (event.type) {
      case 'raft.role': {
        const key = `${event.group}/${event.replica}`;
        if (event.reason === 'timeout-now') {
          this.emit('transferReceived', event.replica, this.following.get(key) ?? null, event.group);
        }
        this.following.set(key, event.leader);
        if (event.role === 'leader') this.leaderOf.set(event.group, event.replica);
        else if (this.leaderOf.get(event.group) === event.replica) this.leaderOf.delete(event.group);
        return;
      }
      case 'raft.restart':
        this.members.set(`${event.group}/${event.replica}`, [...event.voters, ...event.learners]);
        this.following.delete(`${event.group}/${event.replica}`);
        if (this.leaderOf.get(event.group) === event.replica) this.leaderOf.delete(event.group);
        return;
      case 'raft.append':
        if (event.truncatedFrom !== null) this.emit('truncated', event.replica, this.leaderFollowed(event.group, event.replica), event.group);
        return;
      case 'raft.vote':
        if (!event.pre) this.emit('voteGranted', event.replica, event.candidate, event.group);
        return;
      case 'raft.snapshot':
        if (event.installed) this.emit('snapshotInstalled', event.replica, this.leaderFollowed(event.group, event.replica), event.group);
        return;
      case 'raft.transfer':
        if (event.phase === 'start') this.emit('transferStarted', event.replica, event.to, event.group);
        return;
      case 'raft.conf': {
        const key = `${event.group}/${event.replica}`;
        const now = [...event.voters, ...event.learners];
        const before = this.members.get(key) ?? [];
        this.members.set(key, now);
        // Every replica traces the change as it appends it; the leader's is the one that counts.
        if (this.leaderOf.get(event.group) !== event.replica) return;
        const changed = now.find((m) => !before.includes(m)) ?? before.find((m) => !now.includes(m)) ?? null;
        this.emit('confAppended', event.replica, changed, event.group);
        return;
      }
      case 'machine.restart':
        this.report({ name: 'restarted', machine: event.machine, peer: null, shard: null });
        return;
      case 'machine.crash':
        // A crashed machine leads nothing; its replicas announce their roles again on restart.
        for (const [group, leader] of this.leaderOf) if (machineOfReplica(leader) === event.machine) this.leaderOf.delete(group);
        return;
      default:
        return;
    }
  }

  private leaderFollowed(group: number, replica: string): string | null {
    return this.following.get(`${group}/${replica}`) ?? null;
  }

  private emit(name: ProtocolEvent['name'], replica: string, peer: string | null, group: number): void {
    const machine = machineOfReplica(replica);
    const peerMachine = peer === null ? null : machineOfReplica(peer);
    this.report({ name, machine, peer: peerMachine === machine ? null : peerMachine, shard: group });
  }
}
