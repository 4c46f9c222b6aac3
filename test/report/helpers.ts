// Shared by the report tests: runs a shipped scenario in-process with a trace file, and reads
// the report's HTML back (sections, elements, tag balance) without an HTML library.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engineFactoryFor } from '../../src/harness/engines.js';
import { loadScenarioFile } from '../../src/scenario/load.js';
import { runScenario, type RunSummary } from '../../src/harness/runner.js';

export interface TracedRun {
  dir: string;
  tracePath: string;
  summary: RunSummary;
}

export function runTraced(file: string, seed: number): TracedRun {
  const dir = mkdtempSync(join(tmpdir(), 'kvsim-report-'));
  const tracePath = join(dir, 'trace.jsonl');
  const loaded = loadScenarioFile(file);
  const summary = runScenario(loaded, { seed, tracePath, historyPath: join(dir, 'trace.history.jsonl') }, engineFactoryFor(loaded.scenario, []));
  return { dir, tracePath, summary };
}

/** The markup of `<section id="ID">` (sections do not nest) or the header. */
export function sectionOf(html: string, id: string): string {
  const tag = id === 'header' ? 'header' : 'section';
  const start = html.indexOf(`<${tag} id="${id}">`);
  if (start < 0) throw new Error(`no ${tag} with id ${id}`);
  const end = html.indexOf(`</${tag}>`, start);
  if (end < 0) throw new Error(`${tag} ${id} is not closed`);
  return html.slice(start, end + tag.length + 3);
}

export function count(html: string, pattern: RegExp): number {
  return [...html.matchAll(new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : pattern.flags + 'g'))].length;
}

const VOID = new Set(['meta', 'link', 'br', 'img', 'input', 'hr', 'col', 'area', 'base', 'source', 'wbr']);

/** Every element is closed in order; returns the first problem, or null. */
export function tagBalanceProblem(html: string): string | null {
  const stack: string[] = [];
  const body = html.replace(/<!doctype[^>]*>/i, '').replace(/<style>[\s\S]*?<\/style>/, '<style></style>');
  for (const m of body.matchAll(/<(\/?)([a-zA-Z][\w-]*)\b[^>]*?(\/?)>/g)) {
    const [, closing, rawName, selfClosing] = m;
    const name = rawName!.toLowerCase();
    if (selfClosing === '/' || (VOID.has(name) && closing === '')) continue;
    if (closing === '') {
      stack.push(name);
      continue;
    }
    const open = stack.pop();
    if (open !== name) return `</${name}> at ${m.index} closes <${open ?? 'nothing'}>`;
  }
  return stack.length === 0 ? null : `unclosed: ${stack.join(' > ')}`;
}
