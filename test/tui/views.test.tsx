// Each panel rendered on its own (ink-testing-library), then whole frames at several sizes.
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { ClusterGrid } from '../../src/tui/cluster-grid.js';
import { EventLog } from '../../src/tui/event-log.js';
import { Frame, layoutForReplay, viewFor } from '../../src/tui/frame.js';
import { HelpPanel } from '../../src/tui/help-panel.js';
import { initialUi } from '../../src/tui/controls.js';
import { KeyInspector } from '../../src/tui/key-inspector.js';
import { NetworkPanel } from '../../src/tui/network-panel.js';
import { StatusLine, TitleLine } from '../../src/tui/status-line.js';
import { TimelineBar } from '../../src/tui/timeline-bar.js';
import { wrapPieces } from '../../src/tui/line.js';
import { printFrame } from '../../src/tui/print.js';
import { leaderIsolatedReplay, replayOf, startEvents } from '../replay/helpers.js';
import { gridView } from '../../src/replay/view.js';
import type { TraceEvent } from '../../src/trace/events.js';

const replay = leaderIsolatedReplay();
const cutAt = replay.findNotable(0, 1, 'fault')!;
const afterCut = replay.indexAtTime(3_500_000);

function viewAt(cursor: number, columns = 100, rows = 30) {
  const layout = layoutForReplay(replay, columns, rows);
  return { layout, view: viewFor(replay, layout, { cursor, filter: null, key: null }) };
}

function lines(frame: string | undefined): string[] {
  return (frame ?? '').split('\n');
}

describe('panels', () => {
  it('cluster grid: roles, terms, commit/applied, lag and the cut-off mark', () => {
    const { view } = viewAt(afterCut);
    const { lastFrame } = render(<ClusterGrid grid={view.grid} width={64} rows={7} />);
    const out = lines(lastFrame());
    expect(out[0]).toMatch(/^─ cluster/);
    expect(out[1]).toMatch(/s0 +s1 +s2 +s3/);
    const n3 = out.find((l) => l.startsWith('n3'))!;
    expect(n3).toMatch(/^n3 +cut /);
    expect(n3).toMatch(/ -\d+/);
    expect(out.filter((l) => /L\d+ \d+\/\d+/.test(l)).length).toBeGreaterThan(0);
  });

  it('cluster grid shrinks its cells when narrow', () => {
    const { view } = viewAt(afterCut);
    const wide = lines(render(<ClusterGrid grid={view.grid} width={80} rows={7} />).lastFrame());
    const narrow = lines(render(<ClusterGrid grid={view.grid} width={30} rows={7} />).lastFrame());
    expect(wide[0]).toContain('commit/applied');
    expect(narrow.every((l) => l.length <= 30)).toBe(true);
    expect(narrow[2]).not.toMatch(/\d+\/\d+/);
  });

  it('cluster grid: each machine\'s zone after its name when the trace has places, unless it costs the cells detail', () => {
    const events: TraceEvent[] = startEvents(2, ['n1', 'n2', 'n3']);
    const start = events[0]!;
    if (start.type !== 'run.start') throw new Error('startEvents begins with run.start');
    start.places = { n1: { region: 'us-east', zone: 'us-east-a' }, n2: { region: 'us-east', zone: 'us-east-b' }, n3: { region: 'eu-west', zone: 'eu-west-a' } };
    events.push({ t: 10, type: 'store.membership', action: 'replace', machine: 'n3', replacement: 'n4' });
    const placed = replayOf(events);
    // A replacement takes the place of the machine it replaces.
    expect(placed.places?.get('n4')).toEqual({ region: 'eu-west', zone: 'eu-west-a' });
    const grid = gridView(placed, placed.stateAt(placed.count - 1));
    expect(grid.rows.map((r) => [r.machine, r.place])).toEqual([['n1', 'us-east-a'], ['n2', 'us-east-b'], ['n3', 'eu-west-a'], ['n4', 'eu-west-a']]);
    const wide = lines(render(<ClusterGrid grid={grid} width={60} rows={6} />).lastFrame());
    expect(wide.find((l) => l.startsWith('n1'))).toMatch(/^n1 us-east-a F0 0\/0/);
    expect(wide.find((l) => l.startsWith('n3'))).toMatch(/^n3 eu-west-a F0/);
    // Too narrow for both: the cells keep their detail and the zones go.
    const narrow = lines(render(<ClusterGrid grid={grid} width={22} rows={6} />).lastFrame());
    expect(narrow.find((l) => l.startsWith('n1'))).toMatch(/^n1 F0 0\/0/);
    // Without places nothing changes.
    expect(gridView(replay, replay.stateAt(afterCut)).rows.every((r) => r.place === null)).toBe(true);
  });

  it('network panel: partition sides, faults and messages in flight', () => {
    const { view } = viewAt(afterCut);
    const out = render(<NetworkPanel net={view.network} grid={view.grid} width={40} rows={7} />).lastFrame()!;
    expect(out).toContain('partition n3 cut off from {n1,n2,n4,n5}');
    expect(out).toMatch(/in flight \d+ raft \d+, client \d+/);
    const healed = viewAt(replay.count - 1).view;
    expect(render(<NetworkPanel net={healed.network} grid={healed.grid} width={40} rows={7} />).lastFrame()).toContain('no partition');
  });

  it('timeline: markers for each kind and a caret at the cursor', () => {
    const { view } = viewAt(cutAt);
    const out = lines(render(<TimelineBar marks={view.timeline} cursorColumn={view.cursorColumn} cursorUs={view.status.tUs} durationUs={view.status.durationUs} width={100} />).lastFrame());
    expect(out[1]).toHaveLength(100);
    expect(out[1]).toMatch(/E/);
    expect(out[1]).toMatch(/s/);
    expect(out[1]![view.cursorColumn]).toBe('F');
    expect(out[2]!.indexOf('^')).toBe(view.cursorColumn);
    expect(out[2]).toContain('2.000s');
    expect(out[2]).toMatch(/15\.000s$/);
  });

  it('event log: the cursor line among its neighbours', () => {
    const { view } = viewAt(cutAt);
    const out = lines(render(<EventLog lines={view.log} width={64} rows={18} />).lastFrame());
    const cursor = out.find((l) => l.startsWith('>'))!;
    expect(cursor).toContain('F n3 cut off from {n1,n2,n4,n5}');
    expect(out.length).toBeLessThanOrEqual(18);
  });

  it('key inspector: replicas behind the committed value', () => {
    const { view } = viewAt(afterCut);
    const out = render(<KeyInspector view={view.key} width={36} rows={12} />).lastFrame()!;
    expect(out).toMatch(/─ key k\d+/);
    expect(out).toMatch(/committed \S+ @\d+/);
    expect(out).toMatch(/n3 +P .* stale -\d+/);
    expect(out).toContain('last reads');
    expect(render(<KeyInspector view={null} width={36} rows={4} />).lastFrame()).toContain('press k');
  });

  it('title and status lines', () => {
    const { view } = viewAt(cutAt);
    expect(render(<TitleLine status={view.status} filter={{ kind: 'machine', name: 'n3' }} width={120} />).lastFrame()).toMatch(/leader-isolated seed 3 +t 2\.000s\/15\.000s .*E4 F1 .*filter: n3/);
    const status = render(<StatusLine ui={{ playing: true, speedIndex: 4, prompt: null, message: 'hello' }} width={100} />).lastFrame()!;
    expect(status).toMatch(/^> play 4x +hello/);
    const prompt = render(<StatusLine ui={{ playing: false, speedIndex: 2, prompt: { kind: 'key', text: 'k1' }, message: null }} completions={['k1', 'k10']} width={100} />).lastFrame()!;
    expect(prompt).toContain('k1_  k1 k10');
  });

  it('help lists every key', () => {
    const out = render(<HelpPanel width={100} rows={20} />).lastFrame()!;
    for (const k of ['space', '[ / ]', 'n / N', 'e p s v', 'g / G', 't ', '/ ', 'k ', '?', 'q ']) expect(out).toContain(k);
  });

  it('wraps long pieces at spaces with an indent', () => {
    const wrapped = wrapPieces([{ text: 'partition ' }, { text: 'n3 cut off from {n1,n2,n4,n5}' }], 20);
    expect(wrapped.map((l) => l.map((p) => p.text).join(''))).toEqual(['partition n3 cut off', '  from {n1,n2,n4,n5}']);
  });
});

describe('whole frames', () => {
  it('fit 100x30 with a row to spare', () => {
    for (const cursor of [0, cutAt, afterCut, replay.count - 1]) {
      const out = lines(printFrame(replay, cursor, 100, 30));
      expect(out.length).toBeLessThanOrEqual(29);
      for (const l of out) expect(l.length).toBeLessThanOrEqual(100);
    }
  });

  it('use more room when there is more', () => {
    const small = lines(printFrame(replay, afterCut, 100, 30));
    const big = lines(printFrame(replay, afterCut, 160, 50));
    expect(big.length).toBeGreaterThan(small.length);
    expect(big.length).toBeLessThanOrEqual(49);
    expect(big.filter((l) => /^[ >] *\d+\.\d{6} /.test(l)).length).toBeGreaterThan(small.filter((l) => /^[ >] *\d+\.\d{6} /.test(l)).length);
    expect(Math.max(...big.map((l) => l.length))).toBeGreaterThan(100);
  });

  it('show the help in place of the log', () => {
    const { layout, view } = viewAt(cutAt);
    const ui = { ...initialUi(replay, cutAt), help: true };
    const out = render(<Frame view={view} layout={layout} ui={ui} />).lastFrame()!;
    expect(out).toContain('─ keys');
    expect(out).not.toContain('─ events');
  });
});
