// FileDisk under real process kills: a child writes numbered batches and is SIGKILLed at a
// random moment; every batch it acknowledged is recovered, and what is recovered is a prefix of
// the batches issued (each batch whole: `last` and its key agree). Rounds continue the numbering.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { FileDisk } from '../../src/real/disk.js';
import { onCleanup, sleep, tempDir, waitFor, useRealTestLimits } from './helpers.js';

useRealTestLimits();

// The child runs the built runtime (dist/), as the CLI tests run dist/src/cli/main.js.
const bundle = join(import.meta.dirname, 'fixtures/disk-writer.mjs');

describe('FileDisk under SIGKILL', () => {
  it('recovers every acknowledged batch, and only whole batches in issue order', async () => {
    const dir = tempDir();
    let first = 0;
    for (let round = 0; round < 4; round++) {
      const child = spawn(process.execPath, [bundle, dir, String(first)], { stdio: ['ignore', 'pipe', 'inherit'] });
      onCleanup(() => child.kill('SIGKILL'));
      let acked = -1;
      let count = 0;
      let buffered = '';
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (text: string) => {
        buffered += text;
        const lines = buffered.split('\n');
        buffered = lines.pop()!;
        for (const line of lines) {
          acked = Math.max(acked, Number(line));
          count++;
        }
      });
      await waitFor(() => count >= 50 + round * 37, 'acknowledged batches', 10_000);
      await sleep(round * 3);
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      const { disk } = FileDisk.open(dir);
      const last = disk.get('last') as number;
      expect(last).toBeGreaterThanOrEqual(acked);
      for (let n = 0; n <= last; n++) expect(disk.get(`k${n}`), `batch ${n}`).toEqual({ n, pad: 'x'.repeat(n % 200) });
      expect(disk.get(`k${last + 1}`)).toBeUndefined();
      await disk.close();
      first = last + 1;
    }
  });
});
