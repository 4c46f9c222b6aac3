// One readable sentence per trace event, for the event log: "n3 became leader of shard 2 in
// term 5", "n1 cut off from {n2,n3,n4,n5}", "client c7 read k42 from n4: stale by 2 versions".
import type { TraceEvent } from '../trace/events.js';
import { describeCuts, formatSides } from './network.js';
import { formatSpanUs } from './time.js';

/** What a sentence may need beyond the event itself. */
export interface DescribeContext {
  /** The client machine a read served at event i came from, when the trace shows it. */
  readerOf(i: number): string | null;
  /** The key an operation id was about. */
  keyOfOp(op: number): string | undefined;
}

/** Logical clients are numbered machine * 256 + slot by the workload driver; probes from 1e9. */
const SLOTS_PER_CLIENT = 256;
const PROBE_CLIENT_BASE = 1_000_000_000;

export function clientName(client: number): string {
  if (client >= PROBE_CLIENT_BASE) return 'probe';
  return `c${Math.floor(client / SLOTS_PER_CLIENT) + 1}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function set(names: readonly string[]): string {
  return `{${names.join(',')}}`;
}

function percent(p: number): string {
  return `${+(p * 100).toFixed(2)}%`;
}

/** The sides a list of cut links forms, when it forms clean sides. */
export function cutSentence(links: readonly (readonly [string, string])[]): string | null {
  const names: string[] = [];
  const ids = new Map<string, number>();
  const cut = new Set<string>();
  for (const [a, b] of links) {
    for (const n of [a, b]) {
      if (!ids.has(n)) {
        ids.set(n, names.length);
        names.push(n);
      }
    }
    cut.add(`${ids.get(a)}>${ids.get(b)}`);
  }
  const order = names.map((_, i) => i).sort((x, y) => compareNames(names[x]!, names[y]!));
  const view = describeCuts(order, names, (a, b) => cut.has(`${a}>${b}`));
  return view.sides === null ? null : formatSides(view.sides);
}

/** Machine names in natural order: n2 before n10. */
export function compareNames(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

export function describeEvent(event: TraceEvent, i: number, ctx: DescribeContext): string {
  switch (event.type) {
    case 'run.start':
      if (event.mode === 'real') return `real run of ${event.scenario} (seed ${event.seed}) starts on ${set(event.machines)}; clocks as recorded on the host`;
      return `run of ${event.scenario} (seed ${event.seed}) starts on ${set(event.machines)}`;
    case 'run.end':
      return `run ends after ${event.events} events`;
    case 'run.summary':
      return summarySentence(event.summary);
    case 'msg.send':
      return `${event.from} sends ${event.label} #${event.id} to ${event.to}`;
    case 'msg.deliver':
      return `${event.to} receives ${event.label} #${event.id} from ${event.from}`;
    case 'msg.drop':
      return `${event.label} #${event.id} ${event.from} -> ${event.to} dropped (${event.reason})`;
    case 'machine.crash':
      return `${event.machine} crashed`;
    case 'machine.restart':
      return `${event.machine} restarted`;
    case 'machine.pause':
      return `${event.machine} paused`;
    case 'machine.resume':
      return `${event.machine} resumed (${plural(event.held, 'message')} held)`;
    case 'clock.skew':
      return `${event.machine} clock skewed ${event.skewUs >= 0 ? '+' : ''}${formatSpanUs(event.skewUs)}, drift ${event.driftPpm} ppm`;
    case 'net.cut': {
      const sides = cutSentence(event.links);
      return sides !== null ? sides : `network cut: ${event.description}`;
    }
    case 'net.heal':
      if (event.links === 'all') return 'network healed: all links';
      return `network healed: ${cutSentence(event.links)?.replace(' cut off from ', ' rejoins ') ?? plural(event.links.length, 'link')}`;
    case 'net.clog':
      return `link ${event.from} -> ${event.to} clogged until ${formatSpanUs(event.untilUs)}`;
    case 'net.rates':
      return `network: drop ${percent(event.drop)}, duplicate ${percent(event.duplicate)}, extra delay ${formatSpanUs(event.delayExtraUs)}`;
    case 'net.garble':
      return event.rate === 0
        ? 'network: garbling off'
        : `network: ${percent(event.rate)} of ${event.messages !== undefined ? `${event.messages.join(', ')} ` : ''}messages garbled`;
    case 'msg.garble':
      return `message ${event.from} -> ${event.to} (${event.label}) garbled at ${event.path}`;
    case 'net.delay':
      if (event.links.length === 0) return 'every slow link back to normal';
      return event.extraUs === 0 ? `${plural(event.links.length, 'link')} back to normal delay` : `${plural(event.links.length, 'link')} slowed by ${formatSpanUs(event.extraUs)}`;
    case 'disk.slow':
      return event.factor === 1 ? `${event.machine} disk back to normal speed` : `${event.machine} disk slowed x${event.factor}`;
    case 'disk.durable':
      return `${event.machine} disk made ${plural(event.writes, 'write')} durable`;
    case 'disk.lost':
      return `${event.machine} lost ${plural(event.writes, 'unsynced write')}`;
    case 'fault':
      return `fault ${event.action}: ${event.detail}`;
    case 'demo.ping':
      return `${event.from} pings ${event.to} (#${event.seq})`;
    case 'demo.pong':
      return `${event.from} answers ${event.to}'s ping #${event.seq} (rtt ${formatSpanUs(event.rttUs)})`;
    case 'raft.role':
      return roleSentence(event.replica, event.group, event.role, event.term, event.leader, event.reason);
    case 'raft.restart':
      return `${event.replica} reloaded shard ${event.group}: term ${event.term}, commit ${event.commit}, log to ${event.lastIndex}`;
    case 'raft.vote':
      return `${event.replica} ${event.pre ? 'pre-votes' : 'votes'} for ${event.candidate} in shard ${event.group}, term ${event.term}`;
    case 'raft.elected':
      return `${event.replica} became leader of shard ${event.group} in term ${event.term}`;
    case 'raft.append':
      return `${event.replica} log of shard ${event.group} now ends at ${event.to} (term ${event.term})${event.truncatedFrom !== null ? `, cut from ${event.truncatedFrom}` : ''}`;
    case 'raft.commit':
      return `${event.replica} commits shard ${event.group} ${range(event.from, event.to)}`;
    case 'raft.apply':
      return `${event.replica} applies shard ${event.group} ${range(event.from, event.to)}`;
    case 'raft.snapshot':
      return event.installed
        ? `${event.replica} installed a snapshot of shard ${event.group} at ${event.index} from its leader`
        : `${event.replica} took a snapshot of shard ${event.group} at ${event.index}`;
    case 'raft.conf':
      return `${event.replica} sees shard ${event.group} members ${set(event.voters)}${event.learners.length > 0 ? ` learners ${set(event.learners)}` : ''}`;
    case 'raft.transfer':
      return `${event.replica} leadership transfer of shard ${event.group} to ${event.to}: ${event.phase}`;
    case 'raft.quiesce':
      return event.quiet
        ? `${event.replica} ${event.reason === 'idle' ? 'quiesces' : 'goes quiet on'} shard ${event.group} (idle)`
        : `${event.replica} wakes shard ${event.group} (${event.reason === 'leader-silent' ? "its leader's machine went silent" : 'activity'})`;
    case 'raft.read-request':
      return `${event.replica} asked for a ${event.mode === 'index' ? 'ReadIndex' : 'lease'} read on shard ${event.group}`;
    case 'raft.read':
      return `${event.replica} ${event.ok ? `confirms a ${event.mode} read at ${event.index}` : `refuses a ${event.mode} read`} on shard ${event.group}`;
    case 'client.invoke':
      return `${clientName(event.client)} ${event.kind === 'put' ? 'writes' : `reads (${event.level ?? 'default'})`} ${event.key} [op ${event.op}]`;
    case 'client.complete': {
      const key = ctx.keyOfOp(event.op);
      const what = `${clientName(event.client)} op ${event.op}${key !== undefined ? ` on ${key}` : ''}`;
      if (event.outcome !== 'ok') return `${what} ${event.outcome} after ${plural(event.attempts, 'attempt')}`;
      return `${what} ok${event.servedBy !== null ? ` from ${event.servedBy}` : ''}${event.value !== null ? ` = ${event.value}` : ''}`;
    }
    case 'store.read': {
      const reader = ctx.readerOf(i);
      const who = reader !== null ? `client ${reader}` : 'a client';
      const how = event.stale ? `stale by ${plural(event.behind, 'version')}` : 'fresh';
      return `${who} read ${event.key} from ${event.machine}: ${how} (${event.level})`;
    }
    case 'store.apply':
      return `${event.machine} applied ${event.key} = ${event.value} (shard ${event.shard}, index ${event.index})`;
    case 'store.duplicate':
      return `${event.machine} skipped ${event.key} [op ${event.op}] at index ${event.index}: already applied at ${event.firstIndex} (a retried put committed twice)`;
    case 'store.spike':
      return event.key !== null ? `traffic spike x${event.factor} on ${event.key}` : `traffic x${event.factor}`;
    case 'store.placement':
      return placementSentence(event.machine, event.shard, event.kind);
    case 'store.membership':
      if (event.action === 'join') return `${event.machine} joins the cluster`;
      if (event.action === 'leave') return `${event.machine} leaves the cluster`;
      return `${event.machine} is replaced by ${event.replacement ?? '?'}`;
    case 'store.settle':
      return event.quiet ? 'load stopped; settling' : 'load stopped; settling (still busy)';
    default: {
      const unknown: never = event;
      return (unknown as { type: string }).type;
    }
  }
}

function placementSentence(machine: string, shard: number, kind: string): string {
  switch (kind) {
    case 'move-started':
      return `shard ${shard} starts moving to ${machine}`;
    case 'move-done':
      return `shard ${shard} finished moving to ${machine}`;
    case 'learner-added':
      return `${machine} added as learner of shard ${shard}`;
    default:
      return `${machine} no longer a learner of shard ${shard}`;
  }
}

function range(from: number, to: number): string {
  return from === to ? `entry ${from}` : `entries ${from}..${to}`;
}

function roleSentence(replica: string, group: number, role: string, term: number, leader: string | null, reason: string): string {
  switch (role) {
    case 'leader':
      return `${replica} became leader of shard ${group} in term ${term}`;
    case 'candidate':
      return `${replica} stands for election in shard ${group}, term ${term}`;
    case 'precandidate':
      return `${replica} asks for pre-votes in shard ${group} (term ${term})`;
    default:
      if (reason === 'check-quorum') return `${replica} steps down in shard ${group}: lost its quorum (term ${term})`;
      if (reason === 'removed') return `${replica} removed from shard ${group}`;
      if (reason === 'start') return `${replica} starts as follower of shard ${group}`;
      return leader !== null ? `${replica} follows ${leader} in shard ${group}, term ${term}` : `${replica} follower of shard ${group}, term ${term} (${reason})`;
  }
}

/** The failing checks of a run.summary, or that all held. */
export function failingChecks(summary: Record<string, unknown>): { name: string; message: string; verdict: Record<string, unknown> }[] {
  const checks = summary.checks;
  if (checks === null || typeof checks !== 'object') return [];
  const out: { name: string; message: string; verdict: Record<string, unknown> }[] = [];
  for (const [name, verdict] of Object.entries(checks as Record<string, unknown>)) {
    if (verdict === null || typeof verdict !== 'object') continue;
    const v = verdict as Record<string, unknown>;
    if (v.ok === false) out.push({ name, message: typeof v.message === 'string' ? v.message : 'failed', verdict: v });
  }
  return out;
}

function summarySentence(summary: Record<string, unknown>): string {
  const failing = failingChecks(summary);
  if (failing.length === 0) return 'run summary: every check held';
  return `violation: ${failing.map((f) => `${f.name} (${f.message})`).join('; ')}`;
}
