// The replay in a real terminal: tmux runs `kvsim replay` in a 100x30 pane; we press keys and
// read the screen with capture-pane. CI installs tmux (.ci/run). Without tmux the test fails
// with a clear message when CI is set, and is skipped on a developer machine (CI unset).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kvsim } from '../cli/helpers.js';

const hasTmux = spawnSync('tmux', ['-V'], { encoding: 'utf8' }).status === 0;
const inCi = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== '0' && process.env.CI !== 'false';
// A private tmux server, so the test never touches anyone's sessions.
const SOCKET = `kvsim-replay-test-${process.pid}`;
const SESSION = 'replay';

function tmux(...args: string[]): string {
  const r = spawnSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const screen = () => tmux('capture-pane', '-p', '-t', SESSION);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, test: () => boolean, timeoutMs = 10_000): Promise<void> {
  for (let waited = 0; waited < timeoutMs; waited += 50) {
    if (test()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}; screen:\n${screen()}`);
}

afterAll(() => {
  if (hasTmux) spawnSync('tmux', ['-L', SOCKET, 'kill-server']);
});

describe('replay in a real terminal (tmux)', () => {
  it.runIf(!hasTmux && inCi)('needs tmux in CI', () => {
    expect.fail('tmux is not installed: the terminal end-to-end test cannot run (.ci/run installs it with apt-get install tmux)');
  });

  it.runIf(hasTmux)('n moves to the next notable event and changes the screen; q exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvsim-replay-tmux-'));
    const trace = join(dir, 't.jsonl');
    expect(kvsim(['run', 'scenarios/leader-isolated.yaml', '--seed', '3', '--trace', trace]).code).toBe(0);
    const exitFile = join(dir, 'exit');
    const main = resolve('dist/src/cli/main.js');
    // CI=0: under CI=true ink renders nothing until the app exits.
    const command = `CI=0 ${JSON.stringify(process.execPath)} ${JSON.stringify(main)} replay ${JSON.stringify(trace)}; echo $? > ${JSON.stringify(exitFile)}; sleep 60`;
    tmux('new-session', '-d', '-s', SESSION, '-x', '100', '-y', '30', command);
    await waitFor('the first frame', () => screen().includes('event 1/'));
    const before = screen();
    expect(before.split('\n')[0]).toMatch(/^kvsim replay leader-isolated seed 3 +t 0\.000s/);

    tmux('send-keys', '-t', SESSION, 'n');
    await waitFor('the cursor to move', () => !screen().includes('event 1/'));
    const after = screen();
    expect(after).not.toBe(before);
    const cursorLine = after.split('\n').find((l) => l.startsWith('>'));
    expect(cursorLine).toMatch(/ E n\d became leader of shard \d in term 1/);
    expect(after.split('\n').filter((l) => l.trim() !== '').length).toBeLessThanOrEqual(30);

    tmux('send-keys', '-t', SESSION, 'q');
    await waitFor('the exit code', () => existsSync(exitFile) && readFileSync(exitFile, 'utf8').trim() !== '');
    expect(readFileSync(exitFile, 'utf8').trim()).toBe('0');
  });
});
