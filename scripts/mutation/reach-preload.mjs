// Preloaded (node --import) into a sweep over a survivor's seeds: Stryker's mutant switch counts
// hits of the active mutant when `hitCount` is set, and throws past `hitLimit`. A limit of 0
// makes the first evaluation of the mutated code throw, so every seed that runs it fails with
// "Stryker: Hit count limit reached" and every seed that never runs it passes unchanged.
// Worker threads inherit the --import flag, so the hunt's workers get the same switch.
globalThis.__stryker__ = Object.assign(globalThis.__stryker__ ?? {}, { hitCount: 0, hitLimit: 0 });
