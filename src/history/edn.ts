// A reader for EDN (github.com/edn-format/edn), the text format of Jepsen's history.edn.
//
// Why our own and not the npm package edn-data (1.2.2, the version ECOSYSTEM.md lists): measured
// on the project's 2-core machine, edn-data's `parseEDNString(text, {mapAs: 'object',
// keywordAs: 'string'})` needs 10–12 s for a 100 MB history before any conversion (target: at
// most 10 s for the whole load), keeps the whole parsed vector in memory (540 MB RSS), and has
// no positions: an unclosed vector returns null, a mismatched `]` returns a wrong value, a stray
// `]` throws a TypeError, and a map with a missing value silently drops the key. This reader
// does about 2 s per 100 MB (bench section `checker`), hands out one top-level element at a
// time (memory follows the records kept, not the text), and every error names its line and
// column. test/history/edn.test.ts checks it against edn-data on the Knossos files and on
// random EDN values.
//
// Values: nil -> null; true/false; integers and floats -> number (a ratio 1/2 too; `N` and `M`
// suffixes are dropped: Jepsen's values fit doubles); strings; keywords and symbols -> interned
// `EdnKeyword` / `EdnSymbol` (so `map.get(kw(':type'))` works by identity); vectors and lists ->
// arrays; maps -> Map (keys compared by identity for composite keys); sets -> `EdnSet`; `#tag
// value` -> `EdnTagged`; characters -> `EdnChar`; `#_ form` is discarded and `;` starts a comment.
import { AssertionError } from '../base/assert.js';

export class EdnKeyword {
  constructor(readonly name: string) {}
  toString(): string {
    return ':' + this.name;
  }
}

export class EdnSymbol {
  constructor(readonly name: string) {}
  toString(): string {
    return this.name;
  }
}

export class EdnSet {
  constructor(readonly items: EdnValue[]) {}
}

export class EdnTagged {
  constructor(
    readonly tag: string,
    readonly value: EdnValue,
  ) {}
}

export class EdnChar {
  constructor(readonly char: string) {}
}

export type EdnValue = null | boolean | number | string | EdnKeyword | EdnSymbol | EdnChar | EdnSet | EdnTagged | EdnValue[] | EdnMap;
export interface EdnMap extends Map<EdnValue, EdnValue> {}

/** A syntax error at a place in the text (1-based line and column). */
export class EdnSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly col: number,
  ) {
    super(message);
    this.name = 'EdnSyntaxError';
  }
}

/** Deepest nesting of collections accepted (the reader recurses once per level). */
export const MAX_NESTING_DEPTH = 512;

// Character codes.
const SPACE = 32;
const TAB = 9;
const LF = 10;
const CR = 13;
const COMMA = 44;
const FF = 12;
const SEMI = 59;
const QUOTE = 34;
const BACKSLASH = 92;
const HASH = 35;
const COLON = 58;
const UNDERSCORE = 95;
const OPEN = { paren: 40, bracket: 91, brace: 123 } as const;
const CLOSE = { paren: 41, bracket: 93, brace: 125 } as const;

/** Delimiters end a token (symbol, keyword, number, character). */
const DELIMITER = new Uint8Array(128);
for (const c of [SPACE, TAB, LF, CR, COMMA, FF, SEMI, QUOTE, OPEN.paren, OPEN.bracket, OPEN.brace, CLOSE.paren, CLOSE.bracket, CLOSE.brace]) DELIMITER[c] = 1;

const INT = /^[-+]?\d+N?$/;
const FLOAT = /^[-+]?\d+(\.\d*)?([eE][-+]?\d+)?M?$/;
const RATIO = /^[-+]?\d+\/\d+$/;
const STRING_ESCAPES: Record<string, string> = { t: '\t', r: '\r', n: '\n', b: '\b', f: '\f', '\\': '\\', '"': '"' };
const NAMED_CHARS: Record<string, string> = { newline: '\n', return: '\r', space: ' ', tab: '\t', formfeed: '\f', backspace: '\b' };

/**
 * Reads EDN forms from a text, one at a time. `readForm` reads the next form anywhere;
 * `enterTopLevel` / `nextElement` walk the elements of a top-level vector or list, or the
 * top-level forms themselves, so a caller never holds more than one element.
 */
export class EdnReader {
  private pos = 0;
  private line = 1;
  /** Offset of the current line's first character (for columns). */
  private lineStart = 0;
  private readonly keywords = new Map<string, EdnKeyword>();
  private readonly symbols = new Map<string, EdnSymbol>();
  /** Set by enterTopLevel: the closing character of the top-level collection, or -1. */
  private topClose = -1;
  private topOpenLine = 0;
  private topOpenCol = 0;
  private topDone = false;
  /** Where the last element returned by nextElement started. */
  lastLine = 1;
  lastCol = 1;

  constructor(private readonly text: string) {}

  keyword(name: string): EdnKeyword {
    let k = this.keywords.get(name);
    if (k === undefined) {
      k = new EdnKeyword(name);
      this.keywords.set(name, k);
    }
    return k;
  }

  /**
   * Starts walking the top level: if the first form opens a vector or list, its elements are
   * the elements; otherwise every top-level form is. Returns which.
   */
  enterTopLevel(): 'collection' | 'forms' {
    this.skipSpace();
    const c = this.text.charCodeAt(this.pos);
    if (c === OPEN.bracket || c === OPEN.paren) {
      this.topOpenLine = this.line;
      this.topOpenCol = this.col();
      this.topClose = c === OPEN.bracket ? CLOSE.bracket : CLOSE.paren;
      this.pos++;
      return 'collection';
    }
    this.topClose = -1;
    return 'forms';
  }

  /** The next top-level element, or undefined at the end. */
  nextElement(): EdnValue | undefined {
    if (this.topDone) return undefined;
    this.skipSpace();
    if (this.topClose !== -1) {
      if (this.pos >= this.text.length) throw this.error(`expected \`${String.fromCharCode(this.topClose)}\` to close the ${this.topClose === CLOSE.bracket ? 'vector' : 'list'} opened at line ${this.topOpenLine}, column ${this.topOpenCol}`);
      if (this.text.charCodeAt(this.pos) === this.topClose) {
        this.pos++;
        this.topDone = true;
        this.skipSpace();
        if (this.pos < this.text.length) throw this.error('expected the end of the file after the top-level collection');
        return undefined;
      }
    } else if (this.pos >= this.text.length) {
      this.topDone = true;
      return undefined;
    }
    this.lastLine = this.line;
    this.lastCol = this.col();
    return this.readForm(0);
  }

  /** True once only whitespace and comments remain. */
  atEnd(): boolean {
    this.skipSpace();
    return this.pos >= this.text.length;
  }

  /** Reads one form (after whitespace). Throws EdnSyntaxError. */
  readForm(depth: number): EdnValue {
    this.skipSpace(depth);
    if (this.pos >= this.text.length) throw this.error('expected a value, found the end of the file');
    const c = this.text.charCodeAt(this.pos);
    switch (c) {
      case OPEN.brace:
        return this.readMap(depth);
      case OPEN.bracket:
        return this.readSeq(depth, CLOSE.bracket, 'vector');
      case OPEN.paren:
        return this.readSeq(depth, CLOSE.paren, 'list');
      case QUOTE:
        return this.readString();
      case HASH:
        return this.readDispatch(depth);
      case CLOSE.brace:
      case CLOSE.bracket:
      case CLOSE.paren:
        throw this.error(`unexpected \`${String.fromCharCode(c)}\` with nothing open to close`);
      case BACKSLASH:
        return this.readChar();
      case COLON: {
        const t = this.readToken();
        if (t.length < 2) throw this.error('expected a keyword name after `:`', -t.length);
        return this.keyword(t.slice(1));
      }
      default:
        return this.readAtom();
    }
  }

  private readMap(depth: number): EdnMap {
    if (depth >= MAX_NESTING_DEPTH) throw this.error(`collections nested deeper than ${MAX_NESTING_DEPTH}`);
    const openLine = this.line;
    const openCol = this.col();
    this.pos++;
    const map: EdnMap = new Map<EdnValue, EdnValue>();
    for (;;) {
      this.skipSpace();
      if (this.pos >= this.text.length) throw this.error(`expected \`}\` to close the map opened at line ${openLine}, column ${openCol}`);
      const c = this.text.charCodeAt(this.pos);
      if (c === CLOSE.brace) {
        this.pos++;
        return map;
      }
      if (c === CLOSE.bracket || c === CLOSE.paren) throw this.error(`expected \`}\` to close the map opened at line ${openLine}, column ${openCol}, found \`${String.fromCharCode(c)}\``);
      const keyLine = this.line;
      const keyCol = this.col();
      const key = this.readForm(depth + 1);
      this.skipSpace(depth);
      const next = this.text.charCodeAt(this.pos);
      if (this.pos >= this.text.length || next === CLOSE.brace || next === CLOSE.bracket || next === CLOSE.paren) throw new EdnSyntaxError(`the map key ${describeKey(key)} has no value`, keyLine, keyCol);
      map.set(key, this.readForm(depth + 1));
    }
  }

  private readSeq(depth: number, close: number, what: string): EdnValue[] {
    if (depth >= MAX_NESTING_DEPTH) throw this.error(`collections nested deeper than ${MAX_NESTING_DEPTH}`);
    const openLine = this.line;
    const openCol = this.col();
    this.pos++;
    const out: EdnValue[] = [];
    for (;;) {
      this.skipSpace();
      if (this.pos >= this.text.length) throw this.error(`expected \`${String.fromCharCode(close)}\` to close the ${what} opened at line ${openLine}, column ${openCol}`);
      const c = this.text.charCodeAt(this.pos);
      if (c === close) {
        this.pos++;
        return out;
      }
      if (c === CLOSE.brace || c === CLOSE.bracket || c === CLOSE.paren) throw this.error(`expected \`${String.fromCharCode(close)}\` to close the ${what} opened at line ${openLine}, column ${openCol}, found \`${String.fromCharCode(c)}\``);
      out.push(this.readForm(depth + 1));
    }
  }

  private readString(): string {
    const text = this.text;
    const startLine = this.line;
    const startCol = this.col();
    let i = this.pos + 1;
    let out = '';
    // Next quote and backslash at or after i; recomputed only once passed.
    let q = text.indexOf('"', i);
    let b = text.indexOf('\\', i);
    for (;;) {
      if (q !== -1 && q < i) q = text.indexOf('"', i);
      if (b !== -1 && b < i) b = text.indexOf('\\', i);
      if (q === -1) {
        this.pos = text.length;
        throw new EdnSyntaxError('expected `"` to close the string', startLine, startCol);
      }
      if (b === -1 || q < b) {
        out += text.slice(i, q);
        this.advanceLines(this.pos, q + 1);
        this.pos = q + 1;
        return out;
      }
      out += text.slice(i, b);
      const e = text[b + 1];
      if (e === 'u') {
        const hex = text.slice(b + 2, b + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw this.errorAt(b, 'expected four hex digits after `\\u`');
        out += String.fromCharCode(parseInt(hex, 16));
        i = b + 6;
        continue;
      }
      const esc = e === undefined ? undefined : STRING_ESCAPES[e];
      if (esc === undefined) throw this.errorAt(b, `unknown escape \`\\${e ?? ''}\` in a string`);
      out += esc;
      i = b + 2;
    }
  }

  /** An error at text offset `at` inside the current form (moves the position there). */
  private errorAt(at: number, message: string): EdnSyntaxError {
    this.advanceLines(this.pos, at);
    this.pos = at;
    return this.error(message);
  }

  private readDispatch(depth: number): EdnValue {
    const next = this.text.charCodeAt(this.pos + 1);
    if (next === OPEN.brace) {
      this.pos++;
      const items = this.readSeq(depth, CLOSE.brace, 'set');
      return new EdnSet(items);
    }
    if (next === UNDERSCORE) throw new AssertionError('`#_` reaches readDispatch only past skipSpace');
    this.pos++;
    const tag = this.readToken();
    if (tag === '' || !/^[A-Za-z]/.test(tag)) throw this.error('expected a tag name after `#`', -tag.length - 1);
    const value = this.readForm(depth + 1);
    return new EdnTagged(tag, value);
  }

  private readChar(): EdnChar {
    this.pos++;
    // The character right after `\` is taken even if it is a delimiter (`\(`, `\ `).
    const first = this.text[this.pos];
    if (first === undefined) throw this.error('expected a character after `\\`');
    this.pos++;
    const rest = this.readToken();
    const name = first + rest;
    if (name.length === 1) return new EdnChar(name);
    const named = NAMED_CHARS[name];
    if (named !== undefined) return new EdnChar(named);
    if (/^u[0-9a-fA-F]{4}$/.test(name)) return new EdnChar(String.fromCharCode(parseInt(name.slice(1), 16)));
    throw this.error(`unknown character \`\\${name}\``, -name.length - 1);
  }

  private readAtom(): EdnValue {
    const t = this.readToken();
    if (t === '') throw this.error(`unexpected \`${this.text[this.pos]}\``);
    const c = t.charCodeAt(0);
    const numeric = (c >= 48 && c <= 57) || ((c === 43 || c === 45) && t.length > 1 && t.charCodeAt(1) >= 48 && t.charCodeAt(1) <= 57);
    if (numeric) {
      if (INT.test(t)) return Number(t.endsWith('N') ? t.slice(0, -1) : t);
      if (FLOAT.test(t)) return Number(t.endsWith('M') ? t.slice(0, -1) : t);
      if (RATIO.test(t)) {
        const [a, b] = t.split('/');
        return Number(a) / Number(b);
      }
      throw this.error(`\`${t}\` is not a number`, -t.length);
    }
    if (t === 'nil') return null;
    if (t === 'true') return true;
    if (t === 'false') return false;
    let s = this.symbols.get(t);
    if (s === undefined) {
      s = new EdnSymbol(t);
      this.symbols.set(t, s);
    }
    return s;
  }

  /** Reads up to the next delimiter (tokens never span lines). */
  private readToken(): string {
    const text = this.text;
    const start = this.pos;
    let i = start;
    const n = text.length;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c < 128 && DELIMITER[c] === 1) break;
      i++;
    }
    this.pos = i;
    return text.slice(start, i);
  }

  /** Skips whitespace, comments and discarded forms (`#_ form`). */
  private skipSpace(depth = 0): void {
    for (;;) {
      this.skipBlank();
      if (this.text.charCodeAt(this.pos) !== HASH || this.text.charCodeAt(this.pos + 1) !== UNDERSCORE) return;
      this.pos += 2;
      this.readForm(depth + 1);
    }
  }

  private skipBlank(): void {
    const text = this.text;
    const n = text.length;
    let i = this.pos;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === SPACE || c === COMMA || c === TAB || c === CR || c === FF) i++;
      else if (c === LF) {
        i++;
        this.line++;
        this.lineStart = i;
      } else if (c === SEMI) {
        const nl = text.indexOf('\n', i);
        i = nl === -1 ? n : nl;
      } else break;
    }
    this.pos = i;
  }

  /** Counts the newlines in text[from, to) (strings may span lines). */
  private advanceLines(from: number, to: number): void {
    for (let i = this.text.indexOf('\n', from); i !== -1 && i < to; i = this.text.indexOf('\n', i + 1)) {
      this.line++;
      this.lineStart = i + 1;
    }
  }

  private col(): number {
    return this.pos - this.lineStart + 1;
  }

  /** An error at the current position, or `shift` characters before it (same line). */
  private error(message: string, shift = 0): EdnSyntaxError {
    return new EdnSyntaxError(message, this.line, Math.max(1, this.col() + shift));
  }
}

function describeKey(k: EdnValue): string {
  if (k instanceof EdnKeyword) return `:${k.name}`;
  if (typeof k === 'string') return JSON.stringify(k);
  if (typeof k === 'number' || typeof k === 'boolean' || k === null) return String(k);
  return 'shown here';
}

/** Parses a text holding exactly one EDN form. */
export function parseEdnValue(text: string): EdnValue {
  const r = new EdnReader(text);
  const v = r.readForm(0);
  if (!r.atEnd()) throw new EdnSyntaxError('expected one EDN value, found more', 1, 1);
  return v;
}
