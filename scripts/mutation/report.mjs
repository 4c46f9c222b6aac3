// Joins the sample, Stryker's report of the real pass, the per-mutant hunt results, their
// re-runs on the unmutated build and the committed judgements of survivors into one outcome per
// mutant, and writes reports/MUTATION.md from them. Pure apart from the caller's file reads.
import { mutantKey, reportMutants } from './sample.mjs';

/** @typedef {'found' | 'timeout' | 'crash' | 'false-alarm' | 'equivalent' | 'performance' | 'miss' | 'unjudged' | 'error'} Outcome */

/** Verdicts a judgement may give a survivor (reports/mutation-equivalent.json). */
const VERDICTS = new Set(['equivalent', 'performance', 'miss']);

/** Outcomes that count as the testbed seeing the mutant. */
const SEEN = new Set(['found', 'timeout', 'crash']);

/**
 * @param {{ sample: any, strykerReport: any, ids: Record<string, string>, results: Record<string, any>,
 *   confirmations: Record<string, any>, judgements: { key: string, verdict: 'equivalent' | 'miss', why: string }[] }} input
 */
export function joinOutcomes(input) {
  const stryker = new Map(reportMutants(input.strykerReport).map((m) => [mutantKey(m), m]));
  const idByKey = new Map(Object.entries(input.ids).map(([id, key]) => [key, id]));
  for (const j of input.judgements) {
    if (!VERDICTS.has(j.verdict)) throw new Error(`reports/mutation-equivalent.json: verdict of "${j.key}" is "${j.verdict}"; expected one of ${[...VERDICTS].join(', ')}`);
  }
  const judged = new Map(input.judgements.map((j) => [j.key, j]));
  const rows = [];
  for (const m of input.sample.mutants) {
    const s = stryker.get(m.key);
    const id = idByKey.get(m.key) ?? null;
    const result = id !== null ? (input.results[id] ?? null) : null;
    const confirm = id !== null ? (input.confirmations[id] ?? null) : null;
    const hunt = result?.json ?? null;
    const row = {
      key: m.key,
      id,
      file: m.file,
      line: m.location.start.line,
      mutator: m.mutator,
      original: m.original,
      replacement: m.replacement,
      strykerStatus: s?.status ?? 'missing',
      seed: hunt?.seed ?? null,
      check: hunt?.check ?? null,
      message: hunt?.message ?? null,
      findMs: hunt?.findMs ?? null,
      seedsTried: hunt?.seedsTried ?? null,
      shrunkPercent: hunt?.shrunk?.percent ?? null,
      shrunkSize: hunt?.shrunk ? `${hunt.shrunk.before} → ${hunt.shrunk.after}` : null,
      wallMs: result?.wallMs ?? null,
      confirm,
      reach: id !== null ? (input.reach[id] ?? null) : null,
      judgement: judged.get(m.key) ?? null,
      outcome: /** @type {Outcome} */ ('error'),
      note: '',
    };
    row.outcome = outcomeOf(row, result);
    rows.push(row);
  }
  const sampleKeys = new Set(input.sample.mutants.map((m) => m.key));
  const staleJudgements = input.judgements.filter((j) => !sampleKeys.has(j.key));
  return { rows, staleJudgements };
}

function outcomeOf(row, result) {
  switch (row.strykerStatus) {
    case 'Timeout':
      row.note = 'cut off by Stryker’s timeout (the hunt did not end)';
      return 'timeout';
    case 'Survived':
      if (row.judgement === null) return 'unjudged';
      row.note = row.judgement.why;
      return row.judgement.verdict;
    case 'Killed': {
      const hunt = result?.json ?? null;
      if (hunt === null || hunt.found !== true) {
        row.note = `the hunt itself failed (exit ${result?.exitCode ?? '?'}): ${lastLine(result?.stderrTail ?? '')}`;
        return 'crash';
      }
      if (row.confirm === null) {
        row.note = 'not re-run on the unmutated build';
        return 'error';
      }
      if (!row.confirm.seedPasses) {
        row.note = `the seed fails on the unmutated build too: ${row.confirm.seedDetail}`;
        return 'false-alarm';
      }
      if (hunt.shrunk === null) row.note = 'found, but the failure did not repeat when re-run for shrinking';
      else if (row.confirm.shrunkPasses === false) row.note = `shrunk scenario fails on the unmutated build: ${row.confirm.shrunkDetail}`;
      return 'found';
    }
    default:
      row.note = `Stryker status ${row.strykerStatus}`;
      return 'error';
  }
}

/** The figures of a set of rows. */
export function summarize(rows) {
  const count = (o) => rows.filter((r) => r.outcome === o).length;
  const seen = rows.filter((r) => SEEN.has(r.outcome)).length;
  const equivalent = count('equivalent');
  const found = rows.filter((r) => r.outcome === 'found');
  const findS = found.map((r) => r.findMs).filter((v) => v !== null).map((v) => v / 1000);
  const shrunk = found.map((r) => r.shrunkPercent).filter((v) => v !== null);
  return {
    total: rows.length,
    seen,
    found: found.length,
    timeout: count('timeout'),
    crash: count('crash'),
    falseAlarm: count('false-alarm'),
    equivalent,
    performance: count('performance'),
    miss: count('miss'),
    unjudged: count('unjudged'),
    error: count('error'),
    scorePercent: rows.length - equivalent > 0 ? (100 * seen) / (rows.length - equivalent) : null,
    /** The score if survivors that change only speed, message counts or balance were set aside as well. */
    scoreCorrectnessPercent: rows.length - equivalent - count('performance') > 0 ? (100 * seen) / (rows.length - equivalent - count('performance')) : null,
    findMedianS: median(findS),
    findMaxS: findS.length > 0 ? Math.max(...findS) : null,
    shrunkMedianPercent: median(shrunk),
    shrunkMaxPercent: shrunk.length > 0 ? Math.max(...shrunk) : null,
  };
}

/**
 * @param {{ rows: any[], staleJudgements: any[], sample: any, meta: any, notes: string[] }} o
 *   notes: Markdown lines kept with the judgements (their `notes`), what the survivors teach
 * @returns {string} the Markdown of reports/MUTATION.md
 */
export function renderReport(o) {
  const { rows, sample, meta } = o;
  const s = summarize(rows);
  const fmtS = (v) => (v === null ? '–' : `${v.toFixed(1)} s`);
  const fmtP = (v) => (v === null ? '–' : `${Number(v.toFixed(1))} %`);
  const lines = [];
  const out = (...l) => lines.push(...l);
  out(
    '# Mutation testing of the tester',
    '',
    `Generated by \`npm run mutation -- --sample ${sample.target} --budget-s ${meta.budgetS} --seed ${sample.seed}\` (scripts/mutation.mjs); do not edit by hand —`,
    'judgements of survivors live in `reports/mutation-equivalent.json` and are merged in on every run',
    '(`npm run mutation -- --report-only` rewrites this file from the last run’s data).',
    '',
    'StrykerJS (command runner, mutant switching) mutates `src/raft/` and `src/store/`; for each sampled mutant a',
    `no-bug \`kvsim hunt --json --budget-s ${meta.budgetS} --workers 1\` runs on the mutated build. A find counts once its swarm seed`,
    'passes on the unmutated build (this checkout’s dist/).',
    '',
    '## Run',
    '',
    '| | |',
    '|---|---|',
    `| date | ${meta.date} |`,
    `| machine | ${meta.nproc} cores (\`nproc\`), ${meta.cpuModel}, Node ${meta.node}, ${meta.os} |`,
    `| StrykerJS | @stryker-mutator/core ${meta.strykerVersion} (${meta.strykerNote}) |`,
    `| concurrency | ${meta.concurrency} Stryker runners × 1 hunt worker; Stryker timeout ${meta.timeoutNote} |`,
    `| load | 1-min load average ${meta.load} on ${meta.nproc} cores during the run${meta.loadNote} |`,
    `| wall time | ${meta.wallNote} |`,
    `| control | the initial run (instrumented build, no mutant active) ${meta.dryRunNote} |`,
    '',
    '## Figures',
    '',
    '| figure | value | target |',
    '|---|---|---|',
    `| sample | ${s.total} mutants at ${new Set(rows.map((r) => `${r.file}:${r.line}`)).size} lines of ${new Set(rows.map((r) => r.file)).size} files | ≥ 60 |`,
    `| seen | ${s.seen} = ${s.found} found by the hunt + ${s.timeout} timeouts + ${s.crash} hunt failures | |`,
    `| survived | ${s.equivalent} equivalent, ${s.performance} performance only, ${s.miss} real misses${s.unjudged > 0 ? `, ${s.unjudged} not judged yet (counted as misses)` : ''} | |`,
    `| false alarms | ${s.falseAlarm} | 0 |`,
    ...(s.error > 0 ? [`| errors | ${s.error} (see the table) | 0 |`] : []),
    `| **score** = seen / (sample − equivalent) | **${s.scorePercent === null ? '–' : `${s.scorePercent.toFixed(1)} %`}** (${s.seen} / ${s.total - s.equivalent}) | ≥ 90 % |`,
    `| score with the performance-only survivors set aside too | ${s.scoreCorrectnessPercent === null ? '–' : `${s.scoreCorrectnessPercent.toFixed(1)} %`} (${s.seen} / ${s.total - s.equivalent - s.performance}) | |`,
    `| time to find (found by the hunt) | median ${fmtS(s.findMedianS)}, max ${fmtS(s.findMaxS)} | within ${meta.budgetS} s |`,
    `| **shrunk size** (faults + ops kept, of the swarm scenario’s) | **median ${fmtP(s.shrunkMedianPercent)}**, max ${fmtP(s.shrunkMaxPercent)} | median ≤ 10 % |`,
    '',
  );
  out(...sampleSection(sample));
  out(...byMutatorSection(rows));
  out(
    '## Every mutant',
    '',
    'Status: found (by the no-bug hunt, seed confirmed on the unmutated build), timeout, crash (the hunt',
    'itself failed), false alarm, equivalent, performance, miss, unjudged. Seeds: swarm seeds the hunt ran (to the find, or in the',
    'whole budget). Find: the hunt’s time to the failing seed. Shrunk: faults + ops kept, before → after.',
    '',
    '| # | file:line | mutator | change | status | seeds | seed | check | find | shrunk |',
    '|---|---|---|---|---|---|---|---|---|---|',
  );
  rows.forEach((r, i) => {
    out(
      `| ${i + 1} | ${r.file.replace(/^src\//, '')}:${r.line} | ${r.mutator} | ${change(r)} | ${r.outcome} | ${r.seedsTried ?? '–'} | ${r.seed ?? '–'} | ${r.check ?? '–'} | ${r.findMs === null ? '–' : `${(r.findMs / 1000).toFixed(1)} s`} | ${r.shrunkPercent === null ? '–' : `${r.shrunkPercent} % (${r.shrunkSize})`} |`,
    );
  });
  out('');
  const listed = (title, outcome, intro) => {
    const these = rows.filter((r) => r.outcome === outcome);
    if (these.length === 0) return;
    out(`## ${title}`, '', intro, '');
    for (const r of these) out(`- **${r.file}:${r.line}** ${r.mutator} ${change(r)}: ${r.note}`);
    out('');
  };
  listed('Timeouts', 'timeout', 'Counted as seen: the mutant made a simulation run (or the shrinker) never end, and Stryker cut the hunt off.');
  listed('Hunt failures', 'crash', 'Counted as seen: the hunt exited with neither a find nor a clean pass.');
  listed('False alarms', 'false-alarm', 'Not counted as seen: the finding seed fails on the unmutated build as well.');
  listed('Errors', 'error', 'Not counted as seen.');
  if (o.notes.length > 0) out('## What the survivors say', '', ...o.notes, '');
  out(...survivorsSection(rows));
  if (o.staleJudgements.length > 0) {
    out('## Judgements that match no sampled mutant', '', 'In reports/mutation-equivalent.json but not in this sample (another sample, or the code moved):', '');
    for (const j of o.staleJudgements) out(`- \`${j.key}\` (${j.verdict})`);
    out('');
  }
  return lines.join('\n');
}

function sampleSection(sample) {
  const c = sample.counts;
  return [
    '## Sample',
    '',
    `A listing pass (Stryker with a command that does nothing) made ${c.listed} mutants of the mutated files; ${c.ignoredByStryker} of them`,
    'are StringLiteral mutants, which Stryker was told to skip (`mutator.excludedMutations`): here they change assertion and',
    'error messages, trace labels and names in error text, not what the store does (the string discriminants they would also',
    `hit are a known loss). Of the ${c.made} left, ${c.planted} touch a planted-bug code point (a \`bugOn\`/\`storeBugOn\` test, a flag holding one,`,
    'or code that runs only with the bug on) and are not eligible: they switch a catalogued bug on, which reports/hunts.md',
    `measures, or change code an honest run never executes. From the ${c.eligible} eligible mutants a seeded draw (alea, seed`,
    `${sample.seed}) takes ${sample.target}, uniformly. Files: \`src/raft/*.ts\` and \`src/store/*.ts\` except \`src/raft/bench.ts\` (benchmark only),`,
    '`src/raft/bugs.ts` and `src/store/bugs.ts` (the catalogue).',
    '',
    'Stryker is given each sampled mutant’s exact source range (`mutate: ["file:line:col-line:col", …]`); it also makes the',
    'other mutants of those nodes, which the per-mutant command skips and this report leaves out.',
    '',
  ];
}

function byMutatorSection(rows) {
  const by = new Map();
  for (const r of rows) {
    const e = by.get(r.mutator) ?? { total: 0, seen: 0, equivalent: 0, performance: 0, miss: 0 };
    e.total += 1;
    if (SEEN.has(r.outcome)) e.seen += 1;
    if (r.outcome === 'equivalent') e.equivalent += 1;
    if (r.outcome === 'performance') e.performance += 1;
    if (r.outcome === 'miss' || r.outcome === 'unjudged') e.miss += 1;
    by.set(r.mutator, e);
  }
  const out = ['## By mutator', '', '| mutator | sampled | seen | equivalent | performance | miss |', '|---|---|---|---|---|---|'];
  for (const [name, e] of [...by.entries()].sort((a, b) => b[1].total - a[1].total || (a[0] < b[0] ? -1 : 1))) out.push(`| ${name} | ${e.total} | ${e.seen} | ${e.equivalent} | ${e.performance} | ${e.miss} |`);
  out.push('');
  return out;
}

function survivorsSection(rows) {
  const survivors = rows.filter((r) => r.outcome === 'equivalent' || r.outcome === 'performance' || r.outcome === 'miss' || r.outcome === 'unjudged');
  const out = ['## Survivors', ''];
  if (survivors.length === 0) return [...out, 'None.', ''];
  out.push(
    'Every mutant the hunt did not see, with a look at each: **equivalent** (no observable behaviour changes, so no check',
    'could see it), **performance** (only speed, message counts or balance change: every correctness property still holds,',
    'so no check of the testbed can fail on it, by design; a benchmark could see it; counted against the score all the same)',
    'or **miss** (a real change the testbed did not reach or no check notices; what it would need is said). Judgements are kept in',
    '`reports/mutation-equivalent.json`, keyed by the mutant’s file, range, mutator and replacement. In brackets: in how many',
    'of the swarm seeds its hunt ran the mutated code was evaluated at all (a sweep of those seeds with Stryker’s hit limit',
    'at 0, scripts/mutation/reach.mjs) — "never run" means the generated scenarios do not get there.',
    '',
  );
  for (const r of survivors) {
    const verdict = r.outcome === 'unjudged' ? '**not judged yet**' : `**${r.outcome}**`;
    out.push(`- ${verdict} — ${r.file}:${r.line} ${r.mutator} ${change(r)} (${reachText(r.reach)})${r.note !== '' ? `. ${r.note}` : ''}`);
  }
  out.push('');
  return out;
}

/** `original` → `replacement`, on one line, shortened, safe inside a Markdown table. */
function change(r) {
  // Double-backtick code spans: the code itself may hold a backtick (template literals).
  return `\`\` ${cell(r.original)} \`\` → \`\` ${cell(r.replacement)} \`\``;
}

function cell(text) {
  const flat = text.replace(/\s+/g, ' ').trim();
  const short = flat.length > 60 ? `${flat.slice(0, 57)}…` : flat;
  return short.replace(/\|/g, '\\|').replace(/``/g, '` `');
}

function reachText(reach) {
  if (reach === null) return 'reach not measured';
  if (reach.error !== null) return `reach unknown: ${reach.error}`;
  const other = reach.otherFailures > 0 ? `; ${reach.otherFailures} other failures` : '';
  return reach.reached === 0 ? `never run in the ${reach.seeds} seeds its hunt ran${other}` : `run in ${reach.reached} of the ${reach.seeds} seeds its hunt ran, first at seed ${reach.firstSeed}${other}`;
}

function lastLine(text) {
  return text.trim().split('\n').at(-1) ?? '';
}

function median(values) {
  if (values.length === 0) return null;
  const v = values.slice().sort((a, b) => a - b);
  const mid = Math.floor(v.length / 2);
  return v.length % 2 === 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}
