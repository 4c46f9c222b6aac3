// FileDisk keeps the simulated disk's contract on files: the same get/keys answers as the sim
// Disk for any sequence of writes, callbacks only after fsync and in issue order, one fsync per
// turn (group commit), recovery of everything durable, a torn tail cut and reported, damage in
// the middle refused with the file and offset, and compaction that changes nothing visible.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { appendFileSync, readFileSync, statSync, truncateSync, writeFileSync, existsSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Disk, type DiskOp } from '../../src/sim/disk.js';
import { SeededRng } from '../../src/sim/random.js';
import { FileDisk } from '../../src/real/disk.js';
import { CorruptFileError, RECORD_HEADER_BYTES } from '../../src/real/wal.js';
import { AssertionError } from '../../src/base/assert.js';
import { UserError } from '../../src/base/errors.js';
import { nextTurn, onCleanup, sleep, tempDir, waitFor, useRealTestLimits } from './helpers.js';

useRealTestLimits();

function open(dir: string, options: Parameters<typeof FileDisk.open>[1] = {}) {
  const opened = FileDisk.open(dir, options);
  onCleanup(() => opened.disk.crash()); // a no-op once closed
  return opened;
}

/** Resolves once every write issued so far has run its callback. */
function durable(disk: FileDisk): Promise<void> {
  return new Promise((resolve) => disk.write([], resolve));
}

/** The simulated disk with a hand-cranked completion queue. */
function simDisk() {
  const completions: (() => void)[] = [];
  let now = 0;
  const disk = new Disk({ fsyncMinUs: 10, fsyncMeanUs: 10 }, new SeededRng('t'), {
    nowUs: () => now,
    scheduleAt: (_t, complete) => completions.push(complete),
    runProcess: (fn) => fn(),
  });
  return {
    disk,
    completeAll: () => {
      now += 1000;
      for (const c of completions.splice(0)) c();
    },
  };
}

const KEYS = ['a', 'a/b', 'a/c', 'b', 'raft/1/e/1', 'raft/1/e/10', 'raft/1/e/2', 'raft/1/hs', 'store/hosted/3', 'é'];
const PREFIXES = ['', 'a', 'a/', 'raft/1/', 'raft/1/e/', 'store/', 'zz'];
const value = fc.oneof(
  fc.constant(undefined),
  fc.integer(),
  fc.string(),
  fc.constant(null),
  // Spread: fast-check builds records without a prototype; the store writes plain objects.
  fc.record({ kind: fc.constant('normal'), index: fc.nat(), term: fc.nat(), data: fc.string() }).map((r) => ({ ...r })),
  fc.record({ term: fc.nat(), vote: fc.option(fc.constantFrom('n1', 'n2')), commit: fc.nat() }).map((r) => ({ ...r })),
);
const op = fc.record({ key: fc.constantFrom(...KEYS), value });
type Step = { kind: 'write'; ops: DiskOp[] } | { kind: 'turn' } | { kind: 'sync' };
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.array(op, { minLength: 0, maxLength: 3 }).map((ops) => ({ kind: 'write' as const, ops })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'turn' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'sync' as const }) },
);

function view(d: { get(k: string): unknown; keys(p: string): string[] }) {
  return { values: KEYS.map((k) => d.get(k)), keys: PREFIXES.map((p) => d.keys(p)) };
}

describe('FileDisk: the simulated disk contract', () => {
  it('answers get and keys like the sim Disk after every step, and after a reopen like its durable state', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 30 }), async (steps) => {
        const dir = tempDir();
        const sim = simDisk();
        const { disk } = open(dir);
        for (const s of steps) {
          if (s.kind === 'write') {
            sim.disk.write(s.ops);
            disk.write(s.ops);
          } else if (s.kind === 'turn') {
            await nextTurn();
          } else {
            sim.completeAll();
            await durable(disk);
          }
          expect(view(disk)).toStrictEqual(view(sim.disk));
        }
        sim.completeAll();
        await disk.close();
        const reopened = open(dir).disk;
        expect(view(reopened)).toStrictEqual(view(sim.disk));
        expect(reopened.durableKeys('').sort()).toEqual(sim.disk.durableKeys('').sort());
        await reopened.close();
      }),
      { numRuns: 25 },
    );
  });

  it('round-trips what the store writes exactly: entries, hard states, snapshots, odd strings', async () => {
    const dir = tempDir();
    const values: Record<string, unknown> = {
      'raft/3/e/7': { kind: 'conf', index: 7, term: 2, change: { type: 'add-learner', id: 'n4#1' }, conf: { voters: ['n1', 'n2', 'n3'], learners: ['n4#1'] } },
      'raft/3/e/8': { kind: 'noop', index: 8, term: 3 },
      'raft/3/hs': { term: 3, vote: null, commit: 8 },
      'raft/3/snap': { index: 6, term: 2, hash: 4294967295, conf: { voters: ['n1'], learners: [] }, data: JSON.stringify({ appliedIndex: 6, entries: [['k"\\', { value: 'v\n', index: 5 }]], applied: [[1, 5]] }) },
      'store/incarnation/3': 2,
      'odd \u2028 \ud800 "quoted" \u0000': 'lone surrogate \udfff, emoji 😀, NUL \u0000',
    };
    const { disk } = open(dir);
    disk.write(Object.entries(values).map(([key, v]) => ({ key, value: v })));
    await disk.close();
    const reopened = open(dir).disk;
    for (const [key, v] of Object.entries(values)) expect(reopened.get(key)).toStrictEqual(v);
  });

  it('refuses values JSON would not give back as written (an assertion)', () => {
    const { disk } = open(tempDir());
    class Box {
      x = 1;
    }
    for (const bad of [{ a: undefined }, { n: NaN }, [1, Infinity], new Map(), new Box(), { deep: { list: [{ u: undefined }] } }, 10n]) {
      expect(() => disk.write([{ key: 'k', value: bad }])).toThrow(AssertionError);
    }
    expect(disk.get('k')).toBeUndefined();
  });
});

describe('FileDisk: durability and group commit', () => {
  it('runs onDurable only after the fsync of its write, in issue order, never inside write()', async () => {
    const { disk } = open(tempDir(), { fsyncDelayMs: 15 });
    const seen: { i: number; durable: boolean; fsyncs: number }[] = [];
    const issue = (i: number) => disk.write([{ key: `k${i}`, value: i }], () => seen.push({ i, durable: disk.durableKeys('').includes(`k${i}`), fsyncs: disk.stats.fsyncs }));
    issue(0);
    expect(seen).toEqual([]);
    expect(disk.get('k0')).toBe(0); // visible at once
    expect(disk.durableKeys('')).toEqual([]);
    await nextTurn();
    issue(1);
    issue(2);
    await sleep(5);
    issue(3);
    await waitFor(() => seen.length === 4, 'four callbacks');
    expect(seen.map((s) => s.i)).toEqual([0, 1, 2, 3]);
    expect(seen.every((s) => s.durable && s.fsyncs >= 1)).toBe(true);
    // 0 went alone; 1..3 were issued while its fsync was in flight and share the next one.
    expect(disk.stats.fsyncs).toBe(2);
  });

  it('gives every write issued in one turn one fsync, and writes in separate turns one each', async () => {
    const { disk } = open(tempDir());
    let done = 0;
    for (let i = 0; i < 50; i++) disk.write([{ key: `k${i}`, value: i }], () => done++);
    await waitFor(() => done === 50, '50 callbacks');
    expect(disk.stats.fsyncs).toBe(1);
    expect(disk.stats.groupWritesMax).toBe(50);
    for (let turn = 0; turn < 3; turn++) await durable(disk);
    expect(disk.stats.fsyncs).toBe(4);
  });

  it('reopens with everything durable; a crash loses only what was not yet written', async () => {
    const dir = tempDir();
    const { disk } = open(dir);
    for (let i = 0; i < 100; i++) disk.write([{ key: `k${i}`, value: { i } }, ...(i % 10 === 0 ? [{ key: `k${i - 5}`, value: undefined }] : [])]);
    await durable(disk);
    let lateCallback = false;
    disk.write([{ key: 'late', value: 1 }], () => (lateCallback = true));
    expect(disk.crash()).toBe(1);
    await sleep(10);
    expect(lateCallback).toBe(false);
    const { disk: again, recovery } = open(dir);
    expect(again.get('late')).toBeUndefined();
    expect(again.get('k99')).toEqual({ i: 99 });
    expect(again.get('k5')).toBeUndefined();
    expect(again.keys('k').length).toBe(100 - 9);
    expect(recovery.tornTail).toBeNull();
    expect(recovery.keys).toBe(91);
  });
});

describe('FileDisk: recovery from damage', () => {
  /** Three durable groups in one log; returns the log path and each record's start offset. */
  async function threeGroups(dir: string) {
    const { disk } = open(dir);
    const logPath = join(dir, disk.files()[0]!);
    const starts: number[] = [];
    for (const g of ['g1', 'g2', 'g3']) {
      starts.push(statSync(logPath).size);
      disk.write([{ key: g, value: `value of ${g}` }]);
      await durable(disk);
    }
    await disk.close();
    return { logPath, starts, size: statSync(logPath).size };
  }

  it('cuts a torn last record, reports it, and serves the rest', async () => {
    const dir = tempDir();
    const { logPath, starts, size } = await threeGroups(dir);
    truncateSync(logPath, size - 5); // in the middle of g3's record
    const { disk, recovery } = open(dir);
    expect(disk.get('g1')).toBe('value of g1');
    expect(disk.get('g2')).toBe('value of g2');
    expect(disk.get('g3')).toBeUndefined();
    expect(recovery.tornTail).toMatchObject({ file: logPath, offsetBytes: starts[2], droppedBytes: size - 5 - starts[2]! });
    expect(statSync(logPath).size).toBe(starts[2]);
    disk.write([{ key: 'g4', value: 4 }]);
    await disk.close();
    const again = open(dir);
    expect(again.recovery.tornTail).toBeNull();
    expect(again.disk.keys('g')).toEqual(['g1', 'g2', 'g4']);
  });

  it('treats a zero-filled tail (what a power loss can leave) as torn', async () => {
    const dir = tempDir();
    const { logPath, size } = await threeGroups(dir);
    appendFileSync(logPath, Buffer.alloc(4096));
    const { disk, recovery } = open(dir);
    expect(disk.keys('g')).toEqual(['g1', 'g2', 'g3']);
    expect(recovery.tornTail).toMatchObject({ offsetBytes: size, droppedBytes: 4096, reason: 'no record magic' });
  });

  it('refuses to start on a flipped byte in an earlier record, naming the file and offset', async () => {
    for (const where of ['payload', 'length', 'checksum'] as const) {
      const dir = tempDir();
      const { logPath, starts } = await threeGroups(dir);
      const bytes = readFileSync(logPath);
      const at = starts[1]! + (where === 'payload' ? RECORD_HEADER_BYTES + 3 : where === 'length' ? 7 : 9);
      bytes[at] = bytes[at]! ^ 0x20;
      writeFileSync(logPath, bytes);
      let error: unknown;
      try {
        FileDisk.open(dir);
      } catch (err) {
        error = err;
      }
      expect(error, where).toBeInstanceOf(CorruptFileError);
      expect(error).toBeInstanceOf(UserError);
      const e = error as CorruptFileError;
      expect(e.path).toBe(logPath);
      expect(e.offsetBytes).toBe(starts[1]);
      expect(e.message).toContain(logPath);
      expect(e.message).toContain(`byte offset ${starts[1]}`);
    }
  });

  it('refuses a torn tail in a log that a newer log follows (it was complete when the next one began)', async () => {
    const dir = tempDir();
    const { logPath, starts, size } = await threeGroups(dir);
    truncateSync(logPath, size - 5);
    writeFileSync(join(dir, 'log.000000000002'), ''); // a compaction cut the log, then crashed
    expect(() => FileDisk.open(dir)).toThrow(CorruptFileError);
    expect(() => FileDisk.open(dir)).toThrow(`${logPath}: corrupt record at byte offset ${starts[2]}`);
  });
});

describe('FileDisk: compaction', () => {
  it('keeps the state through snapshots and log cuts, across reopens', async () => {
    const dir = tempDir();
    const model = new Map<string, unknown>();
    const { disk } = open(dir, { compactLogMinBytes: 4000 });
    for (let round = 0; round < 30; round++) {
      const ops: DiskOp[] = [];
      for (let j = 0; j < 10; j++) {
        const key = `raft/1/e/${(round * 7 + j) % 60}`;
        const v = (round + j) % 9 === 0 ? undefined : { kind: 'normal', index: round * 10 + j, term: 1, data: `put ${round}/${j}` };
        ops.push({ key, value: v });
        if (v === undefined) model.delete(key);
        else model.set(key, v);
      }
      disk.write(ops);
      await durable(disk);
    }
    await waitFor(() => disk.stats.compactions >= 2, 'two compactions');
    await disk.close();
    const { disk: again, recovery } = open(dir, { compactLogMinBytes: 4000 });
    expect(recovery.snapshot).not.toBeNull();
    expect(again.files().filter((f) => f.startsWith('snap.'))).toHaveLength(1);
    expect(again.keys('')).toEqual([...model.keys()].sort());
    for (const [k, v] of model) expect(again.get(k)).toStrictEqual(v);
  });

  it('compact() snapshots on demand; a leftover unfinished snapshot is removed at start-up', async () => {
    const dir = tempDir();
    const { disk } = open(dir);
    disk.write([{ key: 'x', value: 'before' }]);
    await disk.compact();
    disk.write([{ key: 'y', value: 'after' }]);
    await disk.close();
    const leftover = join(dir, 'snap.000000000099.tmp');
    writeFileSync(leftover, 'half a snapshot');
    const { disk: again, recovery } = open(dir);
    expect(again.get('x')).toBe('before');
    expect(again.get('y')).toBe('after');
    expect(recovery.removedFiles).toContain(leftover);
    expect(existsSync(leftover)).toBe(false);
    expect(again.files()).toEqual(['log.000000000002', 'snap.000000000002']);
  });
});

describe('FileDisk: the directory lock', () => {
  it('refuses a directory another live process holds', async () => {
    const dir = tempDir();
    const holder = spawn('sleep', ['30'], { stdio: 'ignore' });
    onCleanup(() => holder.kill('SIGKILL'));
    await waitFor(() => holder.pid !== undefined, 'the holder process');
    writeFileSync(join(dir, 'LOCK'), `${holder.pid}\n`);
    expect(() => FileDisk.open(dir)).toThrow(/in use by process/);
    holder.kill('SIGKILL');
    await new Promise((resolve) => holder.once('exit', resolve));
    expect(open(dir).disk.keys('')).toEqual([]); // a dead owner's lock is taken over
  });
});
