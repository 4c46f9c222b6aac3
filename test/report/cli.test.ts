// kvsim report and kvsim run --report through the built CLI: outputs, and one located line with
// exit code 2 for every kind of bad input.
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { kvsim } from '../cli/helpers.js';

describe('kvsim run --report and kvsim report', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kvsim-report-cli-'));
  });

  it('run --report writes the trace and the report into DIR', () => {
    const out = join(dir, 'r');
    const result = kvsim(['run', 'scenarios/leader-isolated.yaml', '--seed', '1', '--report', out]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`report    ${join(out, 'index.html')}`);
    expect(existsSync(join(out, 'trace.jsonl'))).toBe(true);
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    const hash = /trace ([0-9a-f]{16})/.exec(result.stdout)![1]!;
    expect(html).toContain(`<code class="hash">${hash}</code>`);
    expect(html).toContain('kvsim run scenarios/leader-isolated.yaml --seed 1</code>');
  }, 60_000);

  it('run --report with --trace and --json: the trace goes where --trace says, stdout stays one JSON object', () => {
    const out = join(dir, 'r2');
    const trace = join(dir, 'custom.jsonl');
    const result = kvsim(['run', 'scenarios/clock-skew-lease.yaml', '--seed', '1', '--trace', trace, '--report', out, '--json']);
    expect(result.code).toBe(0);
    expect(() => JSON.parse(result.stdout)).not.toThrow();
    expect(existsSync(trace)).toBe(true);
    expect(existsSync(join(out, 'trace.jsonl'))).toBe(false);
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toContain('<svg class="opbars"');
  }, 60_000);

  it('report --format perfetto and --window', () => {
    const trace = join(dir, 'r', 'trace.jsonl');
    const p = kvsim(['report', trace, '--out', join(dir, 'p'), '--format', 'perfetto']);
    expect(p.code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'p', 'trace.perfetto.json'), 'utf8')).traceEvents.length).toBeGreaterThan(1000);
    const w = kvsim(['report', trace, '--out', join(dir, 'w'), '--window', '3s..3020ms']);
    expect(w.code).toBe(0);
    expect(readFileSync(join(dir, 'w', 'index.html'), 'utf8')).toContain('Window 3s – 3.02s: chosen with --window');
  }, 60_000);

  it('bad input is one located line and exit 2', () => {
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, '{"t":0,"type":"run.start","seed":1,"scenario":"x","machines":["n1"]}\n{"t":5,"type":"msg.send"\n');
    const cases: [string[], RegExp][] = [
      [['report', bad, '--out', join(dir, 'b')], new RegExp(`^kvsim: ${bad.replace(/[.]/g, '\\.')}:2: expected a JSON object`)],
      [['report', join(dir, 'missing.jsonl'), '--out', join(dir, 'b')], /^kvsim: .*missing\.jsonl: no such file/],
      [['report', bad, '--out', join(dir, 'b'), '--format', 'pdf'], /^kvsim: --format: expected html or perfetto, got "pdf"/],
      [['report', bad, '--out', join(dir, 'b'), '--window', '3s-4s'], /^kvsim: --window: expected a window like/],
      [['report', bad, '--out', join(dir, 'b'), '--window', '4s..3s'], /^kvsim: --window: the window 4s\.\.3s is empty/],
      [['report', bad, '--out', join(dir, 'b'), '--format', 'perfetto'], /:2: expected a JSON object/],
    ];
    for (const [args, pattern] of cases) {
      const r = kvsim(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr, args.join(' ')).toMatch(pattern);
    }
    const empty = join(dir, 'empty.jsonl');
    writeFileSync(empty, '');
    const r = kvsim(['report', empty, '--out', join(dir, 'e')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/the trace is empty/);
  }, 60_000);
});
