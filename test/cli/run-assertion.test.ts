// A run stopped by an assertion is a found bug: exit 1, one line on stderr naming the file, the
// seed and the assertion, and with --json one object on stdout that says so.
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

  it('the same file and seed with no bug passes every check', () => {
    const r = kvsim(['run', FILE, '--seed', '4', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true });
  });
});
