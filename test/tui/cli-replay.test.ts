// `kvsim replay` through the built CLI: golden --print frames of leader-isolated seed 3, the
// scenario-file path, and the one-line errors with exit code 2.
// Regenerate the golden file deliberately: UPDATE_GOLDEN=1 npx vitest run test/tui/cli-replay.test.ts
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { kvsim } from '../cli/helpers.js';

const GOLDEN = 'test/fixtures/golden/replay-leader-isolated-3.txt';
const TIMES = ['0s', '2s', '2.2s', '3.5s', '7.2s', '15s'];
const dir = mkdtempSync(join(tmpdir(), 'kvsim-replay-cli-'));
const trace = join(dir, 'leader-isolated-3.jsonl');
let traceHash = '';

function goldenText(frames: Map<string, string>): string {
  return [`# kvsim replay --print frames of scenarios/leader-isolated.yaml seed 3; trace ${traceHash}`, ...TIMES.map((t) => `## --at ${t}\n${frames.get(t)}`)].join('\n');
}

function parseGolden(text: string): { hash: string; frames: Map<string, string> } {
  const [head, ...sections] = text.split(/^## --at /m);
  const frames = new Map<string, string>();
  for (const s of sections) {
    const nl = s.indexOf('\n');
    frames.set(s.slice(0, nl), s.slice(nl + 1).replace(/\n$/, ''));
  }
  return { hash: /trace (\S+)/.exec(head!)?.[1] ?? '', frames };
}

beforeAll(() => {
  const run = kvsim(['run', 'scenarios/leader-isolated.yaml', '--seed', '3', '--trace', trace, '--json']);
  expect(run.stderr).toBe('');
  traceHash = JSON.parse(run.stdout).traceHash;
});

describe('kvsim replay --print', () => {
  it('renders the golden frames exactly', () => {
    const frames = new Map<string, string>();
    for (const at of TIMES) {
      const r = kvsim(['replay', trace, '--print', '--at', at]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).not.toMatch(/\x1b\[/);
      frames.set(at, r.stdout.replace(/\n$/, ''));
    }
    if (process.env.UPDATE_GOLDEN === '1' || !existsSync(GOLDEN)) writeFileSync(GOLDEN, goldenText(frames) + '\n');
    const golden = parseGolden(readFileSync(GOLDEN, 'utf8'));
    // A different trace means the simulation changed, not the replay: look at the frames and
    // regenerate on purpose.
    expect(traceHash, `the trace of leader-isolated seed 3 changed since ${GOLDEN} was made; check the new frames, then UPDATE_GOLDEN=1`).toBe(golden.hash);
    for (const at of TIMES) expect(frames.get(at), `frame --at ${at}`).toBe(golden.frames.get(at));
  });

  it('fits 100x30 by default and honours --width/--height', () => {
    const r = kvsim(['replay', trace, '--print', '--at', '2.2s']);
    const rows = r.stdout.replace(/\n$/, '').split('\n');
    expect(rows.length).toBeLessThanOrEqual(29);
    expect(Math.max(...rows.map((l) => l.length))).toBe(100);
    const big = kvsim(['replay', trace, '--print', '--at', '2.2s', '--width', '140', '--height', '45']).stdout.replace(/\n$/, '').split('\n');
    expect(big.length).toBeGreaterThan(rows.length);
    expect(Math.max(...big.map((l) => l.length))).toBe(140);
  });

  it('runs a scenario file first, then replays its trace', () => {
    const r = kvsim(['replay', 'scenarios/leader-isolated.yaml', '--seed', '3', '--print', '--at', '2.2s']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('trace reports/replay-leader-isolated-3.jsonl');
    expect(r.stdout).toBe(kvsim(['replay', trace, '--print', '--at', '2.2s']).stdout);
  });
});

describe('kvsim replay errors', () => {
  it('an interactive replay without a terminal says to use --print and exits 2', () => {
    const r = kvsim(['replay', trace]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('--print');
  });

  it('a missing file, a bad line and a bad --at exit 2 with one located line', () => {
    const missing = kvsim(['replay', join(dir, 'nope.jsonl'), '--print']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`kvsim: ${join(dir, 'nope.jsonl')}: no such file\n`);
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, '{"t":0,"type":"run.start","seed":1,"scenario":"x","machines":["n1"]}\n{"t":1}\n');
    const badRun = kvsim(['replay', bad, '--print']);
    expect(badRun.code).toBe(2);
    expect(badRun.stderr).toBe(`kvsim: ${bad}:2: expected field "type": an event type such as "msg.send"\n`);
    const at = kvsim(['replay', trace, '--print', '--at', 'soon']);
    expect(at.code).toBe(2);
    expect(at.stderr).toMatch(/^kvsim: --at: expected a time like 12\.5s/);
  });
});
