// Malformed store sections are bad input: exit 2 with one located line.
import { describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { kvsim } from '../cli/helpers.js';

const base = 'duration: 2s\ncluster:\n  machines: 3\n  shards: 2\n';
const cases: [name: string, text: string, located: RegExp][] = [
  ['workload-typo', base + 'workload:\n  clients: 2\n  raet: 100\n', /:7:3: workload\.raet: unknown key "raet" \(did you mean "rate"\?\)/],
  ['bad-level', base + 'workload:\n  clients: 2\n  levels: { stale: 1 }\n', /:7:13: workload\.levels\.stale: unknown key "stale"; expected one of linearizable, lease, follower, session, bounded/],
  ['replication-zero', 'duration: 2s\ncluster:\n  machines: 3\n  replication: 0\n', /:4:16: cluster\.replication: expected number to be >=1/],
  ['raft-duration', base + 'raft:\n  tick: fast\n', /:6:9: raft\.tick: expected a duration/],
  ['bad-distribution', base + 'workload:\n  clients: 2\n  distribution: pareto\n', /:7:17: workload\.distribution/],
  ['negative-rate', base + 'workload:\n  clients: 2\n  rate: -5\n', /:7:9: workload\.rate: expected number to be >0/],
  ['partition-one-side', base + 'faults:\n  - at: 1s\n    partition: [[n1, n2]]\n', /:7:16: faults\[0\]\.partition/],
  ['checks-typo', base + 'checks:\n  setle: 2s\n', /:6:3: checks\.setle: unknown key "setle" \(did you mean "settle"\?\)/],
];

describe('malformed store sections', () => {
  mkdirSync('reports/.test/bad-store', { recursive: true });
  it.each(cases)('%s exits 2 with one located line', (name, text, located) => {
    const file = `reports/.test/bad-store/${name}.yaml`;
    writeFileSync(file, text);
    const result = kvsim(['run', file]);
    expect(result.code).toBe(2);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(located);
  });
});
