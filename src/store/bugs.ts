// The store's planted bugs by name (the catalogue in src/bugs/ describes them). A code point
// tests `storeBugOn(bugs, 'name')`, so a misspelt name does not compile.

export type StoreBugName = 'session-token-ignored' | 'stale-route-no-redirect' | 'bounded-ignores-bound' | 'ring-boundary-off-by-one';

/** Whether the planted bug `name` is switched on (honest runs pass an empty set). */
export function storeBugOn(bugs: ReadonlySet<string>, name: StoreBugName): boolean {
  return bugs.size > 0 && bugs.has(name);
}
