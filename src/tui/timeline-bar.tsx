// The whole run as one bar: a column per slice of simulated time, marked with the weightiest
// notable event in it, and a caret under the cursor.
import { Box } from 'ink';
import type { NotableKind } from '../replay/replay.js';
import { formatSecondsMs } from '../replay/time.js';
import { Heading, Line, type Piece } from './line.js';

export const MARK_CHARS: Record<NotableKind, string> = { election: 'E', fault: 'F', stale: 's', violation: 'V' };
export const MARK_COLORS: Record<NotableKind, string> = { election: 'green', fault: 'magenta', stale: 'yellow', violation: 'red' };

export function barPieces(marks: readonly (NotableKind | null)[], cursorColumn: number): Piece[] {
  const pieces: Piece[] = [];
  let run = '';
  const flush = (): void => {
    if (run !== '') pieces.push({ text: run, dim: true });
    run = '';
  };
  marks.forEach((mark, col) => {
    if (col === cursorColumn) {
      flush();
      pieces.push({ text: mark === null ? '|' : MARK_CHARS[mark], inverse: true, bold: true });
    } else if (mark === null) run += '-';
    else {
      flush();
      pieces.push({ text: MARK_CHARS[mark], color: MARK_COLORS[mark], bold: mark === 'violation' });
    }
  });
  flush();
  return pieces;
}

export function caretLine(width: number, cursorColumn: number, cursorUs: number, durationUs: number): string {
  const label = `^ ${formatSecondsMs(cursorUs)}`;
  const end = formatSecondsMs(durationUs);
  // The label sits right of the caret, or left of it when it would run off the bar.
  const start = cursorColumn + label.length <= width ? cursorColumn : Math.max(0, cursorColumn - label.length + 1);
  const text = start === cursorColumn ? label : `${formatSecondsMs(cursorUs)} ^`;
  let line = ' '.repeat(start) + text;
  if (line.length + end.length + 2 <= width) line += ' '.repeat(width - line.length - end.length) + end;
  return line;
}

export function TimelineBar(props: { marks: readonly (NotableKind | null)[]; cursorColumn: number; cursorUs: number; durationUs: number; width: number }) {
  const { marks, cursorColumn, cursorUs, durationUs, width } = props;
  return (
    <Box flexDirection="column" width={width}>
      <Heading title="timeline" width={width} note="E election  F fault  s stale read  V violation" />
      <Line width={width} pieces={barPieces(marks, cursorColumn)} />
      <Line width={width} pieces={[{ text: caretLine(width, cursorColumn, cursorUs, durationUs), bold: true }]} />
    </Box>
  );
}
