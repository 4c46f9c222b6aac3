// The HTML report of fixed runs: every section is there with the SVG it promises, the header
// names the run exactly, and the markup is well formed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { aggregateTrace, collectSpaceTime, writeReport } from '../../src/report/report.js';
import { SECTION_IDS } from '../../src/report/html.js';
import { count, runTraced, sectionOf, tagBalanceProblem, type TracedRun } from './helpers.js';

describe('report of leader-isolated seed 1 (no violation)', () => {
  let run: TracedRun;
  let html: string;
  let reason: string;

  beforeAll(async () => {
    run = runTraced('scenarios/leader-isolated.yaml', 1);
    const result = await writeReport(run.tracePath, join(run.dir, 'report'), { scenarioFile: 'scenarios/leader-isolated.yaml' });
    html = readFileSync(result.htmlPath, 'utf8');
    reason = result.window.reason;
  }, 60_000);

  it('has every section, well-formed markup, and nothing loaded from elsewhere', () => {
    for (const id of SECTION_IDS) expect(() => sectionOf(html, id), id).not.toThrow();
    expect(tagBalanceProblem(html)).toBeNull();
    expect(html).not.toMatch(/<script|<img|<link rel="stylesheet"|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  });

  it('header: scenario, seed, reproduce command, the run\'s own trace hash, every check', () => {
    const header = sectionOf(html, 'header');
    expect(header).toContain('leader-isolated');
    expect(header).toContain('kvsim run scenarios/leader-isolated.yaml --seed 1');
    // Recomputed over the file, the hash equals the one the run printed.
    expect(header).toContain(`<code class="hash">${run.summary.traceHash}</code>`);
    expect(header).toContain(`${run.summary.events} events, complete`);
    for (const check of ['invariants', 'linearizable', 'eventual', 'durability', 'liveness']) expect(header).toMatch(new RegExp(`<td>${check}</td><td><span class="verdict ok">ok</span>`));
  });

  it('latency: two time charts with a line per operation group and a histogram each', () => {
    const s = sectionOf(html, 'latency');
    expect(count(s, /<svg class="chart latency-mean"/)).toBe(1);
    expect(count(s, /<svg class="chart latency-max"/)).toBe(1);
    // put, get linearizable, get follower: one path per group in each chart.
    expect(count(s, /<path class="series"/)).toBe(6);
    expect(count(s, /<svg class="histogram latency-histogram"/)).toBe(3);
    expect(count(s, /<line class="pmark pmark-p99"/)).toBe(3);
    expect(s).toMatch(/<td>get follower<\/td><td>\d+<\/td>/);
  });

  it('throughput: a chart with the partition shaded, and the fault listed', () => {
    const s = sectionOf(html, 'throughput');
    expect(count(s, /<svg class="chart throughput"/)).toBe(1);
    expect(count(s, /<rect class="fault"[^>]*><title>partition #0/)).toBe(1);
    expect(s).toContain('<td>partition</td><td>2s</td><td>7s</td>');
  });

  it('leader timeline: one chart per shard with leader spans, terms and elections', () => {
    const s = sectionOf(html, 'leaders');
    expect(count(s, /<svg class="leaders shard-\d+"/)).toBe(4);
    expect(count(s, /<rect class="lead"/)).toBeGreaterThanOrEqual(5);
    expect(count(s, /<path class="election"/)).toBe(run.summary.elections);
    expect(s).toMatch(/<title>n\d leader of shard \d, term 2,/);
    expect(count(s, /<rect class="fault"/)).toBe(4);
  });

  it('staleness: per-level table, versions and time behind, P(fresh) curves', () => {
    const s = sectionOf(html, 'staleness');
    expect(s).toMatch(/<td>follower<\/td><td>\d+<\/td><td>[1-9]\d*<\/td>/);
    expect(count(s, /<svg class="histogram versions-behind"/)).toBe(1);
    expect(count(s, /<svg class="histogram time-behind"/)).toBe(1);
    expect(count(s, /<svg class="chart visibility"/)).toBe(1);
    expect(count(s, /<path class="series visibility-curve"/)).toBe(2);
    expect(count(s, /<rect class="bar"/)).toBeGreaterThan(2);
  });

  it('space-time: around the first election after the partition, with vote arrows', () => {
    expect(reason).toMatch(/first election after the first fault \(partition at 2000000us\)/);
    const s = sectionOf(html, 'spacetime');
    expect(count(s, /<svg class="spacetime"/)).toBe(1);
    for (const lane of ['n1', 'n2', 'n3', 'n4', 'n5', 'c1']) expect(s).toContain(`text-anchor="end">${lane}</text>`);
    expect(count(s, /<line class="msg m-vote/)).toBeGreaterThan(3);
    expect(count(s, /<line class="msg /)).toBeGreaterThan(50);
    expect(count(s, /<path class="drop-x"/)).toBeGreaterThan(0);
    expect(count(s, /<circle class="mark-elected"/)).toBeGreaterThanOrEqual(1);
  });

  it('violation: says there is none; stats: every machine and shard', () => {
    expect(sectionOf(html, 'violation')).toContain('No linearizability violation in this run.');
    const s = sectionOf(html, 'stats');
    for (const m of ['n1', 'n2', 'n3', 'n4', 'n5', 'c1', 'c8']) expect(s).toContain(`<td>${m}</td>`);
    for (let g = 0; g < 4; g++) expect(s).toContain(`<td>shard ${g}</td>`);
    expect(count(s, /<table class="machine-stats">/)).toBe(1);
    expect(count(s, /<table class="shard-stats">/)).toBe(1);
  });

  it('message totals in the statistics equal the run summary', async () => {
    const model = await aggregateTrace(run.tracePath);
    let sent = 0;
    let received = 0;
    for (const m of model.machineStats.values()) {
      sent += m.sent;
      received += m.received;
    }
    expect(sent).toBe(run.summary.messages.sent);
    expect(received).toBe(run.summary.messages.delivered);
    expect(model.elections.length).toBe(run.summary.elections);
  });

  it('--window draws exactly the messages of that window', async () => {
    const model = await aggregateTrace(run.tracePath);
    const window = { fromUs: 5_000_000, toUs: 5_010_000, reason: 'test' };
    const st = await collectSpaceTime(run.tracePath, model, window);
    expect(st.arrows.length).toBeGreaterThan(5);
    for (const a of st.arrows) {
      expect(a.sendUs <= window.toUs && (a.endUs ?? window.toUs) >= window.fromUs).toBe(true);
    }
    const result = await writeReport(run.tracePath, join(run.dir, 'windowed'), { window });
    expect(result.window.reason).toBe('chosen with --window');
    expect(readFileSync(result.htmlPath, 'utf8')).toContain('Window 5s – 5.01s: chosen with --window');
  });
});

describe('report of clock-skew-lease seed 1 (a linearizability violation)', () => {
  let run: TracedRun;
  let html: string;
  let reason: string;

  beforeAll(async () => {
    run = runTraced('scenarios/clock-skew-lease.yaml', 1);
    const result = await writeReport(run.tracePath, join(run.dir, 'report'));
    html = readFileSync(result.htmlPath, 'utf8');
    reason = result.window.reason;
  }, 60_000);

  it('header marks the failed checks', () => {
    expect(tagBalanceProblem(html)).toBeNull();
    const header = sectionOf(html, 'header');
    expect(header).toContain('<span class="verdict fail">a check failed</span>');
    expect(header).toMatch(/<td>linearizable<\/td><td><span class="verdict fail">FAILED<\/span>/);
    expect(header).toContain(`<code class="hash">${run.summary.traceHash}</code>`);
  });

  it('draws the explanation window as operation bars with the impossible read highlighted', () => {
    const lin = run.summary.checks.linearizable as { explanation?: { failing: { id: number }; window: unknown[] } };
    const failingId = lin.explanation!.failing.id;
    const s = sectionOf(html, 'violation');
    expect(count(s, /<svg class="opbars"/)).toBe(1);
    expect(count(s, /<rect class="op /)).toBe(lin.explanation!.window.length);
    const failing = [...s.matchAll(/<rect class="op [^"]*failing[^"]*"[^>]*><title>([^<]*)<\/title>/g)];
    expect(failing).toHaveLength(1);
    expect(failing[0]![1]).toContain(`#${failingId} get(`);
    expect(s).toContain('impossible');
    expect(s).toContain('<pre class="explanation">');
  });

  it('the space-time window is around the first violation and marks it', () => {
    expect(reason).toMatch(/^around the first invariants violation at \d+us/);
    const s = sectionOf(html, 'spacetime');
    expect(count(s, /<line class="mark-violation"/)).toBeGreaterThanOrEqual(1);
    expect(count(s, /<line class="msg /)).toBeGreaterThan(10);
  });
});

describe('report of a kernel-only run (demo-ping)', () => {
  it('keeps every section, each saying what it lacks', async () => {
    const run = runTraced('scenarios/demo-ping.yaml', 1);
    const result = await writeReport(run.tracePath, join(run.dir, 'report'));
    const html = readFileSync(result.htmlPath, 'utf8');
    for (const id of SECTION_IDS) expect(() => sectionOf(html, id), id).not.toThrow();
    expect(sectionOf(html, 'latency')).toContain('No client operations');
    expect(sectionOf(html, 'leaders')).toContain('No Raft groups');
    expect(sectionOf(html, 'geography')).toContain('no topology');
    expect(tagBalanceProblem(html)).toBeNull();
  }, 60_000);
});
