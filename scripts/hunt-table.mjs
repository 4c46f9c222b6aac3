// Hunts every planted bug from three start seeds (1, 501, 1001) with `kvsim hunt --budget-s 60`
// and writes the table of issue 10 to reports/hunts.md (bench appends it to BENCH.md).
//   node scripts/hunt-table.mjs              run the hunts (about 7 minutes on 2 free cores)
//   node scripts/hunt-table.mjs RESULTS.jsonl  only turn saved `hunt --json` lines into the table
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const STARTS = [1, 501, 1001];
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? null : s[Math.floor((s.length - 1) / 2)];
};

function runHunts() {
  const bugs = JSON.parse(spawnSync(process.execPath, ['dist/src/cli/main.js', 'bugs', '--json'], { encoding: 'utf8' }).stdout);
  const lines = [];
  for (const name of [...bugs.map((b) => b.name), null]) {
    for (const from of STARTS.slice(0, name === null ? 2 : 3)) {
      const args = ['dist/src/cli/main.js', 'hunt', '--budget-s', '60', '--workers', '2', '--from-seed', String(from), '--json', ...(name ? ['--bug', name] : [])];
      const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
      lines.push(JSON.stringify({ from, ...JSON.parse(r.stdout) }));
      process.stderr.write(`${name ?? 'none'} from ${from}: ${lines[lines.length - 1].slice(0, 120)}\n`);
    }
  }
  return lines;
}

const lines = process.argv[2] ? readFileSync(process.argv[2], 'utf8').split('\n').filter((l) => l.startsWith('{')) : runHunts();
if (!process.argv[2]) writeFileSync('reports/hunts.jsonl', lines.join('\n') + '\n');
const byBug = new Map();
for (const line of lines) {
  const r = JSON.parse(line);
  if (!byBug.has(r.bug)) byBug.set(r.bug, []);
  byBug.get(r.bug).push(r);
}
const out = [
  '## Planted bugs: hunts',
  '',
  `\`kvsim hunt --bug NAME --budget-s 60 --workers 2\` from start seeds ${STARTS.join(', ')}; medians over the hunts that found it.`,
  'Shrunk size is faults + operations of the shrunk scenario as a share of the original (target: at most 10 %).',
  '',
  '| bug | found | catching check | seeds to find (median) | time to find (median / max) | shrinking time (median) | shrunk size (median / max) |',
  '|---|---|---|---:|---:|---:|---:|',
];
const secs = (ms) => (ms === null ? '—' : `${(ms / 1000).toFixed(1)} s`);
const max = (xs) => (xs.length === 0 ? null : Math.max(...xs));
for (const [bug, rs] of byBug) {
  const found = rs.filter((r) => r.found);
  const checks = [...new Set(found.map((r) => r.check))].join(', ');
  const seeds = median(found.map((r) => r.seedsTried));
  // Time to the failing seed; older results without findMs only have wallMs (search + shrink).
  const finds = found.map((r) => r.findMs);
  const shrinkMs = median(found.map((r) => r.wallMs - r.findMs));
  const percents = found.filter((r) => r.shrunk).map((r) => r.shrunk.percent);
  const shrunk = median(percents);
  out.push(
    `| ${bug} | ${found.length}/${rs.length} | ${checks || '—'} | ${seeds ?? '—'} | ${finds.length ? `${secs(median(finds))} / ${secs(max(finds))}` : '—'} | ${secs(shrinkMs)} | ${shrunk === null ? '—' : `${shrunk} % / ${max(percents)} %`} |`,
  );
}
out.push('', 'Time to find is the search alone (the 60 s budget), worker start-up included; shrinking then gets up to as long again.', '`none` is the same hunt with no bug switched on: it must find nothing (a finding would be a false alarm).', 'Raw `hunt --json` lines: `reports/hunts.jsonl`.', '');
writeFileSync('reports/hunts.md', out.join('\n'));
process.stdout.write(out.join('\n'));
