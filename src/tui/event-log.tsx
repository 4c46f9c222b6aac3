// Readable sentences around the cursor: what led up to it (bright) and what comes next (dim).
import { Box } from 'ink';
import type { LogLine } from '../replay/replay.js';
import { formatSecondsUs } from '../replay/time.js';
import { Heading, Line, type Piece } from './line.js';
import { MARK_CHARS, MARK_COLORS } from './timeline-bar.js';

export function logPieces(line: LogLine): Piece[] {
  const badge: Piece = line.notable === null ? { text: '  ' } : { text: `${MARK_CHARS[line.notable]} `, color: MARK_COLORS[line.notable], bold: true };
  const time: Piece = { text: `${formatSecondsUs(line.tUs).padStart(9)} `, dim: !line.cursor };
  if (line.cursor) return [{ text: '>', bold: true, color: 'cyan' }, time, badge, { text: line.text, bold: true, inverse: true }];
  return [{ text: ' ' }, time, badge, { text: line.text, dim: line.future }];
}

export function EventLog({ lines, width, rows, note }: { lines: readonly LogLine[]; width: number; rows: number; note?: string }) {
  return (
    <Box flexDirection="column" width={width}>
      <Heading title="events" width={width} note={note} />
      {lines.slice(0, Math.max(0, rows - 1)).map((line) => (
        <Line key={line.index} width={width} pieces={logPieces(line)} />
      ))}
    </Box>
  );
}
