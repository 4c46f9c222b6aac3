// The network now: partition sides (or single cut links), loss and delay in force, clogged
// links, and the messages in flight.
import { Box } from 'ink';
import { formatSides } from '../replay/network.js';
import { formatSpanUs } from '../replay/time.js';
import type { GridView, NetworkView } from '../replay/view.js';
import { Heading, Line, wrapPieces, type Piece } from './line.js';

function percent(p: number): string {
  return `${+(p * 100).toFixed(2)}%`;
}

export function networkLines(net: NetworkView, grid: GridView): Piece[][] {
  const lines: Piece[][] = [];
  if (net.sides !== null) lines.push([{ text: 'partition ', bold: true }, { text: formatSides(net.sides), color: 'magenta' }]);
  else if (net.cutLinks.length > 0) lines.push([{ text: 'cut ', bold: true }, { text: net.cutLinks.join(', '), color: 'magenta' }]);
  else lines.push([{ text: 'no partition', color: 'green' }]);
  // Only faults change rates in the trace; the scenario's own loss is not recorded there.
  const faulty = net.rates.drop > 0 || net.rates.duplicate > 0 || net.rates.delayExtraUs > 0;
  if (!faulty) lines.push([{ text: 'no loss or delay fault', dim: true }]);
  else {
    lines.push([
      { text: 'drop ', bold: true },
      { text: `${percent(net.rates.drop)} `, color: 'yellow' },
      { text: 'dup ', bold: true },
      { text: `${percent(net.rates.duplicate)} `, color: 'yellow' },
      { text: 'delay ', bold: true },
      { text: `+${formatSpanUs(net.rates.delayExtraUs)}`, color: 'yellow' },
    ]);
  }
  lines.push([
    { text: 'in flight ', bold: true },
    { text: String(net.inflight) },
    { text: ` raft ${net.inflightRaft}, client ${net.inflightClient}`, dim: true },
  ]);
  if (net.inflight > 0) {
    lines.push([
      { text: 'oldest ', bold: true },
      { text: `${formatSpanUs(net.oldestInflightUs)} `, dim: true },
      { text: 'busiest ', bold: true },
      { text: net.busiest.join(', '), dim: true },
    ]);
  }
  if (net.clogs.length > 0) lines.push([{ text: 'clogged ', bold: true }, { text: net.clogs.join(', '), color: 'yellow' }]);
  const down = grid.rows.filter((r) => r.crashed).map((r) => r.machine);
  if (down.length > 0) lines.push([{ text: 'crashed ', bold: true }, { text: down.join(', '), color: 'red' }]);
  const paused = grid.rows.filter((r) => r.paused).map((r) => r.machine);
  if (paused.length > 0) lines.push([{ text: 'paused ', bold: true }, { text: paused.join(', '), color: 'yellow' }]);
  const skewed = grid.rows.filter((r) => r.skewUs !== 0).map((r) => `${r.machine} ${r.skewUs > 0 ? '+' : ''}${formatSpanUs(r.skewUs)}`);
  if (skewed.length > 0) lines.push([{ text: 'clock skew ', bold: true }, { text: skewed.join(', '), color: 'yellow' }]);
  const slow = grid.rows.filter((r) => r.diskFactor !== 1).map((r) => `${r.machine} x${r.diskFactor}`);
  if (slow.length > 0) lines.push([{ text: 'slow disk ', bold: true }, { text: slow.join(', '), color: 'yellow' }]);
  return lines;
}

export function NetworkPanel({ net, grid, width, rows }: { net: NetworkView; grid: GridView; width: number; rows: number }) {
  const lines = networkLines(net, grid).flatMap((pieces) => wrapPieces(pieces, width));
  const room = Math.max(0, rows - 1);
  const shown = lines.length > room ? [...lines.slice(0, room - 1), [{ text: `+${lines.length - room + 1} more`, dim: true }]] : lines;
  return (
    <Box flexDirection="column" width={width}>
      <Heading title="network" width={width} />
      {shown.map((pieces, i) => (
        <Line key={i} width={width} pieces={pieces} />
      ))}
    </Box>
  );
}
