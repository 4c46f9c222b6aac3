// Every key of the interactive replay, pressed into the real App (ink-testing-library), with
// the frame read back after each press.
import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup } from 'ink-testing-library';
import { App } from '../../src/tui/app.js';
import type { UiState } from '../../src/tui/controls.js';
import { leaderIsolatedReplay } from '../replay/helpers.js';

const replay = leaderIsolatedReplay();
const KEYS = {
  right: '\x1b[C',
  left: '\x1b[D',
  shiftRight: '\x1b[1;2C',
  shiftLeft: '\x1b[1;2D',
  pageUp: '\x1b[5~',
  pageDown: '\x1b[6~',
  enter: '\r',
  escape: '\x1b',
  backspace: '\x7f',
  tab: '\t',
};

/** ink redraws asynchronously: give it a moment after each key. */
const tick = (ms = 30) => new Promise((resolve) => setTimeout(resolve, ms));

/** On a loaded machine a key can take longer than a tick: wait for its effect, within a bound. */
async function until(cond: () => boolean, boundMs = 3_000): Promise<void> {
  const deadline = performance.now() + boundMs;
  while (!cond() && performance.now() < deadline) await tick(20);
}

function start(startAt = 0) {
  let quitWith: UiState | null = null;
  const app = render(<App replay={replay} startAt={startAt} columns={100} rows={30} onQuit={(ui) => (quitWith = ui)} />);
  const press = async (...seqs: string[]) => {
    for (const s of seqs) {
      app.stdin.write(s);
      await tick();
    }
  };
  const frame = () => app.lastFrame() ?? '';
  const eventNo = () => Number(/event (\d+)\//.exec(frame())![1]) - 1;
  const timeUs = () => Math.round(Number(/ t (\d+\.\d+)s\//.exec(frame())![1]) * 1e6);
  const cursorLine = () => frame().split('\n').find((l) => l.startsWith('>')) ?? '';
  const status = () => frame().split('\n').at(-1) ?? '';
  return { app, press, frame, eventNo, timeUs, cursorLine, status, quit: () => quitWith };
}

afterEach(() => cleanup());

describe('keys', () => {
  it('-> and <- step one event', async () => {
    const s = start(100);
    await tick();
    expect(s.eventNo()).toBe(100);
    await s.press(KEYS.right, KEYS.right);
    await until(() => s.eventNo() === 102);
    expect(s.eventNo()).toBe(102);
    await s.press(KEYS.left);
    await until(() => s.eventNo() === 101);
    expect(s.eventNo()).toBe(101);
  });

  it('shift+arrows and PgUp/PgDn take big steps', async () => {
    const s = start(replay.indexAtTime(5_000_000));
    await tick();
    const t0 = s.timeUs();
    await s.press(KEYS.shiftRight);
    expect(s.timeUs() - t0).toBeGreaterThanOrEqual(250_000);
    await s.press(KEYS.shiftLeft);
    expect(Math.abs(s.timeUs() - t0)).toBeLessThan(5_000);
    await s.press(KEYS.pageDown, KEYS.pageDown);
    expect(s.timeUs() - t0).toBeGreaterThanOrEqual(550_000);
    await s.press(KEYS.pageUp);
    expect(s.timeUs() - t0).toBeGreaterThanOrEqual(250_000);
    expect(s.timeUs() - t0).toBeLessThan(350_000);
  });

  it('space plays and pauses; [ and ] change the speed within 0.25x..64x', async () => {
    const s = start();
    await tick();
    expect(s.status()).toMatch(/^\|\| pause 1x/);
    await s.press(']', ']');
    await until(() => /4x/.test(s.status()));
    expect(s.status()).toMatch(/4x/);
    for (let i = 0; i < 10; i++) await s.press(']');
    await until(() => /64x/.test(s.status()));
    expect(s.status()).toMatch(/64x/);
    await s.press(' ');
    await tick(200);
    await until(() => /^> play 64x/.test(s.status()) && s.eventNo() > 0);
    expect(s.status()).toMatch(/^> play 64x/);
    expect(s.eventNo()).toBeGreaterThan(0);
    await s.press(' ');
    // The pause takes effect once the frame says so and stops changing; then it must stay put.
    await until(() => /^\|\| pause/.test(s.status()));
    let paused = s.eventNo();
    for (let i = 0; i < 20; i++) {
      await tick(50);
      if (s.eventNo() === paused) break;
      paused = s.eventNo();
    }
    await tick(150);
    expect(s.eventNo()).toBe(paused);
    for (let i = 0; i < 12; i++) await s.press('[');
    await until(() => /0\.25x/.test(s.status()));
    expect(s.status()).toMatch(/0\.25x/);
  });

  it('n and N move between notable events', async () => {
    const s = start();
    await tick();
    await s.press('n');
    const first = s.eventNo();
    expect(replay.notableKindAt(first)).not.toBeNull();
    expect(s.cursorLine()).toMatch(/ E n\d became leader of shard \d in term 1/);
    await s.press('n');
    expect(s.eventNo()).toBeGreaterThan(first);
    await s.press('N');
    expect(s.eventNo()).toBe(first);
  });

  it('e p s v go to the next election, fault, stale read and violation', async () => {
    const s = start();
    await tick();
    await s.press('p');
    expect(s.cursorLine()).toContain('F n3 cut off from {n1,n2,n4,n5}');
    await s.press('e');
    expect(s.cursorLine()).toMatch(/became leader of shard 0 in term 2/);
    await s.press('s');
    expect(s.cursorLine()).toMatch(/ s client c\d read k\d+ from n\d: stale by/);
    const before = s.eventNo();
    await s.press('v');
    // This run holds every check: the replay says so and stays put.
    expect(s.status()).toContain('no later violation');
    expect(s.eventNo()).toBe(before);
  });

  it('g and G jump to the start and the end', async () => {
    const s = start(5000);
    await tick();
    await s.press('G');
    expect(s.eventNo()).toBe(replay.count - 1);
    expect(s.cursorLine()).toContain('run ends after');
    await s.press('g');
    expect(s.eventNo()).toBe(0);
  });

  it('t jumps to a typed time; a bad time is explained', async () => {
    const s = start();
    await tick();
    await s.press('t');
    expect(s.status()).toContain('jump to time');
    await s.press('7', '.', '2', 's', KEYS.enter);
    expect(s.timeUs()).toBe(7_200_000);
    await s.press('t', 'x', KEYS.enter);
    expect(s.status()).toContain('"x": expected a time like 12.5s');
    await s.press('t', '9', KEYS.escape);
    expect(s.timeUs()).toBe(7_200_000);
  });

  it('/ filters the log by machine, shard or key, and an empty filter clears it', async () => {
    const s = start(replay.indexAtTime(3_000_000));
    await tick();
    await s.press('/', 'n', '1', KEYS.enter);
    expect(s.frame()).toContain('filter: n1');
    const logLines = s.frame().split('\n').filter((l) => /^  +\d+\.\d{6} /.test(l));
    expect(logLines.length).toBeGreaterThan(3);
    for (const l of logLines) expect(l).toMatch(/\bn1\b/);
    await s.press('/', KEYS.backspace, KEYS.backspace, 's', '2', KEYS.enter);
    expect(s.frame()).toContain('filter: shard 2');
    const clear = Array.from({ length: 'shard 2'.length }, () => KEYS.backspace);
    await s.press('/', ...clear, 'z', 'z', KEYS.enter);
    expect(s.status()).toContain('no machine, shard or key named "zz"');
    await s.press('/', ...clear, KEYS.enter);
    expect(s.frame()).not.toContain('filter:');
  });

  it('k chooses the inspected key, with tab completion', async () => {
    const s = start(replay.indexAtTime(3_000_000));
    await tick();
    await s.press('k', 'k', '1', '3', KEYS.enter);
    expect(s.frame()).toContain('─ key k13 ');
    await s.press('k', 'k', '1');
    expect(s.status()).toMatch(/k1_ +k1 k10 k11/);
    await s.press(KEYS.tab, KEYS.enter);
    expect(s.frame()).toContain('─ key k1 ');
  });

  it('? shows and hides the help', async () => {
    const s = start();
    await tick();
    await s.press('?');
    expect(s.frame()).toContain('─ keys');
    await s.press('?');
    expect(s.frame()).toContain('─ events');
  });

  it('q quits', async () => {
    const s = start(42);
    await tick();
    await s.press('q');
    await until(() => s.quit() !== null);
    expect(s.quit()).toMatchObject({ quit: true, cursor: 42 });
  });
});
