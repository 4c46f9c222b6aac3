// The register-timeouts set (../shared/data/register-timeouts, project data outside the repo):
// 60 register histories in which 5-15 % of writes and cas time out, with the Go reference
// checker's verdicts. Both the default (interleaved) search and the depth-first search alone
// must give every verdict. Timings are in `kvsim bench`, not here.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkHistory } from '../../src/check/linearizability.js';
import { metaFor, parseHistoryText } from '../../src/history/formats.js';

const dir = fileURLToPath(new URL('../../../shared/data/register-timeouts/', import.meta.url));
const present = existsSync(dir + 'expected.tsv');

describe.skipIf(!present)('register-timeouts histories', () => {
  const rows = present
    ? readFileSync(dir + 'expected.tsv', 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split('\t') as [string, string, string])
    : [];
  const meta = metaFor('porcupine-etcd');
  const load = (file: string) => parseHistoryText(readFileSync(dir + file, 'utf8'), file, 'porcupine-etcd');

  it('lists 60 verdicts: 43 linearizable, 17 not', () => {
    expect(rows.length).toBe(60);
    expect(rows.filter(([, v]) => v === 'linearizable').length).toBe(43);
  });

  it('has timed-out writes and cas in every history', () => {
    for (const [file] of rows) expect([file, load(file).some((r) => r.outcome === 'indeterminate' && r.op !== 'get')]).toEqual([file, true]);
  });

  for (const strategy of ['auto', 'dfs'] as const) {
    it(`gets every expected verdict (${strategy} search)`, () => {
      const wrong: string[] = [];
      for (const [file, want] of rows) {
        const r = checkHistory(load(file), { model: meta.model, missingValue: meta.missingValue, explain: false, strategy });
        if (r.verdict !== want) wrong.push(`${file}: ${r.verdict}, expected ${want}`);
      }
      expect(wrong).toEqual([]);
    });
  }

  it('explains the first violation with a window that holds the failing operation', () => {
    const firstBad = rows.find(([, v]) => v === 'not-linearizable')![0];
    const r = checkHistory(load(firstBad), { model: meta.model, missingValue: meta.missingValue });
    expect(r.verdict).toBe('not-linearizable');
    expect(r.explanation!.window.some((o) => o.id === r.explanation!.failing.id)).toBe(true);
  });
});
