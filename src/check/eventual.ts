// Eventual consistency of reads below `linearizable`, and staleness measurement.
//
// Inputs are a finished history and, white-box, the final committed writes (value → key,
// shard, log index) read from the replicas' committed logs. Rules for every ok read:
//   - it returns a value some put wrote (or the initial "missing"),
//   - whose put was invoked before the read completed (no values from the future),
//   - whose put did not definitely fail,
//   - which is committed (in the final committed log);
//   - session reads: read-your-writes and monotonic reads per logical client and key;
//   - bounded reads: never older than a write acknowledged more than the bound before the read.
// Staleness of a read: writes to its key acknowledged before the read was invoked and newer
// than the version it returned ("versions behind"), and how long the value had been superseded
// ("time behind"). The visibility curve is P(read is fresh) by time since the latest such write.
import { assertHistoryWellFormed, type OpRecord } from '../history/op.js';

export interface CommittedWrite {
  key: string;
  shard: number;
  index: number;
}

export interface EventualInput {
  history: readonly OpRecord[];
  /** value → where it was committed (values are unique per write). */
  committed: ReadonlyMap<string, CommittedWrite>;
  boundedStalenessUs: number;
}

export type EventualViolationKind =
  | 'never-written'
  | 'from-the-future'
  | 'failed-write'
  | 'uncommitted'
  | 'read-your-writes'
  | 'monotonic-reads'
  | 'bounded-staleness';

export interface EventualViolation {
  kind: EventualViolationKind;
  op: number;
  client: number;
  key: string;
  message: string;
}

export interface Percentiles {
  p50: number;
  p99: number;
  max: number;
}

export interface StalenessReport {
  reads: number;
  stale: number;
  versionsBehind: Percentiles;
  timeBehindUs: Percentiles;
  byLevel: Record<string, { reads: number; stale: number }>;
  /** P(read is fresh) against time since the latest acknowledged write to its key. */
  visibility: { upToUs: number; reads: number; fresh: number }[];
}

export interface EventualResult {
  ok: boolean;
  violations: EventualViolation[];
  staleness: StalenessReport;
  /** Per read op id: versions behind (only stale reads are listed). */
  staleOps: Map<number, number>;
  /** Per stale read op id: how long before the read the first write it missed was acknowledged. */
  staleTimeUs: Map<number, number>;
}

/** Bound on violations kept in a result (the count is still exact). */
const VIOLATIONS_KEPT_MAX = 20;

/** The last visibility bucket has no upper bound; a finite stand-in keeps it JSON (and hash) safe. */
export const VISIBILITY_UNBOUNDED_US = Number.MAX_SAFE_INTEGER;
const VISIBILITY_BUCKETS_US = [1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000, VISIBILITY_UNBOUNDED_US];

interface AckedWrite {
  completeUs: number;
  index: number;
}

export function percentiles(values: number[]): Percentiles {
  if (values.length === 0) return { p50: 0, p99: 0, max: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1]! };
}

export function checkEventual(input: EventualInput): EventualResult {
  const { history, committed } = input;
  assertHistoryWellFormed(history);
  const putsByValue = new Map<string, OpRecord>();
  const acked = new Map<string, AckedWrite[]>();
  for (const op of history) {
    if (op.op !== 'put' || typeof op.value !== 'string') continue;
    putsByValue.set(op.value, op);
    if (op.outcome === 'ok' && op.completeUs !== null) {
      const index = op.index ?? committed.get(op.value)?.index;
      if (index === undefined) continue;
      let list = acked.get(op.key);
      if (list === undefined) acked.set(op.key, (list = []));
      list.push({ completeUs: op.completeUs, index });
    }
  }
  for (const list of acked.values()) list.sort((a, b) => a.completeUs - b.completeUs || a.index - b.index);

  const violations: EventualViolation[] = [];
  let violationCount = 0;
  const violate = (kind: EventualViolationKind, op: OpRecord, message: string) => {
    violationCount++;
    if (violations.length < VIOLATIONS_KEPT_MAX) violations.push({ kind, op: op.id, client: op.client, key: op.key, message });
  };

  const versionsBehind: number[] = [];
  const timeBehind: number[] = [];
  const byLevel: Record<string, { reads: number; stale: number }> = {};
  const visibility = VISIBILITY_BUCKETS_US.map((upToUs) => ({ upToUs, reads: 0, fresh: 0 }));
  const staleOps = new Map<number, number>();
  const staleTimeUs = new Map<number, number>();
  let reads = 0;
  let stale = 0;
  // Session state: highest version seen per (logical client, key).
  const seen = new Map<string, number>();
  const ordered = [...history].sort((a, b) => a.invokeUs - b.invokeUs || a.id - b.id);

  for (const op of ordered) {
    const sessionKey = `${op.client}/${op.key}`;
    if (op.op === 'put') {
      if (op.outcome === 'ok' && op.index !== undefined) seen.set(sessionKey, Math.max(seen.get(sessionKey) ?? 0, op.index));
      continue;
    }
    if (op.op !== 'get' || op.outcome !== 'ok' || op.completeUs === null) continue;
    const level = op.level ?? 'linearizable';
    let version = 0;
    if (op.value !== null && op.value !== undefined) {
      const put = putsByValue.get(op.value);
      const where = committed.get(op.value);
      if (put === undefined) {
        violate('never-written', op, `read of ${op.key} returned "${op.value}", which no put wrote`);
        continue;
      }
      if (put.invokeUs > op.completeUs) {
        violate('from-the-future', op, `read of ${op.key} returned "${op.value}", written by op ${put.id} invoked after the read completed`);
        continue;
      }
      if (put.outcome === 'failed') {
        violate('failed-write', op, `read of ${op.key} returned "${op.value}" from op ${put.id}, which definitely failed`);
        continue;
      }
      if (where === undefined) {
        if (level !== 'linearizable' && level !== 'lease') {
          violate('uncommitted', op, `read of ${op.key} returned "${op.value}" (op ${put.id}), which is not in the final committed log`);
        }
        continue;
      }
      version = where.index;
    }
    // Staleness against writes acknowledged before this read was invoked.
    const list = acked.get(op.key) ?? [];
    let behind = 0;
    let firstNewerUs = Infinity;
    let latestIndex = 0;
    let latestUs = -1;
    for (const w of list) {
      if (w.completeUs >= op.invokeUs) break;
      if (w.index > latestIndex) {
        latestIndex = w.index;
        latestUs = w.completeUs;
      }
      if (w.index > version) {
        behind++;
        if (w.completeUs < firstNewerUs) firstNewerUs = w.completeUs;
      }
    }
    reads++;
    const lv = (byLevel[level] ??= { reads: 0, stale: 0 });
    lv.reads++;
    if (behind > 0) {
      stale++;
      lv.stale++;
      versionsBehind.push(behind);
      timeBehind.push(op.invokeUs - firstNewerUs);
      staleOps.set(op.id, behind);
      staleTimeUs.set(op.id, op.invokeUs - firstNewerUs);
    }
    if (latestUs >= 0) {
      const since = op.invokeUs - latestUs;
      const bucket = visibility.find((b) => since < b.upToUs)!;
      bucket.reads++;
      if (version >= latestIndex) bucket.fresh++;
    }
    if (level === 'session') {
      const mine = seen.get(sessionKey) ?? 0;
      if (version < mine) {
        const kind = ownWriteAtLeast(history, op, mine) ? 'read-your-writes' : 'monotonic-reads';
        violate(kind, op, `session read of ${op.key} by client ${op.client} returned version ${version}, older than version ${mine} it had already seen`);
      }
    }
    if (level === 'bounded') {
      const boundUs = op.boundUs ?? input.boundedStalenessUs;
      const horizonUs = op.invokeUs - boundUs;
      const mustSee = list.filter((w) => w.completeUs < horizonUs).reduce((m, w) => Math.max(m, w.index), 0);
      if (version < mustSee) {
        violate('bounded-staleness', op, `bounded read of ${op.key} returned version ${version}, older than version ${mustSee} acknowledged more than ${boundUs}us before it`);
      }
    }
    seen.set(sessionKey, Math.max(seen.get(sessionKey) ?? 0, version));
  }

  return {
    ok: violationCount === 0,
    violations,
    staleness: {
      reads,
      stale,
      versionsBehind: percentiles(versionsBehind),
      timeBehindUs: percentiles(timeBehind),
      byLevel,
      visibility: visibility.filter((b) => b.reads > 0),
    },
    staleOps,
    staleTimeUs,
  };
}

function ownWriteAtLeast(history: readonly OpRecord[], read: OpRecord, index: number): boolean {
  return history.some((o) => o.op === 'put' && o.client === read.client && o.key === read.key && o.index !== undefined && o.index >= index && o.invokeUs < read.invokeUs);
}

export interface ConvergenceInput {
  /** Per shard: each replica's state digest after the settle period. */
  shards: { shard: number; replicas: { machine: string; digest: string; appliedIndex: number }[]; expected: string }[];
}

export interface ConvergenceResult {
  ok: boolean;
  diverged: { shard: number; machine: string; appliedIndex: number }[];
}

/** After faults heal and writes stop, every replica of a shard must hold the committed state. */
export function checkConvergence(input: ConvergenceInput): ConvergenceResult {
  const diverged: ConvergenceResult['diverged'] = [];
  for (const s of input.shards) {
    for (const r of s.replicas) if (r.digest !== s.expected) diverged.push({ shard: s.shard, machine: r.machine, appliedIndex: r.appliedIndex });
  }
  return { ok: diverged.length === 0, diverged };
}
