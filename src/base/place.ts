// Where a machine is: a zone inside a region (the scenario's `topology:`, src/scenario/topology.ts).
// Every layer that cares about geography speaks this one small vocabulary: the network picks a
// link's latency by the tier between two places, the ring spreads a shard's replicas over zones
// and regions, the client prefers a replica near itself.

export interface Place {
  readonly region: string;
  readonly zone: string;
}

/** How far apart two places are: 0 the same zone, 1 another zone of the region, 2 another region. */
export type Tier = 0 | 1 | 2;

export const TIER_NAMES = ['zone', 'region', 'global'] as const;

export function tierBetween(a: Place, b: Place): Tier {
  if (a.region !== b.region) return 2;
  return a.zone === b.zone ? 0 : 1;
}

/** Where each machine is; a machine that is not in it has no place (a run without a topology). */
export type Places = ReadonlyMap<string, Place>;

/** The tier between two machines: 0 when either has no place (everything is one zone). */
export function tierOf(places: Places | undefined, a: string, b: string): Tier {
  if (places === undefined) return 0;
  const pa = places.get(a);
  const pb = places.get(b);
  return pa === undefined || pb === undefined ? 0 : tierBetween(pa, pb);
}
