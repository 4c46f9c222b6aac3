// The deterministic sample: from Stryker's list of every mutant of the mutated files (a listing
// pass whose command does nothing), a seeded draw of `target` mutants, uniformly over the
// eligible ones. Stryker is then given each sampled mutant's exact source range as a `mutate`
// range (`file:line:col-line:col`); it also makes the other mutants of those nodes and of nodes
// nested in them, which the per-mutant command skips (see scripts/mutant-hunt.mjs).
import seedrandom from 'seedrandom';
import { plantedBugSpans } from './planted.mjs';

/**
 * Mutants of a Stryker JSON report, with character offsets into their file.
 * @returns {{ file: string, id: string, mutator: string, replacement: string, status: string,
 *   location: { start: { line: number, column: number }, end: { line: number, column: number } },
 *   start: number, end: number, original: string }[]}
 */
export function reportMutants(report) {
  const out = [];
  for (const [file, entry] of Object.entries(report.files)) {
    const lineStarts = lineStartOffsets(entry.source);
    for (const m of entry.mutants) {
      // Stryker's report positions are 1-based in line and column.
      const start = lineStarts[m.location.start.line - 1] + m.location.start.column - 1;
      const end = lineStarts[m.location.end.line - 1] + m.location.end.column - 1;
      out.push({
        file,
        id: m.id,
        mutator: m.mutatorName,
        replacement: m.replacement ?? '',
        status: m.status,
        location: m.location,
        start,
        end,
        original: entry.source.slice(start, end),
        ...(m.statusReason !== undefined && { statusReason: m.statusReason }),
      });
    }
  }
  return out;
}

/** A mutant's identity across Stryker runs (ids are not: they number the mutants of one run). */
export function mutantKey(m) {
  const { start, end } = m.location;
  return `${m.file}:${start.line}:${start.column}-${end.line}:${end.column} ${m.mutator} ${m.replacement}`;
}

/** The `mutate` pattern that selects exactly the node at `m`'s location (Stryker columns there are 0-based). */
export function mutateRange(m) {
  const { start, end } = m.location;
  return `${m.file}:${start.line}:${start.column - 1}-${end.line}:${end.column - 1}`;
}

/**
 * Draws the sample.
 * @param {ReturnType<typeof reportMutants>} all every mutant of the listing pass
 * @param {Record<string, string>} sources file name -> text
 * @param {{ target: number, seed: number }} o
 */
export function pickSample(all, sources, o) {
  const made = all.filter((m) => m.status !== 'Ignored');
  const planted = new Map(Object.entries(sources).map(([file, text]) => [file, plantedBugSpans(file, text)]));
  const isPlanted = (m) => (planted.get(m.file) ?? []).some((s) => m.start < s.end && s.start < m.end);
  const eligible = made.filter((m) => !isPlanted(m));
  // Sorted first, so the draw does not depend on the order of the report's files.
  const sorted = eligible.slice().sort((a, b) => compareText(mutantKey(a), mutantKey(b)));
  const drawn = shuffled(sorted, seedrandom.alea(String(o.seed))).slice(0, o.target);
  drawn.sort((a, b) => compareText(a.file, b.file) || a.start - b.start || a.end - b.end || compareText(a.mutator, b.mutator) || compareText(a.replacement, b.replacement));
  const ranges = [...new Set(drawn.map(mutateRange))];
  return {
    seed: o.seed,
    target: o.target,
    counts: {
      listed: all.length,
      ignoredByStryker: all.length - made.length,
      made: made.length,
      planted: made.length - eligible.length,
      eligible: eligible.length,
    },
    ranges,
    mutants: drawn.map((m) => ({ key: mutantKey(m), file: m.file, location: m.location, mutator: m.mutator, replacement: m.replacement, original: m.original })),
  };
}

function compareText(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

function lineStartOffsets(text) {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

function groupByFile(mutants) {
  const out = new Map();
  for (const m of mutants) {
    if (!out.has(m.file)) out.set(m.file, []);
    out.get(m.file).push(m);
  }
  return out;
}

/** Fisher–Yates over a copy, drawing from `rng` (a seeded generator: the sample is the same on every machine). */
function shuffled(items, rng) {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
