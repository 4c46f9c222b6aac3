// Figures of the real runtime for `kvsim bench` (the CLI wiring lives in src/cli/bench): fsync'd
// write batches per second with one writer and with many (group commit), start-up recovery time
// of a large log, and the codec's speed on the store's own messages. Each function works in a
// fresh directory under the OS temp dir and removes it. Figures have the shape of the CLI's
// BenchFigure (name, value, unit, key), without targets: timing is a measurement, not a test.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DiskOp } from '../sim/disk.js';
import { FileDisk } from './disk.js';
import { decodeValue, encodeValue } from './codec.js';
import { encodeFrame } from './frames.js';

export interface RealBenchFigure {
  name: string;
  value: number;
  unit: string;
  key: string;
}

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

function scratchDir(): string {
  return mkdtempSync(join(tmpdir(), 'kvsim-bench-'));
}

/** A Raft append of one put entry plus the hard state, as RaftHost writes it. */
function appendBatch(i: number): DiskOp[] {
  const data = encodeValue({ type: 'put', opId: 100_000 + i, key: `key-${i % 1000}`, value: `value-${i}-xxxxxxxxxxxxxxxx` });
  return [
    { key: `raft/7/e/${i}`, value: { kind: 'normal', index: i, term: 3, data } },
    { key: 'raft/7/hs', value: { term: 3, vote: 'n1', commit: i - 1 } },
  ];
}

/** Batches per second when each write waits for the previous one to be durable. */
export async function fsyncSingleWriter(durationMs: number): Promise<{ batchesPerSec: number; fsyncs: number }> {
  const dir = scratchDir();
  const { disk } = FileDisk.open(dir);
  try {
    const start = nowMs();
    let n = 0;
    // Bound: the duration.
    while (nowMs() - start < durationMs) {
      n++;
      await new Promise<void>((resolve) => disk.write(appendBatch(n), resolve));
    }
    const batchesPerSec = n / ((nowMs() - start) / 1000);
    await disk.close();
    return { batchesPerSec, fsyncs: disk.stats.fsyncs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Batches per second with `writers` writers each waiting for its own previous write (group commit). */
export async function fsyncConcurrentWriters(writers: number, durationMs: number): Promise<{ batchesPerSec: number; fsyncsPerSec: number; writesPerFsync: number }> {
  const dir = scratchDir();
  const { disk } = FileDisk.open(dir);
  try {
    const start = nowMs();
    let next = 0;
    let n = 0;
    const writer = async () => {
      while (nowMs() - start < durationMs) {
        const i = ++next;
        await new Promise<void>((resolve) => disk.write(appendBatch(i), resolve));
        n++;
      }
    };
    await Promise.all(Array.from({ length: writers }, writer));
    const seconds = (nowMs() - start) / 1000;
    await disk.close();
    return { batchesPerSec: n / seconds, fsyncsPerSec: disk.stats.fsyncs / seconds, writesPerFsync: n / Math.max(1, disk.stats.fsyncs) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Start-up time of a log of `records` Raft entries (written 100 per batch, no snapshot). */
export async function recoveryTime(records: number): Promise<{ recoveryMs: number; keys: number; logBytes: number }> {
  const dir = scratchDir();
  try {
    const { disk } = FileDisk.open(dir, { compactLogMinBytes: Number.MAX_SAFE_INTEGER });
    for (let i = 1; i <= records; i += 100) {
      const ops: DiskOp[] = [];
      for (let k = i; k < i + 100 && k <= records; k++) ops.push(appendBatch(k)[0]!);
      disk.write(ops);
    }
    await disk.close();
    const start = nowMs();
    const { disk: again, recovery } = FileDisk.open(dir, { compactLogMinBytes: Number.MAX_SAFE_INTEGER });
    const recoveryMs = nowMs() - start;
    await again.close();
    return { recoveryMs, keys: recovery.keys, logBytes: recovery.logs.reduce((s, l) => s + l.bytes, 0) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Realistic envelopes: an AppendEntries with 4 entries, 16 coalesced heartbeats, a client request and reply. */
export function sampleMessages(): { name: string; envelope: unknown }[] {
  const put = (i: number) => encodeValue({ type: 'put', opId: 1000 + i, key: `user:${i}`, value: `v-${i}-abcdefghijklmnop` });
  return [
    {
      name: 'append4',
      envelope: { from: 'n1', to: 'n2', id: 12345, label: 'raft.append', payload: { kind: 'raft', msg: { type: 'append', group: 17, from: 'n1', to: 'n2', term: 4, prevIndex: 1200, prevTerm: 4, entries: [0, 1, 2, 3].map((k) => ({ kind: 'normal', index: 1201 + k, term: 4, data: put(k) })), commit: 1199 } } },
    },
    {
      name: 'heartbeats16',
      envelope: { from: 'n1', to: 'n2', id: 12346, label: 'raft.batch', payload: { kind: 'raft-batch', msgs: Array.from({ length: 16 }, (_, g) => ({ type: 'heartbeat', group: g, from: 'n1', to: 'n2', term: 4, commit: 1199, round: 77 })) } },
    },
    { name: 'clientRequest', envelope: { from: 'c1', to: 'n2', id: 9, label: 'get.follower', payload: { kind: 'req', reqId: 55, opId: 9001, shard: 3, op: 'get', key: 'user:42', level: 'follower' } } },
    { name: 'clientReply', envelope: { from: 'n2', to: 'c1', id: 10, label: 'reply.ok', payload: { kind: 'reply', reqId: 55, status: 'ok', value: 'v-42-abcdefghijklmnop', index: 1201, version: 1100 } } },
  ];
}

/** Encode (to a frame) + decode per second for each sample message, and its frame size. */
export function codecSpeed(iterations: number): { name: string; roundTripsPerSec: number; frameBytes: number }[] {
  const out: { name: string; roundTripsPerSec: number; frameBytes: number }[] = [];
  for (const { name, envelope } of sampleMessages()) {
    let frameBytes = 0;
    for (let i = 0; i < Math.min(2000, iterations); i++) decodeValue(encodeFrame(encodeValue(envelope)).toString('utf8', 4)); // warm-up
    const start = nowMs();
    for (let i = 0; i < iterations; i++) {
      const frame = encodeFrame(encodeValue(envelope));
      frameBytes = frame.length;
      decodeValue(frame.toString('utf8', 4));
    }
    out.push({ name, roundTripsPerSec: iterations / ((nowMs() - start) / 1000), frameBytes });
  }
  return out;
}

/** Every figure, for the bench table; `quick` shortens each measurement. */
export async function realBench(quick: boolean): Promise<RealBenchFigure[]> {
  const ms = quick ? 300 : 2000;
  const single = await fsyncSingleWriter(ms);
  const many = await fsyncConcurrentWriters(64, ms);
  const rec = await recoveryTime(quick ? 10_000 : 100_000);
  const figures: RealBenchFigure[] = [
    { name: 'disk: fsync\'d batches/s, one writer', value: Math.round(single.batchesPerSec), unit: '/s', key: 'realDiskSingleBatchesPerSec' },
    { name: 'disk: fsync\'d batches/s, 64 writers (group commit)', value: Math.round(many.batchesPerSec), unit: '/s', key: 'realDiskGroupBatchesPerSec' },
    { name: 'disk: writes per fsync, 64 writers', value: Math.round(many.writesPerFsync * 10) / 10, unit: 'writes', key: 'realDiskWritesPerFsync' },
    { name: `disk: recovery of ${rec.keys} records`, value: Math.round(rec.recoveryMs), unit: 'ms', key: 'realDiskRecoveryMs' },
  ];
  for (const c of codecSpeed(quick ? 20_000 : 200_000)) {
    figures.push({ name: `codec: JSON frame round trips/s, ${c.name} (${c.frameBytes} B)`, value: Math.round(c.roundTripsPerSec), unit: '/s', key: `realCodec_${c.name}` });
  }
  return figures;
}
