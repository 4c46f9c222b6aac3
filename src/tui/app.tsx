// The interactive replay: holds the UI state, turns key presses into it (controls.ts), runs
// the playback timer and redraws the frame at the terminal's size.
import { useApp, useInput, useStdin, useStdout } from 'ink';
import { useEffect, useMemo, useState } from 'react';
import type { Replay } from '../replay/replay.js';
import { advancePlayback, initialUi, keyCompletions, reduceInput, type UiState } from './controls.js';
import { Frame, layoutForReplay, viewFor } from './frame.js';

/** Playback redraw interval: smooth enough, and cheap next to a seek. */
const PLAY_TICK_MS = 50;
const COLUMNS_DEFAULT = 100;
const ROWS_DEFAULT = 30;

function useTerminalSize(): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const read = () => ({ columns: stdout.columns || COLUMNS_DEFAULT, rows: stdout.rows || ROWS_DEFAULT });
  const [size, setSize] = useState(read);
  useEffect(() => {
    const onResize = () => setSize(read());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return size;
}

export interface AppProps {
  replay: Replay;
  startAt?: number;
  /** Fixed size (tests, --width/--height); otherwise the terminal's. */
  columns?: number;
  rows?: number;
  /** Called with the final UI state when the user quits. */
  onQuit?: (ui: UiState) => void;
}

export function App({ replay, startAt = 0, columns, rows, onQuit }: AppProps) {
  const { exit } = useApp();
  const { isRawModeSupported } = useStdin();
  const terminal = useTerminalSize();
  const [ui, setUi] = useState<UiState>(() => initialUi(replay, startAt));

  useInput(
    (input, key) => {
      setUi((current) => reduceInput(current, input, key, replay));
    },
    { isActive: isRawModeSupported === true },
  );

  useEffect(() => {
    if (!ui.quit) return;
    onQuit?.(ui);
    exit();
  }, [ui.quit]);

  useEffect(() => {
    if (!ui.playing) return;
    let lastMs = Date.now();
    const timer = setInterval(() => {
      const nowMs = Date.now();
      const elapsedMs = nowMs - lastMs;
      lastMs = nowMs;
      setUi((current) => advancePlayback(current, replay, elapsedMs));
    }, PLAY_TICK_MS);
    return () => clearInterval(timer);
  }, [ui.playing, replay]);

  const layout = layoutForReplay(replay, columns ?? terminal.columns, rows ?? terminal.rows);
  const view = useMemo(() => viewFor(replay, layout, ui), [replay, layout.width, layout.height, ui.cursor, ui.filter, ui.key]);
  const completions = ui.prompt?.kind === 'key' ? keyCompletions(replay, ui.prompt.text) : [];
  return <Frame view={view} layout={layout} ui={ui} completions={completions} />;
}
