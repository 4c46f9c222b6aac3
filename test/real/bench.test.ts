// The bench functions return figures (timing is reported by `kvsim bench`, never judged here).
import { describe, expect, it } from 'vitest';
import { codecSpeed, fsyncConcurrentWriters, recoveryTime, sampleMessages } from '../../src/real/bench.js';
import { decodeValue, encodeValue } from '../../src/real/codec.js';
import { envelopeProblem } from '../../src/real/transport.js';
import { useRealTestLimits } from './helpers.js';

useRealTestLimits();

describe('real bench', () => {
  it('measures group commit, recovery and the codec', async () => {
    const many = await fsyncConcurrentWriters(16, 100);
    expect(many.batchesPerSec).toBeGreaterThan(0);
    expect(many.writesPerFsync).toBeGreaterThan(1); // concurrent writers share fsyncs
    const rec = await recoveryTime(2_000);
    expect(rec.keys).toBe(2_000);
    expect(rec.logBytes).toBeGreaterThan(2_000 * 50);
    const codec = codecSpeed(200);
    expect(codec.map((c) => c.name)).toEqual(sampleMessages().map((m) => m.name));
    for (const c of codec) expect(c.roundTripsPerSec).toBeGreaterThan(0);
  });

  it('samples realistic envelopes', () => {
    for (const { envelope } of sampleMessages()) {
      expect(envelopeProblem(envelope)).toBeNull();
      expect(decodeValue(encodeValue(envelope))).toStrictEqual(envelope);
    }
  });
});
