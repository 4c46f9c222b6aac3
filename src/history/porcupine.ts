// Parsers for the two reference formats shipped with Porcupine's tests (see
// test/fixtures/porcupine/README.md). Neither has timestamps: the position of an event in the
// file is its time, so an operation's interval is [index of its invoke, index of its completion].
import { UserError, locate } from '../base/errors.js';
import { EdnKeyword, EdnReader, EdnSyntaxError, type EdnValue } from './edn.js';
import { noOperations } from './no-operations.js';
import type { OpRecord } from './op.js';

/** The single register of the Jepsen etcd logs is given this key. */
export const ETCD_REGISTER_KEY = 'register';

const ETCD_LINE = /^INFO\s+jepsen\.util\s+-\s+(\d+)\s+:(invoke|ok|fail|info)\s+:(read|write|cas)\s+(.*?)\s*$/;
const INT_OR_NIL = /^(nil|-?\d+)$/;
const CAS_ARGS = /^\[\s*(-?\d+|nil)\s+(-?\d+|nil)\s*\]$/;

interface Open {
  rec: OpRecord;
  lineNo: number;
}

function nilToNull(s: string): string | null {
  return s === 'nil' ? null : s;
}

/**
 * Jepsen etcd logs: `INFO  jepsen.util - P<TAB>:TYPE<TAB>:F<TAB>VALUE`; other lines are ignored.
 * A read that fails or times out is dropped; a write or cas that ends in `info` is indeterminate.
 */
export function parsePorcupineEtcd(text: string, file: string): OpRecord[] {
  const out: OpRecord[] = [];
  const open = new Map<number, Open>();
  const dropped = new Set<OpRecord>();
  const lines = text.split('\n');
  let time = 0;
  let nextId = 0;
  let recognized = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.includes('jepsen.util')) continue;
    recognized++;
    const lineNo = i + 1;
    const m = ETCD_LINE.exec(line);
    if (!m) throw new UserError(locate(file, 'expected `INFO jepsen.util - PROCESS :TYPE :F VALUE` (TYPE invoke|ok|fail|info, F read|write|cas)', { line: lineNo }));
    const process = Number(m[1]);
    const type = m[2]!;
    const f = m[3] as 'read' | 'write' | 'cas';
    const arg = m[4]!;
    time++;
    if (type === 'invoke') {
      if (open.has(process)) throw new UserError(locate(file, `process ${process} invokes while its previous operation is still pending; expected a completion first`, { line: lineNo }));
      const rec: OpRecord = { id: nextId++, client: process, op: 'get', key: ETCD_REGISTER_KEY, invokeUs: time, completeUs: null, outcome: 'indeterminate' };
      if (f === 'read') {
        rec.op = 'get';
      } else if (f === 'write') {
        if (!INT_OR_NIL.test(arg)) throw new UserError(locate(file, 'expected an integer value to write', { line: lineNo }));
        rec.op = 'put';
        rec.value = nilToNull(arg);
      } else {
        const c = CAS_ARGS.exec(arg);
        if (!c) throw new UserError(locate(file, 'expected cas arguments `[FROM TO]`', { line: lineNo }));
        rec.op = 'cas';
        rec.expect = nilToNull(c[1]!);
        rec.value = nilToNull(c[2]!);
      }
      open.set(process, { rec, lineNo });
      out.push(rec);
      continue;
    }
    const o = open.get(process);
    if (!o) throw new UserError(locate(file, `process ${process} completes an operation it never invoked; expected an :invoke first`, { line: lineNo }));
    const opName = o.rec.op === 'get' ? 'read' : o.rec.op === 'put' ? 'write' : 'cas';
    if (opName !== f) throw new UserError(locate(file, `process ${process} completes :${f} but invoked :${opName}`, { line: lineNo }));
    open.delete(process);
    const rec = o.rec;
    if (type === 'ok') {
      rec.completeUs = time;
      rec.outcome = 'ok';
      if (f === 'read') {
        if (!INT_OR_NIL.test(arg)) throw new UserError(locate(file, 'expected the value read: an integer or nil', { line: lineNo }));
        rec.value = nilToNull(arg);
      }
    } else if (type === 'fail') {
      // A failed read returned nothing: it constrains nothing. A failed cas compared unequal.
      rec.completeUs = time;
      rec.outcome = 'failed';
      if (f === 'read') dropped.add(rec);
    } else {
      // info: timed out. A write or cas may still take effect; a read constrains nothing.
      rec.outcome = 'indeterminate';
      rec.completeUs = null;
      if (f === 'read') dropped.add(rec);
    }
  }
  // Other log lines are allowed, but a file with none of these events is not an etcd log.
  if (recognized === 0 && text.trim() !== '') throw noOperations(file, 'porcupine-etcd');
  // Operations still open at the end of the log never completed: indeterminate (their
  // completeUs stays null). Reads among them constrain nothing.
  for (const o of open.values()) if (o.rec.op === 'get') dropped.add(o.rec);
  return dropped.size === 0 ? out : out.filter((r) => !dropped.has(r));
}

// ---------------------------------------------------------------------------------------------
// EDN maps, one per line: {:process 0, :type :invoke, :f :append, :key "0", :value "x 0 0 y"}
// Read with the EDN reader (edn.ts), so syntax errors name their line and column; a map's field
// errors name where the map starts.

/** Does any line look like a Porcupine kv event? (Used only on errors.) */
function looksLikePorcupineKv(text: string): boolean {
  return /:type\s+:(invoke|ok|fail|info)\b/.test(text) && /:f\s+:(get|put|append)\b/.test(text);
}

const KV_MAP_SHAPE = 'expected an EDN map `{:process N, :type :T, :f :F, :key "K", :value V}`';

/**
 * Porcupine's key-value logs: get / put / append over string keys; a missing key reads as "".
 * `:ok` completes, `:fail` means not applied, `:info` (if present) is indeterminate.
 */
export function parsePorcupineKv(text: string, file: string): OpRecord[] {
  const out: OpRecord[] = [];
  const open = new Map<number, OpRecord>();
  const dropped = new Set<OpRecord>();
  const reader = new EdnReader(text);
  const kw = { process: reader.keyword('process'), type: reader.keyword('type'), f: reader.keyword('f'), key: reader.keyword('key'), value: reader.keyword('value') };
  let time = 0;
  let nextId = 0;
  let recognized = 0;
  /** Before the first event: a file with no kv event at all gets the wrong-format error. */
  const bad = (message: string, where: { line: number; col: number }): UserError =>
    recognized === 0 && !looksLikePorcupineKv(text) ? noOperations(file, 'porcupine-kv') : new UserError(locate(file, message, where));
  try {
    for (;;) {
      const el = reader.nextElement();
      if (el === undefined) break;
      const where = { line: reader.lastLine, col: reader.lastCol };
      if (!(el instanceof Map)) throw bad(KV_MAP_SHAPE, where);
      const process = el.get(kw.process);
      if (typeof process !== 'number' || !Number.isSafeInteger(process)) throw bad(':process: expected an integer', where);
      const type = keywordName(el.get(kw.type));
      if (type !== 'invoke' && type !== 'ok' && type !== 'fail' && type !== 'info') throw bad(':type: expected :invoke, :ok, :fail or :info', where);
      const f = keywordName(el.get(kw.f));
      if (f !== 'get' && f !== 'put' && f !== 'append') throw bad(':f: expected :get, :put or :append', where);
      recognized++;
      const key = el.get(kw.key);
      if (typeof key !== 'string') throw new UserError(locate(file, ':key: expected a string', where));
      const value = el.get(kw.value);
      if (value !== null && value !== undefined && typeof value !== 'string') throw new UserError(locate(file, ':value: expected a string or nil', where));
      time++;
      if (type === 'invoke') {
        if (open.has(process)) throw new UserError(locate(file, `process ${process} invokes while its previous operation is still pending; expected a completion first`, where));
        const rec: OpRecord = { id: nextId++, client: process, op: f, key, invokeUs: time, completeUs: null, outcome: 'indeterminate' };
        if (f !== 'get') {
          if (typeof value !== 'string') throw new UserError(locate(file, `:value: expected the string to ${f}`, where));
          rec.value = value;
        }
        open.set(process, rec);
        out.push(rec);
        continue;
      }
      const rec = open.get(process);
      if (!rec) throw new UserError(locate(file, `process ${process} completes an operation it never invoked; expected an :invoke first`, where));
      if (rec.op !== f || rec.key !== key) throw new UserError(locate(file, `process ${process} completes :${f} on ${JSON.stringify(key)} but invoked :${rec.op} on ${JSON.stringify(rec.key)}`, where));
      open.delete(process);
      if (type === 'ok') {
        rec.completeUs = time;
        rec.outcome = 'ok';
        if (f === 'get') rec.value = typeof value === 'string' ? value : '';
      } else if (type === 'fail') {
        rec.completeUs = time;
        rec.outcome = 'failed';
      } else {
        rec.outcome = 'indeterminate';
        if (f === 'get') dropped.add(rec);
      }
    }
  } catch (err) {
    if (err instanceof EdnSyntaxError) throw bad(err.message, { line: err.line, col: err.col });
    throw err;
  }
  for (const rec of open.values()) if (rec.op === 'get') dropped.add(rec);
  return dropped.size === 0 ? out : out.filter((r) => !dropped.has(r));
}

function keywordName(v: EdnValue | undefined): string | undefined {
  return v instanceof EdnKeyword ? v.name : undefined;
}
