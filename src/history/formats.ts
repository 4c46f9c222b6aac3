// Which history format a file holds, and loading a whole file in it.
import { UserError, locate } from '../cli/errors.js';
import { parseJsonl } from './jsonl.js';
import type { OpRecord } from './op.js';
import { parsePorcupineEtcd, parsePorcupineKv } from './porcupine.js';

export const HISTORY_FORMATS = ['jsonl', 'porcupine-etcd', 'porcupine-kv'] as const;
export type HistoryFormat = (typeof HISTORY_FORMATS)[number];

export function isHistoryFormat(s: string): s is HistoryFormat {
  return (HISTORY_FORMATS as readonly string[]).includes(s);
}

/** How the models should read a history in this format. */
export interface HistoryMeta {
  format: HistoryFormat;
  /** register: read/write/cas on one value; kv: get/put/append/cas per key. */
  model: 'kv' | 'register';
  /** What a missing key reads as. Porcupine's kv logs use "", the etcd register and kvsim use null. */
  missingValue: string | null;
}

export function metaFor(format: HistoryFormat): HistoryMeta {
  switch (format) {
    case 'jsonl':
      return { format, model: 'kv', missingValue: null };
    case 'porcupine-etcd':
      return { format, model: 'register', missingValue: null };
    case 'porcupine-kv':
      return { format, model: 'kv', missingValue: '' };
    default: {
      const never: never = format;
      throw new Error(`unknown format ${String(never)}`);
    }
  }
}

/**
 * Guesses the format from the name, then from the first non-blank line. Returns undefined when
 * neither says.
 */
export function inferFormat(file: string, text: string): HistoryFormat | undefined {
  const lower = file.toLowerCase();
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return 'jsonl';
  if (lower.endsWith('.log')) return 'porcupine-etcd';
  if (lower.endsWith('.edn')) return 'porcupine-kv';
  const first = text.split('\n').find((l) => l.trim() !== '')?.trim();
  if (first === undefined) return lower.endsWith('.txt') ? 'porcupine-kv' : undefined;
  if (first.startsWith('{:') || first.startsWith('{ :')) return 'porcupine-kv';
  if (first.startsWith('{')) return 'jsonl';
  if (/jepsen\.util/.test(text.slice(0, 100_000)) || /^\s*(INFO|WARN|DEBUG)\b/.test(first)) return 'porcupine-etcd';
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
    default: {
      const never: never = format;
      throw new UserError(locate(file, `unknown format ${String(never)}`));
    }
  }
}
