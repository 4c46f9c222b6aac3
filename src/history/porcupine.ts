// Parsers for the two reference formats shipped with Porcupine's tests (see
// test/fixtures/porcupine/README.md). Neither has timestamps: the position of an event in the
// file is its time, so an operation's interval is [index of its invoke, index of its completion].
import { UserError, locate } from '../cli/errors.js';
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
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.includes('jepsen.util')) continue;
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
  // Operations still open at the end of the log never completed: indeterminate (their
  // completeUs stays null). Reads among them constrain nothing.
  for (const o of open.values()) if (o.rec.op === 'get') dropped.add(o.rec);
  return dropped.size === 0 ? out : out.filter((r) => !dropped.has(r));
}

// ---------------------------------------------------------------------------------------------
// EDN maps, one per line: {:process 0, :type :invoke, :f :append, :key "0", :value "x 0 0 y"}

type EdnScalar = string | number | null | { keyword: string };

/** Parses one flat EDN map of scalars. Returns the map, or a message saying what was expected. */
function parseEdnMap(line: string): Map<string, EdnScalar> | string {
  let i = 0;
  const n = line.length;
  const skip = (): void => {
    while (i < n && (line[i] === ' ' || line[i] === ',' || line[i] === '\t' || line[i] === '\r')) i++;
  };
  const readKeyword = (): string | undefined => {
    if (line[i] !== ':') return undefined;
    const start = ++i;
    while (i < n && /[A-Za-z0-9_\-?!*+.\/]/.test(line[i]!)) i++;
    return i > start ? line.slice(start, i) : undefined;
  };
  const readValue = (): { v: EdnScalar } | { err: string } => {
    const c = line[i];
    if (c === '"') {
      let s = '';
      i++;
      while (i < n && line[i] !== '"') {
        if (line[i] === '\\') {
          const e = line[i + 1];
          s += e === 'n' ? '\n' : e === 't' ? '\t' : (e ?? '');
          i += 2;
        } else s += line[i++];
      }
      if (i >= n) return { err: 'a closing `"`' };
      i++;
      return { v: s };
    }
    if (c === ':') {
      const k = readKeyword();
      return k === undefined ? { err: 'a keyword name after `:`' } : { v: { keyword: k } };
    }
    const m = /^(nil|-?\d+)/.exec(line.slice(i));
    if (m) {
      i += m[0].length;
      return { v: m[0] === 'nil' ? null : Number(m[0]) };
    }
    return { err: 'a string, keyword, integer or nil' };
  };
  skip();
  if (line[i] !== '{') return 'expected an EDN map `{:process N, :type :T, :f :F, :key "K", :value V}`';
  i++;
  const out = new Map<string, EdnScalar>();
  for (;;) {
    skip();
    if (i >= n) return 'expected `}` to close the map';
    if (line[i] === '}') {
      i++;
      break;
    }
    const k = readKeyword();
    if (k === undefined) return `expected a keyword key at column ${i + 1}`;
    skip();
    const v = readValue();
    if ('err' in v) return `:${k}: expected ${v.err}`;
    out.set(k, v.v);
  }
  skip();
  if (i < n) return `expected the end of the line after the map at column ${i + 1}`;
  return out;
}

function keywordOf(v: EdnScalar | undefined): string | undefined {
  return typeof v === 'object' && v !== null ? v.keyword : undefined;
}

/**
 * Porcupine's key-value logs: get / put / append over string keys; a missing key reads as "".
 * `:ok` completes, `:fail` means not applied, `:info` (if present) is indeterminate.
 */
export function parsePorcupineKv(text: string, file: string): OpRecord[] {
  const out: OpRecord[] = [];
  const open = new Map<number, OpRecord>();
  const dropped = new Set<OpRecord>();
  const lines = text.split('\n');
  let time = 0;
  let nextId = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const lineNo = i + 1;
    const m = parseEdnMap(line);
    if (typeof m === 'string') throw new UserError(locate(file, m, { line: lineNo }));
    const process = m.get('process');
    if (typeof process !== 'number') throw new UserError(locate(file, ':process: expected an integer', { line: lineNo }));
    const type = keywordOf(m.get('type'));
    if (type !== 'invoke' && type !== 'ok' && type !== 'fail' && type !== 'info')
      throw new UserError(locate(file, ':type: expected :invoke, :ok, :fail or :info', { line: lineNo }));
    const f = keywordOf(m.get('f'));
    if (f !== 'get' && f !== 'put' && f !== 'append') throw new UserError(locate(file, ':f: expected :get, :put or :append', { line: lineNo }));
    const key = m.get('key');
    if (typeof key !== 'string') throw new UserError(locate(file, ':key: expected a string', { line: lineNo }));
    const value = m.get('value');
    if (value !== null && value !== undefined && typeof value !== 'string')
      throw new UserError(locate(file, ':value: expected a string or nil', { line: lineNo }));
    time++;
    if (type === 'invoke') {
      if (open.has(process)) throw new UserError(locate(file, `process ${process} invokes while its previous operation is still pending; expected a completion first`, { line: lineNo }));
      const rec: OpRecord = { id: nextId++, client: process, op: f, key, invokeUs: time, completeUs: null, outcome: 'indeterminate' };
      if (f !== 'get') {
        if (typeof value !== 'string') throw new UserError(locate(file, `:value: expected the string to ${f}`, { line: lineNo }));
        rec.value = value;
      }
      open.set(process, rec);
      out.push(rec);
      continue;
    }
    const rec = open.get(process);
    if (!rec) throw new UserError(locate(file, `process ${process} completes an operation it never invoked; expected an :invoke first`, { line: lineNo }));
    if (rec.op !== f || rec.key !== key) throw new UserError(locate(file, `process ${process} completes :${f} on ${JSON.stringify(key)} but invoked :${rec.op} on ${JSON.stringify(rec.key)}`, { line: lineNo }));
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
  for (const rec of open.values()) if (rec.op === 'get') dropped.add(rec);
  return dropped.size === 0 ? out : out.filter((r) => !dropped.has(r));
}
