// Splits the terminal among the panels. The frame stays one row shorter than the terminal:
// a frame as tall as the terminal makes ink clear the whole screen on every render (flicker).

export interface Layout {
  width: number;
  /** Rows the frame uses (terminal rows - 1). */
  height: number;
  leftWidth: number;
  rightWidth: number;
  /** Rows of the cluster grid and network panel (headings included). */
  topRows: number;
  /** Rows of the timeline (heading, bar, cursor line). */
  timelineRows: number;
  /** Rows of the event log and key inspector (headings included). */
  bottomRows: number;
}

const TITLE_ROWS = 1;
const STATUS_ROWS = 1;
const TIMELINE_ROWS = 3;
const NETWORK_ROWS_MIN = 7;
const BOTTOM_ROWS_MIN = 4;
const GAP_COLUMNS = 1;

export function layoutFor(width: number, rows: number, servers: number): Layout {
  const w = Math.max(40, width);
  const height = Math.max(12, rows - 1);
  const rightWidth = Math.min(64, Math.max(30, Math.round(w * 0.35)));
  const leftWidth = w - rightWidth - GAP_COLUMNS;
  const fixed = TITLE_ROWS + STATUS_ROWS + TIMELINE_ROWS;
  const topWanted = Math.max(2 + servers, NETWORK_ROWS_MIN);
  const topRows = Math.max(3, Math.min(topWanted, height - fixed - BOTTOM_ROWS_MIN));
  const bottomRows = Math.max(1, height - fixed - topRows);
  return { width: w, height, leftWidth, rightWidth, topRows, timelineRows: TIMELINE_ROWS, bottomRows };
}
