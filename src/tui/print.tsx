// `kvsim replay --print`: one frame as text, for docs, tests and bug reports. Colour follows
// chalk's detection (none when stdout is piped; FORCE_COLOR=1 forces it).
import { renderToString } from 'ink';
import type { Replay } from '../replay/replay.js';
import { initialUi } from './controls.js';
import { Frame, layoutForReplay, viewFor } from './frame.js';

export function printFrame(replay: Replay, cursor: number, columns: number, rows: number): string {
  const layout = layoutForReplay(replay, columns, rows);
  const ui = initialUi(replay, cursor);
  const view = viewFor(replay, layout, ui);
  return renderToString(<Frame view={view} layout={layout} ui={ui} />, { columns: layout.width });
}
