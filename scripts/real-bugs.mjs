// Planted bugs against real processes: for every catalogued bug, the shipped real-* scenarios at
// seed 1 are run with `kvsim real --bug` (one after another, stopping at the first that catches
// it) and with `kvsim run --bug` (simulation, all three), beside the simulated hunt's median time
// to find it (reports/hunts.jsonl). Writes reports/REAL-BUGS.md.
//   node scripts/real-bugs.mjs            about 10 minutes on 2 cores (builds nothing: run npm run build first)
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const SCENARIOS = ['real-leader-crash', 'real-partition', 'real-crash-all'];
const CLI = 'dist/src/cli/main.js';
const bugs = JSON.parse(spawnSync(process.execPath, [CLI, 'bugs', '--json'], { encoding: 'utf8' }).stdout).map((b) => b.name);

function once(command, scenario, bug) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [CLI, command, `scenarios/${scenario}.yaml`, '--seed', '1', '--json', '--bug', bug], { encoding: 'utf8', timeout: 180_000 });
  const wallMs = Math.round(performance.now() - t0);
  const line = r.stdout.split('\n').find((l) => l.startsWith('{'));
  const out = line ? JSON.parse(line) : {};
  const failed = out.checks ? Object.entries(out.checks).filter(([, v]) => v.ok === false).map(([k]) => k) : [];
  const what = out.assertion ? 'assertion' : failed.join(', ') || (r.status === 0 ? '' : `exit ${r.status}`);
  return { caught: r.status === 1, what, wallMs };
}

const huntMedian = new Map();
if (existsSync('reports/hunts.jsonl')) {
  const byBug = new Map();
  for (const l of readFileSync('reports/hunts.jsonl', 'utf8').split('\n')) {
    if (!l.startsWith('{')) continue;
    const h = JSON.parse(l);
    if (h.bug && h.found) (byBug.get(h.bug) ?? byBug.set(h.bug, []).get(h.bug)).push(h.findMs);
  }
  for (const [b, xs] of byBug) huntMedian.set(b, xs.sort((a, c) => a - c)[Math.floor((xs.length - 1) / 2)]);
}

const rows = [];
for (const bug of bugs) {
  const sim = SCENARIOS.map((s) => ({ s, ...once('run', s, bug) }));
  let real = null;
  let realMs = 0;
  for (const s of SCENARIOS) {
    const r = once('real', s, bug);
    realMs += r.wallMs;
    if (r.caught) {
      real = { s, ...r };
      break;
    }
  }
  const row = { bug, real, realMs, sim, huntMs: huntMedian.get(bug) ?? null };
  rows.push(row);
  process.stderr.write(`${bug}: real ${real ? `${real.s} (${real.what})` : 'not caught'} in ${realMs} ms; sim ${sim.filter((x) => x.caught).map((x) => x.s).join(' ') || '-'}\n`);
}

const caught = rows.filter((r) => r.real !== null);
const lines = [
  '# Planted bugs against real processes',
  '',
  `Measured ${new Date().toISOString().slice(0, 10)} on this machine (2 cores) by \`node scripts/real-bugs.mjs\`: every catalogued bug,`,
  `the shipped real scenarios (${SCENARIOS.join(', ')}) at seed 1, with \`kvsim real --bug\` (stopping at the first scenario`,
  'that catches it) and with `kvsim run --bug` on the same three files; beside them the median time the',
  'simulated hunt (`kvsim hunt`, reports/hunts.md) needs to find the bug from a fresh seed.',
  '',
  `Real runs caught **${caught.length} of ${rows.length}** bugs within the bound (three ~9 s runs each).`,
  '',
  '| bug | real runs | real wall time | simulation, same 3 files | simulated hunt, median time to find |',
  '|---|---|---|---|---|',
  ...rows.map((r) => {
    const realCell = r.real ? `caught by ${r.real.s} (${r.real.what})` : 'not caught';
    const simCaught = r.sim.filter((x) => x.caught);
    const simCell = simCaught.length > 0 ? `${simCaught.length}/3: ${simCaught.map((x) => `${x.s} (${x.what})`).join('; ')} in ${Math.max(...simCaught.map((x) => x.wallMs))} ms or less` : '0/3';
    const hunt = r.huntMs === null ? '-' : `${(r.huntMs / 1000).toFixed(1)} s`;
    return `| ${r.bug} | ${realCell} | ${(r.realMs / 1000).toFixed(0)} s | ${simCell} | ${hunt} |`;
  }),
  '',
];
writeFileSync('reports/REAL-BUGS.md', lines.join('\n'));
writeFileSync('reports/real-bugs.json', JSON.stringify(rows, null, 1) + '\n'); // raw, not committed
process.stderr.write(`wrote reports/REAL-BUGS.md: ${caught.length}/${rows.length} caught by real runs\n`);
