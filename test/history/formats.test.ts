import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/cli/errors.js';
import { inferFormat, parseHistoryText } from '../../src/history/formats.js';
import { formatJsonl, parseJsonl, readJsonlFile } from '../../src/history/jsonl.js';
import type { OpRecord } from '../../src/history/op.js';
import { parsePorcupineEtcd, parsePorcupineKv } from '../../src/history/porcupine.js';

const rec: OpRecord = { id: 1, client: 2, op: 'cas', key: 'k', value: 'b', expect: 'a', invokeUs: 5, completeUs: null, outcome: 'indeterminate', shard: 3, index: 7 };

function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof UserError) return e.message;
    throw e;
  }
  throw new Error('no error');
}

describe('JSONL', () => {
  it('round-trips records', () => {
    const recs: OpRecord[] = [rec, { id: 2, client: 0, op: 'get', key: 'k', value: null, level: 'follower', invokeUs: 1, completeUs: 2, outcome: 'ok' }];
    expect(parseJsonl(formatJsonl(recs), 'h.jsonl')).toEqual(recs);
  });
  it('names file and line on bad input', () => {
    expect(errorOf(() => parseJsonl(formatJsonl([rec]) + '\n{nope\n', 'h.jsonl'))).toBe('h.jsonl:3: expected one JSON object per line (an operation record)');
    expect(errorOf(() => parseJsonl('{"id":1,"client":0,"op":"del","key":"k","invokeUs":0,"completeUs":1,"outcome":"ok"}', 'h.jsonl'))).toMatch(/^h\.jsonl:1: op: expected/);
    expect(errorOf(() => parseJsonl('{"id":1,"client":0,"op":"get","key":"k","invokeUs":5,"completeUs":1,"outcome":"ok"}', 'h.jsonl'))).toMatch(/^h\.jsonl:1: completeUs/);
  });
  it('streams a file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvsim-hist-'));
    const file = join(dir, 'h.jsonl');
    writeFileSync(file, formatJsonl([rec, { ...rec, id: 9 }]));
    const out: OpRecord[] = [];
    for await (const r of readJsonlFile(file)) out.push(r);
    expect(out.map((r) => r.id)).toEqual([1, 9]);
    writeFileSync(file, formatJsonl([rec, rec]));
    await expect(async () => {
      for await (const r of readJsonlFile(file)) void r;
    }).rejects.toThrow(/h\.jsonl:2: id: 1 is used twice/);
  });
});

describe('Porcupine etcd logs', () => {
  const log = [
    'INFO  jepsen.util - 0\t:invoke\t:read\tnil',
    'some other line',
    'INFO  jepsen.util - 1\t:invoke\t:write\t3',
    'INFO  jepsen.util - 2\t:invoke\t:cas\t[3 4]',
    'INFO  jepsen.util - 0\t:ok\t:read\tnil',
    'INFO  jepsen.util - 1\t:info\t:write\t:timed-out',
    'INFO  jepsen.util - 2\t:fail\t:cas\t[3 4]',
    'INFO  jepsen.util - 0   :invoke :read   nil',
    'INFO  jepsen.util - 0\t:fail\t:read\t:timed-out',
  ].join('\n');
  it('reads ops with the reference semantics', () => {
    const recs = parsePorcupineEtcd(log, 'e.log');
    expect(recs.map((r) => [r.op, r.value ?? null, r.outcome, r.completeUs])).toEqual([
      ['get', null, 'ok', 4],
      ['put', '3', 'indeterminate', null],
      ['cas', '4', 'failed', 6],
    ]);
  });
  it('names the line of a malformed event', () => {
    expect(errorOf(() => parsePorcupineEtcd('INFO  jepsen.util - 0\t:invoke\t:cas\t[3]', 'e.log'))).toBe('e.log:1: expected cas arguments `[FROM TO]`');
    expect(errorOf(() => parsePorcupineEtcd('INFO  jepsen.util - 0\t:ok\t:read\t3', 'e.log'))).toMatch(/^e\.log:1: process 0 completes an operation it never invoked/);
  });
});

describe('Porcupine kv logs', () => {
  it('reads EDN maps; nil get result is the empty string', () => {
    const recs = parsePorcupineKv(
      ['{:process 0, :type :invoke, :f :get, :key "5", :value nil}', '{:process 0, :type :ok, :f :get, :key "5", :value ""}', '{:process 1, :type :invoke, :f :append, :key "5", :value "x 1 0 y"}', '{:process 1, :type :ok, :f :append, :key "5", :value "x 1 0 y"}'].join('\n'),
      'k.txt',
    );
    expect(recs.map((r) => [r.op, r.key, r.value, r.invokeUs, r.completeUs])).toEqual([
      ['get', '5', '', 1, 2],
      ['append', '5', 'x 1 0 y', 3, 4],
    ]);
  });
  it('names the line of a malformed map', () => {
    expect(errorOf(() => parsePorcupineKv('{:process 0, :type :invoke, :f :get, :key "5", :value nil}\n{:process 0 :type', 'k.txt'))).toMatch(/^k\.txt:2: /);
    expect(errorOf(() => parsePorcupineKv('{:process 0, :type :invoke, :f :del, :key "5"}', 'k.txt'))).toBe('k.txt:1: :f: expected :get, :put or :append');
  });
});

describe('format inference', () => {
  it('uses the extension, then the content', () => {
    expect(inferFormat('a.log', '')).toBe('porcupine-etcd');
    expect(inferFormat('a.jsonl', '')).toBe('jsonl');
    expect(inferFormat('a.txt', '{:process 0}')).toBe('porcupine-kv');
    expect(inferFormat('a', '{"id":1}')).toBe('jsonl');
    expect(inferFormat('a', 'hello')).toBeUndefined();
    expect(parseHistoryText('', 'a.log', 'porcupine-etcd')).toEqual([]);
  });
});
