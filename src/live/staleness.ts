// Stale-read marks for a merged real trace. A simulated server stamps each `store.read` with how
// many committed writes to the key it had not applied (`behind`, white-box: the store engine's
// observer knows every first application anywhere). A real server cannot know that, so it writes
// behind 0; after the run the driver knows it: the committed writes (from the servers' final
// state) give each key's versions, and the merged trace's raft.apply events say when each index
// was first applied anywhere. This pass rewrites `behind` and `stale` by the same rule, so the
// replay and the report mark stale follower reads of a real run as they do for a simulated one.
import { createReadStream, createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { CommittedWrite } from '../check/eventual.js';
import { parseTraceLine } from '../trace/reader.js';

/** Copies `inPath` to `outPath` with store.read events' `behind`/`stale` filled in; returns the stale count. */
export async function markStaleReads(inPath: string, outPath: string, committed: ReadonlyMap<string, CommittedWrite>): Promise<number> {
  const versionsOf = new Map<string, number[]>();
  for (const w of committed.values()) (versionsOf.get(w.key) ?? versionsOf.set(w.key, []).get(w.key)!).push(w.index);
  for (const list of versionsOf.values()) list.sort((a, b) => a - b);
  /** Highest index applied anywhere, per shard (Raft group). */
  const appliedAnywhere = new Map<number, number>();
  const out = createWriteStream(outPath);
  const lines = createInterface({ input: createReadStream(inPath, { encoding: 'utf8' }), crlfDelay: Infinity });
  let stale = 0;
  let lineNo = 0;
  const write = (text: string) => (out.write(text + '\n') ? Promise.resolve() : new Promise<void>((r) => out.once('drain', () => r())));
  for await (const line of lines) {
    lineNo++;
    if (line.trim() === '') continue;
    const e = parseTraceLine(inPath, lineNo, line);
    if (e.type === 'raft.apply') {
      if (e.to > (appliedAnywhere.get(e.group) ?? 0)) appliedAnywhere.set(e.group, e.to);
    } else if (e.type === 'store.read') {
      const versions = versionsOf.get(e.key) ?? [];
      const upTo = appliedAnywhere.get(e.shard) ?? 0;
      let behind = 0;
      for (const v of versions) if (v > e.version && v <= upTo) behind++;
      e.behind = behind;
      e.stale = behind > 0;
      if (e.stale) stale++;
      await write(JSON.stringify(e));
      continue;
    }
    await write(line);
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return stale;
}
