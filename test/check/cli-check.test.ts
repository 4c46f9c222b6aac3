// `kvsim check` end to end: spawns the built CLI (npx tsc -p . first).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const fixtures = join(root, 'test/fixtures/porcupine');
const cli = (...args: string[]) => {
  const r = spawnSync('node', [join(root, 'dist/src/cli/main.js'), 'check', ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const dir = mkdtempSync(join(tmpdir(), 'kvsim-check-'));

describe('kvsim check', () => {
  it('exit 0 on a linearizable history, with one JSON line per file', () => {
    const r = cli('--json', join(fixtures, 'jepsen/etcd_002.log'), join(fixtures, 'kv/c10-ok.txt'));
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.verdict)).toEqual(['linearizable', 'linearizable']);
    expect(lines[1].keys).toBe(10);
  });
  it('exit 1 and an explanation on a violation', () => {
    const r = cli(join(fixtures, 'kv/c10-bad.txt'));
    expect(r.code).toBe(1);
    expect(r.out).toContain('NOT linearizable');
    expect(r.out).toContain('◀ fails');
    const j = JSON.parse(cli('--json', join(fixtures, 'kv/c10-bad.txt')).out);
    expect(j.explanation.window.length).toBeGreaterThan(0);
  });
  it('exit 2 with one located line for a malformed or missing file', () => {
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, '{"id":1,"client":0,"op":"get","key":"k","invokeUs":0,"completeUs":1,"outcome":"ok"}\nnot json\n');
    const r = cli(bad);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`kvsim: ${bad}:2: expected one JSON object per line (an operation record)\n`);
    const m = cli(join(dir, 'missing.log'));
    expect(m.code).toBe(2);
    expect(m.err.trim().split('\n')).toEqual([`kvsim: ${join(dir, 'missing.log')}: no such file`]);
    expect(cli('--format', 'xml', bad).code).toBe(2);
  });
  it('the explicit format wins over the extension', () => {
    const f = join(dir, 'etcd.jsonl');
    writeFileSync(f, 'INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - 0\t:ok\t:read\t3\n');
    expect(cli(f).code).toBe(2);
    expect(cli('--format', 'porcupine-etcd', f).code).toBe(1);
  });
  it('leaves out follower, session and bounded reads unless --all-levels', () => {
    // A stale follower read after an acknowledged put: fine for its level, not linearizable.
    const recs = [
      { id: 1, client: 0, op: 'put', key: 'k', value: 'a', invokeUs: 0, completeUs: 10, outcome: 'ok' },
      { id: 2, client: 1, op: 'get', key: 'k', value: null, level: 'follower', invokeUs: 20, completeUs: 30, outcome: 'ok' },
      { id: 3, client: 1, op: 'get', key: 'k', value: 'a', level: 'lease', invokeUs: 40, completeUs: 50, outcome: 'ok' },
      { id: 4, client: 2, op: 'get', key: 'k', value: 'a', level: 'linearizable', invokeUs: 40, completeUs: 50, outcome: 'ok' },
    ];
    const f = join(dir, 'levels.jsonl');
    writeFileSync(f, recs.map((r) => JSON.stringify(r)).join('\n'));
    const human = cli(f);
    expect(human.code).toBe(0);
    expect(human.out).toContain('(1 follower/session/bounded read excluded: they do not promise linearizability');
    const j = JSON.parse(cli('--json', f).out);
    expect([j.verdict, j.ops, j.excluded]).toEqual(['linearizable', 3, 1]);
    const all = cli('--json', '--all-levels', f);
    expect(all.code).toBe(1);
    expect(JSON.parse(all.out).excluded).toBe(0);
    // Porcupine formats have no levels: nothing excluded, no note.
    expect(JSON.parse(cli('--json', join(fixtures, 'kv/c10-ok.txt')).out).excluded).toBe(0);
    expect(cli(join(fixtures, 'kv/c10-ok.txt')).out).not.toContain('excluded');
  });
  it('decides a store history with a full-cluster crash', () => {
    const r = cli('--json', join(root, 'test/fixtures/histories/crash-restart-all-seed1.jsonl'));
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.verdict).toBe('linearizable');
    expect(j.excluded).toBeGreaterThan(0);
  });
  it('--format jepsen reads Knossos histories; --initial sets the starting value', () => {
    const edn = join(root, 'test/fixtures/jepsen-edn');
    const files = ['good_cas-register-bug.edn', 'good_memstress3-0.edn', 'bad_cas-failure.edn'].map((f) => join(edn, f));
    const r = cli('--json', '--format', 'jepsen', '--initial', '0', ...files);
    expect(r.code).toBe(1);
    expect(r.out.trim().split('\n').map((l) => JSON.parse(l).verdict)).toEqual(['linearizable', 'linearizable', 'not-linearizable']);
    // Inferred from the extension and the content, too.
    expect(cli(files[0]!).code).toBe(0);
    // A read of 0 first: linearizable only if the register starts at 0.
    const zero = join(dir, 'zero.edn');
    writeFileSync(zero, '[{:process 0, :type :invoke, :f :read, :value nil}\n {:process 0, :type :ok, :f :read, :value 0}]\n');
    expect(cli(zero).code).toBe(1);
    expect(cli('--initial', '0', zero).code).toBe(0);
    const badInitial = cli('--initial', '[0', zero);
    expect(badInitial.code).toBe(2);
    expect(badInitial.err.trim().split('\n')).toHaveLength(1);
  });
  it('an empty Jepsen history is linearizable; a file of the wrong format is exit 2, one line', () => {
    const empty = join(dir, 'empty.edn');
    writeFileSync(empty, '[]\n');
    const e = cli('--json', empty);
    expect(e.code).toBe(0);
    expect(JSON.parse(e.out)).toMatchObject({ verdict: 'linearizable', keys: 0, ops: 0 });
    const trace = join(dir, 'trace.jsonl');
    writeFileSync(trace, '{"t":0,"type":"raft.elected","group":1}\n');
    const etcd = join(fixtures, 'jepsen/etcd_002.log');
    const cases: [string, string][] = [
      ['jsonl', trace],
      ['jsonl', etcd],
      ['porcupine-etcd', join(root, 'test/fixtures/jepsen-edn/good_cas-register-bug.edn')],
      ['porcupine-kv', etcd],
      ['jepsen', etcd],
      ['jepsen', trace],
    ];
    for (const [format, file] of cases) {
      const r = cli('--format', format, file);
      expect([format, file, r.code, r.err]).toEqual([format, file, 2, `kvsim: ${file}: no operations of format ${format} found; is this the right --format?\n`]);
    }
  });
  it('a malformed Jepsen map: exit 2 naming its line and column', () => {
    const bad = join(dir, 'bad.edn');
    writeFileSync(bad, '[{:process 0, :type :invoke, :f :write, :value 1}\n {:process 0, :type :ok, :f :write, :value 1]\n');
    const r = cli(bad);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`kvsim: ${bad}:2:45: expected \`}\` to close the map opened at line 2, column 2, found \`]\`\n`);
  });
  it('exit 3 when the time limit is reached', () => {
    // Many long overlapping puts, each read by an overlapping get, then an impossible read:
    // every order of the puts is open, a big search.
    const recs = [];
    for (let i = 0; i < 22; i++) {
      recs.push({ id: i, client: i, op: 'put', key: 'k', value: `<${i}>`, invokeUs: 0, completeUs: 1000, outcome: 'ok' });
      recs.push({ id: 100 + i, client: 100 + i, op: 'get', key: 'k', value: `<${i}>`, invokeUs: 0, completeUs: 1000, outcome: 'ok' });
    }
    recs.push({ id: 99, client: 99, op: 'get', key: 'k', value: 'never', invokeUs: 2000, completeUs: 2001, outcome: 'ok' });
    const f = join(dir, 'hard.jsonl');
    writeFileSync(f, recs.map((r) => JSON.stringify(r)).join('\n'));
    const r = cli('--json', '--timeout-s', '0.3', f);
    expect(r.code).toBe(3);
    expect(JSON.parse(r.out).verdict).toBe('unknown');
  });
});
