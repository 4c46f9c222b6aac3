// Porcupine's reference histories (test/fixtures/porcupine, MIT): every expected verdict.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkHistory } from '../../src/check/linearizability.js';
import { inferFormat, metaFor, parseHistoryText } from '../../src/history/formats.js';

const dir = fileURLToPath(new URL('../fixtures/porcupine/', import.meta.url));
const expected = readFileSync(dir + 'expected.tsv', 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((l) => l.split('\t') as [string, string]);

describe('Porcupine reference histories', () => {
  it('lists 108 verdicts: 26 linearizable, 82 not', () => {
    expect(expected.length).toBe(108);
    expect(expected.filter(([, v]) => v === 'linearizable').length).toBe(26);
  });
  it('gets every expected verdict', () => {
    const wrong: string[] = [];
    for (const [file, want] of expected) {
      const text = readFileSync(dir + file, 'utf8');
      const format = inferFormat(file, text)!;
      const meta = metaFor(format);
      const r = checkHistory(parseHistoryText(text, file, format), { model: meta.model, missingValue: meta.missingValue, explain: false });
      if (r.verdict !== want) wrong.push(`${file}: ${r.verdict}, expected ${want}`);
    }
    expect(wrong).toEqual([]);
  });
  it('the empty etcd_095 log parses to an empty, linearizable history', () => {
    const recs = parseHistoryText(readFileSync(dir + 'jepsen/etcd_095.log', 'utf8'), 'etcd_095.log', 'porcupine-etcd');
    expect(recs).toEqual([]);
    expect(checkHistory(recs).verdict).toBe('linearizable');
  });
  it('explains c50-bad with a window that reads as a violation', () => {
    const text = readFileSync(dir + 'kv/c50-bad.txt', 'utf8');
    const r = checkHistory(parseHistoryText(text, 'c50-bad.txt', 'porcupine-kv'), { missingValue: '' });
    expect(r.verdict).toBe('not-linearizable');
    expect(r.explanation!.window.length).toBeLessThanOrEqual(12);
    const start = r.explanation!.startStates ?? [''];
    const again = checkHistory(r.explanation!.window, { missingValue: start.length === 1 ? start[0]! : '' , explain: false });
    if (start.length === 1) expect(again.verdict).toBe('not-linearizable');
  });
});
