// The key list (`?`), shown in place of the event log and key inspector.
import { Box } from 'ink';
import { Heading, Line } from './line.js';

export const HELP_KEYS: readonly [string, string][] = [
  ['space', 'play / pause (1x = simulated time at wall-clock speed)'],
  ['-> / <-', 'one event forward / back'],
  ['shift+-> / <-, PgDn / PgUp', 'big step (1/50 of the run)'],
  ['[ / ]', 'slower / faster: 0.25x .. 64x'],
  ['n / N', 'next / previous notable event'],
  ['e p s v', 'next election, fault, stale read, violation (shift: previous)'],
  ['g / G', 'start / end of the run'],
  ['t', 'jump to a time: 12.5s, 300ms, 1500us'],
  ['/', 'filter log and jumps by machine (n3), shard (s2) or key (k42)'],
  ['k', 'choose the inspected key (tab completes)'],
  ['?', 'this help (esc closes)'],
  ['q', 'quit'],
];

export function HelpPanel({ width, rows }: { width: number; rows: number }) {
  const keyWidth = Math.max(...HELP_KEYS.map(([k]) => k.length)) + 2;
  return (
    <Box flexDirection="column" width={width}>
      <Heading title="keys" width={width} />
      {HELP_KEYS.slice(0, Math.max(0, rows - 1)).map(([k, what]) => (
        <Line key={k} width={width} pieces={[{ text: k.padEnd(keyWidth), bold: true, color: 'cyan' }, { text: what }]} />
      ))}
    </Box>
  );
}
