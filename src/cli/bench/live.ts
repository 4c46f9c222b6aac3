// Real-mode figures (`kvsim bench --only live`): one `kvsim real` run of the shipped
// real-leader-crash scenario (3 server processes, a leader SIGKILLed under load and restarted)
// with --compare — how long a real run takes end to end, and the simulation's prediction beside
// what the real processes did: latency p50/p99 by operation, the stale share of follower reads,
// and how long the crashed leader's shard had no leader.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadScenarioFile } from '../../scenario/load.js';
import { runReal } from '../../live/run.js';
import { compareWithSimulation, type Comparison } from '../../live/compare.js';
import type { LiveServers } from '../../live/servers.js';
import type { BenchFigure, BenchSection } from './types.js';

const SCENARIO = join(fileURLToPath(import.meta.url), '../../../../../scenarios/real-leader-crash.yaml');

export const liveSection: BenchSection = {
  name: 'live',
  async run(): Promise<BenchFigure[]> {
    const loaded = loadScenarioFile(SCENARIO);
    const registry = new Set<LiveServers>();
    let comparison: Comparison | undefined;
    const t0 = performance.now();
    const summary = await runReal(loaded, {
      seed: 1,
      bugs: [],
      registry,
      inspect: async (run) => {
        comparison = (await compareWithSimulation(loaded, 1, [], run)).json;
      },
    });
    const wallMs = performance.now() - t0;
    const figures: BenchFigure[] = [
      { name: 'real-leader-crash: kvsim real end to end (start-up, 7 s of load, settle, merge, checks; plus the simulated run of --compare)', value: Math.round(wallMs), unit: 'ms', key: 'realRunWallMs' },
      { name: 'real-leader-crash: load and settle (real time)', value: Math.round(summary.simTimeUs / 1000), unit: 'ms', key: 'realRunUs' },
      { name: 'real-leader-crash: all checks passed (1 = yes)', value: summary.ok ? 1 : 0, unit: '', target: '>= 1', key: 'realRunOk' },
      { name: 'real-leader-crash: events merged from every process', value: summary.events, unit: 'events', key: 'realRunEvents' },
    ];
    if (comparison !== undefined) {
      const c = comparison;
      for (const kind of ['put', 'get follower', 'get linearizable']) {
        const s = c.simulation.latency[kind];
        const r = c.real.latency[kind];
        if (s === undefined || r === undefined) continue;
        const key = kind.replace(/^get /, '').replace(/^put$/, 'put');
        figures.push({ name: `${kind} p50: simulation`, value: s.p50Ms, unit: 'ms', key: `${key}P50SimMs` });
        figures.push({ name: `${kind} p50: real`, value: r.p50Ms, unit: 'ms', key: `${key}P50RealMs` });
        figures.push({ name: `${kind} p99: simulation`, value: s.p99Ms, unit: 'ms', key: `${key}P99SimMs` });
        figures.push({ name: `${kind} p99: real`, value: r.p99Ms, unit: 'ms', key: `${key}P99RealMs` });
      }
      figures.push({ name: 'stale follower reads: simulation', value: c.simulation.followerStaleShare, unit: '%', key: 'staleSimPct' });
      figures.push({ name: 'stale follower reads: real', value: c.real.followerStaleShare, unit: '%', key: 'staleRealPct' });
      const su = c.simulation.unavailability[0]?.leaderlessMs;
      const ru = c.real.unavailability[0]?.leaderlessMs;
      if (su !== undefined && su !== null) figures.push({ name: 'no leader after the crash: simulation', value: su, unit: 'ms', key: 'leaderlessSimMs' });
      if (ru !== undefined && ru !== null) figures.push({ name: 'no leader after the crash: real', value: ru, unit: 'ms', key: 'leaderlessRealMs' });
      figures.push({ name: 'elections: simulation', value: c.simulation.elections, unit: '', key: 'electionsSim' });
      figures.push({ name: 'elections: real', value: c.real.elections, unit: '', key: 'electionsReal' });
    }
    return figures;
  },
};
