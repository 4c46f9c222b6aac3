// The report's sections as HTML strings, each computed from the aggregated model. Every
// section is present in every report (with a sentence when it has nothing to show), so a
// reader and a test always find the same headings.
import { VISIBILITY_UNBOUNDED_US } from '../check/eventual.js';
import { describeOp, type OpRecord } from '../history/op.js';
import type { LevelStaleness, ReportModel, RoleSpan } from './aggregate.js';
import type { TracePlaces } from '../replay/places.js';
import { messageClass, renderSpaceTime, type SpaceTime } from './spacetime.js';
import { colorAt, esc, fmtUs, frame, legend, lineChart, linearScale, logScale, px, shadePeriods, svgOpen, xAxis, yAxis, type LineSeries } from './svg.js';

export const CHART_WIDTH_PX = 1100;

export interface HeaderInfo {
  reproduce: string;
  tracePath: string;
}

export function section(id: string, title: string, body: string): string {
  return `<section id="${id}"><h2>${esc(title)}</h2>${body}</section>`;
}

export function note(text: string): string {
  return `<p class="note">${esc(text)}</p>`;
}

export function table(headers: string[], rows: (string | number)[][], cls = ''): string {
  const head = headers.map((h) => `<th>${esc(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${typeof c === 'number' ? esc(fmtNum(c)) : c}</td>`).join('')}</tr>`).join('');
  return `<table class="${cls}"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function fmtNum(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}

export function sortedCopy(values: readonly number[]): Float64Array {
  // A typed array sorts numerically and in place, without a comparator call per pair.
  return Float64Array.from(values).sort();
}

export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const GROUP_ORDER = ['put', 'get linearizable', 'get lease', 'get session', 'get bounded', 'get follower'];

export function groupOrder(names: Iterable<string>): string[] {
  const all = [...names];
  return [...GROUP_ORDER.filter((g) => all.includes(g)), ...all.filter((g) => !GROUP_ORDER.includes(g)).sort()];
}

export function groupColor(group: string): string {
  const i = GROUP_ORDER.indexOf(group);
  return colorAt(i >= 0 ? i : GROUP_ORDER.length + group.length);
}

/** "n3 · us-west-a" when the trace has places; the bare name otherwise (and for unplaced machines). */
export function machineLabel(places: TracePlaces | null, machine: string): string {
  const where = places?.label(machine);
  return where === undefined ? machine : `${machine} · ${where}`;
}

/** Left margin for lanes labelled by machineLabel: wide enough for "c12 · us-west-b". */
function laneLabelMarginPx(places: TracePlaces | null, labels: readonly string[], bare: number): number {
  if (places === null) return bare;
  const longest = Math.max(0, ...labels.map((l) => l.length));
  return Math.max(bare, Math.ceil(longest * 6.2) + 12);
}

// ---------------------------------------------------------------------------------------- header

/** What the header says of a real run (run.start mode 'real'); simulated runs say nothing. */
export const REAL_RUN_NOTE = 'real run — clocks as recorded on the host (not reproducible from the seed)';

export function renderHeader(model: ReportModel, info: HeaderInfo): string {
  const v = model.verdicts;
  const allOk = v !== null && v.checks.every((c) => c.ok !== false);
  const status = v === null ? '<span class="verdict na">no verdicts in the trace</span>' : allOk ? '<span class="verdict ok">all checks hold</span>' : '<span class="verdict fail">a check failed</span>';
  const complete = model.runEndEvents === null ? 'the trace has no run.end event: it may be cut short' : model.runEndEvents === model.events ? `${model.events} events, complete` : `${model.events} events, but run.end counts ${model.runEndEvents}: the trace is incomplete`;
  const rows: string[][] = [
    ['scenario', esc(model.scenario)],
    ['seed', esc(model.seed === null ? '?' : String(model.seed))],
    // A real run is not reproducible; the command simulates the same scenario and seed.
    [model.realRun ? 'simulate it' : 'reproduce', `<code class="repro">${esc(info.reproduce)}</code>`],
    ['trace hash', `<code class="hash">${esc(model.traceHash)}</code> <span class="dim">(recomputed over ${esc(info.tracePath)}: ${esc(complete)})</span>`],
    [model.realRun ? 'run time' : 'simulated time', esc(fmtUs(model.endUs))],
  ];
  if (model.realRun) rows.splice(2, 0, ['mode', esc(REAL_RUN_NOTE)]);
  if (model.places !== null) {
    const p = model.places;
    rows.push(['topology', `${esc(`${p.regions.length} region${p.regions.length === 1 ? '' : 's'} (${p.regions.join(', ')}), ${p.zones.length} zone${p.zones.length === 1 ? '' : 's'}`)} <a href="#geography">see Geography</a>`]);
  }
  if (model.bugs.length > 0) rows.push(['planted bugs', esc(model.bugs.join(', '))]);
  if (v?.ops !== undefined) rows.push(['operations', esc(`${v.ops.total} total: ${v.ops.ok} ok, ${v.ops.failed} failed, ${v.ops.indeterminate} indeterminate`)]);
  if (v?.elections !== undefined) rows.push(['elections', esc(String(v.elections))]);
  if (v?.staleReads !== undefined) rows.push(['stale reads', esc(String(v.staleReads))]);
  rows.push(['faults', esc(model.faults.length === 0 ? 'none' : model.faults.map((f) => `${fmtUs(f.startUs)} ${f.action}`).join(', '))]);
  const facts = `<table class="facts">${rows.map(([k, val]) => `<tr><th>${esc(k!)}</th><td>${val}</td></tr>`).join('')}</table>`;
  const checks =
    v === null
      ? note('The trace has no run.summary event, so the checks are unknown (the run did not finish, or the trace is older than run.summary).')
      : table(
          ['check', 'verdict', 'message'],
          v.checks.map((c) => [esc(c.name), c.ok === true ? '<span class="verdict ok">ok</span>' : c.ok === false ? '<span class="verdict fail">FAILED</span>' : '<span class="verdict na">n/a</span>', esc(c.message ?? '')]),
          'checks',
        );
  const real = model.realRun ? ' (real run)' : '';
  return `<header id="header"><h1>kvsim report: ${esc(model.scenario)} seed ${esc(String(model.seed ?? '?'))}${real} ${status}</h1>${facts}<h3>Checks</h3>${checks}</header>`;
}

// --------------------------------------------------------------------------------------- latency

/** Points per line chart: about one per 5 px, so a line stays readable. */
const DISPLAY_POINTS_MAX = 220;

/** The series' buckets merged so a chart has at most DISPLAY_POINTS_MAX points. */
export function displayBuckets(model: ReportModel, name: string): { widthUs: number; count: number[]; sum: number[]; max: number[] } {
  const st = model.series.get(name);
  const n = model.series.bucketsTo(model.endUs);
  const factor = Math.max(1, Math.ceil(n / DISPLAY_POINTS_MAX));
  const out = { widthUs: model.series.widthUs * factor, count: [] as number[], sum: [] as number[], max: [] as number[] };
  for (let i = 0; i < n; i += factor) {
    let count = 0;
    let sum = 0;
    let max = 0;
    for (let j = i; j < Math.min(n, i + factor); j++) {
      count += st.count[j] ?? 0;
      sum += st.sum[j] ?? 0;
      max = Math.max(max, st.max[j] ?? 0);
    }
    out.count.push(count);
    out.sum.push(sum);
    out.max.push(max);
  }
  return out;
}

export function renderLatency(model: ReportModel): string {
  const groups = groupOrder(model.latencyUs.keys());
  if (groups.length === 0) return section('latency', 'Latency', note('No client operations in this trace (a kernel-only run has none).'));
  let w = model.series.widthUs;
  const meanSeries: LineSeries[] = [];
  const maxSeries: LineSeries[] = [];
  for (const g of groups) {
    const st = displayBuckets(model, `lat:${g}`);
    w = st.widthUs;
    const mean: [number, number | null][] = [];
    const max: [number, number | null][] = [];
    for (let i = 0; i < st.count.length; i++) {
      const c = st.count[i]!;
      const x = (i + 0.5) * w;
      mean.push([x, c > 0 ? st.sum[i]! / c / 1000 : null]);
      max.push([x, c > 0 ? st.max[i]! / 1000 : null]);
    }
    meanSeries.push({ name: `${g} mean`, color: groupColor(g), points: mean });
    maxSeries.push({ name: `${g} max`, color: groupColor(g), points: max });
  }
  const ms = (v: number) => (v >= 1 ? `${+v.toFixed(1)}ms` : `${+(v * 1000).toFixed(0)}us`);
  let body = `<p>Completed (ok) operations by the time they completed, in buckets of ${fmtUs(w)}; log scale. Shaded: faults in force.</p>`;
  body += legend(groups.map((g) => ({ name: g, color: groupColor(g) })));
  body += '<h3>Mean latency per bucket</h3>';
  body += lineChart({ cls: 'latency-mean', label: 'mean latency over time', widthPx: CHART_WIDTH_PX, heightPx: 220, xDomain: [0, model.endUs], yLog: true, yFormat: ms, series: meanSeries, periods: model.faults });
  body += '<h3>Slowest operation per bucket</h3>';
  body += lineChart({ cls: 'latency-max', label: 'max latency over time', widthPx: CHART_WIDTH_PX, heightPx: 220, xDomain: [0, model.endUs], yLog: true, yFormat: ms, series: maxSeries, periods: model.faults });
  body += '<h3>Histograms (p50, p99 and max marked)</h3><div class="grid">';
  const rows: (string | number)[][] = [];
  for (const g of groups) {
    const sorted = sortedCopy(model.latencyUs.get(g)!);
    const p50 = quantile(sorted, 0.5);
    const p99 = quantile(sorted, 0.99);
    const max = sorted[sorted.length - 1] ?? 0;
    rows.push([esc(g), sorted.length, esc(fmtUs(p50)), esc(fmtUs(p99)), esc(fmtUs(max))]);
    body += `<figure>${latencyHistogram(sorted, groupColor(g), g, [p50, p99, max])}<figcaption>${esc(g)}: ${sorted.length} ops, p50 ${esc(fmtUs(p50))}, p99 ${esc(fmtUs(p99))}, max ${esc(fmtUs(max))}</figcaption></figure>`;
  }
  body += '</div>';
  body += table(['operation', 'count', 'p50', 'p99', 'max'], rows, 'latency-table');
  return section('latency', 'Latency', body);
}

const HISTOGRAM_BINS = 32;

function latencyHistogram(sorted: ArrayLike<number>, color: string, name: string, marks: [number, number, number]): string {
  const f = frame(340, 170, { left: 44, bottom: 28 });
  const lo = Math.max(1, sorted[0] ?? 1);
  const hi = Math.max(lo * 10, sorted[sorted.length - 1] ?? 10);
  const l0 = Math.log10(lo);
  const l1 = Math.log10(hi) + 1e-9;
  const counts = new Array<number>(HISTOGRAM_BINS).fill(0);
  for (let i = 0; i < sorted.length; i++) {
    const b = Math.min(HISTOGRAM_BINS - 1, Math.floor(((Math.log10(Math.max(lo, sorted[i]!)) - l0) / (l1 - l0)) * HISTOGRAM_BINS));
    counts[b]!++;
  }
  const x = logScale([lo, hi], [f.left, f.widthPx - f.right]);
  const cMax = Math.max(1, ...counts);
  const y = linearScale([0, cMax], [f.heightPx - f.bottom, f.top]);
  let s = svgOpen(f, 'histogram latency-histogram', `latency histogram ${name}`);
  s += yAxis(y, f.left, (v) => String(v), f.widthPx - f.left - f.right, 3);
  s += xAxis(x, f.heightPx - f.bottom, fmtUs);
  for (let b = 0; b < HISTOGRAM_BINS; b++) {
    if (counts[b] === 0) continue;
    const a = 10 ** (l0 + ((l1 - l0) * b) / HISTOGRAM_BINS);
    const z = 10 ** (l0 + ((l1 - l0) * (b + 1)) / HISTOGRAM_BINS);
    const x0 = x(a);
    const x1 = x(z);
    s += `<rect class="bar" x="${px(x0)}" y="${px(y(counts[b]!))}" width="${px(Math.max(1, x1 - x0 - 1))}" height="${px(y(0) - y(counts[b]!))}" fill="${color}"><title>${esc(`${fmtUs(a)}–${fmtUs(z)}: ${counts[b]}`)}</title></rect>`;
  }
  const names = ['p50', 'p99', 'max'];
  marks.forEach((m, i) => {
    const xp = x(Math.max(lo, m));
    // Labels near the right edge go left of their line so they stay inside the figure.
    const right = xp > f.widthPx - f.right - 30;
    s += `<line class="pmark pmark-${names[i]}" x1="${px(xp)}" x2="${px(xp)}" y1="${px(f.top)}" y2="${px(f.heightPx - f.bottom)}"><title>${names[i]} ${esc(fmtUs(m))}</title></line><text class="pmark-label" x="${px(right ? xp - 2 : xp + 2)}" y="${px(f.top + 10 + i * 11)}"${right ? ' text-anchor="end"' : ''}>${names[i]}</text>`;
  });
  return s + '</svg>';
}

// ------------------------------------------------------------------------------------ throughput

export function renderThroughput(model: ReportModel): string {
  let w = model.series.widthUs;
  const line = (name: string, label: string, color: string, dashed = false): LineSeries => {
    const st = displayBuckets(model, name);
    w = st.widthUs;
    const points: [number, number | null][] = [];
    for (let i = 0; i < st.count.length; i++) points.push([(i + 0.5) * w, (st.count[i]! * 1_000_000) / w]);
    return { name: label, color, points, dashed };
  };
  const series = [line('done:read', 'reads completed', '#1f77b4'), line('done:write', 'writes completed', '#2ca02c'), line('done:failed', 'failed', '#d62728', true), line('done:indeterminate', 'indeterminate', '#ff7f0e', true)];
  let body = `<p>Operations completed per second (buckets of ${fmtUs(w)}), whatever their outcome; failed and indeterminate ones also dashed. Shaded: faults in force (hover for which).</p>`;
  body += legend(series.map((s) => ({ name: s.name, color: s.color, dashed: s.dashed === true })));
  body += lineChart({ cls: 'throughput', label: 'throughput over time', widthPx: CHART_WIDTH_PX, heightPx: 240, xDomain: [0, model.endUs], yFormat: (v) => `${Math.round(v)}/s`, series, periods: model.faults });
  if (model.faults.length > 0) {
    body += table(
      ['fault', 'from', 'until', 'detail'],
      model.faults.map((f) => [esc(f.action), esc(fmtUs(f.startUs)), esc(f.endUs === null ? '(instant)' : fmtUs(f.endUs)), esc(f.detail)]),
      'faults',
    );
  } else body += note('No faults fired in this run.');
  return section('throughput', 'Throughput', body);
}

// ------------------------------------------------------------------------------------ leaders

const LEADER_LANE_PX = 14;

export function renderLeaders(model: ReportModel): string {
  if (model.groups.length === 0) return section('leaders', 'Leader timeline', note('No Raft groups in this trace.'));
  const machineIndex = (m: string) => {
    const i = model.machines.indexOf(m);
    return i >= 0 ? i : model.machines.length + m.length;
  };
  const byGroup = new Map<number, RoleSpan[]>();
  for (const s of model.roleSpans) {
    let list = byGroup.get(s.group);
    if (list === undefined) byGroup.set(s.group, (list = []));
    list.push(s);
  }
  let body = '<p>One block per shard, one lane per replica. Solid: leader (colour = machine, label = term); light: candidate or pre-candidate; grey: machine down. Triangles: elections. Shaded: faults in force.</p>';
  const label = (m: string) => machineLabel(model.places, m);
  body += legend(model.machines.map((m, i) => ({ name: label(m), color: colorAt(i) })));
  const leftPx = laneLabelMarginPx(model.places, [...model.machineStats.keys()].map(label), 64);
  for (const g of model.groups) {
    const replicas = [...model.shardStats.get(g)!.replicas].sort((a, b) => machineIndex(a) - machineIndex(b));
    const f = frame(CHART_WIDTH_PX, replicas.length * LEADER_LANE_PX + 40, { left: leftPx, top: 6, bottom: 26 });
    const x = linearScale([0, model.endUs], [f.left, f.widthPx - f.right]);
    const laneTop = (r: string) => f.top + replicas.indexOf(r) * LEADER_LANE_PX;
    let s = svgOpen(f, `leaders shard-${g}`, `leader timeline of shard ${g}`);
    s += shadePeriods(model.faults, x, f.top, f.heightPx - f.bottom);
    replicas.forEach((r) => {
      const y = laneTop(r);
      s += `<line class="lane" x1="${px(f.left)}" x2="${px(f.widthPx - f.right)}" y1="${px(y + LEADER_LANE_PX / 2)}" y2="${px(y + LEADER_LANE_PX / 2)}"/><text class="lane-label" x="${px(f.left - 6)}" y="${px(y + LEADER_LANE_PX - 3)}" text-anchor="end">${esc(label(r))}</text>`;
    });
    for (const span of byGroup.get(g) ?? []) {
      const x0 = x(span.startUs);
      const wPx = Math.max(1, x(span.endUs) - x0);
      const y = laneTop(span.replica);
      const title = `${label(span.replica)} ${span.role} of shard ${g}, term ${span.term}, ${fmtUs(span.startUs)}–${fmtUs(span.endUs)}`;
      if (span.role === 'leader') {
        s += `<rect class="lead" x="${px(x0)}" y="${px(y + 1)}" width="${px(wPx)}" height="${LEADER_LANE_PX - 2}" fill="${colorAt(machineIndex(span.replica))}"><title>${esc(title)}</title></rect>`;
        if (wPx > 26) s += `<text class="term-label" x="${px(x0 + 3)}" y="${px(y + LEADER_LANE_PX - 4)}">t${span.term}</text>`;
      } else {
        s += `<rect class="${span.role === 'down' ? 'down' : 'campaign'}" x="${px(x0)}" y="${px(y + 3)}" width="${px(wPx)}" height="${LEADER_LANE_PX - 6}"><title>${esc(title)}</title></rect>`;
      }
    }
    for (const e of model.elections) {
      if (e.group !== g) continue;
      const xp = x(e.tUs);
      const y = laneTop(e.replica);
      s += `<path class="election" d="M${px(xp)},${px(y + LEADER_LANE_PX - 1)}l-4,-7h8z"><title>${esc(`${fmtUs(e.tUs)} ${label(e.replica)} elected in term ${e.term}`)}</title></path>`;
    }
    s += xAxis(x, f.heightPx - f.bottom, fmtUs);
    s += '</svg>';
    const st = model.shardStats.get(g)!;
    body += `<h3>Shard ${g} <span class="dim">${st.elections} election${st.elections === 1 ? '' : 's'}, last term ${st.termMax}</span></h3>${s}`;
  }
  return section('leaders', 'Leader timeline', body);
}

// ----------------------------------------------------------------------------------- staleness

export const LEVEL_ORDER = ['follower', 'bounded', 'session', 'lease', 'linearizable'];

export function renderStaleness(model: ReportModel): string {
  const levels = [...model.staleness.keys()].sort((a, b) => levelRank(a) - levelRank(b) || a.localeCompare(b));
  if (levels.length === 0) return section('staleness', 'Staleness', note('No reads served in this trace.'));
  const color = levelColor;
  let body =
    '<p>Every read a replica served (store.read, white-box): stale when the key had committed writes the replica had not applied. Versions behind = how many; time behind = since the oldest write it missed was first applied anywhere. P(fresh) is by time since the latest write to the key was first applied.</p>';
  const rows: (string | number)[][] = [];
  for (const l of levels) {
    const st = model.staleness.get(l)!;
    const tb = sortedCopy(st.timeBehindUs);
    const vb = versionsSorted(st);
    rows.push([esc(l), st.reads, st.stale, esc(st.reads === 0 ? '0%' : `${((100 * st.stale) / st.reads).toFixed(2)}%`), quantile(vb, 0.5), quantile(vb, 0.99), vb[vb.length - 1] ?? 0, esc(fmtUs(quantile(tb, 0.5))), esc(fmtUs(quantile(tb, 0.99))), esc(fmtUs(tb[tb.length - 1] ?? 0))]);
  }
  body += table(['read level', 'reads', 'stale', 'stale %', 'versions p50', 'p99', 'max', 'time behind p50', 'p99', 'max'], rows, 'staleness-table');
  const s = model.verdicts?.staleness;
  if (s !== undefined) {
    body += note(
      `The eventual check (client history: acknowledged writes, all read levels below linearizable) counted ${s.stale} stale of ${s.reads} reads: versions behind p50 ${s.versionsBehind.p50}, p99 ${s.versionsBehind.p99}, max ${s.versionsBehind.max}; time behind p50 ${fmtUs(s.timeBehindUs.p50)}, p99 ${fmtUs(s.timeBehindUs.p99)}, max ${fmtUs(s.timeBehindUs.max)}.`,
    );
  }
  body += legend(levels.map((l) => ({ name: l, color: color(l) })));
  body += '<div class="grid">';
  body += `<figure>${versionsChart(model, levels, color)}<figcaption>Stale reads by versions behind</figcaption></figure>`;
  body += `<figure>${timeBehindChart(model, levels, color)}<figcaption>Stale reads by time behind</figcaption></figure>`;
  body += `<figure>${visibilityChart(model.staleness, levels, color)}<figcaption>P(read is fresh) vs time since the write was applied</figcaption></figure>`;
  body += '</div>';
  return section('staleness', 'Staleness', body);
}

export function levelRank(l: string): number {
  return LEVEL_ORDER.includes(l) ? LEVEL_ORDER.indexOf(l) : LEVEL_ORDER.length;
}

export function levelColor(l: string): string {
  return colorAt(LEVEL_ORDER.indexOf(l) >= 0 ? LEVEL_ORDER.indexOf(l) : 7);
}

function versionsSorted(st: LevelStaleness): number[] {
  const out: number[] = [];
  for (const [v, c] of [...st.versionsBehind].sort((a, b) => a[0] - b[0])) for (let i = 0; i < c; i++) out.push(v);
  return out;
}

function versionsChart(model: ReportModel, levels: string[], color: (l: string) => string): string {
  const f = frame(360, 200, { left: 44 });
  let vMax = 1;
  let cMax = 1;
  for (const l of levels) for (const [v, c] of model.staleness.get(l)!.versionsBehind) {
    vMax = Math.max(vMax, v);
    cMax = Math.max(cMax, c);
  }
  const x = linearScale([0.5, vMax + 0.5], [f.left, f.widthPx - f.right]);
  const y = linearScale([0, cMax], [f.heightPx - f.bottom, f.top]);
  let s = svgOpen(f, 'histogram versions-behind', 'stale reads by versions behind');
  s += yAxis(y, f.left, (v) => String(v), f.widthPx - f.left - f.right, 4);
  s += xAxis(x, f.heightPx - f.bottom, (v) => (Number.isInteger(v) ? String(v) : ''), Math.min(10, vMax));
  const barW = (x(1.5) - x(0.5)) / Math.max(1, levels.length);
  levels.forEach((l, li) => {
    for (const [v, c] of model.staleness.get(l)!.versionsBehind) {
      const x0 = x(v - 0.5) + li * barW;
      s += `<rect class="bar" x="${px(x0)}" y="${px(y(c))}" width="${px(Math.max(1, barW - 1))}" height="${px(y(0) - y(c))}" fill="${color(l)}"><title>${esc(`${l}: ${c} reads ${v} version${v === 1 ? '' : 's'} behind`)}</title></rect>`;
    }
  });
  return s + '</svg>';
}

function timeBehindChart(model: ReportModel, levels: string[], color: (l: string) => string): string {
  const f = frame(360, 200, { left: 44 });
  const edges = [0, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000, 2_000_000, 5_000_000, Infinity];
  const counts = levels.map((l) => {
    const c = new Array<number>(edges.length - 1).fill(0);
    for (const t of model.staleness.get(l)!.timeBehindUs) {
      const b = edges.findIndex((e, i) => i > 0 && t < e) - 1;
      c[Math.max(0, b)]!++;
    }
    return c;
  });
  const cMax = Math.max(1, ...counts.flat());
  const nb = edges.length - 1;
  const x = linearScale([0, nb], [f.left, f.widthPx - f.right]);
  const y = linearScale([0, cMax], [f.heightPx - f.bottom, f.top]);
  let s = svgOpen(f, 'histogram time-behind', 'stale reads by time behind');
  s += yAxis(y, f.left, (v) => String(v), f.widthPx - f.left - f.right, 4);
  s += `<line class="axis" x1="${px(f.left)}" x2="${px(f.widthPx - f.right)}" y1="${px(y(0))}" y2="${px(y(0))}"/>`;
  for (let b = 0; b < nb; b += 2) s += `<text class="tick-label" x="${px(x(b))}" y="${px(y(0) + 16)}" text-anchor="middle">${esc(fmtUs(edges[b]!))}</text>`;
  const barW = (x(1) - x(0)) / Math.max(1, levels.length);
  levels.forEach((l, li) => {
    counts[li]!.forEach((c, b) => {
      if (c === 0) return;
      const x0 = x(b) + li * barW;
      const upper = edges[b + 1]!;
      s += `<rect class="bar" x="${px(x0)}" y="${px(y(c))}" width="${px(Math.max(1, barW - 1))}" height="${px(y(0) - y(c))}" fill="${color(l)}"><title>${esc(`${l}: ${c} reads behind by ${fmtUs(edges[b]!)}–${Number.isFinite(upper) ? fmtUs(upper) : '∞'}`)}</title></rect>`;
    });
  });
  return s + '</svg>';
}

/** The PBS curve: P(fresh) by time since the key's latest write, one line per level of `byLevel`. */
export function visibilityChart(byLevel: ReadonlyMap<string, LevelStaleness>, levels: readonly string[], color: (l: string) => string, label = 'P(fresh) by time since the write'): string {
  const f = frame(360, 200, { left: 44 });
  // Bucket upper bounds on a log axis; the open last bucket is drawn one decade further.
  const unbounded = (upToUs: number) => !Number.isFinite(upToUs) || upToUs >= VISIBILITY_UNBOUNDED_US;
  const xOf = (upToUs: number) => (unbounded(upToUs) ? 10_000_000 : upToUs);
  const x = logScale([1_000, 10_000_000], [f.left, f.widthPx - f.right]);
  const y = linearScale([0, 1], [f.heightPx - f.bottom, f.top]);
  let s = svgOpen(f, 'chart visibility', label);
  s += yAxis(y, f.left, (v) => v.toFixed(1), f.widthPx - f.left - f.right, 5);
  s += xAxis(x, f.heightPx - f.bottom, (v) => (v >= 10_000_000 ? '∞' : fmtUs(v)));
  for (const l of levels) {
    const buckets = byLevel.get(l)?.visibility ?? [];
    let d = '';
    buckets.forEach((b, i) => {
      d += `${i === 0 ? 'M' : 'L'}${px(x(xOf(b.upToUs)))},${px(y(b.fresh / b.reads))}`;
    });
    if (d !== '') s += `<path class="series visibility-curve" d="${d}" stroke="${color(l)}" fill="none"><title>${esc(l)}</title></path>`;
    for (const b of buckets) {
      s += `<circle class="dot" cx="${px(x(xOf(b.upToUs)))}" cy="${px(y(b.fresh / b.reads))}" r="2.5" fill="${color(l)}"><title>${esc(`${l}: within ${unbounded(b.upToUs) ? '∞' : fmtUs(b.upToUs)} of the write, ${b.fresh}/${b.reads} fresh`)}</title></circle>`;
    }
  }
  return s + '</svg>';
}

// ----------------------------------------------------------------------------------- space-time

export function renderSpaceTimeSection(st: SpaceTime): string {
  const counts = new Map<string, number>();
  for (const a of st.arrows) counts.set(messageClass(a.label), (counts.get(messageClass(a.label)) ?? 0) + 1);
  let body = `<p>Window ${esc(fmtUs(st.window.fromUs))} – ${esc(fmtUs(st.window.toUs))}: ${esc(st.window.reason)}. Choose another with <code>kvsim report TRACE --out DIR --window FROM..TO</code>. One lane per machine (n*: servers, c*: client machines); each message is an arrow from send to delivery, a cross where it was dropped, a half arrow when still in flight at the window end. Dots: role changes and elections; vertical lines: faults and violations. Hover for details.</p>`;
  const legendItems: [string, string][] = [
    ['m-heartbeat', 'heartbeat'],
    ['m-append', 'append'],
    ['m-vote', 'vote / pre-vote'],
    ['m-raft', 'other Raft'],
    ['m-client', 'client request'],
    ['m-reply', 'reply'],
  ];
  body += `<div class="legend">${legendItems.map(([cls, name]) => `<span><svg width="18" height="10"><line class="${cls}" x1="0" x2="18" y1="5" y2="5"/></svg>${esc(name)} (${counts.get(cls) ?? 0})</span>`).join('')}</div>`;
  body += renderSpaceTime(st, CHART_WIDTH_PX);
  if (st.omitted > 0) body += note(`${st.omitted} further messages sent in this window are not drawn (at most ${st.arrows.length} arrows); choose a narrower window to see them all.`);
  if (st.arrows.length === 0) body += note('No messages in this window.');
  return section('spacetime', 'Space-time diagram', body);
}

// ------------------------------------------------------------------------------------ violation

const OP_ROW_PX = 22;

export function renderViolation(model: ReportModel): string {
  const lin = model.verdicts?.linViolation;
  const other = (model.verdicts?.checks ?? []).filter((c) => c.ok === false && c.name !== 'linearizable');
  let body = '';
  for (const c of other) body += `<p class="violation-text"><strong>${esc(c.name)}</strong>: ${esc(c.message ?? 'failed')}</p>`;
  for (const e of model.verdicts?.eventualViolations ?? []) body += `<p class="violation-text">eventual, ${esc(e.kind)}: ${esc(e.message)}</p>`;
  if (lin === undefined) {
    body += note(model.verdicts === null ? 'No verdicts in this trace.' : 'No linearizability violation in this run.');
    return section('violation', 'Violations', body);
  }
  body += `<h3>Linearizability</h3><p>Key <code>${esc(lin.key)}</code>: these ${lin.window.length} operations (of ${lin.partitionOps} on the key) have no linearization. Each bar runs from invocation to completion; the highlighted one returned a value no order can explain${lin.startStates !== undefined ? ` (starting from ${esc(lin.startStates.map((v) => (v === null ? 'nil' : JSON.stringify(v))).join(', '))}, the values the earlier history allows)` : ''}.</p>`;
  body += opBars(lin.window, lin.failing);
  body += `<pre class="explanation">${esc(lin.text)}</pre>`;
  return section('violation', 'Violations', body);
}

function opBars(window: readonly OpRecord[], failing: OpRecord): string {
  const ops = [...window].sort((a, b) => a.client - b.client || a.invokeUs - b.invokeUs || a.id - b.id);
  const clients = [...new Set(ops.map((o) => o.client))];
  let t0 = Infinity;
  let t1 = -Infinity;
  for (const o of ops) {
    t0 = Math.min(t0, o.invokeUs);
    t1 = Math.max(t1, o.completeUs ?? o.invokeUs, o.invokeUs);
  }
  const pad = Math.max(1, (t1 - t0) * 0.04);
  const f = frame(CHART_WIDTH_PX, clients.length * OP_ROW_PX * 1.6 + 44, { left: 90, top: 10, bottom: 30 });
  const x = linearScale([t0 - pad, t1 + pad], [f.left, f.widthPx - f.right]);
  const rowOf = new Map<number, number>();
  clients.forEach((c, i) => rowOf.set(c, i));
  const perClient = new Map<number, number>();
  let s = svgOpen(f, 'opbars', 'operation bars of the violation window');
  clients.forEach((c, i) => {
    const y = f.top + i * OP_ROW_PX * 1.6;
    s += `<text class="lane-label" x="${px(f.left - 6)}" y="${px(y + OP_ROW_PX / 2 + 4)}" text-anchor="end">client ${c}</text>`;
  });
  for (const o of ops) {
    const k = perClient.get(o.client) ?? 0;
    perClient.set(o.client, k + 1);
    const y = f.top + rowOf.get(o.client)! * OP_ROW_PX * 1.6;
    const open = o.completeUs === null || o.outcome === 'indeterminate';
    const x0 = x(o.invokeUs);
    const x1 = open ? f.widthPx - f.right : Math.max(x0 + 3, x(o.completeUs!));
    const isFailing = o.id === failing.id;
    const cls = `op op-${o.op}${isFailing ? ' failing' : ''}${open ? ' open' : ''}`;
    const title = `#${o.id} ${describeOp(o)} ${o.level ?? ''} by client ${o.client}${o.servedBy !== undefined ? ` via ${o.servedBy}` : ''}${o.index !== undefined ? ` at index ${o.index}` : ''}, ${o.invokeUs}..${open ? '?' : o.completeUs}us`;
    s += `<rect class="${cls}" x="${px(x0)}" y="${px(y)}" width="${px(x1 - x0)}" height="${OP_ROW_PX}" rx="3"><title>${esc(title)}</title></rect>`;
    // A short bar in the right half gets its label on its left, where there is room.
    const labelLeft = x1 - x0 < 160 && x0 > (f.left + f.widthPx) / 2;
    const text = `#${o.id} ${describeOp(o)}${isFailing ? (labelLeft ? '  impossible ▶' : '  ◀ impossible') : ''}`;
    s += `<text class="op-label${isFailing ? ' failing' : ''}" x="${px(labelLeft ? x0 - 6 : x0 + 4)}" y="${px(y + OP_ROW_PX / 2 + 4)}"${labelLeft ? ' text-anchor="end"' : ''}>${esc(text)}</text>`;
  }
  s += xAxis(x, f.heightPx - f.bottom, fmtUs);
  return s + '</svg>';
}

// ------------------------------------------------------------------------------------ statistics

export function renderStats(model: ReportModel): string {
  const pct = (us: number, total: number) => (total > 0 ? `${((100 * us) / total).toFixed(1)}%` : '');
  const machines = [...model.machineStats.keys()].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const rows = machines.map((m) => {
    const s = model.machineStats.get(m)!;
    const total = s.roleUs.leader + s.roleUs.follower + s.roleUs.candidate + s.roleUs.precandidate + s.roleUs.down;
    const place = model.places?.get(m);
    const where = model.places === null ? [] : [esc(place?.region ?? ''), esc(place?.zone ?? '')];
    return [esc(m), ...where, s.sent, s.received, s.dropped, s.logWrites, s.logEntries, s.snapshots, s.durableWrites, s.lostWrites, s.crashes, s.pauses, s.readsServed, s.staleServed, esc(fmtUs(s.roleUs.leader)), esc(pct(s.roleUs.leader, total)), esc(pct(s.roleUs.follower, total)), esc(pct(s.roleUs.candidate + s.roleUs.precandidate, total)), esc(pct(s.roleUs.down, total))];
  });
  let body = '<h3>Per machine</h3>';
  body += note('Role time is summed over the replicas a machine hosts (one per shard). Log writes are raft.append events (each persisted before the messages that depend on it), entries the log entries they wrote; durable/lost writes come from disk events when the trace has them.');
  body += table(['machine', ...(model.places === null ? [] : ['region', 'zone']), 'msgs sent', 'received', 'dropped', 'log writes', 'entries', 'snapshots', 'durable', 'lost', 'crashes', 'pauses', 'reads served', 'stale', 'leader time', 'leader', 'follower', 'candidate', 'down'], rows, 'machine-stats');
  const shardRows = model.groups.map((g) => {
    const s = model.shardStats.get(g)!;
    const leaderless = leaderlessUs(model, g);
    const replicas = [...s.replicas].sort();
    if (model.places !== null) {
      const regions = new Set(replicas.map((r) => model.places!.get(r)?.region).filter((r) => r !== undefined));
      return [esc(`shard ${g}`), esc(replicas.map((r) => machineLabel(model.places, r)).join(', ')), regions.size, s.invoked, s.writes, s.readsServed, s.staleServed, s.elections, s.termMax, s.commitIndex, esc(fmtUs(leaderless)), esc(pct(leaderless, model.endUs))];
    }
    return [esc(`shard ${g}`), esc(replicas.join(' ')), s.invoked, s.writes, s.readsServed, s.staleServed, s.elections, s.termMax, s.commitIndex, esc(fmtUs(leaderless)), esc(pct(leaderless, model.endUs))];
  });
  body += '<h3>Per shard</h3>';
  body += table(['shard', 'replicas', ...(model.places === null ? [] : ['regions']), 'ops', 'writes', 'reads served', 'stale', 'elections', 'last term', 'commit index', 'without leader', 'share'], shardRows, 'shard-stats');
  const counts = [...model.eventCounts].sort((a, b) => b[1] - a[1]);
  body += `<details><summary>Trace events by type (${model.events})</summary>${table(['type', 'count'], counts.map(([t, c]) => [esc(t), c]), 'event-counts')}</details>`;
  return section('stats', 'Statistics', body);
}

/** Time with no replica in the leader role (the union of leader spans, subtracted from the run). */
function leaderlessUs(model: ReportModel, group: number): number {
  const spans = model.roleSpans.filter((s) => s.group === group && s.role === 'leader').sort((a, b) => a.startUs - b.startUs);
  let covered = 0;
  let endUs = 0;
  for (const s of spans) {
    const from = Math.max(s.startUs, endUs);
    if (s.endUs > from) covered += s.endUs - from;
    endUs = Math.max(endUs, s.endUs);
  }
  return Math.max(0, model.endUs - covered);
}
