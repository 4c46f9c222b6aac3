// The EDN reader (src/history/edn.ts) against the npm package edn-data (1.2.2, the parser
// ECOSYSTEM.md lists; too slow for 100 MB histories, see edn.ts) on Knossos's files and on
// random EDN texts, and its error positions on malformed ones.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseEDNString } from 'edn-data';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EdnChar, EdnKeyword, EdnReader, EdnSet, EdnSymbol, EdnSyntaxError, EdnTagged, MAX_NESTING_DEPTH, parseEdnValue, type EdnValue } from '../../src/history/edn.js';

const RUNS = Number(process.env.KVSIM_PROP_RUNS ?? 60);
const fixtures = fileURLToPath(new URL('../fixtures/jepsen-edn/', import.meta.url));

/** Our value in edn-data's plain shape for `{mapAs: 'object', keywordAs: 'string'}`. */
function asEdnData(v: EdnValue): unknown {
  if (v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  if (v instanceof EdnKeyword) return v.name;
  if (v instanceof EdnSymbol) return { sym: v.name };
  if (v instanceof EdnChar) return { char: v.char };
  if (v instanceof EdnSet) return { set: v.items.map(asEdnData) };
  if (v instanceof EdnTagged) return { tag: v.tag, val: asEdnData(v.value) };
  if (Array.isArray(v)) return v.map(asEdnData);
  const o: Record<string, unknown> = {};
  for (const [k, x] of v) o[String(asEdnData(k))] = asEdnData(x);
  return o;
}

function readAll(text: string): EdnValue[] {
  const r = new EdnReader(text);
  const out: EdnValue[] = [];
  for (let v = r.nextElement(); v !== undefined; v = r.nextElement()) out.push(v);
  return out;
}

function syntaxError(text: string): { message: string; line: number; col: number } {
  try {
    readAll(text);
  } catch (e) {
    if (e instanceof EdnSyntaxError) return { message: e.message, line: e.line, col: e.col };
    throw e;
  }
  throw new Error(`no error for ${JSON.stringify(text)}`);
}

describe('EDN reader', () => {
  it("reads Knossos's six files exactly as edn-data does", () => {
    const files = readdirSync(fixtures).filter((f) => f.endsWith('.edn'));
    expect(files).toHaveLength(6);
    for (const f of files) {
      const text = readFileSync(fixtures + f, 'utf8');
      const ours = readAll(text);
      expect(ours).toHaveLength(1);
      expect([f, asEdnData(ours[0]!)]).toEqual([f, parseEDNString(text, { mapAs: 'object', keywordAs: 'string' })]);
    }
  });

  // Random EDN values as text, with commas, comments and discarded forms between elements.
  const scalar = fc.oneof(
    fc.constant('nil'),
    fc.constantFrom('true', 'false'),
    fc.integer({ min: -1e9, max: 1e9 }).map(String),
    fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }).map((d) => (Number.isInteger(d) ? `${d}.5` : String(d))).filter((s) => !/e/i.test(s)),
    fc.string({ maxLength: 8 }).map((s) => JSON.stringify(s)),
    fc.constantFrom(':process', ':type', ':ok', ':f', ':cas', ':a/b', ':x-y?'),
    fc.constantFrom('foo', 'jepsen.util', 'a/b'),
  );
  const sep = fc.constantFrom(' ', ', ', '\n', ' ;; a comment\n', ' #_ :gone ', '\t');
  const { form } = fc.letrec<{ form: string; vec: string; map: string }>((tie) => ({
    form: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, tie('vec'), tie('map')),
    vec: fc.array(fc.tuple(tie('form'), sep), { maxLength: 5 }).map((xs) => '[' + xs.map(([f, s]) => f + s).join('') + ']'),
    map: fc.uniqueArray(fc.tuple(fc.constantFrom(':a', ':b', ':c', ':d', '"k"', '7'), tie('form'), sep), { maxLength: 4, selector: ([k]) => k }).map((xs) => '{' + xs.map(([k, v, s]) => `${k} ${v}${s}`).join('') + '}'),
  }));

  it('agrees with edn-data on random EDN texts', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(form, sep), { minLength: 1, maxLength: 6 }), (xs) => {
        const text = '[' + xs.map(([f, s]) => f + s).join('') + ']';
        expect(asEdnData(parseEdnValue(text))).toEqual(parseEDNString(text, { mapAs: 'object', keywordAs: 'string' }));
      }),
      { numRuns: RUNS * 10 },
    );
  });

  it('walks a top-level vector element by element, with positions', () => {
    const r = new EdnReader('; header\n[{:a 1}\n {:b "x\ny"}\n  {:c [1 2]}]\n');
    expect(r.enterTopLevel()).toBe('collection');
    const seen: [number, number][] = [];
    for (let v = r.nextElement(); v !== undefined; v = r.nextElement()) seen.push([r.lastLine, r.lastCol]);
    expect(seen).toEqual([
      [2, 2],
      [3, 2],
      [5, 3],
    ]);
  });

  it('reads one map per line as top-level forms', () => {
    const r = new EdnReader('{:a 1}\n{:a 2}\n');
    expect(r.enterTopLevel()).toBe('forms');
    expect(readAll('{:a 1}\n{:a 2}\n').map((m) => asEdnData(m))).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it('keywords are interned, so maps are looked up by identity', () => {
    const r = new EdnReader('{:type :ok}');
    const m = r.readForm(0) as Map<EdnValue, EdnValue>;
    expect(m.get(r.keyword('type'))).toBe(r.keyword('ok'));
  });

  it('tagged values, sets, characters, ratios and big-number suffixes', () => {
    expect(parseEdnValue('#jepsen.history.Op{:index 3}')).toEqual(new EdnTagged('jepsen.history.Op', new Map([[expect.any(EdnKeyword), 3]])));
    expect(parseEdnValue('#{1 2}')).toEqual(new EdnSet([1, 2]));
    expect(parseEdnValue('[\\a \\newline \\u0041]')).toEqual([new EdnChar('a'), new EdnChar('\n'), new EdnChar('A')]);
    expect(parseEdnValue('[1/2 12N 1.5M -3 +4]')).toEqual([0.5, 12, 1.5, -3, 4]);
    expect(parseEdnValue('"a\\tb\\u00e9\\""')).toBe('a\tbé"');
  });

  it('names the line and column of every syntax error', () => {
    expect(syntaxError('[{:a 1}\n {:b 2}')).toEqual({ message: 'expected `]` to close the vector opened at line 1, column 1', line: 2, col: 8 });
    expect(syntaxError('[{:a 1]\n]')).toMatchObject({ message: 'expected `}` to close the map opened at line 1, column 2, found `]`', line: 1, col: 7 });
    expect(syntaxError('{:a 1}}')).toMatchObject({ message: 'unexpected `}` with nothing open to close', line: 1, col: 7 });
    expect(syntaxError('[{:a 1 :b}]')).toMatchObject({ message: 'the map key :b has no value', line: 1, col: 8 });
    expect(syntaxError('[\n  {:a "x\\q"}]')).toMatchObject({ message: 'unknown escape `\\q` in a string', line: 2, col: 9 });
    expect(syntaxError('[{:a "never closed}]\n')).toMatchObject({ message: 'expected `"` to close the string', line: 1, col: 6 });
    expect(syntaxError('[1x]')).toMatchObject({ message: '`1x` is not a number', line: 1, col: 2 });
    expect(syntaxError('[: ]')).toMatchObject({ message: 'expected a keyword name after `:`', line: 1, col: 2 });
  });

  it('after a top-level vector only whitespace and comments may follow', () => {
    const r = new EdnReader('[1] ; fine\n 2');
    expect(r.enterTopLevel()).toBe('collection');
    expect(r.nextElement()).toBe(1);
    let err: unknown;
    try {
      r.nextElement();
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ message: 'expected the end of the file after the top-level collection', line: 2, col: 2 });
    // Without enterTopLevel, the top-level forms are the elements.
    expect(readAll('[1] 2')).toEqual([[1], 2]);
  });

  it('bounds nesting instead of overflowing the stack', () => {
    const deep = '['.repeat(MAX_NESTING_DEPTH + 5) + ']'.repeat(MAX_NESTING_DEPTH + 5);
    expect(syntaxError(deep).message).toBe(`collections nested deeper than ${MAX_NESTING_DEPTH}`);
    const ok = '['.repeat(MAX_NESTING_DEPTH - 1) + ']'.repeat(MAX_NESTING_DEPTH - 1);
    expect(() => parseEdnValue(ok)).not.toThrow();
  });
});
