// Starts the interactive replay in the terminal and resolves when the user quits.
import { render } from 'ink';
import type { Replay } from '../replay/replay.js';
import { App } from './app.js';

export async function runInteractive(replay: Replay, startAt: number, size: { columns?: number; rows?: number } = {}): Promise<void> {
  const instance = render(<App replay={replay} startAt={startAt} columns={size.columns} rows={size.rows} />, { exitOnCtrlC: true });
  await instance.waitUntilExit();
}
