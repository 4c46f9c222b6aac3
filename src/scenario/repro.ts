// The one reproduction command line: what a failure, a shrunk file, a sweep or a report tells
// the user to run. Arguments are shell-quoted only when they need it.

const quote = (s: string): string => (/^[\w./@:-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

export function reproCommand(file: string, seed: number, bugs: readonly string[] = []): string {
  return [`kvsim run ${quote(file)} --seed ${seed}`, ...bugs.map((b) => `--bug ${quote(b)}`)].join(' ');
}
