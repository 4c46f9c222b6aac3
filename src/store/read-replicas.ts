// Read replicas by zone: with a topology, a shard whose voters leave some zone without a copy
// gets one non-voting replica (a Raft learner) in each such zone, so follower-level reads can
// stay in the client's zone — what Spanner's read-only replicas and CockroachDB's non-voting
// replicas are for. They are founding members of the group (learners in its first
// configuration), never vote and never lead, and count toward no quorum: RF stays the number
// of voters. The machine chosen in a zone is the first of that zone met walking the machines'
// ring clockwise from the shard's point, the same walk that picks the voters.
import type { Place } from '../base/place.js';
import { shardPoint, type Ring } from './ring.js';

/** Per shard, its read replicas (machines in zones none of its voters is in); empty lists omitted. */
export function zoneReadReplicas(ring: Ring, places: ReadonlyMap<string, Place>): Map<number, string[]> {
  const out = new Map<number, string[]>();
  const zones: string[] = [];
  for (const m of ring.machines) {
    const zone = places.get(m)?.zone;
    if (zone !== undefined && !zones.includes(zone)) zones.push(zone);
  }
  const tokens = ring.tokens;
  if (tokens.length === 0) return out;
  for (let shard = 0; shard < ring.shards; shard++) {
    const voters = ring.replicasOf(shard);
    const covered = new Set(voters.map((m) => places.get(m)?.zone));
    const missing = zones.filter((z) => !covered.has(z));
    if (missing.length === 0) continue;
    const point = shardPoint(shard, ring.shards);
    let t = tokens.findIndex((tok) => tok.position >= point);
    if (t < 0) t = 0;
    const chosen: string[] = [];
    const filled = new Set<string>();
    // Bound: one lap of the ring.
    for (let k = 0; k < tokens.length && filled.size < missing.length; k++) {
      const m = tokens[(t + k) % tokens.length]!.machine;
      const zone = places.get(m)?.zone;
      if (zone === undefined || filled.has(zone) || !missing.includes(zone)) continue;
      filled.add(zone);
      chosen.push(m);
    }
    out.set(shard, chosen);
  }
  return out;
}
