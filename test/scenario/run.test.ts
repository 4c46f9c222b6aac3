import { describe, expect, it } from 'vitest';
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { kvsim } from '../cli/helpers.js';
import { loadScenarioFile } from '../../src/scenario/load.js';
import { runScenario } from '../../src/harness/runner.js';
import { readTraceAll } from '../../src/trace/reader.js';
import { TraceHasher } from '../../src/trace/hash.js';
import { parseScenarioText } from '../../src/scenario/load.js';

const demo = 'scenarios/demo-ping.yaml';

describe('kvsim run on the kernel demo', () => {
  it('prints the summary fields of the contract with --json', () => {
    const result = kvsim(['run', demo, '--seed', '7', '--json']);
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout);
    for (const field of ['scenario', 'seed', 'traceHash', 'simTimeUs', 'wallMs', 'events', 'messages', 'ops', 'elections', 'staleReads', 'checks', 'expectations', 'ok']) {
      expect(summary).toHaveProperty(field);
    }
    expect(summary.traceHash).toMatch(/^[0-9a-f]{16}$/);
    expect(summary.simTimeUs).toBe(10_000_000);
    expect(summary.seed).toBe(7);
    for (const check of ['invariants', 'linearizable', 'eventual', 'durability', 'liveness']) {
      expect(summary.checks[check]).toHaveProperty('ok');
    }
  });

  it('two runs of one seed print the same hash; another seed prints another', () => {
    const a = JSON.parse(kvsim(['run', demo, '--seed', '7', '--json']).stdout);
    const b = JSON.parse(kvsim(['run', demo, '--seed', '7', '--json']).stdout);
    const c = JSON.parse(kvsim(['run', demo, '--seed', '8', '--json']).stdout);
    expect(a.traceHash).toBe(b.traceHash);
    expect(a.events).toBe(b.events);
    expect(c.traceHash).not.toBe(a.traceHash);
  });

  it('a run inside a batch of other seeds hashes like the same run alone', () => {
    const loaded = loadScenarioFile(demo);
    const alone = runScenario(loaded, { seed: 5 }).traceHash;
    const batch = [3, 4, 5, 6].map((seed) => runScenario(loaded, { seed }).traceHash);
    expect(batch[2]).toBe(alone);
    expect(new Set(batch).size).toBe(4);
  });

  it.each([demo, 'scenarios/leader-election.yaml'])('%s writes a trace file whose events rehash to the printed hash', async (file) => {
    mkdirSync('reports/.test', { recursive: true });
    const out = `reports/.test/rehash-${file.replace(/\W+/g, '-')}.jsonl`;
    const summary = JSON.parse(kvsim(['run', file, '--seed', '3', '--json', '--trace', out]).stdout);
    const events = await readTraceAll(out);
    expect(events.length).toBe(summary.events);
    expect(events[0]!.type).toBe('run.start');
    expect(events[events.length - 1]!.type).toBe('run.end');
    const hasher = new TraceHasher();
    for (const e of events) hasher.value(e);
    expect(hasher.digest()).toBe(summary.traceHash);
    expect(readFileSync(out, 'utf8').endsWith('\n')).toBe(true);
  });

  it('exits 1 when an expectation fails and names it', () => {
    const failing = 'reports/.test/failing-expect.yaml';
    mkdirSync('reports/.test', { recursive: true });
    const text = readFileSync(demo, 'utf8').replace('events: "> 1000"', 'events: "< 10"');
    writeFileSync(failing, text);
    const result = kvsim(['run', failing, '--json']);
    expect(result.code).toBe(1);
    const summary = JSON.parse(result.stdout);
    expect(summary.ok).toBe(false);
    expect(summary.expectations.failed[0]).toMatch(/^events: expected "< 10", got \d+/);
  });

  it('faults fire: a partition drops messages that otherwise arrive', () => {
    const base = 'duration: 2s\ncluster: { machines: 3 }\ndemo: { pingEvery: 10ms }\n';
    const calm = runScenario(parseScenarioText('calm.yaml', base), { seed: 1 });
    const cut = runScenario(
      parseScenarioText('cut.yaml', base + 'faults:\n  - at: 500ms\n    for: 1s\n    isolate: n1\n'),
      { seed: 1 },
    );
    expect(calm.messages.dropped).toBe(0);
    expect(cut.messages.dropped).toBeGreaterThan(50);
    expect(cut.faults).toBe(1);
  });

  it('every-triggers repeat and when-triggers wait for their condition', () => {
    const text =
      'duration: 2s\ncluster: { machines: 3 }\ndemo: { pingEvery: 10ms }\nfaults:\n' +
      '  - every: 500ms\n    for: 100ms\n    pause: random\n' +
      '  - when: { opsCompleted: 100 }\n    crash: n3\n';
    const summary = runScenario(parseScenarioText('x.yaml', text), { seed: 2 });
    // 0.5s, 1s, 1.5s + the crash; the one due at 2s, the duration's last instant, is refused (the
    // settle heals everything then, and a fault after that would last through the settle).
    expect(summary.faults).toBe(4);
  });
});

describe('undecided checks', () => {
  it('a linearizability check out of work budget makes the run exit 3, deterministically', () => {
    const a = kvsim(['run', 'test/fixtures/scenarios/tiny-lin-budget.yaml', '--json']);
    expect(a.code).toBe(3);
    const summary = JSON.parse(a.stdout);
    expect(summary.checks.linearizable).toMatchObject({ ok: null, verdict: 'unknown', undecided: true });
    const b = JSON.parse(kvsim(['run', 'test/fixtures/scenarios/tiny-lin-budget.yaml', '--json']).stdout);
    expect(b.traceHash).toBe(summary.traceHash);
    const human = kvsim(['run', 'test/fixtures/scenarios/tiny-lin-budget.yaml']);
    expect(human.stdout).toMatch(/^UNDECIDED /);
  });
});
