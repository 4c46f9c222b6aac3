// The control channel of a real server: what a test driver changes at run time, without root,
// to play a scenario's faults against real processes — network rules, clock skew, disk slowness.
//
//   POST /control  {net?, clock?, disk?}   (server.ts; parsed here by parseControlRequest)
//     net    NetRules, absolute: replaces the server's rules (a missing field is empty/zero);
//            filterOf(self, rules) becomes its transport's peer filter (null for no rules)
//     clock  {adjustUs, driftPpm}: relative, as a simulated clock-skew fault — the local clock
//            jumps by adjustUs now, and runs at driftPpm from now on (RealMachine.skew)
//     disk   {fsyncDelayMs}: absolute delay before every fsync (FileDisk.fsyncDelayMs)
//   GET /control → ControlState (the rules, the clock's total skew, offset and drift, the delay)
//
// Where the net rules apply. The transport asks its filter on the SEND side as (self, to) and on
// the RECEIVE side as (from, self) (src/real/transport.ts). `blocked` is checked on both, so one
// machine's rules cut a link whichever end the message is seen at. Everything random or timed —
// drop, duplicate, delay, reorder, clog — is applied only when `from === self`, i.e. once, on the
// sender's send hook, never again on the receiver's (which may have its own rules for what IT
// sends). A self-send (from === to) gets `blocked` only: it passes both hooks as (self, self).
//
//   drop       probability the message is lost
//   duplicate  probability a second copy goes too, with its own reorder draw (FilterVerdict
//              copyDelayMs); the store's protocol tolerates duplicates, as in simulation
//   delayMs    extra delay on every message
//   reorderMs  plus a uniform random extra in [0, reorderMs] per message (and per copy), so
//              messages overtake each other
//   clogged    a message on a clogged link is held until the clog's end (this host's wall
//              clock, ms) and then delivered; never earlier than its own delay would have. Held
//              messages leave at about the same moment, in no promised order.
//
// sendControl is the driver's side: one POST to 127.0.0.1, bounded, an Error naming the port on
// a non-2xx answer or a timeout.
import { z } from 'zod';
import { assert } from '../base/assert.js';
import { UserError } from '../base/errors.js';
import type { FilterVerdict, PeerFilter } from '../real/transport.js';

export interface NetRules {
  /** Directed links (from, to) that lose every message: dropped where the filter sees them, on send and on receive. */
  blocked: [string, string][];
  /** Probability a message sent by this machine is lost. */
  drop: number;
  /** Probability a message sent by this machine is delivered twice. */
  duplicate: number;
  /** Extra delay on every message sent by this machine, ms. */
  delayMs: number;
  /** Reordering: each message sent by this machine is delayed by a uniform random extra in [0, reorderMs] ms. 0: off. */
  reorderMs: number;
  /** Clogged directed links: messages this machine sends on them are held until untilWallMs (this host's Date.now() ms) and then delivered. */
  clogged: { from: string; to: string; untilWallMs: number }[];
}

export const NO_NET_RULES: NetRules = Object.freeze({ blocked: [], drop: 0, duplicate: 0, delayMs: 0, reorderMs: 0, clogged: [] }) as NetRules;

export interface ControlRequest {
  net?: NetRules;
  /** A relative clock adjustment, exactly as a simulated clock-skew fault: jump the local clock by adjustUs and set its drift (ppm) from now on. */
  clock?: { adjustUs: number; driftPpm: number };
  /** Delay before every fsync, ms (absolute; 0 = none). */
  disk?: { fsyncDelayMs: number };
}

/** What GET /control (and every POST) answers: the server's control state now. */
export interface ControlState {
  net: NetRules;
  /** skewUs: the sum of every adjustUs applied; offsetUs: local minus true time now (skew plus what drift added). */
  clock: { skewUs: number; offsetUs: number; driftPpm: number };
  disk: { fsyncDelayMs: number };
}

/** Bound on the links in one rule set (each filter call scans them). */
const RULE_LINKS_MAX = 10_000;
/** Bound on any delay a request may ask for (10 minutes: longer is a mistake, not a fault). */
const DELAY_MAX_MS = 600_000;
/** Bound on one clock jump (a day) and on the drift (a clock may not stop or run backwards). */
const CLOCK_ADJUST_MAX_US = 86_400_000_000;
const DRIFT_MAX_PPM = 999_999;
const ID_MAX_CHARS = 256;

const machineId = z.string().min(1).max(ID_MAX_CHARS);
const probability = z.number().min(0).max(1);
const delayMs = z.number().min(0).max(DELAY_MAX_MS);

const netSchema = z.strictObject({
  blocked: z.array(z.tuple([machineId, machineId])).max(RULE_LINKS_MAX).default([]),
  drop: probability.default(0),
  duplicate: probability.default(0),
  delayMs: delayMs.default(0),
  reorderMs: delayMs.default(0),
  clogged: z
    .array(z.strictObject({ from: machineId, to: machineId, untilWallMs: z.number().int('expected an integer (Date.now() ms)').min(0) }))
    .max(RULE_LINKS_MAX)
    .default([]),
});

const controlSchema = z.strictObject({
  net: netSchema.optional(),
  clock: z
    .strictObject({
      adjustUs: z.number().int('expected an integer (whole µs)').min(-CLOCK_ADJUST_MAX_US).max(CLOCK_ADJUST_MAX_US),
      driftPpm: z.number().min(-DRIFT_MAX_PPM).max(DRIFT_MAX_PPM),
    })
    .optional(),
  disk: z.strictObject({ fsyncDelayMs: z.number().int('expected an integer (whole ms)').min(0).max(DELAY_MAX_MS) }).optional(),
});

function pathText(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
}

/** Parses a control request's JSON text; a bad one is a UserError naming the field and what was expected. */
export function parseControlRequest(text: string): ControlRequest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new UserError(`control request: not JSON (${(err as Error).message}); expected {"net"?, "clock"?, "disk"?}`);
  }
  const parsed = controlSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = pathText(issue.path);
    throw new UserError(`control request: ${path === '' ? '' : `${path}: `}${issue.message}`);
  }
  const request: ControlRequest = {};
  if (parsed.data.net !== undefined) request.net = parsed.data.net as NetRules;
  if (parsed.data.clock !== undefined) request.clock = parsed.data.clock;
  if (parsed.data.disk !== undefined) request.disk = parsed.data.disk;
  return request;
}

/** True when the rules change nothing (the transport may then run without a filter). */
export function noNetRules(rules: NetRules): boolean {
  return rules.blocked.length === 0 && rules.drop === 0 && rules.duplicate === 0 && rules.delayMs === 0 && rules.reorderMs === 0 && rules.clogged.length === 0;
}

/**
 * The transport filter for machine `self` under `rules`. Rates, delays and clogs apply only to
 * messages `self` sends (from === self), so nothing is applied twice; `blocked` applies on both
 * hooks. `random` draws in [0, 1); `nowWallMs` is the clock clogs end by.
 */
export function filterOf(self: string, rules: NetRules, random: () => number, nowWallMs: () => number): PeerFilter {
  assert(rules.drop >= 0 && rules.drop <= 1 && rules.duplicate >= 0 && rules.duplicate <= 1, 'drop and duplicate are probabilities');
  assert(rules.delayMs >= 0 && rules.reorderMs >= 0 && Number.isFinite(rules.delayMs + rules.reorderMs), 'delays are finite and >= 0');
  // Copies, so a caller changing its rules object later does not change this filter.
  const blocked = new Set(rules.blocked.map(([from, to]) => linkKey(from, to)));
  const clogged = rules.clogged.map((c) => ({ ...c }));
  const { drop, duplicate, delayMs, reorderMs } = rules;
  const extraMs = () => delayMs + (reorderMs > 0 ? random() * reorderMs : 0);
  return (from: string, to: string): FilterVerdict => {
    if (blocked.has(linkKey(from, to))) return 'drop';
    if (from !== self || to === self) return 'deliver';
    if (drop > 0 && random() < drop) return 'drop';
    // The latest end of a clog on this link still in force (0: none).
    let clogEndMs = 0;
    for (const c of clogged) if (c.from === from && c.to === to && c.untilWallMs > clogEndMs) clogEndMs = c.untilWallMs;
    const heldMs = clogEndMs > 0 ? Math.max(0, clogEndMs - nowWallMs()) : 0;
    const firstMs = Math.max(extraMs(), heldMs);
    const copy = duplicate > 0 && random() < duplicate;
    if (!copy) return firstMs === 0 ? 'deliver' : { delayMs: firstMs };
    return { delayMs: firstMs, copyDelayMs: Math.max(extraMs(), heldMs) };
  };
}

function linkKey(from: string, to: string): string {
  return JSON.stringify([from, to]);
}

/** Bound on a control request's round trip (the server applies it in one turn). */
const CONTROL_TIMEOUT_MS_DEFAULT = 2_000;

/** POSTs a control request to a server's HTTP door on 127.0.0.1 (bounded by timeoutMs); throws an Error naming the server port on a non-2xx answer or timeout. */
export async function sendControl(httpPort: number, request: ControlRequest, timeoutMs: number = CONTROL_TIMEOUT_MS_DEFAULT): Promise<void> {
  assert(Number.isInteger(httpPort) && httpPort > 0 && httpPort < 65_536, `control: ${httpPort} is not a port`);
  let res: Response;
  try {
    res = await fetch(`http://127.0.0.1:${httpPort}/control`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(request),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const e = err as Error;
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const why = e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : `${e.message}${cause === undefined ? '' : ` (${cause.code ?? cause.message ?? String(cause)})`}`;
    throw new Error(`control of the server with HTTP port ${httpPort}: ${why}`);
  }
  const body = await res.text().catch(() => '');
  if (!res.ok) throw new Error(`control of the server with HTTP port ${httpPort}: HTTP ${res.status}: ${body.trim().slice(0, 500)}`);
}
