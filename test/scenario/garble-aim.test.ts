// A garble fault aimed at classes of messages: `garble: { rate, messages: [admin, ...] }`. The
// parse (the short form stays as it was, bad values are one-line errors naming the place), the
// store's classification of its payloads, and a run in which only the placement driver's
// traffic is garbled while a machine joins — every check must still hold.
import { describe, expect, it } from 'vitest';
import { parseScenarioText } from '../../src/scenario/load.js';
import { actionOf } from '../../src/scenario/fault.js';
import { UserError } from '../../src/base/errors.js';
import { messageClassOf, MESSAGE_CLASSES } from '../../src/store/protocol.js';
import { runScenario } from '../../src/harness/runner.js';
import { engineFactoryFor } from '../../src/harness/engines.js';
import { Tracer } from '../../src/trace/tracer.js';
import type { TraceEvent } from '../../src/trace/events.js';

const withFault = (line: string) => `
duration: 2500ms
cluster: { machines: 4, shards: 4, replication: 3 }
workload: { clients: 2, rate: 100, levels: { linearizable: 1, bounded: 1 } }
faults:
  - at: 300ms
    for: 2s
    ${line}
  - at: 500ms
    join: n5
`;

function parseError(line: string): string {
  try {
    parseScenarioText('g.yaml', withFault(line));
  } catch (e) {
    if (e instanceof UserError) return e.message;
    throw e;
  }
  throw new Error(`${line} parsed`);
}

describe('garble aimed at message classes: the scenario format', () => {
  it('reads the short form as every message and the long form as the classes named (once each)', () => {
    const short = parseScenarioText('g.yaml', withFault('garble: 0.2')).scenario.faults[0]!;
    expect(actionOf(short)).toEqual({ kind: 'garble', probability: 0.2, messages: null });
    const aimed = parseScenarioText('g.yaml', withFault('garble: { rate: 0.5, messages: [admin, raft, admin] }')).scenario.faults[0]!;
    expect(actionOf(aimed)).toEqual({ kind: 'garble', probability: 0.5, messages: ['admin', 'raft'] });
  });

  it('refuses bad values with one line naming the place', () => {
    const cases: [string, RegExp][] = [
      ['garble: { rate: 0.5 }', /g\.yaml:8:13: faults\[0\]\.garble\.messages: missing; expected array$/],
      ['garble: { rate: 1.5, messages: [admin] }', /faults\[0\]\.garble\.rate: expected number to be <=1$/],
      ['garble: { rate: 0.5, messages: [] }', /faults\[0\]\.garble\.messages: expected at least one message class$/],
      ['garble: { rate: 0.5, messages: [adm] }', /faults\[0\]\.garble\.messages\[0\]: .*expected one of "raft"\|"client"\|"admin"\|"freshness"$/],
      ['garble: { rate: 0.5, messages: admin }', /faults\[0\]\.garble\.messages: expected array, got "admin"$/],
      ['garble: { rate: 0.5, messages: [admin], only: 1 }', /faults\[0\]\.garble\.only: unknown key "only"; expected one of rate, messages$/],
      ['garble: lots', /faults\[0\]\.garble: expected number or object, got "lots"$/],
    ];
    for (const [line, expected] of cases) {
      const message = parseError(line);
      expect(message, line).toMatch(expected);
      expect(message.includes('\n'), line).toBe(false);
    }
  });
});

describe('garble aimed at message classes: the store', () => {
  it('classifies every payload kind the store sends, and nothing else', () => {
    const kinds: Record<string, (typeof MESSAGE_CLASSES)[number] | null> = {
      raft: 'raft',
      'raft-batch': 'raft',
      req: 'client',
      reply: 'client',
      admin: 'admin',
      'admin-reply': 'admin',
      'admin-load': 'admin',
      'fresh-req': 'freshness',
      'fresh-resp': 'freshness',
      ping: null,
    };
    for (const [kind, cls] of Object.entries(kinds)) expect(messageClassOf({ kind }), kind).toBe(cls);
    expect(messageClassOf('admin')).toBe(null);
    expect(messageClassOf(null)).toBe(null);
  });

  function garbledLabels(line: string, seed = 2): { labels: string[]; aims: (string[] | undefined)[]; ok: boolean } {
    const loaded = parseScenarioText('g.yaml', withFault(line));
    const tracer = new Tracer();
    const labels: string[] = [];
    const aims: (string[] | undefined)[] = [];
    tracer.listen((e: TraceEvent) => {
      if (e.type === 'msg.garble') labels.push(e.label);
      if (e.type === 'net.garble' && e.rate > 0) aims.push(e.messages);
    });
    const summary = runScenario(loaded, { seed, tracer }, engineFactoryFor(loaded.scenario, []));
    return { labels, aims, ok: summary.ok };
  }

  it('garbles only admin messages when aimed at them — host replies of the join included — and every check holds', () => {
    // Not too high a rate: the driver needs a status reply from each shard before it moves one,
    // so at 0.7 the moves wait until the garbling ends (and no host reply is garbled).
    const { labels, aims, ok } = garbledLabels('garble: { rate: 0.3, messages: [admin] }', 5);
    expect(aims).toEqual([['admin']]);
    expect(labels.length).toBeGreaterThan(10);
    expect(labels.filter((l) => !l.startsWith('admin'))).toEqual([]);
    expect(labels).toContain('admin-reply.host');
    expect(ok).toBe(true);
  });

  it('garbles only client and freshness messages when aimed at them', () => {
    const { labels, ok } = garbledLabels('garble: { rate: 0.3, messages: [client, freshness] }');
    expect(labels.length).toBeGreaterThan(10);
    const client = (l: string) => l === 'put' || l.startsWith('get.') || l.startsWith('reply.') || l.startsWith('fresh-');
    expect(labels.filter((l) => !client(l))).toEqual([]);
    expect(labels.some((l) => l.startsWith('fresh-'))).toBe(true);
    expect(ok).toBe(true);
  });

  it('garbles every class with the short form', () => {
    const { labels, aims } = garbledLabels('garble: 0.3');
    expect(aims).toEqual([undefined]);
    expect(labels.some((l) => l.startsWith('raft'))).toBe(true);
    expect(labels.some((l) => l.startsWith('admin'))).toBe(true);
  });
});
