// A machine's local clock: true time plus a skew (a jump) and a drift (a rate error, in parts
// per million). Changing the drift keeps the clock continuous: it is re-anchored at the moment
// of the change. Local durations convert to true durations through the current rate.
import { AssertionError } from '../base/assert.js';

export class LocalClock {
  private anchorTrueUs = 0;
  private anchorLocalUs = 0;
  private driftPpm = 0;

  /** Local time at true time `nowUs`. */
  localUs(nowUs: number): number {
    return this.anchorLocalUs + Math.floor(((nowUs - this.anchorTrueUs) * (1_000_000 + this.driftPpm)) / 1_000_000);
  }

  /** True duration until `localDelayUs` has passed on this clock (at least 0). */
  trueDelayUs(localDelayUs: number): number {
    return Math.max(0, Math.ceil((localDelayUs * 1_000_000) / (1_000_000 + this.driftPpm)));
  }

  /** Jumps the clock by `skewUs` and sets its rate error, from true time `nowUs` on. */
  adjust(nowUs: number, skewUs: number, driftPpm: number): void {
    if (driftPpm <= -1_000_000) throw new AssertionError('clock drift must keep time moving forward');
    const local = this.localUs(nowUs);
    this.anchorTrueUs = nowUs;
    this.anchorLocalUs = local + skewUs;
    this.driftPpm = driftPpm;
  }

  get drift(): number {
    return this.driftPpm;
  }

  /** Current offset of local from true time. */
  offsetUs(nowUs: number): number {
    return this.localUs(nowUs) - nowUs;
  }
}
