import { describe, expect, it } from 'vitest';
import { TransferWatch, transferViolationMessage } from '../../src/check/transfer-watch.js';

const caughtUp = { targetIsVoter: true, targetMatch: 40, leaderLastIndex: 40 };

describe('transfer watch', () => {
  it('flags a transfer given up although the target held the whole log and no TimeoutNow was sent', () => {
    const w = new TransferWatch();
    w.started('n1', 'n2', 3, 1_000);
    w.aborted(0, 'n1', 'n2', 3, 250_000, caughtUp);
    expect(w.violation).toEqual({ group: 0, leader: 'n1', to: 'n2', term: 3, startedUs: 1_000, atUs: 250_000, match: 40 });
    expect(transferViolationMessage(w.violation!)).toContain('never sent it TimeoutNow');
  });

  it('accepts an abort after TimeoutNow was sent (it may have been lost)', () => {
    const w = new TransferWatch();
    w.started('n1', 'n2', 3, 1_000);
    w.timeoutNowSent('n1', 'n2', 3);
    w.aborted(0, 'n1', 'n2', 3, 250_000, caughtUp);
    expect(w.violation).toBeNull();
    expect(w.aborts).toBe(1);
  });

  it('accepts an abort while the target lags, or is no longer a voter, or has no progress', () => {
    const w = new TransferWatch();
    for (const state of [
      { ...caughtUp, targetMatch: 39 },
      { ...caughtUp, targetIsVoter: false },
      { ...caughtUp, targetMatch: null },
    ]) {
      w.started('n1', 'n2', 3, 1_000);
      w.aborted(0, 'n1', 'n2', 3, 250_000, state);
    }
    expect(w.violation).toBeNull();
  });

  it('forgets a transfer when its leader changes role or restarts, and ignores TimeoutNow of another term', () => {
    const w = new TransferWatch();
    w.started('n1', 'n2', 3, 1_000);
    w.ended('n1');
    w.aborted(0, 'n1', 'n2', 3, 250_000, caughtUp);
    expect(w.violation).toBeNull();
    w.started('n1', 'n2', 5, 300_000);
    w.timeoutNowSent('n1', 'n2', 4);
    w.aborted(0, 'n1', 'n2', 5, 550_000, caughtUp);
    expect(w.violation).toMatchObject({ term: 5, startedUs: 300_000 });
  });
});
