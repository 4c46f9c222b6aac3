// Second pass over a trace: the messages, role changes and faults inside one time window, and
// their drawing as a space-time diagram (machines as lanes, time to the right, each message an
// arrow from its send to its delivery or drop).
import type { TraceEvent } from '../trace/events.js';
import { machineOfReplica } from '../store/replica-id.js';
import { esc, fmtUs, linearScale, px, svgOpen, frame, xAxis } from './svg.js';
import type { TimeWindow } from './window.js';

export interface Arrow {
  id: number;
  label: string;
  from: string;
  to: string;
  sendUs: number;
  /** Delivery or drop time; null = still in flight when the window ends. */
  endUs: number | null;
  dropped: string | null;
}

export interface LaneMark {
  tUs: number;
  /** null: the mark spans every lane (a fault, a violation). */
  lane: string | null;
  kind: 'leader' | 'candidate' | 'elected' | 'down' | 'up' | 'pause' | 'fault' | 'violation';
  text: string;
}

export interface SpaceTime {
  window: TimeWindow;
  lanes: string[];
  arrows: Arrow[];
  marks: LaneMark[];
  /** Sends in the window left out to keep the drawing readable. */
  omitted: number;
}

/** Sends this long before the window are remembered, so arrows that land inside it are drawn. */
const LOOKBACK_US = 1_000_000;
/** Bound on arrows drawn; beyond it the diagram is a smear anyway. */
export const ARROWS_MAX = 1500;

function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

export class SpaceTimeCollector {
  private readonly sends = new Map<number, Arrow>();
  private readonly arrows: Arrow[] = [];
  private readonly marks: LaneMark[] = [];
  private readonly endpoints = new Set<string>();
  private omitted = 0;

  constructor(
    private readonly window: TimeWindow,
    private readonly machines: readonly string[],
    extraMarks: readonly LaneMark[] = [],
  ) {
    for (const m of extraMarks) if (m.tUs >= window.fromUs && m.tUs <= window.toUs) this.marks.push(m);
  }

  /** Feeds one event; returns false once the trace has passed the window (stop reading). */
  add(e: TraceEvent): boolean {
    const { fromUs, toUs } = this.window;
    if (e.t > toUs) return false;
    if (e.t < fromUs - LOOKBACK_US) return true;
    const inside = e.t >= fromUs;
    switch (e.type) {
      case 'msg.send': {
        if (inside && this.arrows.length >= ARROWS_MAX) {
          this.omitted++;
          return true;
        }
        const arrow: Arrow = { id: e.id, label: e.label, from: e.from, to: e.to, sendUs: e.t, endUs: null, dropped: null };
        this.sends.set(e.id, arrow);
        if (inside) this.keep(arrow);
        return true;
      }
      case 'msg.deliver':
      case 'msg.drop': {
        const sent = this.sends.get(e.id);
        if (sent === undefined) return true;
        if (!inside) {
          // Landed before the window: it will never be drawn.
          this.sends.delete(e.id);
          return true;
        }
        // A duplicated message is delivered twice: the second delivery is its own arrow.
        const arrow = sent.endUs === null ? sent : { ...sent };
        arrow.endUs = e.t;
        if (e.type === 'msg.drop') arrow.dropped = e.reason;
        if (arrow !== sent || sent.sendUs < fromUs) {
          if (this.arrows.length >= ARROWS_MAX) return true;
          this.keep(arrow);
        }
        return true;
      }
      default:
        break;
    }
    if (!inside) return true;
    switch (e.type) {
      case 'raft.role':
        if (e.role === 'leader' || e.role === 'candidate') this.marks.push({ tUs: e.t, lane: machineOfReplica(e.replica), kind: e.role, text: `${e.role} of shard ${e.group}, term ${e.term}` });
        break;
      case 'raft.elected':
        this.marks.push({ tUs: e.t, lane: machineOfReplica(e.replica), kind: 'elected', text: `elected leader of shard ${e.group} in term ${e.term}` });
        break;
      case 'machine.crash':
        this.marks.push({ tUs: e.t, lane: e.machine, kind: 'down', text: 'crashed' });
        break;
      case 'machine.restart':
        this.marks.push({ tUs: e.t, lane: e.machine, kind: 'up', text: 'restarted' });
        break;
      case 'machine.pause':
        this.marks.push({ tUs: e.t, lane: e.machine, kind: 'pause', text: 'paused' });
        break;
      case 'machine.resume':
        this.marks.push({ tUs: e.t, lane: e.machine, kind: 'up', text: 'resumed' });
        break;
      case 'fault':
        this.marks.push({ tUs: e.t, lane: null, kind: 'fault', text: `${e.action} ${e.detail}` });
        break;
      default:
        break;
    }
    return true;
  }

  private keep(arrow: Arrow): void {
    this.arrows.push(arrow);
    this.endpoints.add(arrow.from);
    this.endpoints.add(arrow.to);
  }

  finish(): SpaceTime {
    const known = new Set(this.machines);
    const others = [...this.endpoints].filter((m) => !known.has(m)).sort(naturalCompare);
    for (const m of this.marks) if (m.lane !== null && !known.has(m.lane) && !others.includes(m.lane)) others.push(m.lane);
    return { window: this.window, lanes: [...this.machines, ...others], arrows: this.arrows, marks: this.marks, omitted: this.omitted };
  }
}

/** Message families get one colour each, so heartbeats recede and votes stand out. */
export function messageClass(label: string): string {
  if (label.startsWith('raft.heartbeat')) return 'm-heartbeat';
  if (label.startsWith('raft.append')) return 'm-append';
  if (label.startsWith('raft.vote') || label.startsWith('raft.prevote') || label.startsWith('raft.timeout')) return 'm-vote';
  if (label.startsWith('raft.')) return 'm-raft';
  if (label.startsWith('reply.')) return 'm-reply';
  return 'm-client';
}

const LANE_HEIGHT_PX = 26;

export function renderSpaceTime(st: SpaceTime, widthPx: number): string {
  const f = frame(widthPx, st.lanes.length * LANE_HEIGHT_PX + 48, { left: 44, top: 16, bottom: 30, right: 16 });
  const x = linearScale([st.window.fromUs, st.window.toUs], [f.left, f.widthPx - f.right]);
  const laneY = new Map<string, number>();
  st.lanes.forEach((lane, i) => laneY.set(lane, f.top + i * LANE_HEIGHT_PX + LANE_HEIGHT_PX / 2));
  const bottom = f.heightPx - f.bottom;
  let s = svgOpen(f, 'spacetime', `space-time diagram ${st.window.fromUs}us to ${st.window.toUs}us`);
  s += `<defs><marker id="arrowhead" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0,0L8,4L0,8z" fill="context-stroke"/></marker></defs>`;
  for (const lane of st.lanes) {
    const y = laneY.get(lane)!;
    s += `<line class="lane" x1="${px(f.left)}" x2="${px(f.widthPx - f.right)}" y1="${px(y)}" y2="${px(y)}"/><text class="lane-label" x="${px(f.left - 6)}" y="${px(y + 4)}" text-anchor="end">${esc(lane)}</text>`;
  }
  s += xAxis(x, bottom, fmtUs, 8);
  for (const m of st.marks) {
    if (m.lane !== null) continue;
    const xp = x(m.tUs);
    s += `<line class="mark-${m.kind}" x1="${px(xp)}" x2="${px(xp)}" y1="${px(f.top)}" y2="${px(bottom)}"><title>${esc(`${fmtUs(m.tUs)} ${m.text}`)}</title></line>`;
  }
  for (const a of st.arrows) {
    const y1 = laneY.get(a.from);
    const y2 = laneY.get(a.to);
    if (y1 === undefined || y2 === undefined) continue;
    const x1 = x(Math.max(a.sendUs, st.window.fromUs));
    const inFlight = a.endUs === null;
    const endUs = a.endUs ?? st.window.toUs;
    // Clip an arrow sent before the window at the window's left edge, on its straight line.
    const frac = a.sendUs < st.window.fromUs && endUs > a.sendUs ? (st.window.fromUs - a.sendUs) / (endUs - a.sendUs) : 0;
    const ys = y1 + (y2 - y1) * frac;
    let x2 = x(endUs);
    let ye = y2;
    if (a.dropped !== null) {
      // A dropped message is a short stub towards its target, ending in a cross at the loss.
      x2 = Math.max(x2, x1 + 14);
      ye = ys + (y2 - ys) * 0.35;
    } else if (inFlight) {
      const total = Math.max(1, endUs - a.sendUs);
      ye = ys + (y2 - ys) * Math.min(1, (endUs - Math.max(a.sendUs, st.window.fromUs)) / total) * 0.5;
    }
    const title = `#${a.id} ${a.label} ${a.from}→${a.to} sent ${fmtUs(a.sendUs)}${a.dropped !== null ? `, dropped (${a.dropped}) ${fmtUs(endUs)}` : inFlight ? ', in flight at the window end' : `, delivered ${fmtUs(endUs)}`}`;
    const cls = `msg ${messageClass(a.label)}${a.dropped !== null ? ' dropped' : ''}${inFlight ? ' in-flight' : ''}`;
    s += `<line class="${cls}" x1="${px(x1)}" y1="${px(ys)}" x2="${px(x2)}" y2="${px(ye)}"${a.dropped === null ? ' marker-end="url(#arrowhead)"' : ''}><title>${esc(title)}</title></line>`;
    if (a.dropped !== null) s += `<path class="drop-x" d="M${px(x2 - 3)},${px(ye - 3)}L${px(x2 + 3)},${px(ye + 3)}M${px(x2 - 3)},${px(ye + 3)}L${px(x2 + 3)},${px(ye - 3)}"/>`;
  }
  for (const m of st.marks) {
    if (m.lane === null) continue;
    const y = laneY.get(m.lane);
    if (y === undefined) continue;
    const xp = x(m.tUs);
    s += `<circle class="mark-${m.kind}" cx="${px(xp)}" cy="${px(y)}" r="4"><title>${esc(`${fmtUs(m.tUs)} ${m.lane} ${m.text}`)}</title></circle>`;
  }
  s += '</svg>';
  return s;
}
