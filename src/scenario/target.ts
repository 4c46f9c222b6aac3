// A fault target as the scenario format spells it, parsed once into a discriminated union:
//   n3            one machine            random / minority / majority   chosen when it fires
//   leader(shard N)  that shard's leader   leader(any)                    some shard's leader
// Resolving a target to machines happens when the fault fires (harness/); here it is only words.
import { assertNever } from '../base/assert.js';

export type Target =
  | { readonly kind: 'machine'; readonly machine: string }
  | { readonly kind: 'random' }
  | { readonly kind: 'minority' }
  | { readonly kind: 'majority' }
  | { readonly kind: 'leader'; readonly shard: number }
  | { readonly kind: 'leader-any' };

export const TARGET_EXPECTED = 'expected a machine (n3), random, minority, majority, leader(shard N) or leader(any)';

const MACHINE = /^n[1-9][0-9]*$/;
const LEADER_OF = /^leader\(shard ([0-9]+)\)$/;

/** The target a text names, or undefined when it names none. */
export function parseTarget(text: string): Target | undefined {
  if (MACHINE.test(text)) return { kind: 'machine', machine: text };
  switch (text) {
    case 'random':
    case 'minority':
    case 'majority':
      return { kind: text };
    case 'leader(any)':
      return { kind: 'leader-any' };
  }
  const leader = LEADER_OF.exec(text);
  if (leader !== null) return { kind: 'leader', shard: Number(leader[1]) };
  return undefined;
}

/** The text of a target, as a scenario file writes it (parseTarget's inverse). */
export function targetText(t: Target): string {
  switch (t.kind) {
    case 'machine':
      return t.machine;
    case 'random':
    case 'minority':
    case 'majority':
      return t.kind;
    case 'leader':
      return `leader(shard ${t.shard})`;
    case 'leader-any':
      return 'leader(any)';
    default:
      return assertNever(t, 'target');
  }
}
