// Same code, proven: the real runtime runs the very modules the simulator runs — the store
// server, the Raft replica (through the store's multi-Raft host), the KV state machine and the
// client — imported, not copied; and nothing under store/ or raft/ knows the runtime exists.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { importsOf, sources } from '../source-files.js';

const graph = new Map(sources('src').map((f) => [f.replace(/\.tsx?$/, ''), importsOf(f, readFileSync(f, 'utf8'))]));

/** Every module reachable from `root` by imports. */
function reachable(root: string): Set<string> {
  const seen = new Set<string>();
  const todo = [root];
  while (todo.length > 0) {
    const m = todo.pop()!;
    if (seen.has(m)) continue;
    seen.add(m);
    for (const t of graph.get(m) ?? []) todo.push(t);
  }
  return seen;
}

describe('the real runtime runs the simulated store', () => {
  it('the real server and client import the store, Raft and KV modules the simulator runs', () => {
    const server = reachable('src/node/server');
    for (const m of ['src/store/server', 'src/store/raft-host', 'src/raft/replica', 'src/store/kv', 'src/real/context']) expect(server, m).toContain(m);
    const client = reachable('src/node/client');
    expect(client).toContain('src/store/client');
    // ... and the simulator's store engine reaches the same files.
    const sim = reachable('src/harness/store-engine');
    for (const m of ['src/store/server', 'src/store/raft-host', 'src/raft/replica', 'src/store/kv', 'src/store/client']) expect(sim, m).toContain(m);
  });

  it('no module under store/ or raft/ imports the runtime (real/, node/)', () => {
    const offenders = [...graph]
      .filter(([from]) => /^src\/(store|raft)\//.test(from))
      .flatMap(([from, to]) => to.filter((t) => /^src\/(real|node)\//.test(t)).map((t) => `${from} -> ${t}`));
    expect(offenders).toEqual([]);
    // The check would see one: a made-up import is caught by the same filter.
    expect(['src/real/context'].filter((t) => /^src\/(real|node)\//.test(t))).toHaveLength(1);
  });
});
