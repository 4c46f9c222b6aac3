import { describe, expect, it } from 'vitest';
import { garble, wrongTypes } from '../../src/sim/garble.js';
import { SeededRng } from '../../src/sim/random.js';
import { parseRaftMessage } from '../../src/raft/validate.js';
import { isClientReply, isClientRequest, isCommandData } from '../../src/store/protocol.js';

const typeOf = (x: unknown) => (x === null ? 'null' : Array.isArray(x) ? 'array' : typeof x);
const randomOf = (key: string) => {
  const rng = new SeededRng(key);
  return { int: (n: number) => rng.int(0, n - 1) };
};

describe('garble', () => {
  it('gives every kind of value another type, never null', () => {
    for (const x of [0, 3.5, '', 'n1', true, false, null, [], [1, 2], {}, { a: 1 }]) {
      const choices = wrongTypes(x);
      expect(choices.length).toBeGreaterThan(1);
      for (const y of choices) {
        expect(typeOf(y), JSON.stringify(x)).not.toBe(typeOf(x));
        expect(y).not.toBeNull();
      }
    }
  });

  it('changes exactly one value of a copy, names where, and leaves the original alone', () => {
    const original = { kind: 'raft', msg: { group: 2, term: 5, entries: [{ index: 1, term: 5, data: 'x' }], leader: null } };
    const before = JSON.stringify(original);
    const paths = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const g = garble(original, randomOf(`g${i}`))!;
      expect(JSON.stringify(original)).toBe(before);
      paths.add(g.path);
      // Walk to the garbled place: its type differs; every other leaf is as it was.
      const keys = g.path.split('.');
      let a: unknown = original;
      let b: unknown = g.payload;
      for (const k of keys) {
        a = (a as Record<string, unknown>)[k];
        b = (b as Record<string, unknown>)[k];
      }
      expect(typeOf(b), g.path).not.toBe(typeOf(a));
    }
    // Every value under the payload can be the one (10 places here), the payload itself never.
    expect([...paths].sort()).toEqual(['kind', 'msg', 'msg.entries', 'msg.entries.0', 'msg.entries.0.data', 'msg.entries.0.index', 'msg.entries.0.term', 'msg.group', 'msg.leader', 'msg.term']);
  });

  it('garbles inside a string that holds JSON (a command in a log entry), and writes it back as JSON', () => {
    const data = JSON.stringify({ type: 'put', opId: 4, key: 'k1', value: 'v1' });
    expect(isCommandData(data)).toBe(true);
    const inside = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const g = garble({ data }, randomOf(`n${i}`))!;
      const out = (g.payload as { data: unknown }).data;
      if (!g.path.startsWith('data>')) continue;
      inside.add(g.path);
      expect(typeof out).toBe('string');
      expect(isCommandData(out as string), g.path).toBe(false);
    }
    expect([...inside].sort()).toEqual(['data>key', 'data>opId', 'data>type', 'data>value']);
  });

  it('is a pure function of the random draws, and has nothing to garble in a bare value', () => {
    const p = { a: [1, 'b', { c: true }] };
    expect(garble(p, randomOf('same'))).toEqual(garble(p, randomOf('same')));
    expect(garble(7, randomOf('x'))).toBeNull();
    expect(garble({}, randomOf('x'))).toBeNull();
    expect(garble({ a: undefined }, randomOf('x'))).toBeNull();
  });

  it('our validators refuse every garbling of real messages', () => {
    const append = {
      group: 1, from: 'n1#0', to: 'n2#0', term: 3, type: 'append', prevIndex: 4, prevTerm: 2, commit: 4,
      entries: [{ index: 5, term: 3, kind: 'normal', data: 'put' }],
    };
    expect(parseRaftMessage(append)).not.toBeNull();
    const request = { kind: 'req', reqId: 7, opId: 9, shard: 2, op: 'put', key: 'k1', value: 'v1', level: 'linearizable' };
    const reply = { kind: 'reply', reqId: 7, status: 'ok', value: null, index: 12, leaderHint: 'n2#0' };
    expect(isClientRequest(request)).toBe(true);
    expect(isClientReply(reply)).toBe(true);
    for (let i = 0; i < 300; i++) {
      const r = randomOf(`v${i}`);
      const g = [garble(append, r)!, garble(request, r)!, garble(reply, r)!];
      expect(parseRaftMessage(g[0]!.payload), g[0]!.path).toBeNull();
      expect(isClientRequest(g[1]!.payload), g[1]!.path).toBe(false);
      expect(isClientReply(g[2]!.payload), g[2]!.path).toBe(false);
    }
  });
});
