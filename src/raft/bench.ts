// Benchmarks of the Raft layer. src/ may not read the wall clock, so the caller injects one
// (`nowMs`, e.g. the high-resolution clock of node:perf_hooks, read by the CLI).
import { confOf, defaultRaftConfig } from './config.js';
import type { AppendRequest, Entry } from './messages.js';
import { RaftReplica } from './replica.js';

export interface BenchClock {
  nowMs(): number;
}

export interface BenchRaftStepOptions extends BenchClock {
  /** AppendEntries messages to push through one follower. */
  messages?: number;
  entriesPerMessage?: number;
}

/**
 * Messages per second through one follower's `step` + `ready` + `persisted`: a stream of
 * AppendEntries, each answered, as a follower sees it in steady state.
 */
export function benchRaftStep(opts: BenchRaftStepOptions): { messagesPerSec: number; messages: number; wallMs: number } {
  const messages = opts.messages ?? 100_000;
  const per = opts.entriesPerMessage ?? 4;
  const r = new RaftReplica({
    config: defaultRaftConfig(1, 'b'),
    rng: { int: (lo: number) => lo },
    bootstrap: confOf(['a', 'b', 'c']),
  });
  r.ready();
  let index = 0;
  let compactedTo = 0;
  const start = opts.nowMs();
  for (let i = 0; i < messages; i++) {
    const entries: Entry[] = [];
    for (let k = 0; k < per; k++) entries.push({ kind: 'normal', index: index + 1 + k, term: 1, data: `v${index + k}` });
    const m: AppendRequest = { group: 1, from: 'a', to: 'b', term: 1, type: 'append', prevIndex: index, prevTerm: index === 0 ? 0 : 1, entries, commit: index };
    r.step(m);
    const rd = r.ready();
    if (rd.persist !== null) r.persisted(rd.persist.id);
    index += per;
    // Keep the log short, as a real host would by snapshotting.
    if (r.appliedIndex - compactedTo > 10_000) {
      compactedTo = r.appliedIndex;
      r.compact(compactedTo, '');
      r.ready();
    }
  }
  const wallMs = Math.max(opts.nowMs() - start, 1e-3);
  return { messagesPerSec: Math.round((messages / wallMs) * 1000), messages, wallMs };
}
