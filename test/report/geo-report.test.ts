// The report of a run with a topology (region-outage seed 1: eu-west cut off from 10 s to 20 s):
// the Geography section places every machine, splits latency and staleness by client region,
// draws a PBS curve per region, and its figures add up to the run-wide ones; machines are
// labelled with their zone elsewhere in the report.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeReport } from '../../src/report/report.js';
import type { ReportModel } from '../../src/report/aggregate.js';
import { geoReadSeries } from '../../src/report/geo.js';
import { count, runTraced, sectionOf, tagBalanceProblem, type TracedRun } from './helpers.js';

const REGIONS = ['us-east', 'us-west', 'eu-west'];

describe('report of region-outage seed 1', () => {
  let run: TracedRun;
  let html: string;
  let model: ReportModel;

  beforeAll(async () => {
    run = runTraced('scenarios/region-outage.yaml', 1);
    const result = await writeReport(run.tracePath, join(run.dir, 'report'), { scenarioFile: 'scenarios/region-outage.yaml' });
    html = readFileSync(result.htmlPath, 'utf8');
    model = result.model;
  }, 120_000);

  it('places every server once, by region and zone, with its clients', () => {
    expect(tagBalanceProblem(html)).toBeNull();
    const s = sectionOf(html, 'geography');
    const places = s.slice(s.indexOf('<table class="geo-places">'), s.indexOf('</table>', s.indexOf('<table class="geo-places">')));
    expect(count(places, /<tr><td>/)).toBe(6);
    for (const r of REGIONS) for (const z of ['a', 'b']) expect(places).toMatch(new RegExp(`<tr><td>${r}</td><td>${z}</td><td>n\\d</td>`));
    for (let n = 1; n <= 6; n++) expect(count(places, new RegExp(`<td>n${n}</td>`))).toBe(1);
    for (let c = 1; c <= 12; c++) expect(places).toMatch(new RegExp(`[> ]c${c}[ <]`));
    expect(sectionOf(html, 'header')).toContain('3 regions (us-east, us-west, eu-west), 6 zones');
  });

  it('latency and staleness per client region, and one PBS curve per region', () => {
    const s = sectionOf(html, 'geography');
    for (const r of REGIONS) {
      for (const g of ['put', 'get linearizable', 'get follower']) expect(s).toMatch(new RegExp(`<tr><td>${r}</td><td>${g}</td><td>\\d+</td>`));
      expect(s).toMatch(new RegExp(`<tr><td>${r}</td><td>follower</td><td>\\d+</td><td>\\d+</td><td>[\\d.]+%</td>`));
      expect(count(s, new RegExp(`<figure class="geo-pbs" data-region="${r}"><svg class="chart visibility"`))).toBe(1);
    }
    // Over time: one line per region in each chart, the outage shaded in both.
    for (const cls of ['geo-done', 'geo-stale']) {
      const chart = s.slice(s.indexOf(`<svg class="chart ${cls}"`), s.indexOf('</svg>', s.indexOf(`<svg class="chart ${cls}"`)));
      expect(count(chart, /<path class="series"/)).toBe(3);
      expect(count(chart, /<rect class="fault"/)).toBe(1);
    }
  });

  it('the figures by region add up to the run-wide ones', () => {
    const geo = model.geo!;
    expect(geo.regions.map((r) => r.region)).toEqual(REGIONS);
    // Every ok operation is counted once: by its client's region, or as the probe's.
    let okByRegion = geo.okUnattributed;
    let okAll = 0;
    for (const [group, latencies] of model.latencyUs) {
      okByRegion += geo.regions.reduce((n, r) => n + (r.ops.get(group)?.ok ?? 0), 0);
      okAll += latencies.length;
    }
    expect(okByRegion).toBe(okAll);
    expect(geo.okUnattributed).toBeLessThan(okAll / 100);
    let byRegion = geo.readsUnattributed;
    let all = 0;
    for (const r of geo.regions) for (const l of r.staleness.values()) byRegion += l.reads;
    for (const l of model.staleness.values()) all += l.reads;
    expect(byRegion).toBe(all);
  });

  it('while eu-west is cut off its clients read stale and the others do not', () => {
    const fault = model.faults.find((f) => f.action === 'isolate')!;
    expect(fault.endUs).not.toBeNull();
    const share = (region: string) => {
      const st = model.series.get(geoReadSeries(region));
      let reads = 0;
      let stale = 0;
      // Buckets wholly inside the outage, from a second after it starts (the cut-off replicas
      // fall behind once writes resume elsewhere).
      for (let i = 0; i < st.count.length; i++) {
        const from = i * model.series.widthUs;
        if (from < fault.startUs + 1_000_000 || from + model.series.widthUs > fault.endUs!) continue;
        reads += st.count[i]!;
        stale += st.sum[i]!;
      }
      expect(reads, region).toBeGreaterThan(100);
      return stale / reads;
    };
    expect(share('eu-west')).toBeGreaterThan(0.8);
    expect(share('us-east')).toBeLessThan(0.3);
    expect(share('us-west')).toBeLessThan(0.3);
  });

  it('labels machines with their zone in the leader timeline and the statistics', () => {
    expect(sectionOf(html, 'leaders')).toMatch(/<text class="lane-label"[^>]*>n5 · eu-west-a<\/text>/);
    expect(sectionOf(html, 'stats')).toContain('<td>n5</td><td>eu-west</td><td>eu-west-a</td>');
  });
});
