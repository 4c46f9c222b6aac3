// Hand-written SVG for the report: scales, axes, line charts, histograms and shaded periods.
// Plain strings, no DOM: the report must open offline and render without scripts, and tests
// read the markup back with regular expressions.

export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Numbers in SVG attributes: two decimals are far below a pixel and keep the file small. */
export function px(v: number): string {
  return String(Math.round(v * 100) / 100);
}

export interface Scale {
  (v: number): number;
  domain: [number, number];
  range: [number, number];
  ticks(countMax: number): number[];
}

export function linearScale(domain: [number, number], range: [number, number]): Scale {
  const [d0, d1] = domain[1] > domain[0] ? domain : [domain[0], domain[0] + 1];
  const f = ((v: number) => range[0] + ((v - d0) / (d1 - d0)) * (range[1] - range[0])) as Scale;
  f.domain = [d0, d1];
  f.range = range;
  f.ticks = (countMax: number) => niceTicks(d0, d1, countMax);
  return f;
}

/** Log scale for latencies: spikes of seconds and steady sub-millisecond values share one axis. */
export function logScale(domain: [number, number], range: [number, number]): Scale {
  const lo = Math.max(1e-9, domain[0]);
  const hi = Math.max(lo * 10, domain[1]);
  const l0 = Math.log10(lo);
  const l1 = Math.log10(hi);
  const f = ((v: number) => range[0] + ((Math.log10(Math.max(lo, v)) - l0) / (l1 - l0)) * (range[1] - range[0])) as Scale;
  f.domain = [lo, hi];
  f.range = range;
  f.ticks = () => {
    const out: number[] = [];
    for (let e = Math.ceil(l0); e <= Math.floor(l1); e++) out.push(10 ** e);
    return out;
  };
  return f;
}

export function niceTicks(lo: number, hi: number, countMax: number): number[] {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const raw = span / Math.max(1, countMax);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.round(v / step) * step);
  return out;
}

/** Short time labels for axes: 1.5s, 250ms, 80us. */
export function fmtUs(us: number): string {
  const a = Math.abs(us);
  if (a >= 1_000_000) return `${+(us / 1_000_000).toFixed(3)}s`;
  if (a >= 1_000) return `${+(us / 1_000).toFixed(2)}ms`;
  return `${Math.round(us)}us`;
}

export const MACHINE_COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

export function colorAt(i: number): string {
  return MACHINE_COLORS[((i % MACHINE_COLORS.length) + MACHINE_COLORS.length) % MACHINE_COLORS.length]!;
}

export interface Period {
  startUs: number;
  /** null: an instant (drawn as a line). */
  endUs: number | null;
  label: string;
}

export interface Frame {
  widthPx: number;
  heightPx: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export function frame(widthPx: number, heightPx: number, margins: Partial<Omit<Frame, 'widthPx' | 'heightPx'>> = {}): Frame {
  return { widthPx, heightPx, left: margins.left ?? 56, right: margins.right ?? 12, top: margins.top ?? 10, bottom: margins.bottom ?? 28 };
}

export function svgOpen(f: Frame, cls: string, label: string): string {
  return `<svg class="${cls}" xmlns="http://www.w3.org/2000/svg" width="${f.widthPx}" height="${f.heightPx}" viewBox="0 0 ${f.widthPx} ${f.heightPx}" role="img" aria-label="${esc(label)}">`;
}

/** Fault periods as translucent bands (instants as lines) across the plot area. */
export function shadePeriods(periods: readonly Period[], x: Scale, top: number, bottom: number): string {
  let s = '';
  const [r0, r1] = x.range;
  for (const p of periods) {
    const a = Math.max(r0, Math.min(r1, x(p.startUs)));
    if (p.endUs === null) {
      if (x(p.startUs) < r0 || x(p.startUs) > r1) continue;
      s += `<line class="fault-instant" x1="${px(a)}" x2="${px(a)}" y1="${px(top)}" y2="${px(bottom)}"><title>${esc(p.label)}</title></line>`;
      continue;
    }
    const b = Math.max(r0, Math.min(r1, x(p.endUs)));
    if (b <= a) continue;
    s += `<rect class="fault" x="${px(a)}" y="${px(top)}" width="${px(b - a)}" height="${px(bottom - top)}"><title>${esc(p.label)}</title></rect>`;
  }
  return s;
}

export function xAxis(x: Scale, y: number, format: (v: number) => string, countMax = 8): string {
  let s = `<line class="axis" x1="${px(x.range[0])}" x2="${px(x.range[1])}" y1="${px(y)}" y2="${px(y)}"/>`;
  for (const t of x.ticks(countMax)) {
    const xp = x(t);
    s += `<line class="tick" x1="${px(xp)}" x2="${px(xp)}" y1="${px(y)}" y2="${px(y + 4)}"/><text class="tick-label" x="${px(xp)}" y="${px(y + 16)}" text-anchor="middle">${esc(format(t))}</text>`;
  }
  return s;
}

export function yAxis(yS: Scale, x: number, format: (v: number) => string, widthPx: number, countMax = 5): string {
  let s = `<line class="axis" x1="${px(x)}" x2="${px(x)}" y1="${px(yS.range[0])}" y2="${px(yS.range[1])}"/>`;
  for (const t of yS.ticks(countMax)) {
    const yp = yS(t);
    s += `<line class="grid" x1="${px(x)}" x2="${px(x + widthPx)}" y1="${px(yp)}" y2="${px(yp)}"/><text class="tick-label" x="${px(x - 4)}" y="${px(yp + 4)}" text-anchor="end">${esc(format(t))}</text>`;
  }
  return s;
}

export interface LineSeries {
  name: string;
  color: string;
  /** [x, y] points; y null breaks the line (an empty bucket). */
  points: [number, number | null][];
  dashed?: boolean;
}

export interface LineChartSpec {
  cls: string;
  label: string;
  widthPx: number;
  heightPx: number;
  xDomain: [number, number];
  yLog?: boolean;
  yFormat: (v: number) => string;
  series: LineSeries[];
  periods: readonly Period[];
}

export function lineChart(spec: LineChartSpec): string {
  const f = frame(spec.widthPx, spec.heightPx, { left: 64 });
  const x = linearScale(spec.xDomain, [f.left, f.widthPx - f.right]);
  let yMin = Infinity;
  let yMax = 0;
  for (const s of spec.series) {
    for (const [, v] of s.points) {
      if (v === null) continue;
      if (v > yMax) yMax = v;
      if (v > 0 && v < yMin) yMin = v;
    }
  }
  if (!Number.isFinite(yMin)) yMin = 1;
  const yRange: [number, number] = [f.heightPx - f.bottom, f.top];
  const y = spec.yLog ? logScale([10 ** Math.floor(Math.log10(yMin)), 10 ** Math.ceil(Math.log10(Math.max(yMax, yMin * 10)))], yRange) : linearScale([0, yMax > 0 ? yMax * 1.05 : 1], yRange);
  let s = svgOpen(f, `chart ${spec.cls}`, spec.label);
  s += shadePeriods(spec.periods, x, f.top, f.heightPx - f.bottom);
  s += yAxis(y, f.left, spec.yFormat, f.widthPx - f.left - f.right);
  s += xAxis(x, f.heightPx - f.bottom, fmtUs);
  for (const series of spec.series) {
    let d = '';
    let pen = false;
    for (const [xv, yv] of series.points) {
      if (yv === null || (spec.yLog && yv <= 0)) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${px(x(xv))},${px(y(yv))}`;
      pen = true;
    }
    s += `<path class="series" d="${d}" stroke="${series.color}"${series.dashed ? ' stroke-dasharray="4 3"' : ''} fill="none"><title>${esc(series.name)}</title></path>`;
  }
  s += '</svg>';
  return s;
}

export function legend(items: { name: string; color: string; dashed?: boolean }[]): string {
  return `<div class="legend">${items
    .map((i) => `<span><svg width="18" height="10"><line x1="0" x2="18" y1="5" y2="5" stroke="${i.color}" stroke-width="2"${i.dashed ? ' stroke-dasharray="4 3"' : ''}/></svg>${esc(i.name)}</span>`)
    .join('')}</div>`;
}
