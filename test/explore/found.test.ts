// Failures the explorer found with no planted bug, kept as shrunk scenario files in
// test/fixtures/found/. Each test asserts the run passes and is marked `fails` while the bug is
// open: when the owning layer fixes it, the test turns red here, and `.fails` comes off.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { executeScenario } from '../../src/explore/execute.js';

const FOUND = [
  { file: 'leader-completeness-stale-term-leader.yaml', seed: 964721, check: 'invariants', owner: 'check/raft-invariants (oracle)' },
  { file: 'read-safety-duplicated-read-request.yaml', seed: 564375, check: 'invariants', owner: 'raft read-only queue / oracle' },
  { file: 'transfer-single-replica.yaml', seed: 1, check: 'assertion', owner: 'store/engine transfer' },
];

describe('failures found without a planted bug (open)', () => {
  for (const f of FOUND) {
    it.fails(`${f.file} seed ${f.seed} passes every check (${f.owner})`, () => {
      const path = `test/fixtures/found/${f.file}`;
      const out = executeScenario(path, readFileSync(path, 'utf8'), f.seed, []);
      expect(out.failing, out.failure?.message).toEqual([]);
    });
  }
});
