// Small builders and a brute-force checker for linearizability tests.
import type { OpRecord } from '../../src/history/op.js';
import { modelFor, toLinOps } from '../../src/check/linearizability.js';

let nextId = 0;
type Partial = Omit<OpRecord, 'id' | 'key' | 'outcome'> & { key?: string; outcome?: OpRecord['outcome'] };
export function op(p: Partial): OpRecord {
  const r: OpRecord = { id: nextId++, key: p.key ?? 'k', outcome: p.outcome ?? 'ok', ...p } as OpRecord;
  if (r.outcome === undefined) r.outcome = 'ok';
  return r;
}
export const put = (client: number, value: string, invokeUs: number, completeUs: number | null, outcome: OpRecord['outcome'] = 'ok'): OpRecord =>
  op({ client, op: 'put', value, invokeUs, completeUs, outcome });
export const get = (client: number, value: string | null, invokeUs: number, completeUs: number): OpRecord =>
  op({ client, op: 'get', value, invokeUs, completeUs });
export const cas = (client: number, expect: string | null, value: string, invokeUs: number, completeUs: number | null, outcome: OpRecord['outcome'] = 'ok'): OpRecord =>
  op({ client, op: 'cas', expect, value, invokeUs, completeUs, outcome });
export const append = (client: number, value: string, invokeUs: number, completeUs: number | null, outcome: OpRecord['outcome'] = 'ok'): OpRecord =>
  op({ client, op: 'append', value, invokeUs, completeUs, outcome });

/**
 * Tries every order of every subset containing all required operations (optional ones may be
 * left out), per key. Only for a handful of operations.
 */
export function bruteForceLinearizable(records: readonly OpRecord[], missingValue: string | null = null): boolean {
  const model = modelFor({ model: 'kv', missingValue });
  const all = toLinOps(records);
  const keys = [...new Set(all.map((o) => o.input.key))];
  return keys.every((k) => {
    const ops = all.filter((o) => o.input.key === k);
    const used = new Array<boolean>(ops.length).fill(false);
    const end = (i: number): number => (ops[i]!.optional || ops[i]!.completeUs === null ? Infinity : ops[i]!.completeUs!);
    const rec = (state: string | null, count: number): boolean => {
      // Done if every required op is placed.
      if (ops.every((o, i) => used[i] || o.optional)) return true;
      for (let i = 0; i < ops.length; i++) {
        if (used[i]) continue;
        // i may go next only if no unplaced op finished before i was invoked.
        let ok = true;
        for (let j = 0; j < ops.length; j++) if (!used[j] && j !== i && end(j) < ops[i]!.invokeUs) ok = false;
        if (!ok) continue;
        const s2 = model.step(state, ops[i]!.input, ops[i]!.output);
        if (s2 === undefined) continue;
        used[i] = true;
        if (rec(s2, count + 1)) {
          used[i] = false;
          return true;
        }
        used[i] = false;
      }
      return false;
    };
    return rec(model.init(), 0);
  });
}
