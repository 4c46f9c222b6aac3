// Time-bucketed statistics whose bucket width grows as the trace goes on. The run's length is
// unknown until the last event, so buckets start fine and merge pairwise whenever their
// number would pass the bound: memory stays fixed however long the trace is.

/** Bound on buckets per series; a chart is at most about 1000 px wide. */
export const BUCKETS_MAX = 1024;
const BUCKET_WIDTH_START_US = 10_000;

export interface BucketStats {
  count: number[];
  sum: number[];
  max: number[];
}

export class BucketSeries {
  widthUs = BUCKET_WIDTH_START_US;
  private readonly series = new Map<string, BucketStats>();

  private stats(name: string): BucketStats {
    let s = this.series.get(name);
    if (s === undefined) {
      s = { count: [], sum: [], max: [] };
      this.series.set(name, s);
    }
    return s;
  }

  /** Declares a series so it exists (all zero) even when nothing is added to it. */
  declare(name: string): void {
    this.stats(name);
  }

  add(tUs: number, name: string, value: number): void {
    while (Math.floor(tUs / this.widthUs) >= BUCKETS_MAX) this.coarsen();
    const i = Math.floor(tUs / this.widthUs);
    const s = this.stats(name);
    while (s.count.length <= i) {
      s.count.push(0);
      s.sum.push(0);
      s.max.push(0);
    }
    s.count[i]!++;
    s.sum[i]! += value;
    if (value > s.max[i]!) s.max[i] = value;
  }

  private coarsen(): void {
    this.widthUs *= 2;
    for (const s of this.series.values()) {
      const n = Math.ceil(s.count.length / 2);
      const merged: BucketStats = { count: [], sum: [], max: [] };
      for (let i = 0; i < n; i++) {
        const a = 2 * i;
        const b = a + 1;
        merged.count.push(s.count[a]! + (s.count[b] ?? 0));
        merged.sum.push(s.sum[a]! + (s.sum[b] ?? 0));
        merged.max.push(Math.max(s.max[a]!, s.max[b] ?? 0));
      }
      s.count = merged.count;
      s.sum = merged.sum;
      s.max = merged.max;
    }
  }

  names(): string[] {
    return [...this.series.keys()];
  }

  get(name: string): BucketStats {
    return this.stats(name);
  }

  /** Number of buckets needed to cover `endUs`. */
  bucketsTo(endUs: number): number {
    return Math.max(1, Math.ceil(endUs / this.widthUs));
  }
}
