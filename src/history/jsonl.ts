// JSON Lines form of a history: one OpRecord per line. Blank lines are allowed. The reader is
// streaming (a history can be larger than memory allows as one string) and every error names
// the file and line.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';
import { UserError, locate } from '../base/errors.js';
import { noOperations } from './no-operations.js';
import { validateOpRecord, type OpRecord } from './op.js';

/**
 * Could this line be meant as an operation record (a JSON object with an `op` field)? Used
 * only when the first record fails: if no line of the file could, the file is not a history
 * in this format at all (say so), otherwise the failing line is named.
 */
function couldBeRecord(line: string): boolean {
  if (!/"op"\s*:/.test(line)) return false;
  try {
    const v: unknown = JSON.parse(line);
    return typeof v === 'object' && v !== null && !Array.isArray(v) && 'op' in v;
  } catch {
    return false;
  }
}

/** Parses one line; throws a located UserError. */
export function parseJsonlLine(file: string, lineNo: number, line: string): OpRecord | undefined {
  const text = line.trim();
  if (text === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UserError(locate(file, 'expected one JSON object per line (an operation record)', { line: lineNo }));
  }
  const rec = validateOpRecord(value);
  if (typeof rec === 'string') throw new UserError(locate(file, rec, { line: lineNo }));
  return rec;
}

/** Parses a whole JSONL text (already in memory). */
export function parseJsonl(text: string, file: string): OpRecord[] {
  const out: OpRecord[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let rec: OpRecord | undefined;
    try {
      rec = parseJsonlLine(file, i + 1, lines[i]!);
    } catch (err) {
      if (out.length === 0 && !lines.some(couldBeRecord)) throw noOperations(file, 'jsonl');
      throw err;
    }
    if (rec) out.push(rec);
  }
  checkUniqueIds(out, file);
  return out;
}

/** Streams records from a file, line by line. Throws a located UserError on bad input. */
export async function* readJsonlFile(file: string): AsyncGenerator<OpRecord> {
  const stream = createReadStream(file, { encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let lineNo = 0;
  const seen = new Set<number>();
  /** The first line's error, held while the rest of the file is searched for a record. */
  let firstError: unknown;
  try {
    for await (const line of lines) {
      lineNo++;
      if (firstError !== undefined) {
        if (couldBeRecord(line)) throw firstError;
        continue;
      }
      let rec: OpRecord | undefined;
      try {
        rec = parseJsonlLine(file, lineNo, line);
      } catch (err) {
        if (seen.size > 0 || couldBeRecord(line)) throw err;
        firstError = err;
        continue;
      }
      if (!rec) continue;
      if (seen.has(rec.id)) throw new UserError(locate(file, `id: ${rec.id} is used twice; expected unique ids`, { line: lineNo }));
      seen.add(rec.id);
      yield rec;
    }
    if (firstError !== undefined) throw noOperations(file, 'jsonl');
  } finally {
    lines.close();
    stream.destroy();
  }
}

function checkUniqueIds(records: readonly OpRecord[], file: string): void {
  const seen = new Set<number>();
  for (let i = 0; i < records.length; i++) {
    const id = records[i]!.id;
    if (seen.has(id)) throw new UserError(locate(file, `id: ${id} is used twice; expected unique ids`));
    seen.add(id);
  }
}

/** One record as one line, fields in a fixed order so equal histories give equal bytes. */
export function formatOpRecord(r: OpRecord): string {
  const o: Record<string, unknown> = { id: r.id, client: r.client, op: r.op, key: r.key };
  if (r.value !== undefined) o['value'] = r.value;
  if (r.expect !== undefined) o['expect'] = r.expect;
  if (r.level !== undefined) o['level'] = r.level;
  o['invokeUs'] = r.invokeUs;
  o['completeUs'] = r.completeUs;
  o['outcome'] = r.outcome;
  if (r.servedBy !== undefined) o['servedBy'] = r.servedBy;
  if (r.index !== undefined) o['index'] = r.index;
  if (r.shard !== undefined) o['shard'] = r.shard;
  return JSON.stringify(o);
}

export function formatJsonl(records: Iterable<OpRecord>): string {
  let s = '';
  for (const r of records) s += formatOpRecord(r) + '\n';
  return s;
}

/** Streaming writer: one line per record, respecting back-pressure. */
export class JsonlHistoryWriter {
  constructor(private readonly out: Writable) {}

  /** Resolves once the stream can take more; callers may ignore it for small histories. */
  write(r: OpRecord): Promise<void> {
    const more = this.out.write(formatOpRecord(r) + '\n');
    if (more) return Promise.resolve();
    return new Promise((resolve) => this.out.once('drain', () => resolve()));
  }

  end(): Promise<void> {
    return new Promise((resolve) => this.out.end(() => resolve()));
  }
}
