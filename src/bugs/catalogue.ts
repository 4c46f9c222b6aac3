// The planted-bug catalogue: every deliberately wrong behaviour kvsim can switch on, what rule
// it breaks, which check is expected to catch it, and where in the code it lives (grep the
// name there). `--bug NAME` on run, sweep, shrink, replay and hunt switches one on; honest runs
// use none. A testbed earns trust by catching these on purpose.
import { RAFT_BUGS, type RaftBugName } from '../raft/bugs.js';
import type { StoreBugName } from '../store/bugs.js';
import { BUG_RING_BOUNDARY_OFF_BY_ONE } from '../store/ring.js';

/** Every planted bug's name: Raft's and the store's. */
export type BugName = RaftBugName | StoreBugName;

export interface PlantedBug {
  readonly name: BugName;
  readonly layer: 'raft' | 'store' | 'ring';
  readonly description: string;
  readonly rule: string;
  readonly caughtBy: string;
  /** File (and function) holding the bug's code point. */
  readonly codePoint: string;
}

const STORE_BUGS: readonly PlantedBug[] = [
  {
    name: 'session-token-ignored',
    layer: 'store',
    description: 'A replica serves a session read at once, without waiting to apply the index the client has already seen, so a client can miss its own write or see time go backwards.',
    rule: 'session guarantees: read-your-writes and monotonic reads',
    caughtBy: 'eventual (read-your-writes / monotonic-reads)',
    codePoint: 'src/store/server.ts StoreServer.onRequest (session)',
  },
  {
    name: 'stale-route-no-redirect',
    layer: 'store',
    description: 'A server that is no longer (or never was) the leader accepts a put instead of redirecting: it writes its local state and acknowledges a write that was never committed.',
    rule: 'writes go through the leader and commit on a majority (§5.3)',
    caughtBy: 'durability (an acknowledged put is not in the committed log) and linearizable',
    codePoint: 'src/store/server.ts StoreServer.onPut',
  },
  {
    name: 'bounded-ignores-bound',
    layer: 'store',
    description: 'A replica answers bounded-staleness reads without checking how long ago it was confirmed fresh by its leader.',
    rule: 'bounded staleness: never staler than the bound',
    caughtBy: 'eventual (bounded-staleness)',
    codePoint: 'src/store/server.ts StoreServer.onRequest (bounded)',
  },
  {
    name: BUG_RING_BOUNDARY_OFF_BY_ONE,
    layer: 'ring',
    description: 'A key that lands exactly on a shard boundary is routed to the neighbouring shard, so its writes live in a group that does not own it.',
    rule: 'consistent hashing: shard i owns [boundary(i), boundary(i+1))',
    caughtBy: 'durability (white-box: an acknowledged put stored in a shard that does not own its key); needs cluster.keyRingBits small enough that keys hit boundaries',
    codePoint: 'src/store/ring.ts Ring.shardOfPosition',
  },
];

export const BUGS: readonly PlantedBug[] = [
  ...RAFT_BUGS.map((b): PlantedBug => ({ ...b, layer: 'raft', codePoint: 'src/raft/replica.ts (grep the name)' })),
  ...STORE_BUGS,
];

export function bugNamed(name: string): PlantedBug | undefined {
  return BUGS.find((b) => b.name === name);
}

/** The names that are not planted bugs (empty when all are known). */
export function unknownBugs(names: readonly string[]): string[] {
  return names.filter((n) => bugNamed(n) === undefined);
}
