// Which history format a file holds, and loading a whole file in it.
import { UserError, locate } from '../base/errors.js';
import { EdnSyntaxError, parseEdnValue } from './edn.js';
import { encodeEdnValue, parseJepsenEdn } from './jepsen.js';
import { parseJsonl } from './jsonl.js';
import type { OpRecord } from './op.js';
import { parsePorcupineEtcd, parsePorcupineKv } from './porcupine.js';

export const HISTORY_FORMATS = ['jsonl', 'porcupine-etcd', 'porcupine-kv', 'jepsen'] as const;
export type HistoryFormat = (typeof HISTORY_FORMATS)[number];

export function isHistoryFormat(s: string): s is HistoryFormat {
  return (HISTORY_FORMATS as readonly string[]).includes(s);
}

/** How the models should read a history in this format. */
export interface HistoryMeta {
  format: HistoryFormat;
  /** register: read/write/cas on one value; kv: get/put/append/cas per key. */
  model: 'kv' | 'register';
  /**
   * What a key holds before its first write. Porcupine's kv logs use "", the etcd register,
   * Jepsen histories and kvsim use null (missing); `--initial` overrides it.
   */
  missingValue: string | null;
}

export function metaFor(format: HistoryFormat, initial?: string | null): HistoryMeta {
  const meta = defaultMeta(format);
  if (initial !== undefined) meta.missingValue = initial;
  return meta;
}

function defaultMeta(format: HistoryFormat): HistoryMeta {
  switch (format) {
    case 'jsonl':
      return { format, model: 'kv', missingValue: null };
    case 'porcupine-etcd':
      return { format, model: 'register', missingValue: null };
    case 'porcupine-kv':
      return { format, model: 'kv', missingValue: '' };
    case 'jepsen':
      return { format, model: 'register', missingValue: null };
    default: {
      const never: never = format;
      throw new Error(`unknown format ${String(never)}`);
    }
  }
}

/**
 * The starting value `--initial TEXT` names, in the format's own spelling of values: EDN for
 * jepsen (`0`, `"a"`, `:x`; the same text the reader makes of a value in the file), the literal
 * text otherwise (Porcupine etcd values are integers, kvsim's and Porcupine kv's are strings).
 * `nil` is the missing value everywhere.
 */
export function parseInitialValue(format: HistoryFormat, text: string): string | null {
  if (text === 'nil') return null;
  if (format !== 'jepsen') return text;
  try {
    return encodeEdnValue(parseEdnValue(text));
  } catch (err) {
    if (err instanceof EdnSyntaxError) throw new UserError(`check: --initial expects one EDN value for --format jepsen (e.g. 0, "a", nil): ${err.message}`);
    throw err;
  }
}

/**
 * Guesses the format from the name, then from the content. Returns undefined when neither says.
 * `.edn` files are Jepsen histories unless their maps use Porcupine kv's :get/:put/:append.
 */
export function inferFormat(file: string, text: string): HistoryFormat | undefined {
  const lower = file.toLowerCase();
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return 'jsonl';
  if (lower.endsWith('.log')) return 'porcupine-etcd';
  const head = text.slice(0, 100_000);
  const first = text.split('\n', 64).find((l) => l.trim() !== '' && !l.trim().startsWith(';'))?.trim();
  const ednKv = /:f\s+:(get|put|append)\b/.test(head);
  const ednRegister = /:f\s+:(read|write|cas)\b/.test(head);
  if (lower.endsWith('.edn')) return ednKv && !ednRegister ? 'porcupine-kv' : 'jepsen';
  if (first === undefined) return lower.endsWith('.txt') ? 'porcupine-kv' : undefined;
  if (first.startsWith('[') || first.startsWith('(')) return ednRegister || first === '[]' || first === '()' ? 'jepsen' : undefined;
  if (first.startsWith('{:') || first.startsWith('{ :')) return ednRegister && !ednKv ? 'jepsen' : 'porcupine-kv';
  if (first.startsWith('{')) return 'jsonl';
  if (/jepsen\.util/.test(head) || /^\s*(INFO|WARN|DEBUG)\b/.test(first)) return 'porcupine-etcd';
  return undefined;
}

export function parseHistoryText(text: string, file: string, format: HistoryFormat): OpRecord[] {
  switch (format) {
    case 'jsonl':
      return parseJsonl(text, file);
    case 'porcupine-etcd':
      return parsePorcupineEtcd(text, file);
    case 'porcupine-kv':
      return parsePorcupineKv(text, file);
    case 'jepsen':
      return parseJepsenEdn(text, file);
    default: {
      const never: never = format;
      throw new UserError(locate(file, `unknown format ${String(never)}`));
    }
  }
}
