import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HISTORY_FORMATS, inferFormat, parseHistoryText, type HistoryFormat } from '../../src/history/formats.js';
import { formatJsonl, parseJsonl, readJsonlFile } from '../../src/history/jsonl.js';
import type { OpRecord } from '../../src/history/op.js';
import { parsePorcupineEtcd, parsePorcupineKv } from '../../src/history/porcupine.js';
import { errorOf } from './helpers.js';

const rec: OpRecord = { id: 1, client: 2, op: 'cas', key: 'k', value: 'b', expect: 'a', invokeUs: 5, completeUs: null, outcome: 'indeterminate', shard: 3, index: 7 };


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
  it('names the line and column of a malformed map', () => {
    expect(errorOf(() => parsePorcupineKv('{:process 0, :type :invoke, :f :get, :key "5", :value nil}\n{:process 0 :type', 'k.txt'))).toBe('k.txt:2:13: the map key :type has no value');
    expect(errorOf(() => parsePorcupineKv('{:process 0, :type :invoke, :f :get, :key "5", :value nil}\n {:process 0, :type :ok, :f :del, :key "5"}', 'k.txt'))).toBe('k.txt:2:2: :f: expected :get, :put or :append');
    expect(errorOf(() => parsePorcupineKv('{:process 0, :type :invoke, :f :get, :key "5", :value nil}\n{:process 0, :type :ok, :f :get, :key "5", :value "a\\q"}', 'k.txt'))).toBe('k.txt:2:53: unknown escape `\\q` in a string');
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
  it('tells Jepsen histories from Porcupine kv logs by their operations', () => {
    expect(inferFormat('history.edn', '[{:process 0, :type :invoke, :f :read, :value nil}')).toBe('jepsen');
    expect(inferFormat('history.edn', '[]')).toBe('jepsen');
    expect(inferFormat('log.edn', '{:process 0, :type :invoke, :f :get, :key "5", :value nil}')).toBe('porcupine-kv');
    expect(inferFormat('h', '{:process 0, :type :invoke, :f :cas, :value [1 2]}')).toBe('jepsen');
    expect(inferFormat('h', '[{:process 0, :type :invoke, :f :write, :value 1}]')).toBe('jepsen');
  });
});

// Every format: a file in which nothing is an operation of the format is the wrong format (one
// line naming the file), a malformed record names its place, an intentionally empty history is
// empty (and so linearizable).
describe('bad input in every format', () => {
  const etcdLog = 'INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - 0\t:ok\t:read\tnil\n';
  const kvLog = '{:process 0, :type :invoke, :f :get, :key "5", :value nil}\n{:process 0, :type :ok, :f :get, :key "5", :value ""}\n';
  const jepsen = '[{:process 0, :type :invoke, :f :read, :value nil}\n {:process 0, :type :ok, :f :read, :value 1}]\n';
  const jsonl = formatJsonl([rec]);
  const trace = '{"t":0,"type":"raft.elected","group":1,"term":2}\n{"t":5,"type":"raft.commit","group":1}\n';
  const texts: Record<HistoryFormat, string> = { jsonl, 'porcupine-etcd': etcdLog, 'porcupine-kv': kvLog, jepsen };

  it('each format reads its own sample', () => {
    for (const f of HISTORY_FORMATS) expect([f, parseHistoryText(texts[f], 'h', f).length]).toEqual([f, 1]);
  });

  it('every other format\'s sample, a trace and plain text are "no operations of format F found"', () => {
    for (const f of HISTORY_FORMATS) {
      const others = [...HISTORY_FORMATS.filter((g) => g !== f).map((g) => texts[g]), trace, 'hello\nworld\n'];
      for (const text of others) {
        if (f === 'jepsen' && text === kvLog) continue; // EDN maps with :type: a Jepsen history with a bad :f (below)
        expect([f, text.slice(0, 20), errorOf(() => parseHistoryText(text, 'h.x', f))]).toEqual([f, text.slice(0, 20), `h.x: no operations of format ${f} found; is this the right --format?`]);
      }
    }
    expect(errorOf(() => parseHistoryText(kvLog, 'h.x', 'jepsen'))).toBe('h.x:1:1: :f: expected :read, :write or :cas (a cas-register history)');
  });

  it('a streamed JSONL file is judged the same way', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvsim-hist-'));
    const file = join(dir, 'trace.jsonl');
    writeFileSync(file, trace);
    await expect(async () => {
      for await (const r of readJsonlFile(file)) void r;
    }).rejects.toThrow(`${file}: no operations of format jsonl found; is this the right --format?`);
    writeFileSync(file, 'junk\n' + jsonl);
    await expect(async () => {
      for await (const r of readJsonlFile(file)) void r;
    }).rejects.toThrow(`${file}:1: expected one JSON object per line (an operation record)`);
  });

  it('a malformed record after good ones names its place', () => {
    expect(errorOf(() => parseHistoryText(jsonl + '{"id":2,"op":"get"}\n', 'h', 'jsonl'))).toBe('h:2: client: expected an integer');
    expect(errorOf(() => parseHistoryText(etcdLog + 'INFO  jepsen.util - 0\t:invoke\t:cas\t[3]\n', 'h', 'porcupine-etcd'))).toBe('h:3: expected cas arguments `[FROM TO]`');
    expect(errorOf(() => parseHistoryText(kvLog + '{:process 1 :type :invoke :f :get :key 5}\n', 'h', 'porcupine-kv'))).toBe('h:3:1: :key: expected a string');
    expect(errorOf(() => parseHistoryText(jepsen.replace(']\n', '\n {:process 1, :type :invoke, :f :read, :value nil]\n'), 'h', 'jepsen'))).toBe(
      'h:3:50: expected `}` to close the map opened at line 3, column 2, found `]`',
    );
  });

  it('an empty file, or an empty Jepsen vector, is an empty history', () => {
    for (const f of HISTORY_FORMATS) expect([f, parseHistoryText('\n  \n', 'e', f)]).toEqual([f, []]);
    expect(parseHistoryText('[]', 'e.edn', 'jepsen')).toEqual([]);
  });
});
