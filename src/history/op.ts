// The client operation record: what a store client saw of one request. Clients of the
// simulated store append these; the checkers read them; the JSONL format stores them one a line.
import { assert } from '../base/assert.js';

export type OpKind = 'put' | 'get' | 'append' | 'cas';
export type ReadLevel = 'linearizable' | 'lease' | 'follower' | 'session' | 'bounded';
export type OpOutcome = 'ok' | 'failed' | 'indeterminate';

export interface OpRecord {
  /** Unique within a history. */
  id: number;
  /** The client (process) that issued it; one client has at most one operation pending. */
  client: number;
  op: OpKind;
  key: string;
  /** Written value (put, append, cas `to`), or the value a get returned; absent or null = key missing. */
  value?: string | null;
  /** cas only: the value compared against (`from`); absent or null = key missing. */
  expect?: string | null;
  /** gets only: the consistency level the read asked for. */
  level?: ReadLevel;
  /** bounded gets only: the staleness bound the read asked for (absent: the run's bound). */
  boundUs?: number;
  invokeUs: number;
  /** null: the client never saw a reply. */
  completeUs: number | null;
  /**
   * ok: took effect once, inside [invokeUs, completeUs], with the recorded result.
   * failed: put/append/get definitely not applied; for cas, the comparison failed.
   * indeterminate: may have taken effect at any time after invokeUs, or never.
   */
  outcome: OpOutcome;
  servedBy?: string;
  /** Log index of the write, or the applied index a read was served at. */
  index?: number;
  shard?: number;
}

/**
 * The shape every checker relies on, asserted where a history is handed to one (parsers have
 * already turned a malformed file into a located user error; so a record breaking this is a
 * bug in whatever built the history): ids unique, completion at or after invocation, an ok
 * operation completed.
 */
export function assertHistoryWellFormed(records: readonly OpRecord[]): void {
  const ids = new Set<number>();
  for (const r of records) {
    assert(!ids.has(r.id), () => `history: operation id ${r.id} appears twice`);
    ids.add(r.id);
    assert(r.completeUs === null || r.completeUs >= r.invokeUs, () => `history: op ${r.id} completes (${r.completeUs}us) before it is invoked (${r.invokeUs}us)`);
    assert(r.outcome !== 'ok' || r.completeUs !== null, () => `history: op ${r.id} is ok but has no completion time`);
  }
}

const OP_KINDS: readonly string[] = ['put', 'get', 'append', 'cas'];
const LEVELS: readonly string[] = ['linearizable', 'lease', 'follower', 'session', 'bounded'];
const OUTCOMES: readonly string[] = ['ok', 'failed', 'indeterminate'];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isTime(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/**
 * Validates one decoded JSON value as an OpRecord. Returns the record, or a message saying
 * what was expected (the caller adds file and line).
 */
export function validateOpRecord(v: unknown): OpRecord | string {
  if (!isObject(v)) return 'expected a JSON object (an operation record)';
  const id = v['id'];
  if (typeof id !== 'number' || !Number.isSafeInteger(id)) return 'id: expected an integer';
  const client = v['client'];
  if (typeof client !== 'number' || !Number.isSafeInteger(client)) return 'client: expected an integer';
  const op = v['op'];
  if (typeof op !== 'string' || !OP_KINDS.includes(op)) return 'op: expected one of put, get, append, cas';
  const key = v['key'];
  if (typeof key !== 'string') return 'key: expected a string';
  const value = v['value'];
  if (value !== undefined && value !== null && typeof value !== 'string') return 'value: expected a string or null';
  const expect = v['expect'];
  if (expect !== undefined && expect !== null && typeof expect !== 'string') return 'expect: expected a string or null';
  const level = v['level'];
  if (level !== undefined && (typeof level !== 'string' || !LEVELS.includes(level)))
    return 'level: expected one of linearizable, lease, follower, session, bounded';
  const boundUs = v['boundUs'];
  if (boundUs !== undefined && !isTime(boundUs)) return 'boundUs: expected a non-negative integer';
  const invokeUs = v['invokeUs'];
  if (!isTime(invokeUs)) return 'invokeUs: expected a non-negative integer';
  const completeUs = v['completeUs'];
  if (completeUs !== null && !isTime(completeUs)) return 'completeUs: expected a non-negative integer or null';
  if (completeUs !== null && completeUs < invokeUs) return 'completeUs: expected a time at or after invokeUs';
  const outcome = v['outcome'];
  if (typeof outcome !== 'string' || !OUTCOMES.includes(outcome)) return 'outcome: expected one of ok, failed, indeterminate';
  if (outcome === 'ok' && completeUs === null) return 'completeUs: an ok operation needs a completion time';
  const servedBy = v['servedBy'];
  if (servedBy !== undefined && typeof servedBy !== 'string') return 'servedBy: expected a string';
  const index = v['index'];
  if (index !== undefined && (typeof index !== 'number' || !Number.isSafeInteger(index))) return 'index: expected an integer';
  const shard = v['shard'];
  if (shard !== undefined && (typeof shard !== 'number' || !Number.isSafeInteger(shard))) return 'shard: expected an integer';

  const rec: OpRecord = {
    id,
    client,
    op: op as OpKind,
    key,
    invokeUs,
    completeUs: completeUs as number | null,
    outcome: outcome as OpOutcome,
  };
  if (value !== undefined) rec.value = value as string | null;
  if (expect !== undefined) rec.expect = expect as string | null;
  if (level !== undefined) rec.level = level as ReadLevel;
  if (boundUs !== undefined) rec.boundUs = boundUs;
  if (servedBy !== undefined) rec.servedBy = servedBy;
  if (index !== undefined) rec.index = index;
  if (shard !== undefined) rec.shard = shard;
  return rec;
}

/** Short human form: `put(k, "v")`, `get(k) → "v"`, `cas(k, "a"→"b") failed`. */
export function describeOp(r: OpRecord): string {
  const show = (v: string | null | undefined): string => (v === undefined || v === null ? 'nil' : JSON.stringify(v));
  let s: string;
  switch (r.op) {
    case 'get':
      s = `get(${r.key})`;
      if (r.outcome === 'ok') s += ` → ${show(r.value)}`;
      break;
    case 'put':
      s = `put(${r.key}, ${show(r.value)})`;
      break;
    case 'append':
      s = `append(${r.key}, ${show(r.value)})`;
      break;
    case 'cas':
      s = `cas(${r.key}, ${show(r.expect)}→${show(r.value)})`;
      break;
    default: {
      const never: never = r.op;
      throw new Error(`unknown op ${String(never)}`);
    }
  }
  if (r.outcome === 'failed') s += ' failed';
  if (r.outcome === 'indeterminate') s += ' ?';
  return s;
}
