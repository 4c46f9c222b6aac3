// Durations and times, the one parser and formatter every layer uses. Time is an integer count of
// microseconds everywhere. A duration (scenario files) is a number and a unit — `500us`, `150ms`,
// `2s`, `1.5s`, `1m`, `1h` — or the bare number 0; a time (replay, report windows) also accepts a
// bare number, meaning seconds.

const UNIT_US: Record<string, number> = { us: 1, 'µs': 1, ms: 1_000, s: 1_000_000, m: 60_000_000, h: 3_600_000_000 };
const PATTERN = /^(\d+(?:\.\d+)?)\s*(us|µs|ms|s|m|h)$/;

export const DURATION_EXPECTED = 'a duration like 500us, 150ms, 2s or 1m';

/** Microseconds, or undefined when the text is not a duration. */
export function parseDurationUs(text: string | number): number | undefined {
  if (text === 0 || text === '0') return 0;
  if (typeof text !== 'string') return undefined;
  const match = PATTERN.exec(text.trim());
  if (match === null) return undefined;
  const us = Number(match[1]) * UNIT_US[match[2]!]!;
  if (!Number.isFinite(us)) return undefined;
  return Math.round(us);
}

/** Renders microseconds back in the largest unit that keeps it exact (for shrunk scenarios). */
export function formatDurationUs(us: number): string {
  if (us === 0) return '0';
  for (const [unit, size] of [['h', 3_600_000_000], ['m', 60_000_000], ['s', 1_000_000], ['ms', 1_000]] as const) {
    if (us % size === 0) return `${us / size}${unit}`;
  }
  return `${us}us`;
}

/** Human rendering for summaries: 12.5s, 340ms, 80us. */
export function humanDurationUs(us: number): string {
  if (us >= 1_000_000) return `${+(us / 1_000_000).toFixed(3)}s`;
  if (us >= 1_000) return `${+(us / 1_000).toFixed(3)}ms`;
  return `${us}us`;
}

export const TIME_EXPECTED = 'a time like 12.5s, 300ms, 1500us or 1m (a bare number is seconds)';

/** Microseconds, or undefined when the text is not a time. A bare number means seconds. */
export function parseTimeUs(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1_000_000);
  return parseDurationUs(trimmed);
}
