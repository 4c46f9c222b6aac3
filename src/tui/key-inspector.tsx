// One key across its replicas: the value each holds against the latest committed value, and
// the last reads of it — staleness made visible.
import { Box } from 'ink';
import { formatSecondsMs } from '../replay/time.js';
import type { KeyView } from '../replay/view.js';
import { Heading, Line, type Piece } from './line.js';

export function keyLines(view: KeyView): Piece[][] {
  const lines: Piece[][] = [];
  lines.push(
    view.committed === null
      ? [{ text: 'committed ', bold: true }, { text: '(never written)', dim: true }]
      : [{ text: 'committed ', bold: true }, { text: view.committed.value, color: 'green' }, { text: ` @${view.committed.index}`, dim: true }, { text: ` (${view.versions} versions)`, dim: true }],
  );
  for (const r of view.replicas) {
    const state: Piece = r.crashed
      ? { text: 'down', color: 'red' }
      : r.behind > 0
        ? { text: `stale -${r.behind}`, color: 'yellow', bold: true }
        : { text: 'up to date', color: 'green' };
    lines.push([
      { text: `${r.machine.padEnd(4)}${r.role} `, bold: true, color: r.role === 'L' ? 'green' : undefined },
      { text: r.value ?? '(none)', dim: r.value === null },
      { text: ` @${r.index} `, dim: true },
      state,
    ]);
  }
  if (view.reads.length > 0) lines.push([{ text: 'last reads', bold: true }]);
  for (const read of view.reads) {
    lines.push([
      { text: `${formatSecondsMs(read.tUs)} `, dim: true },
      { text: `${read.reader !== null ? `${read.reader}<-` : ''}${read.machine} ${read.level} ` },
      read.stale ? { text: `stale -${read.behind}`, color: 'yellow', bold: true } : { text: 'fresh', color: 'green' },
    ]);
  }
  return lines;
}

export function KeyInspector({ view, width, rows }: { view: KeyView | null; width: number; rows: number }) {
  const lines = view === null ? [[{ text: 'no key (press k to choose one)', dim: true }]] : keyLines(view);
  return (
    <Box flexDirection="column" width={width}>
      <Heading title={view === null ? 'key' : `key ${view.key}`} width={width} note={view === null ? undefined : `shard ${view.shard}`} />
      {lines.slice(0, Math.max(0, rows - 1)).map((pieces, i) => (
        <Line key={i} width={width} pieces={pieces} />
      ))}
    </Box>
  );
}
