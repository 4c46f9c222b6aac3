// The title line (where and when we are, what happened so far) and the status line (speed,
// prompt or message, and the keys).
import { formatFilter } from '../replay/filter.js';
import type { Filter } from '../replay/replay.js';
import { formatSecondsMs } from '../replay/time.js';
import type { StatusView } from '../replay/view.js';
import { SPEEDS, type UiState } from './controls.js';
import { Line, type Piece } from './line.js';
import { MARK_CHARS, MARK_COLORS } from './timeline-bar.js';

export const KEY_HINT = '? help  q quit  space play  <-/-> step  [ ] speed  n/N notable  e p s v  g/G  t time  / filter  k key';

export function titlePieces(status: StatusView, filter: Filter | null): Piece[] {
  const pieces: Piece[] = [
    { text: 'kvsim replay ', bold: true, color: 'cyan' },
    { text: `${status.scenario}${status.seed !== null ? ` seed ${status.seed}` : ''}  `, bold: true },
    // Only for real runs, so the frames of simulated traces are unchanged.
    ...(status.real ? [{ text: 'real run, host clocks  ', bold: true, color: 'yellow' }] : []),
    { text: `t ${formatSecondsMs(status.tUs)}/${formatSecondsMs(status.durationUs)}  ` },
    { text: `event ${status.index + 1}/${status.count}  `, dim: true },
  ];
  for (const kind of ['election', 'fault', 'stale', 'violation'] as const) {
    pieces.push({ text: `${MARK_CHARS[kind]}`, color: MARK_COLORS[kind], bold: true }, { text: `${status.soFar[kind]} ` });
  }
  if (filter !== null) pieces.push({ text: ` filter: ${formatFilter(filter)}`, color: 'magenta', bold: true });
  return pieces;
}

const PROMPT_LABELS = { time: 'jump to time (12.5s, 300ms)', filter: 'filter by machine, shard or key (empty clears)', key: 'inspect key (tab completes, empty = follow stale reads)' };

export function statusPieces(ui: Pick<UiState, 'playing' | 'speedIndex' | 'prompt' | 'message'>, completions: readonly string[] = []): Piece[] {
  if (ui.prompt !== null) {
    const pieces: Piece[] = [{ text: `${PROMPT_LABELS[ui.prompt.kind]}: `, bold: true, color: 'cyan' }, { text: `${ui.prompt.text}_`, bold: true }];
    if (completions.length > 0) pieces.push({ text: `  ${completions.join(' ')}`, dim: true });
    return pieces;
  }
  const speed = SPEEDS[ui.speedIndex]!;
  const pieces: Piece[] = [{ text: ui.playing ? '> play ' : '|| pause ', bold: true, color: ui.playing ? 'green' : 'yellow' }, { text: `${speed}x  `, bold: true }];
  if (ui.message !== null) pieces.push({ text: `${ui.message}  `, color: 'yellow', bold: true });
  pieces.push({ text: KEY_HINT, dim: true });
  return pieces;
}

export function TitleLine({ status, filter, width }: { status: StatusView; filter: Filter | null; width: number }) {
  return <Line width={width} pieces={titlePieces(status, filter)} />;
}

export function StatusLine(props: { ui: Pick<UiState, 'playing' | 'speedIndex' | 'prompt' | 'message'>; completions?: readonly string[]; width: number }) {
  return <Line width={props.width} pieces={statusPieces(props.ui, props.completions)} />;
}
