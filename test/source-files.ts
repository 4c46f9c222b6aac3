// The TypeScript sources under a folder, recursively (for tests that read the code itself).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sources(path));
    else if (/\.tsx?$/.test(name)) out.push(path);
  }
  return out;
}
