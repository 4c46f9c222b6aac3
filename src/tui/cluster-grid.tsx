// Machines x shards: each cell is one replica's role letter and term, its commit/applied
// index and how far it lags its leader. Cells shrink (full, medium, compact) to fit the width.
import { Box } from 'ink';
import type { GridCell, GridRow, GridView, RoleLetter } from '../replay/view.js';
import { Heading, Line, padText, type Piece } from './line.js';

type CellLevel = 'full' | 'medium' | 'compact';

const ROLE_COLORS: Record<RoleLetter, string | undefined> = { L: 'green', C: 'yellow', P: 'yellow', F: undefined, l: 'cyan', '.': 'gray' };
/** Lag (entries) from which a replica counts as far behind. */
const LAG_FAR_ENTRIES = 20;

function cellPieces(cell: GridCell, crashed: boolean, level: CellLevel): Piece[] {
  if (cell.role === '.') return [{ text: '.', color: 'gray' }];
  const role = crashed ? 'x' : cell.role;
  const color = crashed ? 'red' : ROLE_COLORS[cell.role];
  const lag = cell.lag !== null && cell.lag > 0 ? cell.lag : 0;
  const lagColor = lag >= LAG_FAR_ENTRIES ? 'red' : 'yellow';
  if (level === 'compact') return [{ text: role, color, bold: cell.role === 'L' }, { text: lag > 0 ? '!' : '', color: lagColor }];
  const pieces: Piece[] = [{ text: `${role}${cell.term}`, color, bold: cell.role === 'L' }];
  if (level === 'full') pieces.push({ text: ` ${cell.commit}/${cell.applied}`, dim: crashed });
  if (lag > 0) pieces.push({ text: ` -${lag}`, color: lagColor });
  return pieces;
}

function piecesLength(pieces: readonly Piece[]): number {
  return pieces.reduce((n, p) => n + p.text.length, 0);
}

function marksOf(row: GridRow): string {
  const marks: string[] = [];
  if (row.crashed) marks.push('down');
  if (row.paused) marks.push('pause');
  if (row.cutOff) marks.push('cut');
  return marks.join('+');
}

const LEVELS = ['full', 'medium', 'compact'] as const;

interface Fit {
  level: CellLevel;
  colWidths: number[];
  /** Shards that fit in the room. */
  shown: number;
}

function fitCells(grid: GridView, room: number): Fit {
  let fit: Fit = { level: 'compact', colWidths: [], shown: 0 };
  for (const level of LEVELS) {
    const colWidths = Array.from({ length: grid.shards }, (_, s) =>
      Math.max(`s${s}`.length, ...grid.rows.map((r) => piecesLength(cellPieces(r.cells[s]!, r.crashed, level)))) + 1,
    );
    let shown = 0;
    let used = 0;
    while (shown < grid.shards && used + colWidths[shown]! <= room) used += colWidths[shown++]!;
    fit = { level, colWidths, shown };
    if (shown === grid.shards) break;
  }
  return fit;
}

export function ClusterGrid({ grid, width, rows }: { grid: GridView; width: number; rows: number }) {
  const nameWidth = Math.max(2, ...grid.rows.map((r) => r.machine.length)) + 1;
  const markWidth = Math.max(0, ...grid.rows.map((r) => marksOf(r).length));
  const bareLabel = nameWidth + (markWidth > 0 ? markWidth + 1 : 0);
  // A trace with places names each machine's zone after it, unless that costs cells their detail.
  const placeWidth = Math.max(0, ...grid.rows.map((r) => (r.place === null ? 0 : r.place.length + 1)));
  const bare = fitCells(grid, width - bareLabel);
  const placed = placeWidth > 0 ? fitCells(grid, width - bareLabel - placeWidth) : null;
  const withPlaces = placed !== null && placed.shown === bare.shown && LEVELS.indexOf(placed.level) <= LEVELS.indexOf(bare.level);
  const { level, colWidths, shown } = withPlaces ? placed : bare;
  const shownPlaceWidth = withPlaces ? placeWidth : 0;
  const labelWidth = bareLabel + shownPlaceWidth;
  // Shards that still do not fit are left out, and the heading says how many.
  const hidden = grid.shards - shown;
  const legend = level === 'full' ? 'role+term commit/applied -lag' : level === 'medium' ? 'role+term -lag' : 'role !lag';
  const header: Piece[] = [{ text: padText('', labelWidth) }];
  for (let s = 0; s < shown; s++) header.push({ text: padText(`s${s}`, colWidths[s]!), bold: true });
  const bodyRows = Math.max(0, rows - 2);
  const visible = grid.rows.slice(0, bodyRows);
  return (
    <Box flexDirection="column" width={width}>
      <Heading title="cluster" width={width} note={hidden > 0 ? `${legend}, +${hidden} shards` : legend} />
      {rows >= 2 && <Line width={width} pieces={header} />}
      {visible.map((row, r) => {
        const nameColor = row.crashed ? 'red' : row.cutOff ? 'magenta' : row.paused ? 'yellow' : undefined;
        const pieces: Piece[] = [{ text: padText(row.machine, nameWidth), bold: true, color: nameColor }];
        if (shownPlaceWidth > 0) pieces.push({ text: padText(row.place ?? '', shownPlaceWidth), dim: true });
        if (markWidth > 0) pieces.push({ text: padText(marksOf(row), markWidth + 1), color: nameColor });
        for (let s = 0; s < shown; s++) {
          const cell = cellPieces(row.cells[s]!, row.crashed, level);
          pieces.push(...cell, { text: ' '.repeat(colWidths[s]! - piecesLength(cell)) });
        }
        if (r === bodyRows - 1 && grid.rows.length > bodyRows) return <Line key={r} width={width} pieces={[{ text: `+${grid.rows.length - r} more machines`, dim: true }]} />;
        return <Line key={r} width={width} pieces={pieces} />;
      })}
    </Box>
  );
}
