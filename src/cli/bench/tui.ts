// Replay (TUI) figures: open a ~1 M-event trace and seek anywhere in it.
import { mkdirSync, rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { loadScenarioFile } from '../../scenario/load.js';
import { benchReplay } from '../../replay/bench.js';
import { measureStoreRun } from './store.js';
import type { BenchFigure, BenchSection } from './types.js';

export const tuiSection: BenchSection = {
  name: 'tui',
  run(quick: boolean): BenchFigure[] {
    const loaded = loadScenarioFile('scenarios/bench-steady.yaml');
    // bench-steady traces about 29 k events per simulated second: 36 s is about 1 M events.
    const durationUs = quick ? 8_000_000 : 36_000_000;
    const scenario = { ...loaded.scenario, duration: durationUs, faults: (loaded.scenario.faults ?? []).filter((f) => (f.at ?? 0) < durationUs) };
    mkdirSync('reports/.bench', { recursive: true });
    const path = 'reports/.bench/replay-bench.jsonl';
    measureStoreRun(scenario, 1, path);
    const r = benchReplay(path, () => performance.now());
    rmSync(path, { force: true });
    rmSync(path.replace('.jsonl', '.history.jsonl'), { force: true });
    const million = r.events >= 900_000;
    return [
      { name: `replay: open a trace of ${r.events.toLocaleString('en-US')} events`, value: Math.round(r.loadMs), unit: 'ms', ...(million && { target: '<= 3000', key: 'replayLoadMs' }) },
      { name: 'replay: seek anywhere, worst of 64', value: Math.round(r.seekMsMax * 10) / 10, unit: 'ms', target: '<= 100', key: 'replaySeekMsMax' },
      { name: 'replay: seek anywhere, mean', value: Math.round(r.seekMsMean * 100) / 100, unit: 'ms' },
    ];
  },
};
