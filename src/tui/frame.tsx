// One whole screen, laid out from a FrameView. Pure: the same view and UI state give the same
// frame, which is what `--print` writes and what the interactive app redraws.
import { Box } from 'ink';
import type { Replay } from '../replay/replay.js';
import { frameView, type FrameView } from '../replay/view.js';
import { ClusterGrid } from './cluster-grid.js';
import type { UiState } from './controls.js';
import { EventLog } from './event-log.js';
import { HelpPanel } from './help-panel.js';
import { KeyInspector } from './key-inspector.js';
import { layoutFor, type Layout } from './layout.js';
import { NetworkPanel } from './network-panel.js';
import { StatusLine, TitleLine } from './status-line.js';
import { TimelineBar } from './timeline-bar.js';
import { formatFilter } from '../replay/filter.js';

/** Reads shown under the key inspector. */
const KEY_READS_SHOWN = 4;

export function layoutForReplay(replay: Replay, columns: number, rows: number): Layout {
  return layoutFor(columns, rows, replay.store.serverIds.length);
}

/** Computes the view a layout has room for. */
export function viewFor(replay: Replay, layout: Layout, ui: Pick<UiState, 'cursor' | 'filter' | 'key'>): FrameView {
  const logLines = Math.max(1, layout.bottomRows - 1);
  const after = Math.floor((logLines - 1) / 3);
  return frameView(replay, {
    cursor: ui.cursor,
    filter: ui.filter,
    key: ui.key,
    logBefore: logLines - 1 - after,
    logAfter: after,
    timelineWidth: layout.width,
    readsShown: KEY_READS_SHOWN,
  });
}

export interface FrameProps {
  view: FrameView;
  layout: Layout;
  ui: Pick<UiState, 'playing' | 'speedIndex' | 'prompt' | 'message' | 'help' | 'filter'>;
  completions?: readonly string[];
}

export function Frame({ view, layout, ui, completions }: FrameProps) {
  const { width, leftWidth, rightWidth, topRows, bottomRows } = layout;
  return (
    <Box flexDirection="column" width={width}>
      <TitleLine status={view.status} filter={ui.filter} width={width} />
      <Box flexDirection="row" height={topRows}>
        <ClusterGrid grid={view.grid} width={leftWidth} rows={topRows} />
        <Box width={1} />
        <NetworkPanel net={view.network} grid={view.grid} width={rightWidth} rows={topRows} />
      </Box>
      <TimelineBar marks={view.timeline} cursorColumn={view.cursorColumn} cursorUs={view.status.tUs} durationUs={view.status.durationUs} width={width} />
      <Box flexDirection="row" height={bottomRows}>
        {ui.help ? (
          <HelpPanel width={width} rows={bottomRows} />
        ) : (
          <>
            <EventLog lines={view.log} width={leftWidth} rows={bottomRows} note={ui.filter === null ? undefined : `only ${formatFilter(ui.filter)}`} />
            <Box width={1} />
            <KeyInspector view={view.key} width={rightWidth} rows={bottomRows} />
          </>
        )}
      </Box>
      <StatusLine ui={ui} completions={completions} width={width} />
    </Box>
  );
}
