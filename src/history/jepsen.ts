// Jepsen's history.edn for a compare-and-set register (as Jepsen and Knossos write it): a
// vector of operation maps, or one map per line, in real-time order. An operation is an
// `:invoke` map and a later completion map of the same `:process`:
//   {:process 3, :type :invoke, :f :cas, :value [1 4]}
//   {:process 3, :type :ok, :f :cas, :value [1 4], :index 17, :time 2911223}
// Semantics are Knossos's cas-register model (see test/fixtures/jepsen-edn/README.md):
// - `:ok` happened once between invoke and completion; `:fail` did not happen (dropped);
//   `:info`, or an invoke never completed, may have happened at any moment after the invoke,
//   or never (indeterminate);
// - a read whose value is `nil` is consistent with any state (dropped);
// - `:process :nemesis` entries are fault injection, not operations (skipped); other keys
//   (`:index`, `:time`, `:error`, `:node`, ...) are accepted and ignored.
// The key-value variant (Jepsen's independent histories: `:value [k v]`, cas `[k [old new]]`,
// or a `:key` field) is split per key; a plain history is the one key `register`.
// Values become canonical text (`encodeEdnValue`): 1 -> "1", "a" -> "\"a\"", :x -> ":x".
// Time is the position of the map in the file, as in the other reference formats.
import { UserError, locate } from '../base/errors.js';
import { EdnKeyword, EdnReader, EdnSymbol, EdnSyntaxError, EdnTagged, type EdnMap, type EdnValue, EdnChar, EdnSet } from './edn.js';
import { noOperations } from './no-operations.js';
import type { OpRecord } from './op.js';
import { AssertionError } from '../base/assert.js';

/** The single register of a plain (not key-value) history. */
export const JEPSEN_REGISTER_KEY = 'register';

/** The text of a value as the checker compares it: equal EDN values, equal texts. */
export function encodeEdnValue(v: EdnValue): string | null {
  if (v === null) return null;
  return encodeInner(v, 0);
}

/** Nesting bound for encoding (the reader already bounds nesting; this is its twin). */
const MAX_ENCODE_DEPTH = 600;

function encodeInner(v: EdnValue, depth: number): string {
  if (depth > MAX_ENCODE_DEPTH) throw new AssertionError('value nested deeper than the reader allows');
  if (v === null) return 'nil';
  if (typeof v === 'number') return Object.is(v, -0) ? '0' : String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v instanceof EdnKeyword) return ':' + v.name;
  if (v instanceof EdnSymbol) return v.name;
  if (v instanceof EdnChar) return '\\' + JSON.stringify(v.char);
  if (Array.isArray(v)) return '[' + v.map((x) => encodeInner(x, depth + 1)).join(' ') + ']';
  if (v instanceof EdnSet) return '#{' + v.items.map((x) => encodeInner(x, depth + 1)).sort().join(' ') + '}';
  if (v instanceof EdnTagged) return '#' + v.tag + ' ' + encodeInner(v.value, depth + 1);
  const entries = [...v.entries()].map(([k, x]) => encodeInner(k, depth + 1) + ' ' + encodeInner(x, depth + 1)).sort();
  return '{' + entries.join(', ') + '}';
}

/** Is there anything in the text that a Jepsen history would have? (Used only on errors.) */
export function looksLikeJepsen(text: string): boolean {
  return /:type\s+:(invoke|ok|fail|info)\b/.test(text);
}

export const JEPSEN_FUNCTIONS = ['read', 'write', 'cas'] as const;
type JepsenF = (typeof JEPSEN_FUNCTIONS)[number];
type Mode = 'plain' | 'tuple';

interface Open {
  rec: OpRecord;
  f: JepsenF;
  /** The key came from a `:key` field (then the completion must name the same one). */
  keyField: boolean;
}

interface Where {
  line: number;
  col: number;
}

/** Keywords and state of one parse. */
interface ParseState {
  readonly file: string;
  readonly reader: EdnReader;
  readonly kw: { process: EdnKeyword; type: EdnKeyword; f: EdnKeyword; value: EdnKeyword; key: EdnKeyword; nemesis: EdnKeyword };
  readonly out: OpRecord[];
  readonly dropped: Set<OpRecord>;
  readonly open: Map<number, Open>;
  mode: Mode | undefined;
  time: number;
  nextId: number;
  /** Elements that are Jepsen events (maps with a `:type` keyword), nemesis ones included. */
  recognized: number;
}

/**
 * Parses a Jepsen cas-register history. Throws a UserError naming the file, line and column of
 * a malformed map; `no operations of format jepsen found` if nothing in the text is a Jepsen
 * event (an empty vector is an empty history, not an error).
 */
export function parseJepsenEdn(text: string, file: string): OpRecord[] {
  const reader = new EdnReader(text);
  const st: ParseState = {
    file,
    reader,
    kw: {
      process: reader.keyword('process'),
      type: reader.keyword('type'),
      f: reader.keyword('f'),
      value: reader.keyword('value'),
      key: reader.keyword('key'),
      nemesis: reader.keyword('nemesis'),
    },
    out: [],
    dropped: new Set(),
    open: new Map(),
    mode: undefined,
    time: 0,
    nextId: 0,
    recognized: 0,
  };
  /** A non-event element seen before any event: an error only if events follow. */
  let strayFirst: { where: Where; message: string } | undefined;
  try {
    reader.enterTopLevel();
    for (;;) {
      const el = reader.nextElement();
      if (el === undefined) break;
      const where = { line: reader.lastLine, col: reader.lastCol };
      const map = asMap(el);
      if (map === undefined || !(map.get(st.kw.type) instanceof EdnKeyword)) {
        const message = 'expected an operation map `{:process P, :type :invoke|:ok|:fail|:info, :f :read|:write|:cas, :value V}`';
        if (st.recognized > 0) throw new UserError(locate(file, message, where));
        strayFirst ??= { where, message };
        continue;
      }
      if (strayFirst !== undefined) throw new UserError(locate(file, strayFirst.message, strayFirst.where));
      st.recognized++;
      readEvent(st, map, where);
    }
  } catch (err) {
    if (err instanceof EdnSyntaxError) {
      if (st.recognized === 0 && !looksLikeJepsen(text)) throw noJepsenOperations(file);
      throw new UserError(locate(file, err.message, { line: err.line, col: err.col }));
    }
    throw err;
  }
  if (st.recognized === 0 && strayFirst !== undefined) throw noJepsenOperations(file);
  // Invokes never completed may have happened: indeterminate (completeUs stays null); reads
  // among them constrain nothing.
  for (const o of st.open.values()) if (o.f === 'read') st.dropped.add(o.rec);
  return st.dropped.size === 0 ? st.out : st.out.filter((r) => !st.dropped.has(r));
}

function noJepsenOperations(file: string): UserError {
  return noOperations(file, 'jepsen');
}

/** A map, or a record printed as a tagged map (`#jepsen.history.Op{...}`). */
function asMap(v: EdnValue): EdnMap | undefined {
  if (v instanceof Map) return v;
  if (v instanceof EdnTagged && v.value instanceof Map) return v.value;
  return undefined;
}

function readEvent(st: ParseState, m: EdnMap, where: Where): void {
  const fail = (message: string): never => {
    throw new UserError(locate(st.file, message, where));
  };
  const process = m.get(st.kw.process);
  if (process === st.kw.nemesis) return;
  if (typeof process !== 'number' || !Number.isSafeInteger(process)) return fail(':process: expected an integer or :nemesis');
  const type = (m.get(st.kw.type) as EdnKeyword).name;
  if (type !== 'invoke' && type !== 'ok' && type !== 'fail' && type !== 'info') return fail(':type: expected :invoke, :ok, :fail or :info');
  const fv = m.get(st.kw.f);
  const f = fv instanceof EdnKeyword ? fv.name : undefined;
  if (f !== 'read' && f !== 'write' && f !== 'cas') return fail(':f: expected :read, :write or :cas (a cas-register history)');
  const hasKeyField = m.has(st.kw.key);
  const raw = m.has(st.kw.value) ? m.get(st.kw.value)! : null;
  st.time++;

  if (type === 'invoke') {
    if (st.open.has(process)) return fail(`process ${process} invokes while its previous operation is still pending; expected a completion first`);
    const parsed = splitValue(st, f, raw, hasKeyField ? encodeEdnValue(m.get(st.kw.key)!) ?? 'nil' : undefined, true, fail);
    const rec: OpRecord = { id: st.nextId++, client: process, op: f === 'read' ? 'get' : f === 'write' ? 'put' : 'cas', key: parsed.key, invokeUs: st.time, completeUs: null, outcome: 'indeterminate' };
    if (f === 'write') rec.value = parsed.value;
    if (f === 'cas') {
      rec.expect = parsed.expect!;
      rec.value = parsed.value;
    }
    st.open.set(process, { rec, f, keyField: hasKeyField });
    st.out.push(rec);
    return;
  }
  const o = st.open.get(process);
  if (o === undefined) return fail(`process ${process} completes an operation it never invoked; expected an :invoke first`);
  if (o.f !== f) return fail(`process ${process} completes :${f} but invoked :${o.f}`);
  st.open.delete(process);
  const rec = o.rec;
  if (type === 'fail') {
    st.dropped.add(rec); // did not happen
    return;
  }
  if (type === 'info') {
    if (f === 'read') st.dropped.add(rec); // a read without a result constrains nothing
    return; // a write or cas may have happened: stays indeterminate
  }
  rec.completeUs = st.time;
  rec.outcome = 'ok';
  if (f !== 'read') return;
  const parsed = splitValue(st, f, raw, hasKeyField ? encodeEdnValue(m.get(st.kw.key)!) ?? 'nil' : undefined, false, fail);
  if (parsed.key !== rec.key) return fail(`process ${process} completes a read of key ${parsed.key} but invoked one of ${rec.key}`);
  if (parsed.value === null) st.dropped.add(rec); // nil: consistent with any state
  else rec.value = parsed.value;
}

/**
 * The key and value(s) of an event's `:value`, by history mode: plain (`v`, cas `[old new]`)
 * or tuple (`[k v]`, cas `[k [old new]]`). The first event without a `:key` field fixes the
 * mode: tuple if its value has that shape.
 */
function splitValue(
  st: ParseState,
  f: JepsenF,
  raw: EdnValue,
  keyField: string | undefined,
  invoke: boolean,
  fail: (message: string) => never,
): { key: string; value: string | null; expect?: string | null } {
  if (keyField !== undefined) return plainValue(f, raw, keyField, invoke, fail);
  const tuple = Array.isArray(raw) && raw.length === 2 && (f !== 'cas' || Array.isArray(raw[1]));
  st.mode ??= tuple ? 'tuple' : 'plain';
  if (st.mode === 'tuple') {
    if (!tuple) return fail(f === 'cas' ? ':value: expected [key [old new]] as in the earlier operations (an independent history)' : ':value: expected [key value] as in the earlier operations (an independent history)');
    const pair = raw as EdnValue[];
    return plainValue(f, pair[1]!, encodeEdnValue(pair[0]!) ?? 'nil', invoke, fail);
  }
  return plainValue(f, raw, JEPSEN_REGISTER_KEY, invoke, fail);
}

function plainValue(f: JepsenF, raw: EdnValue, key: string, invoke: boolean, fail: (message: string) => never): { key: string; value: string | null; expect?: string | null } {
  if (f === 'read') return { key, value: invoke ? null : encodeEdnValue(raw) };
  if (f === 'write') return { key, value: encodeEdnValue(raw) };
  if (!Array.isArray(raw) || raw.length !== 2) return fail(':value: expected [old new] for a cas');
  return { key, expect: encodeEdnValue(raw[0]!), value: encodeEdnValue(raw[1]!) };
}
