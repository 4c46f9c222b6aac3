// Jepsen history.edn (src/history/jepsen.ts): Knossos's six cas-register histories with the
// verdicts their names give, Knossos's semantics for nil reads, :fail and :info, the key-value
// (independent) variant, and bad input.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkHistory } from '../../src/check/linearizability.js';
import { inferFormat, metaFor, parseHistoryText, parseInitialValue } from '../../src/history/formats.js';
import { encodeEdnValue, parseJepsenEdn } from '../../src/history/jepsen.js';
import { parseEdnValue } from '../../src/history/edn.js';
import type { OpRecord } from '../../src/history/op.js';
import { errorOf } from './helpers.js';

const fixtures = fileURLToPath(new URL('../fixtures/jepsen-edn/', import.meta.url));

function verdictOf(records: OpRecord[], initial?: string | null): string {
  const meta = metaFor('jepsen', initial);
  return checkHistory(records, { model: meta.model, missingValue: meta.missingValue }).verdict;
}


const ev = (p: number | string, type: string, f: string, value: string, extra = ''): string => `{:process ${p}, :type :${type}, :f :${f}, :value ${value}${extra}}`;

describe("Knossos's cas-register histories", () => {
  const files = readdirSync(fixtures).filter((f) => f.endsWith('.edn')).sort();

  it('are the six files, each named after its verdict', () => {
    expect(files).toEqual(['bad_cas-failure.edn', 'bad_immediate-failure.edn', 'good_cas-register-bug.edn', 'good_memstress3-0.edn', 'good_memstress3-1.edn', 'good_mongodb-v0-ack-rollback-4.edn']);
  });

  it('get the verdict their name says, from initial value 0 as in Knossos, and from nil', () => {
    for (const f of files) {
      const text = readFileSync(fixtures + f, 'utf8');
      expect(inferFormat(f, text)).toBe('jepsen');
      const records = parseJepsenEdn(text, f);
      const want = f.startsWith('good_') ? 'linearizable' : 'not-linearizable';
      expect([f, verdictOf(records, '0')]).toEqual([f, want]);
      expect([f, verdictOf(records)]).toEqual([f, want]);
    }
  });

  it('the mongodb history has timed-out operations, which stay indeterminate', () => {
    const records = parseJepsenEdn(readFileSync(fixtures + 'good_mongodb-v0-ack-rollback-4.edn', 'utf8'), 'm.edn');
    expect(records.filter((r) => r.outcome === 'indeterminate').length).toBeGreaterThan(0);
    expect(records.every((r) => r.key === 'register')).toBe(true);
  });
});

describe('Jepsen semantics', () => {
  it('an ok read of nil is consistent with any state; a read of a value must see it', () => {
    const h = `[${ev(0, 'invoke', 'write', '1')} ${ev(0, 'ok', 'write', '1')} ${ev(1, 'invoke', 'read', 'nil')} ${ev(1, 'ok', 'read', 'nil')}]`;
    expect(parseJepsenEdn(h, 'h.edn')).toHaveLength(1);
    expect(verdictOf(parseJepsenEdn(h, 'h.edn'))).toBe('linearizable');
    const stale = `[${ev(0, 'invoke', 'write', '1')} ${ev(0, 'ok', 'write', '1')} ${ev(1, 'invoke', 'read', 'nil')} ${ev(1, 'ok', 'read', '2')}]`;
    expect(verdictOf(parseJepsenEdn(stale, 'h.edn'))).toBe('not-linearizable');
  });

  it(':fail did not happen; :info and an unanswered invoke may have', () => {
    const failed = `[${ev(0, 'invoke', 'write', '1')} ${ev(0, 'fail', 'write', '1')} ${ev(1, 'invoke', 'read', 'nil')} ${ev(1, 'ok', 'read', '1')}]`;
    expect(verdictOf(parseJepsenEdn(failed, 'h.edn'))).toBe('not-linearizable');
    // A failed cas is not a failed comparison in Knossos: it did not happen at all.
    const failedCas = `[${ev(0, 'invoke', 'write', '1')} ${ev(0, 'ok', 'write', '1')} ${ev(1, 'invoke', 'cas', '[1 2]')} ${ev(1, 'fail', 'cas', '[1 2]')}]`;
    expect(parseJepsenEdn(failedCas, 'h.edn').map((r) => r.op)).toEqual(['put']);
    const info = `[${ev(0, 'invoke', 'write', '1')} ${ev(0, 'info', 'write', '1', ', :error :timeout')} ${ev(1, 'invoke', 'read', 'nil')} ${ev(1, 'ok', 'read', '1')}]`;
    expect(parseJepsenEdn(info, 'h.edn')[0]).toMatchObject({ op: 'put', value: '1', outcome: 'indeterminate', completeUs: null });
    expect(verdictOf(parseJepsenEdn(info, 'h.edn'))).toBe('linearizable');
    const unanswered = `[${ev(0, 'invoke', 'cas', '[nil 5]')} ${ev(1, 'invoke', 'read', 'nil')} ${ev(1, 'ok', 'read', '5')}]`;
    expect(verdictOf(parseJepsenEdn(unanswered, 'h.edn'))).toBe('linearizable');
    // ...but not before it was invoked.
    const early = `[${ev(1, 'invoke', 'read', 'nil')} ${ev(1, 'ok', 'read', '5')} ${ev(0, 'invoke', 'write', '5')}]`;
    expect(verdictOf(parseJepsenEdn(early, 'h.edn'))).toBe('not-linearizable');
  });

  it('skips the nemesis, accepts extra keys, tagged op records and one map per line', () => {
    const lines = [
      '{:type :info, :f :start, :value nil, :process :nemesis, :time 10}',
      ev(0, 'invoke', 'write', '3', ', :index 0, :time 12, :node "n1"'),
      '#jepsen.history.Op{:index 1, :time 15, :type :ok, :process 0, :f :write, :value 3}',
      '{:type :info, :f :stop, :value [:isolated {"n1" #{"n2"}}], :process :nemesis}',
      ev(2, 'invoke', 'read', 'nil'),
      ev(2, 'ok', 'read', '3', ', :error nil'),
    ];
    const recs = parseJepsenEdn(lines.join('\n') + '\n', 'h.edn');
    expect(recs.map((r) => [r.op, r.value, r.outcome, r.client])).toEqual([
      ['put', '3', 'ok', 0],
      ['get', '3', 'ok', 2],
    ]);
    expect(inferFormat('history.edn', lines.join('\n'))).toBe('jepsen');
  });

  it('values keep their EDN identity: 1, "1" and :1 differ', () => {
    expect(['1', '"1"', ':1', 'nil', '[1 "a"]', '1.5'].map((t) => encodeEdnValue(parseEdnValue(t)))).toEqual(['1', '"1"', ':1', null, '[1 "a"]', '1.5']);
    const h = `[${ev(0, 'invoke', 'write', '"1"')} ${ev(0, 'ok', 'write', '"1"')} ${ev(1, 'invoke', 'read', 'nil')} ${ev(1, 'ok', 'read', '1')}]`;
    expect(verdictOf(parseJepsenEdn(h, 'h.edn'))).toBe('not-linearizable');
  });

  it('--initial sets the starting value: EDN for jepsen, text for other formats, nil = missing', () => {
    const h = parseJepsenEdn(`[${ev(1, 'invoke', 'read', 'nil')} ${ev(1, 'ok', 'read', '0')}]`, 'h.edn');
    expect(verdictOf(h)).toBe('not-linearizable');
    expect(verdictOf(h, parseInitialValue('jepsen', '0'))).toBe('linearizable');
    expect(verdictOf(h, parseInitialValue('jepsen', '"0"'))).toBe('not-linearizable');
    expect(parseInitialValue('jepsen', 'nil')).toBeNull();
    expect(parseInitialValue('porcupine-etcd', '0')).toBe('0');
    expect(parseInitialValue('jsonl', '"a"')).toBe('"a"');
    expect(errorOf(() => parseInitialValue('jepsen', '[1'))).toMatch(/^check: --initial expects one EDN value/);
  });
});

describe('the key-value variant is split per key', () => {
  it('independent tuples: :value [k v], cas [k [old new]]', () => {
    const h = [
      ev(0, 'invoke', 'write', '[:x 1]'),
      ev(0, 'ok', 'write', '[:x 1]'),
      ev(1, 'invoke', 'cas', '[:y [nil 2]]'),
      ev(1, 'ok', 'cas', '[:y [nil 2]]'),
      ev(2, 'invoke', 'read', '[:x nil]'),
      ev(2, 'ok', 'read', '[:x 1]'),
      ev(3, 'invoke', 'read', '[:y nil]'),
      ev(3, 'ok', 'read', '[:y 2]'),
    ];
    const recs = parseJepsenEdn('[' + h.join('\n') + ']', 'kv.edn');
    expect(recs.map((r) => [r.key, r.op, r.expect ?? null, r.value])).toEqual([
      [':x', 'put', null, '1'],
      [':y', 'cas', null, '2'],
      [':x', 'get', null, '1'],
      [':y', 'get', null, '2'],
    ]);
    const r = checkHistory(recs, { model: 'register', missingValue: null });
    expect([r.verdict, r.keys]).toEqual(['linearizable', 2]);
    // The same reads swapped between keys: each key alone is violated.
    const swapped = parseJepsenEdn('[' + h.join('\n').replace('[:x 1]}\n{:process 3', '[:x 2]}\n{:process 3') + ']', 'kv.edn');
    const bad = checkHistory(swapped, { model: 'register', missingValue: null });
    expect(bad.verdict).toBe('not-linearizable');
    expect(bad.explanation?.key).toBe(':x');
  });

  it('a :key field names the key', () => {
    const h = [ev(0, 'invoke', 'write', '1', ', :key 7'), ev(0, 'ok', 'write', '1', ', :key 7'), ev(1, 'invoke', 'read', 'nil', ', :key 8'), ev(1, 'ok', 'read', '1', ', :key 8')];
    const recs = parseJepsenEdn('[' + h.join('\n') + ']', 'k.edn');
    expect(recs.map((r) => r.key)).toEqual(['7', '8']);
    expect(checkHistory(recs, { model: 'register' }).verdict).toBe('not-linearizable');
  });

  it('a plain op in an independent history is an error at its place', () => {
    const h = `[${ev(0, 'invoke', 'write', '[:x 1]')}\n ${ev(1, 'invoke', 'write', '2')}]`;
    expect(errorOf(() => parseJepsenEdn(h, 'k.edn'))).toBe('k.edn:2:2: :value: expected [key value] as in the earlier operations (an independent history)');
  });
});

describe('bad Jepsen input', () => {
  it('an empty vector (or an empty file) is an empty, linearizable history', () => {
    expect(parseJepsenEdn('[]\n', 'e.edn')).toEqual([]);
    expect(parseJepsenEdn('; nothing ran\n', 'e.edn')).toEqual([]);
    expect(checkHistory(parseHistoryText('[]', 'e.edn', 'jepsen')).verdict).toBe('linearizable');
  });

  it('a file with nothing Jepsen in it is the wrong format', () => {
    const want = 'x.edn: no operations of format jepsen found; is this the right --format?';
    expect(errorOf(() => parseJepsenEdn('{"id":1,"client":0,"op":"get","key":"k","invokeUs":0,"completeUs":1,"outcome":"ok"}\n', 'x.edn'))).toBe(want);
    expect(errorOf(() => parseJepsenEdn('INFO  jepsen.util - 5\t:invoke\t:cas\t[4 1]\n', 'x.edn'))).toBe(want);
    expect(errorOf(() => parseJepsenEdn('[{:a 1} {:b 2}]', 'x.edn'))).toBe(want);
    expect(errorOf(() => parseJepsenEdn('hello, world"', 'x.edn'))).toBe(want);
  });

  it('a malformed map names its line and column', () => {
    const good = ev(0, 'invoke', 'write', '1');
    expect(errorOf(() => parseJepsenEdn(`[${good}\n {:process 0, :type :ok, :f :write :value}]`, 'h.edn'))).toBe('h.edn:2:36: the map key :value has no value');
    expect(errorOf(() => parseJepsenEdn(`[${good}\n ${good.replace(':write', ':add')}]`, 'h.edn'))).toBe('h.edn:2:2: :f: expected :read, :write or :cas (a cas-register history)');
    expect(errorOf(() => parseJepsenEdn(`[${good}\n  ${ev(0, 'ok', 'write', '1').replace(':ok', ':done')}]`, 'h.edn'))).toBe('h.edn:2:3: :type: expected :invoke, :ok, :fail or :info');
    expect(errorOf(() => parseJepsenEdn(`[${good} ${ev('"p"', 'ok', 'write', '1')}]`, 'h.edn'))).toMatch(/^h\.edn:1:\d+: :process: expected an integer or :nemesis$/);
    expect(errorOf(() => parseJepsenEdn(`[${good}\n ${good}]`, 'h.edn'))).toBe('h.edn:2:2: process 0 invokes while its previous operation is still pending; expected a completion first');
    expect(errorOf(() => parseJepsenEdn(`[${good}\n ${ev(4, 'ok', 'write', '1')}]`, 'h.edn'))).toBe('h.edn:2:2: process 4 completes an operation it never invoked; expected an :invoke first');
    expect(errorOf(() => parseJepsenEdn(`[${good}\n ${ev(0, 'ok', 'read', '1')}]`, 'h.edn'))).toBe('h.edn:2:2: process 0 completes :read but invoked :write');
    expect(errorOf(() => parseJepsenEdn(`[${good.replace(':write, :value 1', ':cas, :value 1')}]`, 'h.edn'))).toBe('h.edn:1:2: :value: expected [old new] for a cas');
    expect(errorOf(() => parseJepsenEdn(`[${good}\n 42]`, 'h.edn'))).toMatch(/^h\.edn:2:2: expected an operation map/);
    expect(errorOf(() => parseJepsenEdn(`[${good}`, 'h.edn'))).toBe('h.edn:1:50: expected `]` to close the vector opened at line 1, column 1');
  });
});
