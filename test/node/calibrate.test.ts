// kvsim calibrate: the fits reproduce what they were fitted to (the link's min, p50 and p99 —
// also when the fragment drives a simulated run; the disk's min and mean), clock offsets between
// processes are removed, a real 3-process cluster on loopback calibrates to sane figures whose
// fragment loads as part of a scenario, and no cluster / no server answering is one line, exit 2.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  calibrate,
  calibrationYaml,
  fitDisk,
  fitLink,
  linkQuantile,
  metricValue,
  oneWayLatencies,
  pairMessages,
  percentilesOf,
  type MessageEvent,
} from '../../src/node/calibrate.js';
import { CLUSTER_FILE, clusterDown, clusterUp, makeClusterFile } from '../../src/node/local-cluster.js';
import { clusterFileText } from '../../src/node/cluster-file.js';
import { parseScenarioText } from '../../src/scenario/load.js';
import { linkModelOf, runScenario } from '../../src/harness/runner.js';
import { SeededRng } from '../../src/sim/random.js';
import { Tracer } from '../../src/trace/tracer.js';
import { onCleanup, tempDir, useRealTestLimits } from '../real/helpers.js';

useRealTestLimits();

const CLI = join(import.meta.dirname, '../../dist/src/cli/main.js');

function kvsim(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 15_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Draws as src/sim/network.ts latencyUs does. */
function simDraws(n: number, m: { minUs: number; meanUs: number; jitterUs: number; tailProbability: number; tailFactor: number }, seed: string): number[] {
  const rng = new SeededRng(seed);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let x = m.meanUs + (rng.next() * 2 - 1) * m.jitterUs;
    if (x < m.minUs) x = m.minUs;
    if (m.tailProbability > 0 && rng.next() < m.tailProbability) x *= m.tailFactor;
    out.push(Math.round(x));
  }
  return out.sort((a, b) => a - b);
}

/** A skewed, heavy-tailed "measured" distribution (log-normal above a floor), like loopback. */
function lognormalDraws(n: number, seed: string): number[] {
  const rng = new SeededRng(seed);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const z = Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
    out.push(Math.round(40 + Math.exp(5.5 + 0.9 * z)));
  }
  return out.sort((a, b) => a - b);
}

/** The fragment in a minimal scenario (the ping demo), loaded by the scenario loader. */
function scenarioWith(fragmentYaml: string, extra = '') {
  return parseScenarioText('calibrated.yaml', `duration: 20s\ncluster: { machines: 3 }\ndemo: { pingEvery: 5ms }\n${extra}${fragmentYaml}`);
}

describe('fitting the link model', () => {
  it('reproduces min, p50 and p99 of a heavy-tailed distribution', () => {
    const samples = lognormalDraws(20_000, 'lognormal');
    const measured = percentilesOf(samples);
    const fit = fitLink(samples);
    expect(fit.minUs).toBe(measured.minUs);
    expect(linkQuantile(fit, 0)).toBe(measured.minUs);
    expect(Math.abs(linkQuantile(fit, 0.5) / measured.p50Us - 1)).toBeLessThan(0.02);
    expect(Math.abs(linkQuantile(fit, 0.99) / measured.p99Us - 1)).toBeLessThan(0.02);
    expect(fit.tailProbability).toBeGreaterThan(0);
    expect(fit.tailFactor).toBeGreaterThan(1);
    // The model's quantiles are the simulator's: draw from the fit as the simulator would.
    const again = percentilesOf(simDraws(50_000, fit, 'again'));
    expect(Math.abs(again.p50Us / measured.p50Us - 1)).toBeLessThan(0.05);
    expect(Math.abs(again.p99Us / measured.p99Us - 1)).toBeLessThan(0.08);
  });

  it('finds no tail in a distribution without one', () => {
    const samples = simDraws(20_000, { minUs: 100, meanUs: 300, jitterUs: 200, tailProbability: 0, tailFactor: 1 }, 'flat');
    const fit = fitLink(samples);
    expect(fit.tailProbability).toBe(0);
    expect(Math.abs(fit.meanUs - 300)).toBeLessThan(10);
    expect(Math.abs(fit.jitterUs - 200)).toBeLessThan(10);
  });

  it('the fitted fragment, run in the simulator, delivers with the measured p50 and p99', () => {
    const samples = lognormalDraws(20_000, 'sim-run');
    const measured = percentilesOf(samples);
    const fragment = stringifyFragment(fitLink(samples));
    const tracer = new Tracer();
    const sent = new Map<number, number>();
    const latencies: number[] = [];
    tracer.listen((e) => {
      if (e.type === 'msg.send') sent.set(e.id, e.t);
      else if (e.type === 'msg.deliver' && sent.has(e.id)) latencies.push(e.t - sent.get(e.id)!);
    });
    runScenario(scenarioWith(fragment), { seed: 1, tracer });
    const simulated = percentilesOf(latencies);
    expect(simulated.count).toBeGreaterThan(10_000);
    // FIFO links lift a few draws behind tail draws; otherwise these are the fit's own quantiles.
    expect(Math.abs(simulated.p50Us / measured.p50Us - 1)).toBeLessThan(0.1);
    expect(Math.abs(simulated.p99Us / measured.p99Us - 1)).toBeLessThan(0.15);
    expect(Math.abs(simulated.minUs - measured.minUs)).toBeLessThanOrEqual(1);
  });
});

function stringifyFragment(link: ReturnType<typeof fitLink>): string {
  const l = { min: `${link.minUs}us`, mean: `${link.meanUs}us`, jitter: `${link.jitterUs}us`, tailProbability: link.tailProbability, tailFactor: link.tailFactor };
  return `network:\n  latency: ${JSON.stringify(l)}\n`;
}

describe('fitting the disk model', () => {
  it('is the shifted exponential of the samples: their minimum and their mean', () => {
    const rng = new SeededRng('fsync');
    const samples = Array.from({ length: 5_000 }, () => 150 + rng.exponential(400));
    const fit = fitDisk(samples);
    expect(fit.fsyncMinUs).toBe(Math.round(Math.min(...samples)));
    expect(Math.abs(fit.fsyncMeanUs - 550)).toBeLessThan(25);
  });
});

describe('pairing traced messages across processes', () => {
  it('removes a constant clock offset between two servers and skips ambiguous ids', () => {
    // n2's stamps run 700 µs ahead of n1's; every hop truly takes 100 + 10·(i mod 5) µs.
    const events: MessageEvent[] = [];
    for (let i = 1; i <= 60; i++) {
      const trueSend = 1_000_000 + i * 1_000;
      const hop = 100 + 10 * (i % 5);
      events.push({ type: 'send', from: 'n1', to: 'n2', id: i, wallUs: trueSend });
      events.push({ type: 'deliver', from: 'n1', to: 'n2', id: i, wallUs: trueSend + hop + 700 });
      events.push({ type: 'send', from: 'n2', to: 'n1', id: i, wallUs: trueSend + 700 });
      events.push({ type: 'deliver', from: 'n2', to: 'n1', id: i, wallUs: trueSend + hop });
    }
    // n1 restarted and reused id 7 inside the window: both copies are skipped.
    events.push({ type: 'send', from: 'n1', to: 'n2', id: 7, wallUs: 1_060_000 });
    // A send before the window is not paired.
    events.push({ type: 'send', from: 'n1', to: 'n2', id: 999, wallUs: 10 });
    events.push({ type: 'deliver', from: 'n1', to: 'n2', id: 999, wallUs: 1_000_900 });
    const messages = pairMessages(events, 1_000_000, 2_000_000);
    expect(messages.ambiguous).toBe(1);
    const oneWay = oneWayLatencies(messages);
    expect(oneWay.pairs).toEqual([{ a: 'n1', b: 'n2', offsetUs: 700, messages: 119 }]);
    expect(oneWay.samples).toHaveLength(119);
    expect(Math.min(...oneWay.samples)).toBe(100);
    expect(Math.max(...oneWay.samples)).toBe(140);
  });

  it('a pair with few messages either way keeps offset 0 (a minimum over a few loaded hops says nothing of the clocks)', () => {
    const events: MessageEvent[] = [];
    for (let i = 1; i <= 5; i++) {
      events.push({ type: 'send', from: 'n1', to: 'n2', id: i, wallUs: 1_000 * i });
      events.push({ type: 'deliver', from: 'n1', to: 'n2', id: i, wallUs: 1_000 * i + 200 });
      events.push({ type: 'send', from: 'n2', to: 'n1', id: i, wallUs: 1_000 * i });
      events.push({ type: 'deliver', from: 'n2', to: 'n1', id: i, wallUs: 1_000 * i + 25_000 });
    }
    const oneWay = oneWayLatencies(pairMessages(events, 0, 100_000));
    expect(oneWay.pairs).toEqual([{ a: 'n1', b: 'n2', offsetUs: 0, messages: 10 }]);
    expect(Math.min(...oneWay.samples)).toBe(200);
  });

  it('leaves out a pair heard only one way (its offset is unknown)', () => {
    const events: MessageEvent[] = [
      { type: 'send', from: 'n1', to: 'n3', id: 1, wallUs: 1_000 },
      { type: 'deliver', from: 'n1', to: 'n3', id: 1, wallUs: 1_500 },
    ];
    const oneWay = oneWayLatencies(pairMessages(events, 0, 10_000));
    expect(oneWay.samples).toEqual([]);
    expect(oneWay.skippedOneWay).toBe(1);
  });

  it('reads a sample of Prometheus text', () => {
    const text = '# HELP kvsim_disk_fsyncs x\n# TYPE kvsim_disk_fsyncs gauge\nkvsim_disk_fsyncs{server="n1"} 42\nkvsim_disk_fsyncs_other 7\n';
    expect(metricValue(text, 'kvsim_disk_fsyncs')).toBe(42);
    expect(metricValue(text, 'kvsim_disk_missing')).toBeNull();
  });
});

describe('kvsim calibrate against real server processes', () => {
  it('measures a 3-server cluster on loopback; the fragment loads as part of a scenario', async () => {
    const dir = tempDir();
    onCleanup(async () => {
      await clusterDown(dir).catch(() => undefined);
    });
    await clusterUp({ dir, machines: 3, shards: 3, replication: 3, seed: 5, readyBoundMs: 15_000 });
    const c = await calibrate({ dir, seconds: 1.5, fsyncSamples: 50 });
    const l = c.measured.latency;
    expect(l.count).toBeGreaterThan(50);
    expect(l.p50Us).toBeGreaterThan(0);
    expect(l.p50Us).toBeLessThan(50_000);
    expect(l.minUs).toBeLessThanOrEqual(l.p50Us);
    expect(l.p50Us).toBeLessThanOrEqual(l.p99Us);
    // Raft traffic runs between a shard's leader and its followers: at least one pair, each
    // heard both ways, its clock offset small (the processes' clocks agree to a few µs).
    expect(l.pairs.length).toBeGreaterThanOrEqual(1);
    for (const p of l.pairs) expect(Math.abs(p.offsetUs)).toBeLessThan(5_000);
    expect(c.measured.load.ok).toBeGreaterThan(0);
    expect(c.measured.fsync.meanUs).toBeGreaterThan(0);
    expect(c.measured.fsync.count).toBeGreaterThanOrEqual(10);
    expect(readdirSync(dir).filter((f) => f.includes('calibrate'))).toEqual([]); // the probe's file is gone

    const yaml = calibrationYaml(c);
    expect(yaml.split('\n')[0]).toMatch(/^# kvsim calibrate: measured .* cluster /);
    expect(parse(yaml)).toEqual({ network: c.network, disk: c.disk });
    const { scenario } = scenarioWith(yaml);
    expect(linkModelOf(scenario)).toMatchObject({ minUs: l.minUs, tailProbability: c.network.latency.tailProbability, tailFactor: c.network.latency.tailFactor });
    expect(scenario.disk).toEqual({ fsyncMin: c.measured.fsync.minUs, fsyncMean: c.measured.fsync.meanUs });
    // The JSON view is the same object.
    expect(JSON.parse(JSON.stringify(c))).toMatchObject({ network: c.network, disk: c.disk, measured: { servers: ['n1', 'n2', 'n3'] } });
  });

  it('no cluster in DIR, or no server answering: one line naming DIR, exit 2', async () => {
    const missing = kvsim(['calibrate', '--dir', '/nonexistent']);
    expect(missing.code).toBe(2);
    expect(missing.stdout).toBe('');
    expect(missing.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/^kvsim: \/nonexistent: .*expected a directory made by kvsim cluster up/);
    expect(missing.stderr).not.toMatch(/\n\s+at /);

    const dir = tempDir();
    writeFileSync(join(dir, CLUSTER_FILE), clusterFileText(await makeClusterFile({ machines: 3, shards: 2, replication: 3 })));
    const silent = kvsim(['calibrate', '--dir', dir, '--seconds', '1']);
    expect(silent.code).toBe(2);
    expect(silent.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(silent.stderr).toContain(`${dir}: no server answered`);
    expect(existsSync(join(dir, 'n1'))).toBe(false);

    const bad = kvsim(['calibrate', '--dir', dir, '--seconds', 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^kvsim: --seconds: expected/);
  });
});
