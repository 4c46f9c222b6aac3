// Simulated times as people type and read them in the replay.
export { parseTimeUs, TIME_EXPECTED } from '../base/time.js';

/** Seconds with millisecond precision: "12.500s". */
export function formatSecondsMs(us: number): string {
  return `${(us / 1_000_000).toFixed(3)}s`;
}

/** Seconds with microsecond precision: "12.500123". */
export function formatSecondsUs(us: number): string {
  return (us / 1_000_000).toFixed(6);
}

/** Short duration: "80us", "4.2ms", "1.25s". */
export function formatSpanUs(us: number): string {
  const sign = us < 0 ? '-' : '';
  const a = Math.abs(us);
  if (a >= 1_000_000) return `${sign}${+(a / 1_000_000).toFixed(2)}s`;
  if (a >= 1_000) return `${sign}${+(a / 1_000).toFixed(1)}ms`;
  return `${sign}${Math.round(a)}us`;
}
