// The architecture as a test: src/ has one written layer order, every import points to the same
// layer or one below it, and no files import each other in a circle (type-only imports count:
// a circle of types is a circle of concepts). A new folder must be placed in the order here.
//
//   base < history < trace < sim < raft < workload < store < real < node < check < scenario < bugs
//        < harness < live < explore < replay < report < tui < cli
//
// base: errors, assertions, time. history: operation records and their formats. trace: typed
// events. sim: the simulated world. raft: the sans-IO protocol. workload: load generators.
// store: the system under test, which knows nothing of how it is driven or judged. real: the
// store's MachineContext for an OS process (clock, timers, TCP, files), beside sim's. node: the
// store run for real (cluster file, server process, local cluster, client). check: the
// checkers. scenario: the scenario model and its loading. bugs: the planted-bug catalogue.
// harness: scenario -> cluster, faults, settling, probes, checks. live: a scenario run against
// real server processes (the harness's faults and checks, in real time). explore: sweeps and shrinking.
// replay and report: reading traces back. tui and cli: the user's doors.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { importsOf, sources } from './source-files.js';

export const LAYERS = ['base', 'history', 'trace', 'sim', 'raft', 'workload', 'store', 'real', 'node', 'check', 'scenario', 'bugs', 'harness', 'live', 'explore', 'replay', 'report', 'tui', 'cli'];

export { importsOf };

const moduleOf = (file: string) => file.replace(/\.tsx?$/, '');
const layerOf = (module: string) => module.split('/')[1]!;

/** Imports that point to a higher layer, or into a folder the order does not know. */
export function upwardImports(graph: Map<string, string[]>): string[] {
  const out: string[] = [];
  for (const [from, targets] of graph) {
    const a = LAYERS.indexOf(layerOf(from));
    if (a < 0) {
      out.push(`${from}: folder ${layerOf(from)} is not in the layer order`);
      continue;
    }
    for (const to of targets) {
      const b = LAYERS.indexOf(layerOf(to));
      if (b < 0 || b > a) out.push(`${from} -> ${to} (${layerOf(from)} may not import ${layerOf(to)})`);
    }
  }
  return out;
}

/** Every circle of imports among files (Tarjan's strongly connected components, iteratively). */
export function circles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const found: string[][] = [];
  let next = 0;
  for (const root of graph.keys()) {
    if (index.has(root)) continue;
    const work: { v: string; i: number }[] = [{ v: root, i: 0 }];
    index.set(root, next);
    low.set(root, next++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const top = work[work.length - 1]!;
      const edges = graph.get(top.v) ?? [];
      if (top.i < edges.length) {
        const w = edges[top.i++]!;
        if (!graph.has(w)) continue;
        if (!index.has(w)) {
          index.set(w, next);
          low.set(w, next++);
          stack.push(w);
          onStack.add(w);
          work.push({ v: w, i: 0 });
        } else if (onStack.has(w)) {
          low.set(top.v, Math.min(low.get(top.v)!, index.get(w)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent !== undefined) low.set(parent.v, Math.min(low.get(parent.v)!, low.get(top.v)!));
      if (low.get(top.v) === index.get(top.v)) {
        const component: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          component.push(w);
        } while (w !== top.v);
        if (component.length > 1) found.push(component.sort());
      }
    }
  }
  return found;
}

function sourceGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sources('src')) graph.set(moduleOf(file), importsOf(file, readFileSync(file, 'utf8')));
  return graph;
}

describe('layer order', () => {
  const graph = sourceGraph();

  it('every folder of src/ is in the order', () => {
    const folders = new Set([...graph.keys()].map(layerOf));
    expect([...folders].filter((f) => !LAYERS.includes(f))).toEqual([]);
  });

  it('every import points to the same layer or below', () => {
    expect(upwardImports(graph)).toEqual([]);
  });

  it('no circle of imports among files', () => {
    expect(circles(graph)).toEqual([]);
  });

  it('the store knows nothing of the harness, the checkers, scenarios or exploration', () => {
    const offenders = [...graph].filter(([from]) => layerOf(from) === 'store').flatMap(([from, to]) => to.filter((t) => ['check', 'scenario', 'harness', 'explore'].includes(layerOf(t))).map((t) => `${from} -> ${t}`));
    expect(offenders).toEqual([]);
  });

  it('the test itself catches an upward import and a circle', () => {
    const bad = new Map([
      ['src/store/a', ['src/check/b']],
      ['src/check/b', []],
    ]);
    expect(upwardImports(bad)).toHaveLength(1);
    const loop = new Map([
      ['src/sim/a', ['src/sim/b']],
      ['src/sim/b', ['src/sim/c']],
      ['src/sim/c', ['src/sim/a']],
      ['src/sim/d', ['src/sim/a']],
    ]);
    expect(circles(loop)).toEqual([['src/sim/a', 'src/sim/b', 'src/sim/c']]);
    expect(importsOf('src/x/y.ts', "import type { A } from '../z/w.js';\nconst m = await import('./q.js');")).toEqual(['src/z/w', 'src/x/q']);
  });
});
