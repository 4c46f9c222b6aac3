// Turns a set of cut directed links into what a person reads: partition sides when the cuts
// split the machines cleanly ("{n3} | {n1,n2,n4,n5}"), else the cut links one by one.

export interface CutView {
  /** Clean sides (each sorted as the names are), or null when the cuts do not form sides. */
  sides: string[][] | null;
  /** Every cut, symmetric pairs folded: "n1 x n2" (both ways) or "n1 -> n2" (one way). */
  links: string[];
}

/**
 * `cut(a, b)` says whether the directed link a -> b is cut. `members` are the machine ids that
 * count (servers plus any machine a cut mentions), in display order.
 */
export function describeCuts(members: readonly number[], names: readonly string[], cut: (a: number, b: number) => boolean): CutView {
  const links: string[] = [];
  let anyCut = false;
  for (let x = 0; x < members.length; x++) {
    for (let y = x + 1; y < members.length; y++) {
      const a = members[x]!;
      const b = members[y]!;
      const ab = cut(a, b);
      const ba = cut(b, a);
      if (ab && ba) links.push(`${names[a]} x ${names[b]}`);
      else if (ab) links.push(`${names[a]} -> ${names[b]}`);
      else if (ba) links.push(`${names[b]} -> ${names[a]}`);
      if (ab || ba) anyCut = true;
    }
  }
  if (!anyCut) return { sides: null, links };
  // Components of "talks both ways"; they are sides when every pair across is cut both ways
  // and every pair within talks both ways.
  const side = members.map((_, i) => i);
  const find = (i: number): number => {
    while (side[i] !== i) i = side[i] = side[side[i]!]!;
    return i;
  };
  for (let x = 0; x < members.length; x++) {
    for (let y = x + 1; y < members.length; y++) {
      if (!cut(members[x]!, members[y]!) && !cut(members[y]!, members[x]!)) side[find(x)] = find(y);
    }
  }
  let clean = true;
  for (let x = 0; x < members.length && clean; x++) {
    for (let y = x + 1; y < members.length; y++) {
      const same = find(x) === find(y);
      const ab = cut(members[x]!, members[y]!);
      const ba = cut(members[y]!, members[x]!);
      if (same ? ab || ba : !(ab && ba)) {
        clean = false;
        break;
      }
    }
  }
  if (!clean) return { sides: null, links };
  const groups = new Map<number, string[]>();
  for (let x = 0; x < members.length; x++) {
    const root = find(x);
    let g = groups.get(root);
    if (g === undefined) groups.set(root, (g = []));
    g.push(names[members[x]!]!);
  }
  // Smallest side first: it is usually the one that was cut off.
  const sides = [...groups.values()].sort((a, b) => a.length - b.length);
  return { sides, links };
}

export function formatSides(sides: readonly (readonly string[])[]): string {
  if (sides.length === 2 && sides[0]!.length === 1) return `${sides[0]![0]} cut off from {${sides[1]!.join(',')}}`;
  return sides.map((s) => `{${s.join(',')}}`).join(' | ');
}
