// Loading, notable events, the event log's sentences, filters, time parsing and the bench hook.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/cli/errors.js';
import { benchReplay } from '../../src/replay/bench.js';
import { parseFilter } from '../../src/replay/filter.js';
import { parseTimeUs } from '../../src/replay/time.js';
import { loadTraceFile } from '../../src/replay/trace-store.js';
import { readTraceAll } from '../../src/trace/reader.js';
import type { TraceEvent } from '../../src/trace/events.js';
import { elected, leaderIsolatedReplay, leaderIsolatedTrace, replayOf, startEvents } from './helpers.js';

function tmpFile(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'kvsim-replay-')), name);
  writeFileSync(path, text);
  return path;
}

describe('loading', () => {
  it('holds every event of a real trace exactly as the streaming reader reads it', async () => {
    const events = await readTraceAll(leaderIsolatedTrace());
    const store = loadTraceFile(leaderIsolatedTrace());
    expect(store.count).toBe(events.length);
    for (const i of [0, 1, 2, 100, 5_000, 24_311, 24_312, events.length - 2, events.length - 1]) expect(store.event(i)).toEqual(events[i]);
    // Message sends and deliveries live in columns, not objects.
    expect(store.objects.length).toBeLessThan(events.length / 2);
    expect(store.serverIds.map((id) => store.names[id])).toEqual(['n1', 'n2', 'n3', 'n4', 'n5']);
    expect(store.shards).toBe(4);
  });

  it('reports a bad line with its file and line number', () => {
    const path = tmpFile('bad.jsonl', '{"t":0,"type":"run.start","seed":1,"scenario":"x","machines":[]}\r\n\n{"t":5,"type":"x"}\n{"t":-1,"type":"y"}\n');
    expect(() => loadTraceFile(path)).toThrow(UserError);
    expect(() => loadTraceFile(path)).toThrow(`${path}:4: expected field "t": integer microseconds >= 0`);
    expect(() => loadTraceFile(join(tmpdir(), 'no-such-kvsim-trace.jsonl'))).toThrow(/no such file/);
  });

  it('reads lines longer than its read buffer and files without a final newline', () => {
    const long = 'x'.repeat(5_000_000);
    const path = tmpFile('long.jsonl', `{"t":0,"type":"fault","action":"a","detail":"${long}"}\n{"t":1,"type":"fault","action":"b","detail":"é"}`);
    const store = loadTraceFile(path);
    expect(store.count).toBe(2);
    expect(store.event(1)).toMatchObject({ action: 'b', detail: 'é' });
  });
});

describe('notable events in leader-isolated, seed 3', () => {
  const replay = leaderIsolatedReplay();

  it('reaches the leader being cut off, the new election and stale reads from its side with n', () => {
    const cutAt = replay.findNotable(0, 1, 'fault')!;
    expect(replay.describe(cutAt)).toBe('n3 cut off from {n1,n2,n4,n5}');
    const newLeader = replay.findNotable(cutAt, 1, 'election')!;
    expect(replay.describe(newLeader)).toMatch(/^n\d became leader of shard 0 in term 2$/);
    // A stale read served by the cut-off old leader.
    let at = cutAt;
    let staleFromN3: number | null = null;
    while (staleFromN3 === null) {
      const next = replay.findNotable(at, 1, 'stale');
      expect(next).not.toBeNull();
      if (/ from n3: stale by /.test(replay.describe(next!))) staleFromN3 = next;
      at = next!;
    }
    // `n` alone visits all three in order.
    const visited: number[] = [];
    for (let c = 0, guard = 0; c !== null && guard < 2_000; guard++) {
      const next = replay.findNotable(c, 1, null);
      if (next === null) break;
      visited.push(next);
      c = next;
    }
    expect(visited).toContain(cutAt);
    expect(visited).toContain(newLeader);
    expect(visited).toContain(staleFromN3);
    expect(visited).toEqual([...visited].sort((a, b) => a - b));
    expect(replay.findNotable(newLeader, -1, 'fault')).toBe(cutAt);
  });

  it('tells readable sentences around the cursor and filters them', () => {
    const cutAt = replay.findNotable(0, 1, 'fault')!;
    const lines = replay.logAround(cutAt, 5, 3, null);
    expect(lines).toHaveLength(9);
    expect(lines.filter((l) => l.cursor).map((l) => l.text)).toEqual(['n3 cut off from {n1,n2,n4,n5}']);
    expect(lines.slice(6).every((l) => l.future)).toBe(true);
    const onlyN1 = replay.logAround(cutAt + 50_000, 10, 0, { kind: 'machine', name: 'n1' });
    for (const l of onlyN1.filter((x) => !x.cursor)) expect(l.text).toMatch(/\bn1\b/);
    const onlyShard2 = replay.logAround(cutAt, 10, 0, { kind: 'shard', shard: 2 });
    for (const l of onlyShard2.filter((x) => !x.cursor)) {
      const e = replay.event(l.index) as unknown as Record<string, unknown>;
      expect(e.group ?? e.shard).toBe(2);
    }
  });
});

describe('sentences', () => {
  it('names the reading client, the replica and how stale it was', () => {
    const replay = replayOf([
      ...startEvents(3),
      ...elected(10, 2, 'n3', 5),
      { t: 20, type: 'msg.deliver', id: 9, from: 'c7', to: 'n4', label: 'get.follower' },
      { t: 20, type: 'store.read', machine: 'n4', shard: 2, key: 'k42', level: 'follower', version: 3, stale: true, behind: 2 },
      { t: 30, type: 'net.cut', links: ['n2', 'n3', 'n4', 'n5'].flatMap((o): [string, string][] => [['n1', o], [o, 'n1']]), description: '{n1} | rest' },
    ]);
    const texts = Array.from({ length: replay.count }, (_, i) => replay.describe(i));
    expect(texts).toContain('n3 became leader of shard 2 in term 5');
    expect(texts).toContain('client c7 read k42 from n4: stale by 2 versions (follower)');
    expect(texts).toContain('n1 cut off from {n2,n3,n4,n5}');
  });

  it('places a failing check at the moment it names', () => {
    const events: TraceEvent[] = [...startEvents(1), ...elected(10, 0, 'n1', 1), ...elected(50, 0, 'n2', 1)];
    events.push({ t: 90, type: 'run.summary', scenario: 'x', seed: 1, bugs: [], summary: { checks: { invariants: { ok: false, atUs: 50, message: 'two leaders in term 1' }, linearizable: { ok: true } } } });
    const replay = replayOf(events);
    const v = replay.findNotable(0, 1, 'violation')!;
    expect(replay.store.timeAt(v)).toBe(50);
    expect(replay.describe(replay.count - 1)).toBe('violation: invariants (two leaders in term 1)');
  });
});

describe('filters and times', () => {
  const replay = leaderIsolatedReplay();
  it('parses machines, shards and keys', () => {
    expect(parseFilter('n3', replay)).toEqual({ kind: 'machine', name: 'n3' });
    expect(parseFilter('s2', replay)).toEqual({ kind: 'shard', shard: 2 });
    expect(parseFilter('shard 1', replay)).toEqual({ kind: 'shard', shard: 1 });
    expect(parseFilter('k5', replay)).toEqual({ kind: 'key', key: 'k5' });
    expect(parseFilter('s9', replay)).toMatch(/no shard 9/);
    expect(parseFilter('zz', replay)).toMatch(/no machine, shard or key named "zz"/);
  });
  it('parses times with units, bare numbers as seconds', () => {
    expect(parseTimeUs('12.5s')).toBe(12_500_000);
    expect(parseTimeUs('300ms')).toBe(300_000);
    expect(parseTimeUs('1500us')).toBe(1_500);
    expect(parseTimeUs('2')).toBe(2_000_000);
    expect(parseTimeUs('soon')).toBeUndefined();
  });
});

describe('bench hook', () => {
  it('measures with the injected clock only', () => {
    let ticks = 0;
    const result = benchReplay(leaderIsolatedTrace(), () => ticks++);
    expect(result.events).toBe(leaderIsolatedReplay().count);
    expect(result.loadMs).toBe(1);
    expect(result.seekMsMax).toBe(1);
    expect(result.seekMsMean).toBe(1);
  });
});
