// The Perfetto export is valid Chrome trace-event JSON: every event has the fields its phase
// needs, every process and thread is named, slices do not run backwards, and every flow that
// ends was started earlier.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writePerfetto } from '../../src/report/perfetto.js';
import { runTraced, type TracedRun } from './helpers.js';

interface Ev {
  ph: string;
  name: string;
  pid: number;
  tid: number;
  ts?: number;
  dur?: number;
  id?: number;
  s?: string;
  args?: Record<string, unknown>;
}

describe('Perfetto export of leader-isolated seed 1', () => {
  let run: TracedRun;
  let doc: { traceEvents: Ev[]; displayTimeUnit: string; otherData: Record<string, unknown> };

  beforeAll(async () => {
    run = runTraced('scenarios/leader-isolated.yaml', 1);
    const { path } = await writePerfetto(run.tracePath, join(run.dir, 'perfetto'));
    expect(path.endsWith('trace.perfetto.json')).toBe(true);
    doc = JSON.parse(readFileSync(path, 'utf8'));
  }, 60_000);

  it('is a trace-event document with well-formed events', () => {
    expect(Array.isArray(doc.traceEvents)).toBe(true);
    expect(doc.displayTimeUnit).toBe('ms');
    expect(doc.otherData).toMatchObject({ scenario: 'leader-isolated', seed: 1 });
    // One assertion over all events: per-event expects would cost seconds on 200k events.
    const bad: Ev[] = [];
    for (const e of doc.traceEvents) {
      const ok =
        ['X', 'i', 'M', 's', 'f'].includes(e.ph) &&
        typeof e.name === 'string' &&
        Number.isInteger(e.pid) &&
        Number.isInteger(e.tid) &&
        (e.ph === 'M' || (Number.isInteger(e.ts) && e.ts! >= 0)) &&
        (e.ph !== 'X' || (Number.isInteger(e.dur) && e.dur! >= 0)) &&
        (e.ph !== 'i' || ['g', 'p', 't'].includes(e.s ?? ''));
      if (!ok) bad.push(e);
    }
    expect(bad.slice(0, 3)).toEqual([]);
  });

  it('names every process and thread that carries events: machines, shards, clients', () => {
    const processes = new Map<number, string>();
    const threads = new Set<string>();
    for (const e of doc.traceEvents) {
      if (e.ph === 'M' && e.name === 'process_name') processes.set(e.pid, String(e.args!['name']));
      if (e.ph === 'M' && e.name === 'thread_name') threads.add(`${e.pid}/${e.tid}`);
    }
    const unnamed = new Set<string>();
    for (const e of doc.traceEvents) {
      if (e.ph === 'M') continue;
      if (!processes.has(e.pid) || !threads.has(`${e.pid}/${e.tid}`)) unnamed.add(`${e.pid}/${e.tid} (${e.name})`);
    }
    expect([...unnamed]).toEqual([]);
    const names = [...processes.values()];
    for (const m of ['n1', 'n2', 'n3', 'n4', 'n5', 'c1']) expect(names).toContain(m);
    const shardThreads = doc.traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name' && /^shard \d+$/.test(String(e.args!['name'])));
    expect(shardThreads.length).toBe(4 * 5);
  });

  it('has role spans per shard, a flow per message, faults as global instants and client ops', () => {
    const leaders = doc.traceEvents.filter((e) => e.ph === 'X' && e.name.startsWith('leader t'));
    expect(leaders.length).toBeGreaterThanOrEqual(run.summary.elections);
    const starts = new Map<number, number>();
    let ends = 0;
    const problems: string[] = [];
    for (const e of doc.traceEvents) {
      if (e.ph === 's') {
        if (starts.has(e.id!)) problems.push(`flow ${e.id} started twice`);
        starts.set(e.id!, e.ts!);
      }
      if (e.ph === 'f') {
        ends++;
        const start = starts.get(e.id!);
        if (start === undefined || e.ts! < start) problems.push(`flow ${e.id} ends before it starts`);
      }
    }
    expect(problems.slice(0, 3)).toEqual([]);
    expect(starts.size).toBe(run.summary.messages.sent);
    expect(ends).toBe(run.summary.messages.delivered + run.summary.messages.dropped);
    const faults = doc.traceEvents.filter((e) => e.ph === 'i' && e.s === 'g');
    expect(faults.map((e) => e.name)).toEqual(['partition #0 {n4} | {n1,n2,n3,n5}', 'end-partition #0']);
    const ops = doc.traceEvents.filter((e) => e.ph === 'X' && (e.name.startsWith('put ') || e.name.startsWith('get ')));
    expect(ops.length).toBe(run.summary.ops.total);
  });
});
