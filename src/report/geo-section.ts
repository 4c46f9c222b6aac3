// The report's Geography section: where every machine is, and what the clients of each region
// saw — latency per operation group, how stale the reads served to them were per read level,
// the PBS curve (P(fresh) by time since the write) per region, and two charts over time (ok
// completions per second and the stale share of follower-level reads, per region) that show a
// region cut off and recovering. A run without a topology gets the section with one sentence.
import type { ReportModel } from './aggregate.js';
import { geoDoneSeries, geoReadSeries, type RegionGeo } from './geo.js';
import { isClientMachine, zoneShortLabel } from '../replay/places.js';
import { displayBuckets, groupOrder, levelColor, levelRank, note, quantile, section, sortedCopy, table, visibilityChart, CHART_WIDTH_PX } from './sections.js';
import { colorAt, esc, fmtUs, legend, lineChart, type LineSeries } from './svg.js';

export function renderGeography(model: ReportModel): string {
  const geo = model.geo;
  if (geo === null || model.places === null) return section('geography', 'Geography', note('This scenario has no topology: every machine is in one place, so there is nothing to show by region.'));
  const places = model.places;
  const regionColor = (r: string) => colorAt(places.regionIndex(r));
  let body =
    '<p>Machines by region and zone, and what the workload clients of each region saw: latency of their completed operations, how stale the reads replicas served them were (white-box, as in Staleness), P(fresh) per region, and both over time. Shaded: faults in force.</p>';

  // Where machines are.
  const placeRows: (string | number)[][] = [];
  const replicaHosts = new Set([...model.shardStats.values()].flatMap((s) => [...s.replicas]));
  for (const z of places.zones) {
    const here = places.machines().filter((m) => {
      const p = places.get(m)!;
      return p.zone === z.zone && p.region === z.region;
    });
    const servers = here.filter((m) => replicaHosts.has(m));
    // Workload clients first, then the operator's machines (probe, pd) placed here.
    const clients = [...here.filter(isClientMachine), ...here.filter((m) => !isClientMachine(m) && !replicaHosts.has(m))];
    const zonePlace = { zone: z.zone, region: z.region };
    placeRows.push([esc(z.region), esc(zoneShortLabel(zonePlace)), esc(servers.join(' ') || '—'), esc(clients.join(' ') || '—'), leaderShare(model, servers)]);
  }
  body += '<h3>Where machines are</h3>';
  body += table(['region', 'zone', 'servers', 'client machines', 'leader share'], placeRows, 'geo-places');

  // Latency by client region.
  const groups = groupOrder(new Set(geo.regions.flatMap((r) => [...r.ops.keys()])));
  const latRows: (string | number)[][] = [];
  for (const r of geo.regions) {
    for (const g of groups) {
      const o = r.ops.get(g);
      if (o === undefined) continue;
      const sorted = sortedCopy(o.latencyUs);
      latRows.push([esc(r.region), esc(g), o.ops, o.ok, esc(fmtUs(quantile(sorted, 0.5))), esc(fmtUs(quantile(sorted, 0.99))), esc(fmtUs(sorted[sorted.length - 1] ?? 0))]);
    }
  }
  body += '<h3>Latency by client region</h3>';
  body += latRows.length === 0 ? note('No operations by placed clients.') : table(['client region', 'operation', 'invoked', 'ok', 'p50', 'p99', 'max'], latRows, 'geo-latency');

  // Staleness by client region and level.
  const staleRows: (string | number)[][] = [];
  for (const r of geo.regions) {
    for (const l of levelsOf(r)) {
      const st = r.staleness.get(l)!;
      const tb = sortedCopy(st.timeBehindUs);
      staleRows.push([esc(r.region), esc(l), st.reads, st.stale, esc(st.reads === 0 ? '0%' : `${((100 * st.stale) / st.reads).toFixed(2)}%`), ...behindCells(tb)]);
    }
  }
  body += '<h3>Reads served, by client region and level</h3>';
  body += staleRows.length === 0 ? note('No reads served to placed clients.') : table(['client region', 'read level', 'reads', 'stale', 'stale %', 'time behind p50', 'p99', 'max'], staleRows, 'geo-staleness');
  if (geo.readsUnattributed > 0 || geo.okUnattributed > 0) body += note(`Not counted by region: ${geo.okUnattributed} operations completed and ${geo.readsUnattributed} reads served for machines that are not workload clients (the operator's probe).`);

  // PBS curve per region.
  const anyLevels = [...new Set(geo.regions.flatMap(levelsOf))].sort((a, b) => levelRank(a) - levelRank(b) || a.localeCompare(b));
  if (anyLevels.length > 0) {
    body += '<h3>P(read is fresh) by time since the write, per client region</h3>';
    body += legend(anyLevels.map((l) => ({ name: l, color: levelColor(l) })));
    body += '<div class="grid">';
    for (const r of geo.regions) {
      const levels = levelsOf(r);
      if (levels.length === 0) continue;
      body += `<figure class="geo-pbs" data-region="${esc(r.region)}">${visibilityChart(r.staleness, levels, levelColor, `P(fresh) for clients in ${r.region}`)}<figcaption>${esc(r.region)}: ${esc(levels.map((l) => `${l} ${staleShare(r, l)} stale`).join(', '))}</figcaption></figure>`;
    }
    body += '</div>';
  }

  // Over time, per region.
  let w = model.series.widthUs;
  const done: LineSeries[] = [];
  const stale: LineSeries[] = [];
  for (const r of geo.regions) {
    const d = displayBuckets(model, geoDoneSeries(r.region));
    w = d.widthUs;
    done.push({ name: `${r.region} ok/s`, color: regionColor(r.region), points: d.sum.map((ok, i) => [(i + 0.5) * w, (ok * 1_000_000) / w]) });
    const s = displayBuckets(model, geoReadSeries(r.region));
    stale.push({ name: `${r.region} stale share`, color: regionColor(r.region), points: s.count.map((c, i) => [(i + 0.5) * s.widthUs, c > 0 ? s.sum[i]! / c : null]) });
  }
  body += `<h3>Over time, per client region</h3><p>Buckets of ${esc(fmtUs(w))}. Left: operations completed ok per second. Right: the share of follower-level reads (every level but linearizable and lease) served stale.</p>`;
  body += legend(geo.regions.map((r) => ({ name: r.region, color: regionColor(r.region) })));
  body += lineChart({ cls: 'geo-done', label: 'ok completions per second by client region', widthPx: CHART_WIDTH_PX, heightPx: 200, xDomain: [0, model.endUs], yFormat: (v) => `${Math.round(v)}/s`, series: done, periods: model.faults });
  body += lineChart({ cls: 'geo-stale', label: 'stale share of follower-level reads by client region', widthPx: CHART_WIDTH_PX, heightPx: 200, xDomain: [0, model.endUs], yFormat: (v) => `${Math.round(v * 100)}%`, series: stale, periods: model.faults });
  return section('geography', 'Geography', body);
}

/** Time behind p50, p99, max of the stale reads; dashes when none was stale. */
function behindCells(sorted: ArrayLike<number>): string[] {
  if (sorted.length === 0) return ['—', '—', '—'];
  return [quantile(sorted, 0.5), quantile(sorted, 0.99), sorted[sorted.length - 1]!].map((v) => esc(fmtUs(v)));
}

function levelsOf(r: RegionGeo): string[] {
  return [...r.staleness.keys()].filter((l) => r.staleness.get(l)!.reads > 0).sort((a, b) => levelRank(a) - levelRank(b) || a.localeCompare(b));
}

function staleShare(r: RegionGeo, level: string): string {
  const st = r.staleness.get(level)!;
  return st.reads === 0 ? '0%' : `${((100 * st.stale) / st.reads).toFixed(1)}%`;
}

/** The share of leader time the zone's servers held, over all leader time in the run ("—" for none). */
function leaderShare(model: ReportModel, servers: readonly string[]): string {
  let all = 0;
  for (const s of model.machineStats.values()) all += s.roleUs.leader;
  if (all === 0 || servers.length === 0) return '—';
  let here = 0;
  for (const m of servers) here += model.machineStats.get(m)?.roleUs.leader ?? 0;
  return `${((100 * here) / all).toFixed(1)}%`;
}
