// A fault target as the scenario format spells it, parsed once into a discriminated union:
//   n3            one machine            random / minority / majority   chosen when it fires
//   leader(shard N)  that shard's leader   leader(any)                    some shard's leader
//   region(NAME)     the servers of a region (and, for network faults, its clients)
//   zone(NAME)       the servers of a zone (the same)
//   involved, peer   the machines of the protocol event that fired the fault (`when: { event }`)
// Resolving a target to machines happens when the fault fires (harness/); here it is only words.
import { assertNever } from '../base/assert.js';

export type Target =
  | { readonly kind: 'machine'; readonly machine: string }
  | { readonly kind: 'random' }
  | { readonly kind: 'minority' }
  | { readonly kind: 'majority' }
  | { readonly kind: 'leader'; readonly shard: number }
  | { readonly kind: 'leader-any' }
  | { readonly kind: 'region'; readonly name: string }
  | { readonly kind: 'zone'; readonly name: string }
  | { readonly kind: 'involved' }
  | { readonly kind: 'peer' };

/** A region or zone name in a topology: lower case letters, digits and dashes, from a letter. */
export const PLACE_NAME = /^[a-z][a-z0-9-]*$/;

export const TARGET_EXPECTED = 'expected a machine (n3), random, minority, majority, leader(shard N), leader(any), region(NAME), zone(NAME), involved or peer';

const MACHINE = /^n[1-9][0-9]*$/;
const LEADER_OF = /^leader\(shard ([0-9]+)\)$/;
const PLACE_OF = /^(region|zone)\(([a-z][a-z0-9-]*)\)$/;

/** The target a text names, or undefined when it names none. */
export function parseTarget(text: string): Target | undefined {
  if (MACHINE.test(text)) return { kind: 'machine', machine: text };
  switch (text) {
    case 'random':
    case 'minority':
    case 'majority':
    case 'involved':
    case 'peer':
      return { kind: text };
    case 'leader(any)':
      return { kind: 'leader-any' };
  }
  const leader = LEADER_OF.exec(text);
  if (leader !== null) return { kind: 'leader', shard: Number(leader[1]) };
  const place = PLACE_OF.exec(text);
  if (place !== null) return { kind: place[1] as 'region' | 'zone', name: place[2]! };
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
    case 'involved':
    case 'peer':
      return t.kind;
    case 'leader':
      return `leader(shard ${t.shard})`;
    case 'leader-any':
      return 'leader(any)';
    case 'region':
    case 'zone':
      return `${t.kind}(${t.name})`;
    default:
      return assertNever(t, 'target');
  }
}

/** True for involved and peer: targets only a protocol-event trigger gives a meaning. */
export function isEventTarget(t: Target): t is Extract<Target, { kind: 'involved' | 'peer' }> {
  return t.kind === 'involved' || t.kind === 'peer';
}

/** True for region(NAME) and zone(NAME): targets that name a place of the topology. */
export function isPlaceTarget(t: Target): t is Extract<Target, { kind: 'region' | 'zone' }> {
  return t.kind === 'region' || t.kind === 'zone';
}
