// Merging the per-process traces of a real run (src/real/merge.ts): synthetic files for the
// rules (order by wallUs, ties, run.start first and summary/end last, t rebased, message ids
// made unique and paired causally, torn lines, located errors), a property over random clock
// offsets, and a real 3-server cluster whose merged trace replay and report open.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mergeTraces, REORDER_WINDOW_US, type MergeResult } from '../../src/real/merge.js';
import { UserError } from '../../src/base/errors.js';
import { RealClock } from '../../src/real/clock.js';
import { TraceFile } from '../../src/real/trace.js';
import { RealServer } from '../../src/node/server.js';
import { ClientSession } from '../../src/node/client.js';
import { everyShardLed, makeClusterFile } from '../../src/node/local-cluster.js';
import type { TraceEvent } from '../../src/trace/events.js';
import { readTraceAll } from '../../src/trace/reader.js';
import { loadTraceFile } from '../../src/replay/trace-store.js';
import { Replay } from '../../src/replay/replay.js';
import { frameView } from '../../src/replay/view.js';
import { printFrame } from '../../src/tui/print.js';
import { writeReport } from '../../src/report/report.js';
import { REAL_RUN_NOTE } from '../../src/report/sections.js';
import { onCleanup, sleep, tempDir, useRealTestLimits } from './helpers.js';

useRealTestLimits();

const W0 = 1_700_000_000_000_000; // a wall-clock instant, µs since the epoch

type Line = Record<string, unknown> & { type: string };

/** A trace file as TraceFile writes it: each event with `wallUs` last. */
function traceFile(dir: string, name: string, lines: readonly (Line & { wallUs: number })[], tail = ''): string {
  const path = join(dir, name);
  writeFileSync(path, lines.map((l) => JSON.stringify({ t: l.wallUs - W0, ...l })).join('\n') + '\n' + tail);
  return path;
}

const at = (us: number) => W0 + us;
const start = (us = 1000): Line & { wallUs: number } => ({ type: 'run.start', seed: 5, scenario: 'synthetic', machines: ['n1', 'n2'], mode: 'real', wallUs: at(us) });
const summary = (us: number): Line & { wallUs: number } => ({ type: 'run.summary', scenario: 'synthetic', seed: 5, bugs: [], summary: { checks: {} }, wallUs: at(us) });
const end = (us: number): Line & { wallUs: number } => ({ type: 'run.end', events: 0, wallUs: at(us) });
const send = (from: string, to: string, id: number, us: number) => ({ type: 'msg.send', id, from, to, label: 'raft.append', wallUs: at(us) });
const deliver = (from: string, to: string, id: number, us: number) => ({ type: 'msg.deliver', id, from, to, label: 'raft.append', wallUs: at(us) });
const role = (replica: string, us: number) => ({ type: 'raft.role', replica, group: 0, role: 'follower', term: 1, leader: null, reason: 'start', wallUs: at(us) });

async function merged(driver: string, others: string[], dir: string): Promise<{ result: MergeResult; events: (TraceEvent & Record<string, unknown>)[] }> {
  const out = join(dir, 'merged.jsonl');
  const result = await mergeTraces(driver, others, out);
  const events = (await readTraceAll(out)) as (TraceEvent & Record<string, unknown>)[];
  return { result, events };
}

async function mergeError(driver: string, others: string[], dir: string): Promise<UserError> {
  const err = await mergeTraces(driver, others, join(dir, 'merged.jsonl')).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UserError);
  return err as UserError;
}

describe('mergeTraces: one time line', () => {
  it('orders by wallUs across files, ties by input then line order; run.start first, summary and end last; t rebased', async () => {
    const dir = tempDir();
    const driver = traceFile(dir, 'driver.jsonl', [start(1000), { type: 'fault', action: 'isolate', detail: '#0 n2', wallUs: at(5000) }, summary(9000), end(9000)]);
    const n1 = traceFile(dir, 'n1.jsonl', [role('n1', 400), { ...role('n1', 5000), role: 'candidate' }, { ...role('n1', 5000), role: 'leader' }]);
    const n2 = traceFile(dir, 'n2.jsonl', [role('n2', 3000), { ...role('n2', 5000), reason: 'tie' }, { ...role('n2', 12_000), reason: 'late' }]);
    const { result, events } = await merged(driver, [n1, n2], dir);
    const shape = events.map((e) => `${e.t} ${e.type} ${String(e.replica ?? e.action ?? '')}${e.role !== undefined ? `:${String(e.role)}` : ''}`);
    expect(shape).toEqual([
      '0 run.start ',
      '0 raft.role n1:follower', // stamped before run.start: kept, at t = 0, after it
      '2000 raft.role n2:follower',
      '4000 fault isolate', // the tie at 5000: driver, then n1 (line order), then n2
      '4000 raft.role n1:candidate',
      '4000 raft.role n1:leader',
      '4000 raft.role n2:follower',
      '11000 raft.role n2:follower', // after the driver's summary on the wall clock, still before it
      '11000 run.summary ',
      '11000 run.end ',
    ]);
    expect(events[0]).toMatchObject({ type: 'run.start', mode: 'real', wallUs: at(1000) });
    for (const e of events.slice(1)) expect(e).not.toHaveProperty('wallUs');
    expect(events.at(-1)).toMatchObject({ type: 'run.end', events: events.length });
    expect(result).toMatchObject({ events: events.length, firstWallUs: at(1000), lastWallUs: at(12_000), files: 3, skippedTornLines: 0, clampedEarlyEvents: 1, complete: true });
  });

  it('keeps a file in its own order when its wall clock steps back, and writes mode real even if the driver left it out', async () => {
    const dir = tempDir();
    const { mode: _mode, ...plainStart } = start(0);
    void _mode;
    const driver = traceFile(dir, 'driver.jsonl', [plainStart, end(50)]);
    const n1 = traceFile(dir, 'n1.jsonl', [role('n1', 30), { ...role('n1', 10), reason: 'after-restart' }]);
    const { events } = await merged(driver, [n1], dir);
    expect(events.map((e) => [e.t, e.type, e.reason])).toEqual([
      [0, 'run.start', undefined],
      [30, 'raft.role', 'start'],
      [30, 'raft.role', 'after-restart'],
      [50, 'run.end', undefined],
    ]);
    expect(events[0]!.mode).toBe('real');
  });

  it('a driver that stopped early: no summary or end, and the result says it is incomplete', async () => {
    const dir = tempDir();
    const driver = traceFile(dir, 'driver.jsonl', [start(0), { type: 'fault', action: 'crash', detail: '#0 n1', wallUs: at(10) }]);
    const { result, events } = await merged(driver, [], dir);
    expect(events.map((e) => e.type)).toEqual(['run.start', 'fault']);
    expect(result.complete).toBe(false);
  });
});

describe('mergeTraces: message ids', () => {
  it('gives every send a unique id; deliveries in other files take their send’s id; a restart’s numbers are new messages', async () => {
    const dir = tempDir();
    const driver = traceFile(dir, 'driver.jsonl', [start(0), summary(2_000_000), end(2_000_000)]);
    const n1 = traceFile(dir, 'n1.jsonl', [
      send('n1', 'n2', 1, 100),
      send('n1', 'n2', 2, 110),
      deliver('n2', 'n1', 1, 300),
      // restarted a second later: numbering starts again
      send('n1', 'n2', 1, 1_000_000),
    ]);
    const n2 = traceFile(dir, 'n2.jsonl', [
      send('n2', 'n1', 1, 200),
      deliver('n1', 'n2', 1, 250),
      deliver('n1', 'n2', 2, 260),
      deliver('n1', 'n2', 1, 1_000_100),
    ]);
    const { result, events } = await merged(driver, [n1, n2], dir);
    const msgs = events.filter((e) => e.type === 'msg.send' || e.type === 'msg.deliver') as (TraceEvent & { id: number; from: string; to: string })[];
    const sends = msgs.filter((e) => e.type === 'msg.send');
    expect(new Set(sends.map((e) => e.id)).size).toBe(4);
    // Each delivery has exactly one send with its id, earlier, between the same machines.
    for (const [i, d] of msgs.entries()) {
      if (d.type !== 'msg.deliver') continue;
      const j = msgs.findIndex((s) => s.type === 'msg.send' && s.id === d.id);
      expect(j, `delivery ${i}`).toBeGreaterThanOrEqual(0);
      expect(j).toBeLessThan(i);
      expect([msgs[j]!.from, msgs[j]!.to]).toEqual([d.from, d.to]);
    }
    const restartSend = sends.find((s) => s.t === 1_000_000)!;
    expect(msgs.find((d) => d.type === 'msg.deliver' && d.t === 1_000_100)!.id).toBe(restartSend.id);
    expect(msgs.find((d) => d.type === 'msg.deliver' && d.t === 250)!.id).toBe(sends[0]!.id);
    expect(result.messages).toEqual({ sends: 4, moved: 0, unpaired: 0, duplicates: 0, unended: 0 });
  });

  it('a delivery stamped before its send (another process’s clock) is merged at the send, with the rest of its file behind it', async () => {
    const dir = tempDir();
    const driver = traceFile(dir, 'driver.jsonl', [start(0), end(9000)]);
    // n2's clock runs 800 µs behind n1's: it stamps the delivery before n1 stamped the send.
    const n1 = traceFile(dir, 'n1.jsonl', [role('n1', 1000), send('n1', 'n2', 7, 1500), role('n1', 1600)]);
    const n2 = traceFile(dir, 'n2.jsonl', [deliver('n1', 'n2', 7, 1100), { ...role('n2', 1150), reason: 'caused-by-delivery' }, role('n2', 2000)]);
    const { result, events } = await merged(driver, [n1, n2], dir);
    expect(events.map((e) => `${e.t} ${e.type} ${String(e.replica ?? e.from ?? '')}${e.reason === 'caused-by-delivery' ? ' (after)' : ''}`)).toEqual([
      '0 run.start ',
      '1000 raft.role n1',
      '1500 msg.send n1',
      '1500 msg.deliver n1',
      '1500 raft.role n2 (after)',
      '1600 raft.role n1',
      '2000 raft.role n2',
      '9000 run.end ',
    ]);
    expect(result.messages.moved).toBe(1);
  });

  it('a delivery from a machine that traces nothing gets an id of its own at once; a copy keeps the message’s id', async () => {
    const dir = tempDir();
    const driver = traceFile(dir, 'driver.jsonl', [start(0), end(90_000)]);
    const n1 = traceFile(dir, 'n1.jsonl', [send('n1', 'n2', 1, 100), send('n1', 'c1', 2, 150)]);
    const n2 = traceFile(dir, 'n2.jsonl', [
      deliver('c1', 'n2', 1, 120), // the client's sends are not traced: nothing to wait for
      role('n2', 130),
      deliver('n1', 'n2', 1, 200),
      deliver('n1', 'n2', 1, 40_000), // the transport's copy, much later
    ]);
    const { result, events } = await merged(driver, [n1, n2], dir);
    const shape = events.filter((e) => e.type.startsWith('msg.') || e.type === 'raft.role').map((e) => `${e.t} ${e.type} ${String(e.from ?? e.replica)}`);
    expect(shape).toEqual(['100 msg.send n1', '120 msg.deliver c1', '130 raft.role n2', '150 msg.send n1', '200 msg.deliver n1', '40000 msg.deliver n1']);
    const ids = events.filter((e) => e.type.startsWith('msg.')).map((e) => e.id);
    expect(ids[3]).toBe(ids[0]);
    expect(ids[4]).toBe(ids[0]);
    expect(new Set([ids[0], ids[1], ids[2]]).size).toBe(3);
    expect(result.messages).toEqual({ sends: 2, moved: 0, unpaired: 1, duplicates: 1, unended: 1 });
  });

  it('a delivery whose send was never written (a killed sender’s lost lines) stops waiting after the window', async () => {
    const dir = tempDir();
    const driver = traceFile(dir, 'driver.jsonl', [start(0), end(200_000)]);
    const n1 = traceFile(dir, 'n1.jsonl', [send('n1', 'n2', 1, 100), role('n1', 100_000)]);
    const n2 = traceFile(dir, 'n2.jsonl', [deliver('n1', 'n2', 1, 200), deliver('n1', 'n2', 2, 300), role('n2', 400)]);
    const { result, events } = await merged(driver, [n1, n2], dir);
    const times = events.map((e) => `${e.t} ${e.type}`);
    // Message 2 waits for a send until n1's next event is past the window; then n2 goes on.
    expect(times).toEqual(['0 run.start', '100 msg.send', '200 msg.deliver', '300 msg.deliver', '400 raft.role', '100000 raft.role', '200000 run.end']);
    expect(result.messages.unpaired).toBe(1);
    expect(REORDER_WINDOW_US).toBeLessThan(100_000 - 300);
  });

  it('property: with clocks off by up to a millisecond, every delivery follows its send and every file keeps its order', async () => {
    const dir = tempDir();
    const machines = ['n1', 'n2', 'n3'];
    const scenario = fc.record({
      offsetsUs: fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 3, maxLength: 3 }),
      messages: fc.array(fc.record({ from: fc.nat(2), to: fc.nat(2), gapUs: fc.integer({ min: 1, max: 3000 }), latencyUs: fc.integer({ min: 30, max: 400 }) }), { minLength: 1, maxLength: 40 }),
    });
    let movedSeen = 0;
    await fc.assert(
      fc.asyncProperty(scenario, async ({ offsetsUs, messages }) => {
        const files: { line: Line & { wallUs: number }; trueUs: number }[][] = machines.map(() => []);
        const nextId = [1, 1, 1];
        let nowUs = 10_000;
        for (const m of messages) {
          nowUs += m.gapUs;
          const to = m.from === m.to ? (m.to + 1) % 3 : m.to;
          const id = nextId[m.from]!++;
          const stamp = (machine: number, trueUs: number) => trueUs + offsetsUs[machine]! + 5000;
          files[m.from]!.push({ line: send(machines[m.from]!, machines[to]!, id, stamp(m.from, nowUs)), trueUs: nowUs });
          files[to]!.push({ line: deliver(machines[m.from]!, machines[to]!, id, stamp(to, nowUs + m.latencyUs)), trueUs: nowUs + m.latencyUs });
        }
        // Each process writes in its own true-time order.
        for (const f of files) f.sort((a, b) => a.trueUs - b.trueUs);
        const driver = traceFile(dir, 'driver.jsonl', [start(0), end(nowUs + 20_000)]);
        const paths = machines.map((m, i) =>
          traceFile(
            dir,
            `${m}.jsonl`,
            files[i]!.map((x, seq) => ({ ...x.line, seq })),
          ),
        );
        const { result, events } = await merged(driver, paths, dir);
        const sendAt = new Map<number, number>();
        const lastSeq = new Map<string, number>();
        events.forEach((e, i) => {
          if (e.type === 'msg.send') {
            expect(sendAt.has(e.id)).toBe(false);
            sendAt.set(e.id, i);
          }
          if (e.type === 'msg.deliver') expect(sendAt.get(e.id)).toBeLessThan(i);
          if (typeof e.seq === 'number') {
            const owner = e.type === 'msg.send' ? (e.from as string) : (e.to as string);
            expect(e.seq).toBeGreaterThan(lastSeq.get(owner) ?? -1);
            lastSeq.set(owner, e.seq);
          }
          if (i > 0) expect(e.t).toBeGreaterThanOrEqual(events[i - 1]!.t);
        });
        expect(result.messages.unpaired).toBe(0);
        expect(result.messages.unended).toBe(0);
        movedSeen += result.messages.moved;
      }),
      { numRuns: 60 },
    );
    expect(movedSeen, 'some deliveries were stamped before their sends').toBeGreaterThan(0);
  });
});

describe('mergeTraces: torn lines and bad input', () => {
  it('skips and counts a torn final line (a process killed mid-write)', async () => {
    const dir = tempDir();
    const driver = traceFile(dir, 'driver.jsonl', [start(0), end(100)]);
    const n1 = traceFile(dir, 'n1.jsonl', [role('n1', 10), role('n1', 20)], '{"t":30,"type":"raft.ro');
    const { result, events } = await merged(driver, [n1], dir);
    expect(events.map((e) => e.type)).toEqual(['run.start', 'raft.role', 'raft.role', 'run.end']);
    expect(result.skippedTornLines).toBe(1);
  });

  it('a torn line glued to the first line of the restarted process: the fragment is counted, the event kept', async () => {
    const dir = tempDir();
    const driver = traceFile(dir, 'driver.jsonl', [start(0), end(100)]);
    const whole = JSON.stringify({ t: 0, type: 'raft.restart', replica: 'n1', group: 0, term: 1, commit: 0, lastIndex: 0, snapshotIndex: 0, wallUs: at(50) });
    const path = join(dir, 'n1.jsonl');
    writeFileSync(path, [JSON.stringify({ t: 10, ...role('n1', 10) }), `{"t":20,"type":"raft.ap${whole}`, JSON.stringify({ t: 1, ...role('n1', 60) })].join('\n') + '\n');
    const { result, events } = await merged(driver, [path], dir);
    expect(events.map((e) => `${e.t} ${e.type}`)).toEqual(['0 run.start', '10 raft.role', '50 raft.restart', '60 raft.role', '100 run.end']);
    expect(result.skippedTornLines).toBe(1);
  });

  it('a bad line in the middle is a UserError naming the file and line', async () => {
    const dir = tempDir();
    const driver = traceFile(dir, 'driver.jsonl', [start(0), end(100)]);
    const path = join(dir, 'n2.jsonl');
    writeFileSync(path, [JSON.stringify({ t: 10, ...role('n2', 10) }), '', '{"t":20,"type":"raft.ro', JSON.stringify({ t: 30, ...role('n2', 30) })].join('\n') + '\n');
    const err = await mergeError(driver, [path], dir);
    expect(err.message).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3: `));
    expect(err.message).toMatch(/expected a JSON object/);
  });

  it('a line without wallUs is a located UserError; the name given is in the message; nothing is written', async () => {
    const dir = tempDir();
    const driver = traceFile(dir, 'driver.jsonl', [start(0), end(100)]);
    const path = join(dir, 'n3.jsonl');
    writeFileSync(path, [JSON.stringify({ t: 10, ...role('n3', 10) }), JSON.stringify({ t: 20, type: 'raft.role', replica: 'n3' })].join('\n') + '\n');
    const out = join(dir, 'merged.jsonl');
    const err = await mergeTraces(driver, [{ path, name: 'server n3' }], out).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toContain(`${path}:2: server n3: expected field "wallUs"`);
    expect(() => readFileSync(out)).toThrow();
    expect(() => readFileSync(`${out}.merging`)).toThrow();
  });

  it('a missing file, a driver without run.start, run.* in a server trace, events after run.end: UserErrors', async () => {
    const dir = tempDir();
    const driver = traceFile(dir, 'driver.jsonl', [start(0), end(100)]);
    expect((await mergeError(driver, [join(dir, 'nope.jsonl')], dir)).message).toMatch(/nope\.jsonl: no such file/);
    const headless = traceFile(dir, 'headless.jsonl', [role('n1', 0), start(10)]);
    expect((await mergeError(headless, [], dir)).message).toMatch(/headless\.jsonl:1: expected the driver's trace to start with run\.start/);
    const server = traceFile(dir, 'n1.jsonl', [role('n1', 5), end(6)]);
    expect((await mergeError(driver, [server], dir)).message).toMatch(/n1\.jsonl:2: run\.end in a server's trace/);
    const trailing = traceFile(dir, 'trailing.jsonl', [start(0), end(10), role('n1', 20)]);
    expect((await mergeError(trailing, [], dir)).message).toMatch(/trailing\.jsonl:3: raft\.role after run\.end/);
    expect((await mergeError(driver, [driver], dir)).message).toMatch(/given twice/);
  });
});

// ------------------------------------------------------------------------------- a real cluster

describe('mergeTraces: a real cluster', () => {
  it('merges three RealServers’ traces and a driver’s; replay draws it and the report says it is a real run', async () => {
    const dir = tempDir();
    const cluster = await makeClusterFile({ machines: 3, shards: 2, replication: 3, seed: 11 });
    const clock = new RealClock();
    const driverPath = join(dir, 'driver.jsonl');
    const driver = new TraceFile(driverPath, { flushEveryMs: 0 });
    onCleanup(() => driver.close());
    const emit = (event: TraceEvent, atUs = clock.trueUs()): void => {
      event.t = atUs;
      driver.write(event, clock.wallUs(atUs));
    };
    emit({ t: 0, type: 'run.start', seed: 11, scenario: 'merge-e2e', machines: ['n1', 'n2', 'n3'], mode: 'real' });

    const servers: RealServer[] = [];
    onCleanup(() => Promise.all(servers.map((s) => s.stop())));
    const tracePaths = cluster.servers.map((s) => join(dir, `${s.id}.trace.jsonl`));
    for (const [i, s] of cluster.servers.entries()) {
      servers.push(await RealServer.start({ clusterPath: join(dir, 'cluster.json'), cluster, id: s.id, dataDir: join(dir, s.id), tracePath: tracePaths[i]!, log: () => {} }));
    }
    const ledBy = performance.now() + 10_000;
    while (!everyShardLed(cluster, servers.map((s) => s.status()))) {
      if (performance.now() > ledBy) throw new Error('no leaders within 10 s');
      await sleep(20);
    }
    const client = await ClientSession.open(cluster, 'c1', null, () => {}, { clock });
    onCleanup(() => client.close());
    const ops = { total: 0, ok: 0, failed: 0, indeterminate: 0 };
    // The driver traces its client's operations (the session's own machine traces nothing).
    const run = async (op: () => ReturnType<ClientSession['put']>): Promise<void> => {
      const r = await op();
      const rec = r.record;
      emit({ t: 0, type: 'client.invoke', client: rec.client, op: rec.id, kind: r.op, key: r.key, level: r.level, shard: rec.shard ?? 0 }, rec.invokeUs);
      emit({ t: 0, type: 'client.complete', client: rec.client, op: rec.id, outcome: rec.outcome, value: r.value, servedBy: r.servedBy, index: r.index, attempts: r.attempts }, rec.completeUs ?? clock.trueUs());
      ops.total++;
      ops[rec.outcome]++;
    };
    for (let i = 0; i < 4; i++) await run(() => client.put(`k${i}`, `v${i}`));
    await run(() => client.get('k1'));
    // A fault, played as a live driver would: a server that leads no shard (two shards, three
    // servers: there is one) cut off from the others for a moment; writes still commit.
    const ids = cluster.servers.map((s) => s.id);
    const cut = servers.find((s) => s.status().shards.every((sh) => sh.role !== 'leader'))!;
    const rest = ids.filter((id) => id !== cut.id);
    emit({ t: 0, type: 'fault', action: 'isolate', detail: `#0 ${cut.id}` });
    emit({ t: 0, type: 'net.cut', links: rest.flatMap((id): [string, string][] => [[cut.id, id], [id, cut.id]]), description: `${cut.id} isolated` });
    cut.machine.transport.filter = (from, to) => (ids.includes(from) && ids.includes(to) && from !== to ? 'drop' : 'deliver');
    await run(() => client.put('during', 'cut'));
    await sleep(200);
    cut.machine.transport.filter = null;
    emit({ t: 0, type: 'fault', action: 'end-isolate', detail: '#0' });
    emit({ t: 0, type: 'net.heal', links: 'all' });
    await run(() => client.get('during', 'linearizable'));
    await client.close();
    await Promise.all(servers.map((s) => s.stop()));
    servers.length = 0;
    emit({ t: 0, type: 'run.summary', scenario: 'merge-e2e', seed: 11, bugs: [], summary: { checks: { linearizable: { ok: true, message: `${ops.total} operations checked` } }, ops, elections: 2 } });
    emit({ t: 0, type: 'run.end', events: driver.lines + 1 });
    driver.close();

    const out = join(dir, 'merged.jsonl');
    const result = await mergeTraces({ path: driverPath, name: 'driver' }, tracePaths, out);
    const events = await readTraceAll(out);
    expect(result).toMatchObject({ events: events.length, files: 4, skippedTornLines: 0, complete: true });
    expect(events[0]).toMatchObject({ type: 'run.start', mode: 'real', t: 0 });
    expect(events.slice(-2).map((e) => e.type)).toEqual(['run.summary', 'run.end']);
    expect(events.at(-1)).toMatchObject({ events: events.length });
    const sendAt = new Map<number, number>();
    let paired = 0;
    events.forEach((e, i) => {
      if (i > 0) expect(e.t).toBeGreaterThanOrEqual(events[i - 1]!.t);
      if (e.type === 'msg.send') {
        expect(sendAt.has(e.id), `send id ${e.id} unique`).toBe(false);
        sendAt.set(e.id, i);
      }
      if (e.type === 'msg.deliver' && sendAt.has(e.id)) {
        expect(events[sendAt.get(e.id)!]).toMatchObject({ from: e.from, to: e.to, label: e.label });
        paired++;
      }
    });
    expect(paired).toBeGreaterThan(10);
    expect(result.messages.unpaired).toBeGreaterThan(0); // c1's requests: its sends are not traced
    expect(events.some((e) => e.type === 'msg.drop' && e.reason === 'partition')).toBe(true);

    // (a) replay: loads, every state builds, the servers and a leader show.
    const replay = new Replay(loadTraceFile(out));
    const request = { filter: null, key: null, logBefore: 6, logAfter: 6, timelineWidth: 80, readsShown: 4 };
    for (const cursor of [0, Math.floor(replay.count / 3), Math.floor((2 * replay.count) / 3), replay.count - 1]) frameView(replay, { ...request, cursor });
    expect(replay.stateAt(replay.count - 1).inflight.size).toBe(replay.stateAtLinear(replay.count - 1).inflight.size);
    const last = frameView(replay, { ...request, cursor: replay.count - 1 });
    expect(last.status).toMatchObject({ real: true, scenario: 'merge-e2e', seed: 11 });
    expect(last.grid.rows.map((r) => r.machine)).toEqual(['n1', 'n2', 'n3']);
    expect(last.grid.rows.some((r) => r.cells.some((c) => c.role === 'L'))).toBe(true);
    const cutAt = events.findIndex((e) => e.type === 'net.cut');
    expect(frameView(replay, { ...request, cursor: cutAt }).network.sides).toEqual([[cut.id], rest]);
    const text = printFrame(replay, replay.count - 1, 100, 30);
    expect(text).toContain('merge-e2e seed 11');
    expect(text).toContain('real run');

    // (b) report: written, and it says it is a real run.
    const report = await writeReport(out, join(dir, 'report'));
    const html = readFileSync(report.htmlPath, 'utf8');
    expect(html).toContain('<title>kvsim report: merge-e2e seed 11 (real run)</title>');
    expect(html).toContain(REAL_RUN_NOTE);
    expect(report.model.realRun).toBe(true);
    expect(report.model.elections.length).toBeGreaterThanOrEqual(2);
    expect(report.model.latencyUs.get('put')?.length).toBe(ops.ok - 2); // two of the ok operations were gets
  });
});
