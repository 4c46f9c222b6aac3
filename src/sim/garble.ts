// Garbling: the `garble` network fault delivers a copy of a message with one value replaced by a
// value of another type, as a buggy or hostile peer (or a broken frame that still parses) would
// send over TCP. Every receiver must check a payload's shape before acting on it and drop what
// fails (the store counts such drops as `malformed`), so a garbled message is at worst a lost
// one; a receiver that acts on it — throws, or believes a field of the wrong type — is a found bug.
//
// Only the *type* of a value changes, never a value within its type: a term of 3 read as 4 is
// not malformed, no validator could refuse it, and real transports catch it with checksums. The
// replacement is drawn from values of other types, never null (many fields are "T or null", and
// null there is well formed): a number becomes a string, boolean, object or array; a string a
// number, boolean, object or array; a boolean a string, number or object; null an object or an
// array; an array a number, string, object or an object with its length; an object a string,
// number or array. The payload is copied first (senders keep their own objects, and the
// simulation hands payloads by reference); values other than plain objects and arrays are
// leaves. The value garbled is chosen uniformly among every value under the payload (the payload
// itself is not garbled: a payload of the wrong type is the easy case).

/** The random draws a garbling needs (the link's stream). */
export interface GarbleRandom {
  int(n: number): number;
}

export interface Garbled {
  payload: unknown;
  /** Where the value was replaced, e.g. `msgs.0.entries` (dot-separated keys and indexes). */
  path: string;
}

const isPlainObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x) && Object.getPrototypeOf(x) === Object.prototype;

/** Values of another type than `x`'s (see the top comment), to draw the replacement from. */
export function wrongTypes(x: unknown): unknown[] {
  if (typeof x === 'number') return ['garbled', true, {}, []];
  if (typeof x === 'string') return [7_777_777, false, {}, []];
  if (typeof x === 'boolean') return ['garbled', 1, {}];
  if (x === null) return [{}, []];
  if (Array.isArray(x)) return [7_777_777, 'garbled', {}, { length: x.length }];
  return ['garbled', 7_777_777, []];
}

/** A copy of plain objects and arrays (leaves are shared: they are immutable or not descended). */
function copy(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(copy);
  if (isPlainObject(x)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(x)) out[k] = copy(x[k]);
    return out;
  }
  return x;
}

/** A string that holds a JSON object or array (a command inside a log entry, a snapshot): its value. */
function nestedJson(x: unknown): unknown {
  if (typeof x !== 'string' || (x[0] !== '{' && x[0] !== '[')) return undefined;
  try {
    const v: unknown = JSON.parse(x);
    return typeof v === 'object' && v !== null ? v : undefined;
  } catch {
    return undefined;
  }
}

interface Place {
  parent: Record<string, unknown> | unknown[];
  key: string | number;
  path: string;
  /** The string holds JSON: garble inside it (and write it back as JSON) rather than its type. */
  nested: boolean;
}

/** Every garblable place under `root`: its container and key, in a fixed order (keys in insertion order). */
function places(root: unknown): Place[] {
  const out: Place[] = [];
  const walk = (x: unknown, prefix: string): void => {
    if (Array.isArray(x)) {
      x.forEach((v, i) => {
        out.push({ parent: x, key: i, path: `${prefix}${i}`, nested: false });
        walk(v, `${prefix}${i}.`);
      });
    } else if (isPlainObject(x)) {
      for (const k of Object.keys(x)) {
        const v = x[k];
        if (v === undefined) continue; // an absent optional field: nothing to garble
        out.push({ parent: x, key: k, path: `${prefix}${k}`, nested: false });
        if (nestedJson(v) !== undefined) out.push({ parent: x, key: k, path: `${prefix}${k}>`, nested: true });
        walk(v, `${prefix}${k}.`);
      }
    }
  };
  walk(root, '');
  return out;
}

/**
 * A garbled copy of `payload`, or null when it holds no value to garble (a bare primitive or `{}`).
 * A string holding a JSON object or array (the store's commands and snapshots travel so) is a
 * place of its own too: garbled inside, then written back as JSON (path `data>key`).
 */
export function garble(payload: unknown, random: GarbleRandom): Garbled | null {
  const root = copy(payload);
  const all = places(root);
  if (all.length === 0) return null;
  const p = all[random.int(all.length)]!;
  const parent = p.parent as Record<string | number, unknown>;
  if (p.nested) {
    const inner = garble(nestedJson(parent[p.key]), random);
    if (inner === null) return null; // `{}` or `[]` inside: nothing to garble there
    parent[p.key] = JSON.stringify(inner.payload);
    return { payload: root, path: `${p.path}${inner.path}` };
  }
  const choices = wrongTypes(parent[p.key]);
  parent[p.key] = choices[random.int(choices.length)];
  return { payload: root, path: p.path };
}
