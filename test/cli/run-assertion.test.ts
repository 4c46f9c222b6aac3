// A run stopped by an assertion is a found bug: exit 1, one line on stderr naming the file, the
// seed and the assertion, and with --json one object on stdout that says so.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kvsim } from './helpers.js';

const FILE = 'test/fixtures/bugs/accept-stale-term-transfer.yaml';

describe('kvsim run when an assertion fires', () => {
  it('exits 1 with one stderr line, and --json prints {ok: false, assertion}', () => {
    const r = kvsim(['run', FILE, '--seed', '4', '--bug', 'accept-stale-term', '--json']);
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^kvsim: ${FILE}: seed 4: assertion: two leaders in term \\d+`));
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({ scenario: 'hunt-accept-stale-term-4', seed: 4, bugs: ['accept-stale-term'], ok: false });
    expect(String(out.assertion)).toMatch(/^assertion: two leaders in term \d+: n\d follows n\d and hears from n\d$/);
    expect(typeof out.wallMs).toBe('number');
  });

  it('the trace still ends well formed: a summary whose failing check is the assertion, then run.end; --report is written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvsim-assert-'));
    const r = kvsim(['run', FILE, '--seed', '4', '--bug', 'accept-stale-term', '--report', dir]);
    expect(r.code).toBe(1);
    const events = readFileSync(join(dir, 'trace.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const [summary, end] = events.slice(-2);
    expect(summary).toMatchObject({ type: 'run.summary', seed: 4, bugs: ['accept-stale-term'] });
    const assertion = (summary!.summary as { checks: Record<string, { ok: boolean; message: string; atUs: number }> }).checks.assertion!;
    expect(assertion.ok).toBe(false);
    expect(assertion.message).toMatch(/^assertion: two leaders in term/);
    expect(assertion.atUs).toBe(summary!.t);
    expect(end).toMatchObject({ type: 'run.end', events: events.length });
    expect(existsSync(join(dir, 'index.html'))).toBe(true);
    expect(readFileSync(join(dir, 'index.html'), 'utf8')).toContain('assertion: two leaders in term');
  });

  it('replay runs the scenario, says where the trace ends, and shows the assertion as the violation', () => {
    const r = kvsim(['replay', FILE, '--seed', '4', '--bug', 'accept-stale-term', '--print', '--at', '10s']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/seed 4: assertion: two leaders in term \d+: .*; the trace ends there: reports\/replay-hunt-accept-stale-term-4-4\.jsonl/);
    expect(r.stdout).toContain('violation: assertion (assertion: two leaders');
    expect(r.stdout.split('\n')[0]).toMatch(/ V1$/);
  });

  it('the same file and seed with no bug passes every check', () => {
    const r = kvsim(['run', FILE, '--seed', '4', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true });
  });
});
