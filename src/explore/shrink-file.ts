// Shrink a failing scenario and write the result as a commented scenario file that
// `kvsim run` reproduces — shared by `kvsim shrink` and `kvsim hunt`. The written file is run
// once more exactly as written; a result that no longer fails is an error, never a file.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ScenarioInput } from './arbitraries.js';
import { executeScenario } from './execute.js';
import { shrinkScenario, type ShrinkSize } from './shrink.js';
import { scenarioToYaml } from './yaml.js';
import { AssertionError } from '../base/assert.js';
import { reproCommand } from '../scenario/repro.js';

export interface ShrunkFile {
  check: string;
  message: string;
  out: string;
  repro: string;
  before: ShrinkSize;
  after: ShrinkSize;
  runs: number;
  runsMax: number;
  steps: string[];
  /** See ShrinkResult: decided (on correct code, when there are planted bugs), and how many smaller candidates were not. */
  decided: boolean;
  undecidedSkipped: number;
}

export interface ShrinkFileOptions {
  /** How the original is named in the file's comments (a path, or "swarm seed N"). */
  origin: string;
  original: ScenarioInput;
  name: string;
  seed: number;
  bugs: readonly string[];
  out: string;
  runsMax: number;
  onProgress?: (step: { runs: number; size: ShrinkSize; pass: string }) => void;
  deadline?: () => boolean;
}

export function sizeText(s: ShrinkSize): string {
  return `${s.faults} faults + ${s.ops} ops = ${s.faults + s.ops}`;
}

/** The scenario without bugs of its own: a control run has every planted bug off. */
function withoutBugs(s: ScenarioInput): ScenarioInput {
  const out = { ...s };
  delete out.bugs;
  return out;
}

/** Null when the original passes every check (nothing to shrink). */
export function shrinkToFile(o: ShrinkFileOptions): ShrunkFile | null {
  const renamed = { ...o.original, name: o.name };
  const repro = reproCommand(o.out, o.seed, o.bugs);
  const result = shrinkScenario(renamed, {
    runsMax: o.runsMax,
    run: (candidate) => executeScenario(o.out, scenarioToYaml(candidate), o.seed, o.bugs),
    // With planted bugs, the same run without them tells a bug's other assertions from new failures.
    ...(o.bugs.length > 0 && { control: (candidate: ScenarioInput) => executeScenario(o.out, scenarioToYaml(withoutBugs(candidate)), o.seed, []) }),
    ...(o.onProgress !== undefined && { onProgress: o.onProgress }),
    ...(o.deadline !== undefined && { deadline: o.deadline }),
  });
  if (result === null) return null;
  // The seed goes into the file, so `kvsim run FILE --bug NAME` alone reproduces the failure.
  const { name, ...rest } = result.scenario;
  const text = scenarioToYaml({ name, seed: o.seed, ...rest }, [
    `${o.name}: found by \`kvsim shrink\`; still fails the ${result.check} check.`,
    `Original: ${o.origin} --seed ${o.seed}${o.bugs.map((b) => ` --bug ${b}`).join('')} (${sizeText(result.before)}).`,
    `Shrunk:   ${sizeText(result.after)}, after ${result.runs} runs (bound ${result.runsMax}).`,
    result.decided
      ? `Control:  ${o.bugs.length > 0 ? 'with the planted bugs off it passes, every check decided' : 'every other check decided'}${result.undecidedSkipped > 0 ? ` (${result.undecidedSkipped} smaller candidate(s) passed over: undecided)` : ''}.`
      : `Control:  NOT decided: none of the last ${result.undecidedSkipped} candidates was decided${o.bugs.length > 0 ? ' with the planted bugs off' : ''}; this is the smallest.`,
    `Failure:  ${result.message.split('\n')[0]}`,
    `Reproduce: ${repro}`,
  ]);
  const verify = executeScenario(o.out, text, o.seed, o.bugs);
  if (!verify.failing.includes(result.check)) {
    throw new AssertionError(`${o.origin} seed ${o.seed}: the shrunk scenario no longer fails ${result.check} when re-run (nondeterminism?)`);
  }
  mkdirSync(dirname(o.out), { recursive: true });
  writeFileSync(o.out, text);
  return {
    check: result.check,
    message: result.message,
    out: o.out,
    repro,
    before: result.before,
    after: result.after,
    runs: result.runs + 1,
    runsMax: result.runsMax,
    steps: result.steps,
    decided: result.decided,
    undecidedSkipped: result.undecidedSkipped,
  };
}
