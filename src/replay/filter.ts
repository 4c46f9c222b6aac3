// The `/` filter: a machine (n3, c2, probe), a shard (s2, shard 2 or a bare number) or a key.
import type { Filter, Replay } from './replay.js';

/** The filter the text names, or a one-line reason it names nothing in this trace. */
export function parseFilter(text: string, replay: Replay): Filter | string {
  const t = text.trim();
  const shard = /^(?:s|shard\s*)?(\d+)$/i.exec(t);
  if (shard !== null) {
    const n = Number(shard[1]);
    if (n < replay.store.shards) return { kind: 'shard', shard: n };
    return `no shard ${n} (shards 0..${Math.max(0, replay.store.shards - 1)})`;
  }
  if (replay.store.findName(t) >= 0) return { kind: 'machine', name: t };
  if (replay.keys.has(t)) return { kind: 'key', key: t };
  return `no machine, shard or key named "${t}"`;
}

export function formatFilter(filter: Filter): string {
  switch (filter.kind) {
    case 'machine':
      return filter.name;
    case 'shard':
      return `shard ${filter.shard}`;
    case 'key':
      return `key ${filter.key}`;
  }
}
