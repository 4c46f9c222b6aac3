// Nothing inside a simulated run may read the wall clock, Math.random or real timers. Only the
// command line, the TUI, the report writer and the sweep's worker pool may.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { sources } from './source-files.js';

const ALLOWED = [/^src\/cli\//, /^src\/tui\//, /^src\/report\//, /^src\/explore\/pool/, /^src\/real\//, /^src\/node\//, /^src\/live\//];
const FORBIDDEN = /Math\.random|Date\.now|performance\.now|setTimeout|setInterval|process\.hrtime/;

export function offenders(files: string[], read: (f: string) => string): string[] {
  const out: string[] = [];
  for (const file of files) {
    if (ALLOWED.some((re) => re.test(file))) continue;
    read(file)
      .split('\n')
      .forEach((line, i) => {
        if (FORBIDDEN.test(line)) out.push(`${file}:${i + 1}: ${line.trim()}`);
      });
  }
  return out;
}

describe('determinism lint', () => {
  it('src/ outside cli, tui, report and the worker pool never reads time or chance directly', () => {
    expect(offenders(sources('src'), (f) => readFileSync(f, 'utf8'))).toEqual([]);
  });

  it('the lint itself catches each forbidden call', () => {
    for (const call of ['Math.random()', 'Date.now()', 'performance.now()', 'setTimeout(f, 1)', 'setInterval(f, 1)', 'process.hrtime()']) {
      expect(offenders(['src/sim/x.ts'], () => `const x = ${call};`)).toHaveLength(1);
      expect(offenders(['src/cli/x.ts'], () => `const x = ${call};`)).toHaveLength(0);
    }
  });
});
