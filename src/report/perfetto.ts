// Export of a trace to the Chrome trace-event JSON format, which ui.perfetto.dev and
// chrome://tracing open: machines are processes, shards are threads (Raft role spans), each
// machine has a send and a receive thread for messages joined by flow arrows, client
// operations are slices on a "clients" process, faults are global instant events.
// Streamed: each event is written as soon as it is known, so memory stays bounded by what is
// open at once (role spans, pending operations, messages in flight).
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../base/errors.js';
import type { TraceEvent } from '../trace/events.js';
import { machineOfReplica } from '../store/replica-id.js';
import { assertReadable, readTrace } from '../trace/reader.js';

/** Chrome trace-event phases used here: complete slice, instant, metadata, flow start/end. */
export interface ChromeEvent {
  ph: 'X' | 'i' | 'M' | 's' | 'f';
  name: string;
  pid: number;
  tid: number;
  ts?: number;
  dur?: number;
  cat?: string;
  id?: number;
  s?: 'g' | 'p' | 't';
  bp?: 'e';
  args?: Record<string, unknown>;
}

const PID_RUN = 0;
const PID_CLIENTS = 100_000;
const TID_FAULTS = 0;
const TID_SEND = 1;
const TID_RECV = 2;
const TID_MACHINE = 3;
const TID_SHARD_BASE = 100;
const CHUNK_CHARS = 256 * 1024;

class JsonArrayWriter {
  private readonly fd: number;
  private parts: string[] = [];
  private chars = 0;
  private first = true;
  count = 0;

  constructor(path: string) {
    this.fd = openSync(path, 'w');
    writeSync(this.fd, '{"traceEvents":[\n');
  }

  push(e: ChromeEvent): void {
    const line = (this.first ? '' : ',\n') + JSON.stringify(e);
    this.first = false;
    this.count++;
    this.parts.push(line);
    this.chars += line.length;
    if (this.chars >= CHUNK_CHARS) this.flush();
  }

  private flush(): void {
    if (this.parts.length === 0) return;
    writeSync(this.fd, this.parts.join(''));
    this.parts = [];
    this.chars = 0;
  }

  close(otherData: Record<string, unknown>): void {
    this.flush();
    writeSync(this.fd, `\n],"displayTimeUnit":"ms","otherData":${JSON.stringify(otherData)}}\n`);
    closeSync(this.fd);
  }
}

interface OpenRole {
  role: string;
  term: number;
  sinceUs: number;
  pid: number;
  tid: number;
}

interface OpenOp {
  tUs: number;
  name: string;
  args: Record<string, unknown>;
}

export class PerfettoExporter {
  private readonly pids = new Map<string, number>();
  private readonly threads = new Set<string>();
  private readonly roles = new Map<string, OpenRole>();
  private readonly ops = new Map<number, OpenOp>();
  private readonly inFlight = new Set<number>();
  private readonly faults = new Map<string, { tUs: number; name: string }>();
  private lastUs = 0;
  private scenario = '';
  private seed: number | null = null;

  constructor(private readonly out: JsonArrayWriter) {
    this.meta(PID_RUN, 'process_name', 'kvsim run');
    this.thread(PID_RUN, TID_FAULTS, 'faults');
    this.meta(PID_CLIENTS, 'process_name', 'clients (one thread per logical client)');
  }

  private meta(pid: number, name: 'process_name' | 'process_sort_index', value: string | number, tid = 0): void {
    this.out.push({ ph: 'M', name, pid, tid, args: name === 'process_name' ? { name: value } : { sort_index: value } });
  }

  private thread(pid: number, tid: number, name: string): void {
    const key = `${pid}/${tid}`;
    if (this.threads.has(key)) return;
    this.threads.add(key);
    this.out.push({ ph: 'M', name: 'thread_name', pid, tid, args: { name } });
    this.out.push({ ph: 'M', name: 'thread_sort_index', pid, tid, args: { sort_index: tid } });
  }

  private pid(machine: string): number {
    let pid = this.pids.get(machine);
    if (pid === undefined) {
      pid = this.pids.size + 1;
      this.pids.set(machine, pid);
      this.meta(pid, 'process_name', machine);
      this.meta(pid, 'process_sort_index', pid);
      this.thread(pid, TID_SEND, 'send');
      this.thread(pid, TID_RECV, 'receive');
      this.thread(pid, TID_MACHINE, 'machine');
    }
    return pid;
  }

  private shardTid(pid: number, group: number): number {
    const tid = TID_SHARD_BASE + group;
    this.thread(pid, tid, `shard ${group}`);
    return tid;
  }

  private closeRole(key: string, tUs: number): void {
    const r = this.roles.get(key);
    if (r === undefined) return;
    this.roles.delete(key);
    this.out.push({ ph: 'X', name: r.role === 'down' ? 'down' : `${r.role} t${r.term}`, cat: 'raft', pid: r.pid, tid: r.tid, ts: r.sinceUs, dur: Math.max(0, tUs - r.sinceUs), args: { role: r.role, term: r.term } });
  }

  private openRole(machine: string, group: number, role: string, term: number, tUs: number): void {
    const key = `${group}/${machine}`;
    this.closeRole(key, tUs);
    const pid = this.pid(machine);
    this.roles.set(key, { role, term, sinceUs: tUs, pid, tid: this.shardTid(pid, group) });
  }

  private instant(name: string, pid: number, tid: number, tUs: number, scope: 'g' | 'p' | 't', args?: Record<string, unknown>): void {
    const e: ChromeEvent = { ph: 'i', name, pid, tid, ts: tUs, s: scope };
    if (args !== undefined) e.args = args;
    this.out.push(e);
  }

  add(e: TraceEvent): void {
    this.lastUs = Math.max(this.lastUs, e.t);
    switch (e.type) {
      case 'run.start':
        this.scenario = e.scenario;
        this.seed = e.seed;
        for (const m of e.machines) this.pid(m);
        return;
      case 'msg.send': {
        const pid = this.pid(e.from);
        this.pid(e.to);
        // A slice of 1us on the send thread carries the flow's start; the arrow ends on the
        // receiver's slice (or on a "dropped" slice back on the sender).
        this.out.push({ ph: 'X', name: e.label, cat: 'msg', pid, tid: TID_SEND, ts: e.t, dur: 1, args: { id: e.id, to: e.to } });
        this.out.push({ ph: 's', name: e.label, cat: 'msg', id: e.id, pid, tid: TID_SEND, ts: e.t });
        this.inFlight.add(e.id);
        return;
      }
      case 'msg.deliver': {
        const pid = this.pid(e.to);
        this.out.push({ ph: 'X', name: e.label, cat: 'msg', pid, tid: TID_RECV, ts: e.t, dur: 1, args: { id: e.id, from: e.from } });
        // A duplicated message is delivered twice; only the first delivery ends its flow.
        if (this.inFlight.delete(e.id)) this.out.push({ ph: 'f', bp: 'e', name: e.label, cat: 'msg', id: e.id, pid, tid: TID_RECV, ts: e.t });
        return;
      }
      case 'msg.drop': {
        const pid = this.pid(e.from);
        this.out.push({ ph: 'X', name: `dropped ${e.label}`, cat: 'msg', pid, tid: TID_RECV, ts: e.t, dur: 1, args: { id: e.id, to: e.to, reason: e.reason } });
        if (this.inFlight.delete(e.id)) this.out.push({ ph: 'f', bp: 'e', name: e.label, cat: 'msg', id: e.id, pid, tid: TID_RECV, ts: e.t });
        return;
      }
      case 'raft.role':
        this.openRole(machineOfReplica(e.replica), e.group, e.role, e.term, e.t);
        return;
      case 'raft.elected': {
        const pid = this.pid(machineOfReplica(e.replica));
        this.instant(`elected t${e.term}`, pid, this.shardTid(pid, e.group), e.t, 't', { term: e.term, lastIndex: e.lastIndex, commit: e.commit });
        return;
      }
      case 'raft.snapshot': {
        const pid = this.pid(machineOfReplica(e.replica));
        this.instant(e.installed ? 'snapshot installed' : 'snapshot taken', pid, this.shardTid(pid, e.group), e.t, 't', { index: e.index, term: e.term });
        return;
      }
      case 'raft.conf': {
        const pid = this.pid(machineOfReplica(e.replica));
        this.instant('conf change', pid, this.shardTid(pid, e.group), e.t, 't', { index: e.index, voters: e.voters, learners: e.learners });
        return;
      }
      case 'machine.crash': {
        const pid = this.pid(e.machine);
        this.instant('crash', pid, TID_MACHINE, e.t, 'p');
        for (const [key, r] of [...this.roles]) if (r.pid === pid) this.openRole(e.machine, Number(key.split('/')[0]), 'down', r.term, e.t);
        return;
      }
      case 'machine.restart':
      case 'machine.pause':
      case 'machine.resume':
        this.instant(e.type.slice('machine.'.length), this.pid(e.machine), TID_MACHINE, e.t, 'p');
        return;
      case 'clock.skew':
        this.instant(`clock skew ${e.skewUs}us ${e.driftPpm}ppm`, this.pid(e.machine), TID_MACHINE, e.t, 'p');
        return;
      case 'fault': {
        this.instant(`${e.action} ${e.detail}`, PID_RUN, TID_FAULTS, e.t, 'g', { action: e.action, detail: e.detail });
        const index = /^#(\d+)/.exec(e.detail)?.[1] ?? e.detail;
        if (e.action.startsWith('end-')) {
          const open = this.faults.get(index);
          if (open !== undefined) {
            this.faults.delete(index);
            this.out.push({ ph: 'X', name: open.name, cat: 'fault', pid: PID_RUN, tid: TID_FAULTS, ts: open.tUs, dur: e.t - open.tUs });
          }
        } else this.faults.set(index, { tUs: e.t, name: `${e.action} ${e.detail}` });
        return;
      }
      case 'client.invoke': {
        const name = e.kind === 'put' ? `put ${e.key}` : `get ${e.key} (${e.level ?? 'linearizable'})`;
        this.ops.set(e.op, { tUs: e.t, name, args: { op: e.op, client: e.client, key: e.key, shard: e.shard, level: e.level } });
        return;
      }
      case 'client.complete': {
        const open = this.ops.get(e.op);
        if (open === undefined) return;
        this.ops.delete(e.op);
        this.thread(PID_CLIENTS, e.client, `client ${e.client}`);
        this.out.push({ ph: 'X', name: open.name, cat: 'op', pid: PID_CLIENTS, tid: e.client, ts: open.tUs, dur: e.t - open.tUs, args: { ...open.args, outcome: e.outcome, value: e.value, servedBy: e.servedBy, index: e.index, attempts: e.attempts } });
        return;
      }
      case 'store.read': {
        if (!e.stale) return;
        const pid = this.pid(e.machine);
        this.instant(`stale read ${e.key} -${e.behind}`, pid, this.shardTid(pid, e.shard), e.t, 't', { level: e.level, version: e.version, behind: e.behind });
        return;
      }
      default:
        return;
    }
  }

  finish(): Record<string, unknown> {
    for (const key of [...this.roles.keys()]) this.closeRole(key, this.lastUs);
    for (const [op, o] of this.ops) {
      const client = typeof o.args['client'] === 'number' ? o.args['client'] : 0;
      this.thread(PID_CLIENTS, client, `client ${client}`);
      this.out.push({ ph: 'X', name: `${o.name} (no reply)`, cat: 'op', pid: PID_CLIENTS, tid: client, ts: o.tUs, dur: this.lastUs - o.tUs, args: { ...o.args, op } });
    }
    for (const f of this.faults.values()) this.out.push({ ph: 'X', name: f.name, cat: 'fault', pid: PID_RUN, tid: TID_FAULTS, ts: f.tUs, dur: this.lastUs - f.tUs });
    return { scenario: this.scenario, seed: this.seed, simTimeUs: this.lastUs };
  }
}

export async function writePerfetto(tracePath: string, outDir: string): Promise<{ path: string; events: number }> {
  assertReadable(tracePath);
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (err) {
    throw new UserError(`${outDir}: cannot create the output directory (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const path = join(outDir, 'trace.perfetto.json');
  const out = new JsonArrayWriter(path);
  const exporter = new PerfettoExporter(out);
  let events = 0;
  try {
    for await (const e of readTrace(tracePath)) {
      exporter.add(e);
      events++;
    }
  } catch (err) {
    // A half-written export would open as a truncated trace; leave nothing behind instead.
    out.close({});
    rmSync(path, { force: true });
    throw err;
  }
  out.close(exporter.finish());
  if (events === 0) throw new UserError(`${tracePath}: the trace is empty; expected trace events (kvsim run FILE --trace OUT.jsonl)`);
  return { path, events: out.count };
}
