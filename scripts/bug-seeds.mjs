// For each planted bug, the first swarm seed from a start seed that fails with the bug on, run
// in process one seed at a time (no workers, no shrinking), and whether that seed passes with no
// bug (a failure there would be a false alarm). Prints one line per bug; the seeds feed
// test/bugs/swarm-hunt.test.ts. Needs `npm run build` first.
//   node scripts/bug-seeds.mjs [START,START,...] [CAP]      e.g. node scripts/bug-seeds.mjs 1,501,1001 1500
import { BUGS } from '../dist/src/bugs/catalogue.js';
import { executeScenario } from '../dist/src/explore/execute.js';
import { swarmDraw, swarmFileText } from '../dist/src/explore/swarm.js';

const starts = (process.argv[2] ?? '1').split(',').map(Number);
const cap = Number(process.argv[3] ?? 1500);
for (const { name } of BUGS) {
  const cells = [];
  for (const start of starts) {
    let cell = `>${cap}`;
    for (let seed = start; seed < start + cap; seed++) {
      const out = executeScenario(`swarm-${seed}.yaml`, swarmFileText(seed, [name]), seed, [name]);
      if (out.failure === null) continue;
      const honest = executeScenario(`swarm-${seed}.yaml`, swarmFileText(seed, []), seed, []);
      const alarm = honest.failure === null ? '' : ` FALSE ALARM (${honest.failure.check} with no bug)`;
      cell = `seed ${seed} (${seed - start + 1} tried) ${out.failure.check}, recipe ${swarmDraw(seed).recipe ?? 'none'}${alarm}`;
      break;
    }
    cells.push(cell);
  }
  console.log(`${name}: ${cells.join(' | ')}`);
}
