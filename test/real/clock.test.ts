// The real clock reads true time from hrtime and local time through the simulator's LocalClock;
// timers take local delays, never fire early, and are cancellable.
import { describe, expect, it } from 'vitest';
import { RealClock, RealTimers } from '../../src/real/clock.js';
import { LocalClock } from '../../src/sim/clock.js';
import { AssertionError } from '../../src/base/assert.js';
import { onCleanup, sleep, waitFor, useRealTestLimits } from './helpers.js';

useRealTestLimits();

function timersOn(clock: RealClock): RealTimers {
  const timers = new RealTimers(clock);
  onCleanup(() => timers.cancelAll());
  return timers;
}

describe('RealClock', () => {
  it('counts true microseconds from its creation, monotonically', async () => {
    const clock = new RealClock();
    const a = clock.trueUs();
    expect(a).toBeGreaterThanOrEqual(0);
    expect(a).toBeLessThan(100_000);
    await sleep(20);
    const b = clock.trueUs();
    expect(b - a).toBeGreaterThanOrEqual(19_000);
    expect(Number.isInteger(b)).toBe(true);
    expect(Math.abs(clock.wallUs(b) - Date.now() * 1000)).toBeLessThan(50_000);
  });

  it('starts true time at the wall-clock distance from a given origin', () => {
    const originWallUs = Date.now() * 1000 - 5_000_000;
    const clock = new RealClock({ originWallUs });
    expect(clock.trueUs()).toBeGreaterThanOrEqual(5_000_000);
    expect(clock.trueUs()).toBeLessThan(5_100_000);
    expect(clock.wallUs(0)).toBe(originWallUs);
    expect(new RealClock({ originWallUs: originWallUs + 3_600_000_000 }).trueUs()).toBeLessThan(100_000); // a future origin: from 0
  });

  it('applies skew and drift exactly as the simulated LocalClock does', () => {
    let ns = 5_000_000_000n;
    const clock = new RealClock({ nowNs: () => ns });
    const sim = new LocalClock();
    const check = () => expect(clock.localUs()).toBe(sim.localUs(clock.trueUs()));
    ns += 1_000_000n; // 1 ms
    check();
    clock.adjust(250_000, 0);
    sim.adjust(1000, 250_000, 0);
    check();
    expect(clock.offsetUs()).toBe(250_000);
    ns += 10_000_000n;
    clock.adjust(-100_000, 200);
    sim.adjust(11_000, -100_000, 200);
    ns += 1_000_000_000n;
    check();
    expect(clock.localUs()).toBe(1_011_000 + 150_000 + 200); // 1 s at +200 ppm after the jumps
    expect(clock.driftPpm).toBe(200);
    expect(clock.trueDelayUs(1_000_200)).toBe(1_000_000);
  });
});

describe('RealTimers', () => {
  it('fires after the local delay, never early, and runs zero delays on a later turn', async () => {
    const clock = new RealClock();
    const timers = timersOn(clock);
    const fired: { name: string; lateUs: number }[] = [];
    const at = (name: string, delayUs: number) => {
      const setUs = clock.localUs();
      timers.setTimer(delayUs, () => fired.push({ name, lateUs: clock.localUs() - setUs - delayUs }));
    };
    at('30ms', 30_000);
    at('0', 0);
    at('1.5ms', 1_500);
    at('300us', 300);
    expect(fired).toEqual([]); // never inside setTimer
    await waitFor(() => fired.length === 4, 'four timers');
    expect(fired.map((f) => f.name)).toEqual(['0', '300us', '1.5ms', '30ms']);
    for (const f of fired) expect(f.lateUs, f.name).toBeGreaterThanOrEqual(0);
  });

  it('keeps equal delays in the order they were set; cancelled timers never fire', async () => {
    const timers = timersOn(new RealClock());
    const fired: number[] = [];
    const ids: number[] = [];
    for (let i = 0; i < 6; i++) ids.push(timers.setTimer(5_000, () => fired.push(i)));
    expect(new Set(ids).size).toBe(6);
    timers.cancelTimer(ids[2]!);
    timers.cancelTimer(ids[4]!);
    timers.cancelTimer(12345); // unknown ids are ignored
    await waitFor(() => fired.length === 4, 'four timers');
    await sleep(10);
    expect(fired).toEqual([0, 1, 3, 5]);
    expect(timers.active).toBe(0);
  });

  it('measures delays on the drifting local clock; cancelAll stops everything', async () => {
    const clock = new RealClock();
    clock.adjust(0, 500_000); // the local clock runs 1.5x fast
    const timers = timersOn(clock);
    const startTrue = clock.trueUs();
    let trueElapsed = -1;
    timers.setTimer(60_000, () => (trueElapsed = clock.trueUs() - startTrue));
    let cancelled = false;
    timers.setTimer(1_000, () => (cancelled = true));
    timers.setTimer(2_000, () => (cancelled = true));
    timers.cancelAll();
    expect(timers.active).toBe(0);
    timers.setTimer(60_000, () => (trueElapsed = clock.trueUs() - startTrue));
    await waitFor(() => trueElapsed >= 0, 'the drifting timer');
    expect(trueElapsed).toBeGreaterThanOrEqual(40_000); // 60 ms local = 40 ms true
    expect(trueElapsed).toBeLessThan(58_000);
    expect(cancelled).toBe(false);
  });

  it('rejects a negative or non-finite delay (an assertion)', () => {
    const timers = timersOn(new RealClock());
    expect(() => timers.setTimer(-1, () => {})).toThrow(AssertionError);
    expect(() => timers.setTimer(NaN, () => {})).toThrow(AssertionError);
  });
});
