// Streaming JSON Lines trace reader. Each line must be an object with a numeric `t` and a
// string `type`; anything else is bad input, reported as `file:line: what was expected`.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { UserError, locate } from '../base/errors.js';
import type { TraceEvent } from './events.js';

export function assertReadable(file: string): void {
  if (!existsSync(file)) throw new UserError(`${file}: no such file`);
  if (statSync(file).isDirectory()) throw new UserError(`${file}: is a directory, expected a trace file (.jsonl)`);
}

/** Parses one trace line; throws a located UserError when it is not a trace event. */
export function parseTraceLine(file: string, lineNo: number, line: string): TraceEvent {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new UserError(locate(file, 'expected a JSON object (one trace event per line)', { line: lineNo }));
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new UserError(locate(file, 'expected a JSON object (one trace event per line)', { line: lineNo }));
  }
  const event = value as Record<string, unknown>;
  if (typeof event.t !== 'number' || !Number.isInteger(event.t) || event.t < 0) {
    throw new UserError(locate(file, 'expected field "t": integer microseconds >= 0', { line: lineNo }));
  }
  if (typeof event.type !== 'string' || event.type === '') {
    throw new UserError(locate(file, 'expected field "type": an event type such as "msg.send"', { line: lineNo }));
  }
  return event as unknown as TraceEvent;
}

/** Reads every event of a trace file in order. Blank lines are skipped. */
export async function* readTrace(file: string): AsyncGenerator<TraceEvent> {
  assertReadable(file);
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let lineNo = 0;
  for await (const line of lines) {
    lineNo++;
    if (line.trim() === '') continue;
    yield parseTraceLine(file, lineNo, line);
  }
}

export async function readTraceAll(file: string): Promise<TraceEvent[]> {
  const out: TraceEvent[] = [];
  for await (const event of readTrace(file)) out.push(event);
  return out;
}
