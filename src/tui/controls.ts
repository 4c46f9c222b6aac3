// What each key does, as a pure function of (UI state, key) -> UI state, so the keys can be
// tested without a terminal. The app feeds it ink's key events and a playback timer.
import { formatFilter, parseFilter } from '../replay/filter.js';
import type { Filter, NotableKind, Replay } from '../replay/replay.js';
import { parseTimeUs, TIME_EXPECTED } from '../replay/time.js';

export const SPEEDS = [0.25, 0.5, 1, 2, 4, 8, 16, 32, 64] as const;
export const SPEED_DEFAULT_INDEX = 2;
/** A big step moves this fraction of the run's simulated time. */
const BIG_STEP_FRACTION = 1 / 50;
/** Keys listed by the prompt's completion. */
const COMPLETIONS_MAX = 6;

export type PromptKind = 'time' | 'filter' | 'key';

export interface UiState {
  cursor: number;
  playing: boolean;
  /** Simulated time playback has reached (between events when they are sparse). */
  playUs: number;
  speedIndex: number;
  filter: Filter | null;
  /** The inspected key; null follows the latest stale read. */
  key: string | null;
  prompt: { kind: PromptKind; text: string } | null;
  help: boolean;
  message: string | null;
  quit: boolean;
}

/** The parts of ink's Key the controls read. */
export interface KeyPress {
  leftArrow?: boolean;
  rightArrow?: boolean;
  upArrow?: boolean;
  downArrow?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
  home?: boolean;
  end?: boolean;
  shift?: boolean;
  ctrl?: boolean;
  return?: boolean;
  escape?: boolean;
  backspace?: boolean;
  delete?: boolean;
  tab?: boolean;
}

export function initialUi(replay: Replay, cursor = 0): UiState {
  const c = clamp(cursor, replay);
  return { cursor: c, playing: false, playUs: replay.store.timeAt(c), speedIndex: SPEED_DEFAULT_INDEX, filter: null, key: null, prompt: null, help: false, message: null, quit: false };
}

function clamp(i: number, replay: Replay): number {
  return Math.max(0, Math.min(i, replay.count - 1));
}

function moveTo(ui: UiState, replay: Replay, cursor: number, message: string | null = null): UiState {
  const c = clamp(cursor, replay);
  return { ...ui, cursor: c, playUs: replay.store.timeAt(c), message };
}

const KIND_KEYS: Record<string, NotableKind> = { e: 'election', p: 'fault', s: 'stale', v: 'violation' };
const KIND_WORDS: Record<NotableKind, string> = { election: 'election', fault: 'fault', stale: 'stale read', violation: 'violation' };

function jumpNotable(ui: UiState, replay: Replay, dir: 1 | -1, kind: NotableKind | null): UiState {
  const at = replay.findNotable(ui.cursor, dir, kind, ui.filter);
  const what = kind === null ? 'notable event' : KIND_WORDS[kind];
  if (at === null) return { ...ui, message: `no ${dir === 1 ? 'later' : 'earlier'} ${what}${ui.filter !== null ? ` for ${formatFilter(ui.filter)}` : ''}` };
  return moveTo({ ...ui, playing: false }, replay, at);
}

function bigStep(ui: UiState, replay: Replay, dir: 1 | -1): UiState {
  const stepUs = Math.max(1, Math.round(replay.store.durationUs * BIG_STEP_FRACTION));
  const tUs = replay.store.timeAt(ui.cursor) + dir * stepUs;
  let target = replay.indexAtTime(tUs);
  if (dir === 1) target = Math.max(target, ui.cursor + 1);
  else target = Math.min(target, ui.cursor - 1);
  return moveTo(ui, replay, target);
}

/** Keys that start with the typed text, for the key prompt. */
export function keyCompletions(replay: Replay, text: string): string[] {
  const out: string[] = [];
  for (const key of replay.keyNames()) {
    if (key.startsWith(text)) out.push(key);
    if (out.length >= COMPLETIONS_MAX) break;
  }
  return out;
}

function submitPrompt(ui: UiState, replay: Replay): UiState {
  const prompt = ui.prompt;
  if (prompt === null) return ui;
  const text = prompt.text.trim();
  const closed = { ...ui, prompt: null };
  switch (prompt.kind) {
    case 'time': {
      const us = parseTimeUs(text);
      if (us === undefined) return { ...closed, message: `"${text}": expected ${TIME_EXPECTED}` };
      return moveTo(closed, replay, replay.indexAtTime(us));
    }
    case 'filter': {
      if (text === '') return { ...closed, filter: null, message: 'filter cleared' };
      const filter = parseFilter(text, replay);
      if (typeof filter === 'string') return { ...closed, message: filter };
      return { ...closed, filter, message: `filter: ${formatFilter(filter)}` };
    }
    case 'key': {
      if (text === '') return { ...closed, key: null, message: 'key follows the latest stale read' };
      if (replay.keys.has(text)) return { ...closed, key: text, message: null };
      const completions = keyCompletions(replay, text);
      if (completions.length === 1) return { ...closed, key: completions[0]!, message: null };
      return { ...closed, message: `no key "${text}"` };
    }
  }
}

function editPrompt(ui: UiState, replay: Replay, input: string, key: KeyPress): UiState {
  const prompt = ui.prompt!;
  if (key.escape) return { ...ui, prompt: null, message: null };
  if (key.return) return submitPrompt(ui, replay);
  if (key.backspace || key.delete) return { ...ui, prompt: { ...prompt, text: prompt.text.slice(0, -1) } };
  if (key.tab && prompt.kind === 'key') {
    const completions = keyCompletions(replay, prompt.text);
    if (completions.length > 0) return { ...ui, prompt: { ...prompt, text: completions[0]! } };
    return ui;
  }
  if (key.ctrl || input === '' || /[\x00-\x1f]/.test(input)) return ui;
  return { ...ui, prompt: { ...prompt, text: prompt.text + input } };
}

export function reduceKey(ui: UiState, input: string, key: KeyPress, replay: Replay): UiState {
  if (ui.prompt !== null) return editPrompt(ui, replay, input, key);
  const calm = { ...ui, message: null };
  if (key.ctrl && input === 'c') return { ...calm, quit: true };
  if (key.rightArrow) return key.shift ? bigStep(calm, replay, 1) : moveTo(calm, replay, ui.cursor + 1);
  if (key.leftArrow) return key.shift ? bigStep(calm, replay, -1) : moveTo(calm, replay, ui.cursor - 1);
  if (key.pageDown) return bigStep(calm, replay, 1);
  if (key.pageUp) return bigStep(calm, replay, -1);
  if (key.home) return moveTo(calm, replay, 0);
  if (key.end) return moveTo(calm, replay, replay.count - 1);
  if (key.escape) return { ...calm, help: false };
  switch (input) {
    case 'q':
      return { ...calm, quit: true };
    case ' ': {
      if (ui.playing) return { ...calm, playing: false };
      // Play from the start again when at the end.
      const from = ui.cursor >= replay.count - 1 ? moveTo(calm, replay, 0) : calm;
      return { ...from, playing: true, playUs: replay.store.timeAt(from.cursor) };
    }
    case '[':
      return { ...calm, speedIndex: Math.max(0, ui.speedIndex - 1) };
    case ']':
      return { ...calm, speedIndex: Math.min(SPEEDS.length - 1, ui.speedIndex + 1) };
    case 'n':
      return jumpNotable(calm, replay, 1, null);
    case 'N':
      return jumpNotable(calm, replay, -1, null);
    case 'e':
    case 'p':
    case 's':
    case 'v':
      return jumpNotable(calm, replay, 1, KIND_KEYS[input]!);
    case 'E':
    case 'P':
    case 'S':
    case 'V':
      return jumpNotable(calm, replay, -1, KIND_KEYS[input.toLowerCase()]!);
    case 'g':
      return moveTo(calm, replay, 0);
    case 'G':
      return moveTo(calm, replay, replay.count - 1);
    case 't':
      return { ...calm, playing: false, prompt: { kind: 'time', text: '' } };
    case '/':
      return { ...calm, prompt: { kind: 'filter', text: ui.filter === null ? '' : formatFilter(ui.filter).replace(/^key /, '') } };
    case 'k':
      return { ...calm, prompt: { kind: 'key', text: '' } };
    case '?':
      return { ...calm, help: !ui.help };
    default:
      return ui;
  }
}

/** Advances playback by `elapsedMs` of wall time at the current speed (1x = real time). */
export function advancePlayback(ui: UiState, replay: Replay, elapsedMs: number): UiState {
  if (!ui.playing) return ui;
  const playUs = ui.playUs + elapsedMs * 1000 * SPEEDS[ui.speedIndex]!;
  const cursor = Math.max(ui.cursor, replay.indexAtTime(playUs));
  if (cursor >= replay.count - 1) return { ...ui, cursor: replay.count - 1, playUs, playing: false, message: 'end of the run' };
  return { ...ui, cursor, playUs };
}

/** Control characters that may arrive inside a burst of typed keys, as the keys they are. */
const BURST_KEYS: Record<string, KeyPress> = { '\r': { return: true }, '\n': { return: true }, '\t': { tab: true }, '\x7f': { backspace: true }, '\b': { backspace: true } };

/**
 * Keys typed faster than the terminal is read arrive as one string ("/n2\r"): handle each in
 * turn. Escape sequences (arrows, PgUp) are left whole for ink to have parsed.
 */
export function reduceInput(ui: UiState, input: string, key: KeyPress, replay: Replay): UiState {
  if (input.length <= 1 || input.includes('\x1b')) return reduceKey(ui, input, key, replay);
  if (ui.prompt !== null && !/[\x00-\x1f\x7f]/.test(input)) return reduceKey(ui, input, key, replay);
  let next = ui;
  for (const ch of input) {
    const special = BURST_KEYS[ch];
    if (special !== undefined) next = reduceKey(next, '', special, replay);
    else if (!/[\x00-\x1f]/.test(ch)) next = reduceKey(next, ch, {}, replay);
    if (next.quit) break;
  }
  return next;
}
