// The pure key reducer and the playback clock, without a terminal.
import { describe, expect, it } from 'vitest';
import { advancePlayback, initialUi, reduceInput, reduceKey, SPEEDS } from '../../src/tui/controls.js';
import { leaderIsolatedReplay } from '../replay/helpers.js';

const replay = leaderIsolatedReplay();

describe('playback', () => {
  it('advances simulated time at the chosen speed (1x = wall-clock time)', () => {
    let ui = reduceKey(initialUi(replay), ' ', {}, replay);
    expect(ui.playing).toBe(true);
    ui = advancePlayback(ui, replay, 500);
    expect(ui.playUs).toBe(500_000);
    expect(replay.store.timeAt(ui.cursor)).toBeLessThanOrEqual(500_000);
    expect(replay.store.timeAt(ui.cursor + 1)).toBeGreaterThan(500_000);
    ui = reduceKey(ui, ']', {}, replay);
    expect(SPEEDS[ui.speedIndex]).toBe(2);
    ui = advancePlayback(ui, replay, 250);
    expect(ui.playUs).toBe(1_000_000);
  });

  it('stops at the end, and space there plays from the start', () => {
    let ui = reduceKey(initialUi(replay), ' ', {}, replay);
    ui = advancePlayback(ui, replay, 60_000);
    expect(ui).toMatchObject({ playing: false, cursor: replay.count - 1, message: 'end of the run' });
    ui = reduceKey(ui, ' ', {}, replay);
    expect(ui).toMatchObject({ playing: true, cursor: 0 });
  });

  it('does nothing while paused', () => {
    const ui = initialUi(replay, 10);
    expect(advancePlayback(ui, replay, 1000)).toBe(ui);
  });
});

describe('typed ahead keys', () => {
  it('handles keys that arrive together one by one', () => {
    const one = reduceKey(reduceKey(reduceKey(initialUi(replay), 'n', {}, replay), 'n', {}, replay), 'n', {}, replay);
    expect(reduceInput(initialUi(replay), 'nnn', {}, replay).cursor).toBe(one.cursor);
    expect(reduceInput(initialUi(replay), 'nq', {}, replay).quit).toBe(true);
  });

  it('keeps pasted text whole inside a prompt', () => {
    const ui = reduceInput(reduceKey(initialUi(replay), 't', {}, replay), '12.5s', {}, replay);
    expect(ui.prompt).toEqual({ kind: 'time', text: '12.5s' });
  });
});

describe('bursts with control characters', () => {
  it('applies a typed filter that arrives with its Enter in one chunk', () => {
    const ui = reduceInput(initialUi(replay), '/n2\r', {}, replay);
    expect(ui.filter).toEqual({ kind: 'machine', name: 'n2' });
    expect(ui.prompt).toBeNull();
    expect(reduceInput(initialUi(replay), 'tx\x7f7s\r', {}, replay).playUs).toBe(replay.store.timeAt(replay.indexAtTime(7_000_000)));
  });
});
