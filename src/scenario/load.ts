// Loads a scenario file: YAML (keeping positions) → zod (strict) → a typed Scenario.
// Every failure becomes a UserError with one line: `file:line:col: path: what was expected`.
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isMap, isSeq, isNode, visit, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { UserError, locate } from '../base/errors.js';
import { scenarioSchema, type Scenario } from './schema.js';

export interface LoadedScenario {
  file: string;
  text: string;
  scenario: Scenario;
  /** Line/column of each expectation key, so a bad expectation can be reported in place. */
  expectPositions: Map<string, { line: number; col: number }>;
}

export function loadScenarioFile(file: string): LoadedScenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, expected a scenario file' : `cannot read (${code ?? 'error'})`;
    throw new UserError(`${file}: ${why}`);
  }
  return parseScenarioText(file, text);
}

export function parseScenarioText(file: string, text: string): LoadedScenario {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const firstError = doc.errors[0];
  if (firstError !== undefined) {
    const pos = lineCounter.linePos(firstError.pos[0]);
    const what = firstError.code === 'DUPLICATE_KEY' ? 'duplicate key' : `invalid YAML (${firstError.message.split('\n')[0]})`;
    throw new UserError(locate(file, what, { line: pos.line, col: pos.col }));
  }
  const raw = documentValue(file, doc, lineCounter);
  if (raw === null || raw === undefined) {
    throw new UserError(locate(file, 'empty file: expected a scenario (a mapping with duration and cluster)', { line: 1, col: 1 }));
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new UserError(locate(file, 'expected a mapping at the top level (duration, cluster, faults, ...)', { line: 1, col: 1 }));
  }
  const parsed = scenarioSchema.safeParse(raw);
  if (!parsed.success) {
    // A typo explains the rest: `machine: 2` also leaves `machines` missing, and the unknown key
    // is the line to show.
    const issues = parsed.error.issues;
    throw new UserError(describeIssue(file, doc, lineCounter, issues.find((i) => i.code === 'unrecognized_keys') ?? issues[0]!));
  }
  const expectPositions = new Map<string, { line: number; col: number }>();
  const expectNode = doc.get('expect', true);
  if (isMap(expectNode)) {
    for (const pair of expectNode.items) {
      if (isNode(pair.key) && pair.key.range) {
        expectPositions.set(String((pair.key as { value?: unknown }).value), lineCounter.linePos(pair.key.range[0]));
      }
    }
  }
  return { file, text, scenario: parsed.data, expectPositions };
}

/** Bound on alias expansions while turning the document into values (a "billion laughs" guard). */
const ALIASES_MAX = 100;

/**
 * The document as plain values. The YAML library guards itself against documents that expand
 * without bound (aliases of aliases) by throwing; that is bad input, reported at the first alias.
 */
function documentValue(file: string, doc: Document, lineCounter: LineCounter): unknown {
  try {
    return doc.toJS({ maxAliasCount: ALIASES_MAX });
  } catch (err) {
    if (!(err instanceof Error)) throw err;
    let at = { line: 1, col: 1 };
    visit(doc, {
      Alias(_key, node) {
        if (node.range) at = lineCounter.linePos(node.range[0]);
        return visit.BREAK;
      },
    });
    const why = /alias/i.test(err.message) ? `aliases expand beyond ${ALIASES_MAX} copies (${err.message})` : err.message;
    throw new UserError(locate(file, `invalid YAML: ${why}; expected a scenario without runaway aliases`, at));
  }
}

type Issue = z.core.$ZodIssue;

function pathText(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

function describeIssue(file: string, doc: Document, lineCounter: LineCounter, issue: Issue): string {
  let path = [...issue.path];
  let message = issue.message;
  let node = nodeAt(doc, path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const key = issue.keys[0]!;
      const known = knownKeysAt(scenarioSchema, path);
      const near = known.length > 0 ? nearest(key, known) : undefined;
      message = `unknown key "${key}"${near !== undefined ? ` (did you mean "${near}"?)` : ''}${known.length > 0 ? `; expected one of ${known.join(', ')}` : ''}`;
      if (isMap(node)) {
        const pair = node.items.find((p) => isNode(p.key) && (p.key as { value?: unknown }).value === key);
        if (pair && isNode(pair.key)) node = pair.key;
      }
      path = [...path, key];
      break;
    }
    case 'invalid_type': {
      const got = describeValue(valueAt(doc, path));
      message = got === 'missing' ? `missing; expected ${issue.expected}` : `expected ${issue.expected}, got ${got}`;
      if (got === 'missing') node = nodeAt(doc, path.slice(0, -1));
      break;
    }
    case 'invalid_union': {
      if (describeValue(valueAt(doc, path)) === 'missing') {
        message = 'missing; this key is required';
        node = nodeAt(doc, path.slice(0, -1));
        break;
      }
      // The alternative the value was meant for is the first whose complaint is not about the
      // value's own type (a mapping given to `number | { rate, messages }` meant the mapping):
      // its first complaint is described like any other, at its full path.
      const meant = issue.errors.find((branch) => branch.length > 0 && !branch.some(isTypeMismatch));
      if (meant !== undefined) return describeIssue(file, doc, lineCounter, { ...meant[0]!, path: [...path, ...meant[0]!.path] } as Issue);
      // None: the value has a type no alternative takes.
      if (isTypeMismatch({ ...issue, path: [] })) {
        message = `expected ${[...new Set(typesExpected(issue))].join(' or ')}, got ${describeValue(valueAt(doc, path))}`;
        break;
      }
      // Report the most specific alternative's complaint rather than "Invalid input".
      const inner = issue.errors.flat().find((e) => e.code !== 'invalid_type') ?? issue.errors.flat()[0];
      if (inner !== undefined) message = inner.message;
      break;
    }
    case 'invalid_key': {
      // A record's key (a region or zone name) failed its own check: say which key, and why.
      const key = path[path.length - 1];
      message = `${issue.issues[0]?.message ?? 'invalid key'}, got ${JSON.stringify(key)}`;
      break;
    }
    case 'too_small':
    case 'too_big':
      message = `${issue.message.replace(/^Too (small|big): /, '')}`;
      break;
    default:
      break;
  }
  const where = node && node.range ? lineCounter.linePos(node.range[0]) : { line: 1, col: 1 };
  return locate(file, message, { line: where.line, col: where.col, path: pathText(path) || '(top)' });
}

/** An issue about the value's own type: a wrong type, or a union none of whose alternatives takes the type. */
function isTypeMismatch(e: Issue): boolean {
  if (e.path.length !== 0) return false;
  if (e.code === 'invalid_type') return true;
  return e.code === 'invalid_union' && e.errors.length > 0 && e.errors.every((branch) => branch.some(isTypeMismatch));
}

/** The types a type mismatch names (every alternative's, for a union). */
function typesExpected(e: Issue): string[] {
  if (e.code === 'invalid_type') return [e.expected];
  if (e.code === 'invalid_union') return e.errors.flatMap((branch) => branch.filter(isTypeMismatch).flatMap(typesExpected));
  return [];
}

function nodeAt(doc: Document, path: readonly PropertyKey[]): Node | undefined {
  let best: Node | undefined = doc.contents ?? undefined;
  for (let i = 1; i <= path.length; i++) {
    const node = doc.getIn(path.slice(0, i) as (string | number)[], true);
    if (isNode(node)) best = node;
    else break;
  }
  return best;
}

function valueAt(doc: Document, path: readonly PropertyKey[]): unknown {
  const parentPath = path.slice(0, -1) as (string | number)[];
  const parent = parentPath.length === 0 ? doc.contents : doc.getIn(parentPath, true);
  const last = path[path.length - 1];
  if (last === undefined) return doc.toJS();
  if ((isMap(parent) || isSeq(parent)) && parent.has(last)) return doc.getIn([...parentPath, last as string | number]);
  return MISSING;
}

const MISSING = Symbol('missing');

function describeValue(value: unknown): string {
  if (value === MISSING) return 'missing';
  if (value === null) return 'null';
  if (Array.isArray(value) || isSeq(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `"${value}"`;
  return String(value);
}

/** The keys an object schema allows at a path (walking optional, array, pipe, union wrappers). */
function knownKeysAt(schema: unknown, path: readonly PropertyKey[]): string[] {
  let node = unwrap(schema);
  for (const part of path) {
    if (node === undefined) return [];
    const def = node._zod.def;
    if (def.type === 'object' && typeof part === 'string') node = unwrap(def.shape?.[part]);
    else if (def.type === 'array' && typeof part === 'number') node = unwrap(def.element);
    else if (def.type === 'record') node = unwrap(def.valueType);
    else return [];
  }
  if (node === undefined) return [];
  const def = node._zod.def;
  // A record keyed by an enum (e.g. workload.levels) accepts exactly the enum's values.
  if (def.type === 'record') return Object.keys((def.keyType as SchemaNode | undefined)?._zod.def.entries ?? {});
  if (def.type !== 'object') return [];
  return Object.keys(def.shape ?? {});
}

interface SchemaNode {
  _zod: {
    def: {
      type: string;
      shape?: Record<string, unknown>;
      element?: unknown;
      keyType?: unknown;
      valueType?: unknown;
      innerType?: unknown;
      in?: unknown;
      options?: unknown[];
      entries?: Record<string, unknown>;
    };
  };
}

function unwrap(schema: unknown): SchemaNode | undefined {
  let node = schema as SchemaNode | undefined;
  for (let depth = 0; node !== undefined && depth < 20; depth++) {
    const def = node._zod.def;
    if (def.type === 'optional' || def.type === 'nullable' || def.type === 'default') node = def.innerType as SchemaNode;
    else if (def.type === 'pipe') node = def.in as SchemaNode;
    else if (def.type === 'union') {
      // An object alternative, if any, is what a mapping in the file was meant to be.
      node = (def.options ?? []).map((o) => unwrap(o)).find((o) => o?._zod.def.type === 'object');
    } else return node;
  }
  return node;
}

/** The known key closest to a typo, if it is close enough to be a plausible intent. */
function nearest(typo: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = editDistance(typo.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(typo.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    prev = row;
  }
  return prev[b.length]!;
}
