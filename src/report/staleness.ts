// How stale served reads were, per read level: counted once for the whole run (the Staleness
// section) and again per client region (the Geography section), by the same rule.

export interface LevelStaleness {
  reads: number;
  stale: number;
  /** versions behind → stale reads. */
  versionsBehind: Map<number, number>;
  /** Time since the oldest write the read missed was first applied, per stale read. */
  timeBehindUs: number[];
  /** P(fresh) by time since the latest write to the key was first applied. */
  visibility: { upToUs: number; reads: number; fresh: number }[];
}

export const VISIBILITY_EDGES_US = [1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000, Infinity];

/** How old the key's latest write was when a read was served, and how far a stale read lagged. */
export interface ReadAge {
  sinceUs: number;
  /** Since the oldest write the read missed was first applied; null for a fresh read. */
  timeBehindUs: number | null;
}

export function emptyLevelStaleness(): LevelStaleness {
  return { reads: 0, stale: 0, versionsBehind: new Map(), timeBehindUs: [], visibility: VISIBILITY_EDGES_US.map((upToUs) => ({ upToUs, reads: 0, fresh: 0 })) };
}

/** Counts one served read into a level's staleness figures. */
export function countRead(l: LevelStaleness, stale: boolean, behind: number, age: ReadAge | null): void {
  l.reads++;
  if (stale) {
    l.stale++;
    l.versionsBehind.set(behind, (l.versionsBehind.get(behind) ?? 0) + 1);
  }
  if (age === null) return;
  const bucket = l.visibility.find((b) => age.sinceUs < b.upToUs)!;
  bucket.reads++;
  if (!stale) bucket.fresh++;
  if (age.timeBehindUs !== null) l.timeBehindUs.push(age.timeBehindUs);
}

