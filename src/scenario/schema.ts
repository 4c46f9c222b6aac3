// The scenario schema. Every object is strict: an unknown key is an error, because a typo
// (`crsh: n2`) must never pass silently. Durations are strings with units (see duration.ts)
// and come out as integer microseconds. The store's sections (cluster.shards, raft, workload)
// are part of the same schema; a section the running engine does not use is still validated.
import { z } from 'zod';
import { DURATION_EXPECTED, parseDurationUs } from '../base/time.js';
import { isEventTarget, parseTarget, PLACE_NAME, TARGET_EXPECTED } from './target.js';
import { PROTOCOL_EVENTS } from './protocol-events.js';
import { topologyIssues } from './topology.js';
import { MESSAGE_CLASSES } from '../store/protocol.js';

export const duration = z
  .union([z.string(), z.number()])
  .transform((value, ctx) => {
    const us = parseDurationUs(value);
    if (us === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected ${DURATION_EXPECTED}, got ${JSON.stringify(value)}` });
      return z.NEVER;
    }
    return us;
  });

const probability = z.number().min(0).max(1);
const machineName = z.string().regex(/^n[1-9][0-9]*$/, 'expected a machine name like n3');
/** A fault target: a machine (n3), or a name resolved when the fault fires. */
const target = z.string().refine((text) => parseTarget(text) !== undefined, TARGET_EXPECTED);

const latency = z.strictObject({
  min: duration.optional(),
  mean: duration.optional(),
  jitter: duration.optional(),
  tailProbability: probability.optional(),
  tailFactor: z.number().min(1).optional(),
});

/**
 * Geography (src/scenario/topology.ts): regions, each with zones, machines and client machines
 * placed in zones, and a latency per tier (inside a zone, between zones of a region, between
 * regions, or per pair of regions). Without it every link has `network.latency`.
 */
const placeName = z.string().regex(PLACE_NAME, 'expected a name of lower case letters, digits and dashes, starting with a letter');
const zoneSpec = z.strictObject({
  /** A count (the lowest machine numbers nobody names) or a list of machine names. */
  machines: z.union([z.number().int().min(0).max(1000), z.array(machineName).min(1)]),
  /** Client machines here; when no zone says, clients go round-robin over the zones. */
  clients: z.number().int().min(0).max(100_000).optional(),
});
const regionSpec = z.strictObject({
  zones: z.record(placeName, zoneSpec).refine((zones) => Object.keys(zones).length > 0, 'expected at least one zone'),
});
const regionPairLatency = latency.extend({ regions: z.tuple([placeName, placeName]) });
const topology = z.strictObject({
  regions: z.record(placeName, regionSpec).refine((regions) => Object.keys(regions).length > 0, 'expected at least one region'),
  latency: z
    .strictObject({
      /** Between machines of one zone. */
      zone: latency.optional(),
      /** Between zones of one region. */
      region: latency.optional(),
      /** Between regions (unless a `between` entry names the pair). */
      global: latency.optional(),
      between: z.array(regionPairLatency).optional(),
    })
    .optional(),
  /** At most this many replicas of a shard in the region. */
  replicasPerRegion: z.record(placeName, z.number().int().min(0).max(9)).optional(),
  /** Shards lead from a replica in this region when they have one there and it is healthy. */
  leaderRegion: placeName.optional(),
  /**
   * `every-zone`: each shard also gets a non-voting read replica in every zone none of its
   * voters is in, so follower reads stay in the client's zone (default `none`).
   */
  readReplicas: z.enum(['none', 'every-zone']).optional(),
});

const network = z.strictObject({
  latency: latency.optional(),
  drop: probability.optional(),
  duplicate: probability.optional(),
  reorder: z.boolean().optional(),
});

const disk = z.strictObject({
  fsyncMin: duration.optional(),
  fsyncMean: duration.optional(),
});

const cluster = z.strictObject({
  machines: z.number().int().min(1).max(1000),
  shards: z.number().int().min(1).max(100_000).optional(),
  replication: z.number().int().min(1).max(9).optional(),
  vnodes: z.number().int().min(1).max(4096).optional(),
  /** Resolution of the key ring in bits (8..32, default 32); small rings put keys on shard boundaries. */
  keyRingBits: z.number().int().min(8).max(32).optional(),
  /** CPU time one follower-level read costs a machine (reads queue); 0 = instant. */
  readServiceTime: duration.optional(),
});

/** The placement driver (machine `pd`): shard moves on join/leave/replace, read autoscaling. */
const placement = z.strictObject({
  round: duration.optional(),
  movesMax: z.number().int().min(1).max(1000).optional(),
  autoscale: z.boolean().optional(),
  scaleUpReadsPerSec: z.number().positive().optional(),
  scaleDownReadsPerSec: z.number().min(0).optional(),
  learnersMax: z.number().int().min(0).max(16).optional(),
});

const demo = z.strictObject({
  pingEvery: duration.optional(),
});

const raft = z.strictObject({
  tick: duration.optional(),
  /** Base election timeout; each round draws uniformly from [base, 2 x base). */
  electionTimeout: duration.optional(),
  heartbeat: duration.optional(),
  maxClockDrift: duration.optional(),
  preVote: z.boolean().optional(),
  checkQuorum: z.boolean().optional(),
  /** Every leader on a machine heartbeats on the same tick: one message per machine pair (default true). */
  coalesceHeartbeats: z.boolean().optional(),
  /** Idle groups stop heartbeating until something wakes them (default false; needs coalesceHeartbeats). */
  quiesce: z.boolean().optional(),
  /** Compact the log after this many applied entries (snapshots). */
  snapshotEvery: z.number().int().min(1).optional(),
  maxInflight: z.number().int().min(1).optional(),
});

const checks = z.strictObject({
  /** After the run: faults healed, load stopped, the store settles this long before the final checks. */
  settle: duration.optional(),
  /** Liveness: after healing, every shard serves a write and a read within this bound. */
  livenessBound: duration.optional(),
  /**
   * Linearizability checker work budget, in units of about 4096 search steps (default 2000).
   * Beyond it the verdict is unknown (exit 3). A work budget, not a time limit, so the verdict
   * is the same on every machine.
   */
  linearizabilityBudget: z.number().int().min(1).optional(),
});

const readLevel = z.enum(['linearizable', 'lease', 'follower', 'session', 'bounded']);

const workload = z.strictObject({
  clients: z.number().int().min(0).max(100_000),
  mode: z.enum(['open', 'closed']).optional(),
  /** Open loop: operations per second across all clients. */
  rate: z.number().positive().optional(),
  /** Closed loop: operations in flight per client. */
  concurrency: z.number().int().min(1).optional(),
  readRatio: probability.optional(),
  keys: z.number().int().min(1).optional(),
  distribution: z.enum(['uniform', 'zipfian', 'hotspot']).optional(),
  zipfTheta: z.number().positive().optional(),
  hotFraction: probability.optional(),
  hotProbability: probability.optional(),
  levels: z.partialRecord(readLevel, z.number().min(0)).optional(),
  followerChoice: z.enum(['random', 'nearest', 'sticky']).optional(),
  boundedStaleness: duration.optional(),
  timeout: duration.optional(),
  /** How long one attempt waits for a reply before the client retries (default 250ms). */
  attemptTimeout: duration.optional(),
  start: duration.optional(),
  stop: duration.optional(),
});

/** A partition side: machines or targets; `rest` = every server not named on another side. */
const sideMember = z.union([target, z.literal('rest')]);
const sides = z.array(z.array(sideMember).min(1)).min(2);

/**
 * One fault: a trigger (`at`, or `every` with optional `from`/`until`, or `when`), an optional
 * `for` after which it is undone, and exactly one action key.
 */
const faultActions = {
  partition: sides.optional(),
  isolate: target.optional(),
  oneway: z.strictObject({ from: z.array(sideMember).min(1), to: z.array(sideMember).min(1) }).optional(),
  bridge: z.strictObject({ sides: z.tuple([z.array(machineName).min(1), z.array(machineName).min(1)]), via: machineName }).optional(),
  heal: z.literal('all').optional(),
  crash: target.optional(),
  restart: z.union([target, z.literal('all')]).optional(),
  pause: target.optional(),
  resume: z.union([target, z.literal('all')]).optional(),
  skew: z.strictObject({ machine: target, offset: z.string().optional(), driftPpm: z.number().int().min(-900_000).max(1_000_000).optional() }).optional(),
  drop: probability.optional(),
  duplicate: probability.optional(),
  /** Extra delay on every link, or (an object) on the links between two targets or around one. */
  delay: z
    .union([
      duration,
      z
        .strictObject({ extra: duration, between: z.tuple([target, target]).optional(), around: target.optional() })
        .refine((d) => (d.between === undefined) !== (d.around === undefined), 'expected exactly one of between or around'),
    ])
    .optional(),
  reorder: z.boolean().optional(),
  clog: z.union([target, z.strictObject({ from: target, to: target })]).optional(),
  slowDisk: z.strictObject({ machine: target, factor: z.number().min(1).max(10_000) }).optional(),
  spike: z.strictObject({ factor: z.number().positive(), key: z.string().optional() }).optional(),
  transfer: z.strictObject({ shard: z.number().int().min(0), to: target.optional() }).optional(),
  join: machineName.optional(),
  leave: machineName.optional(),
  replace: machineName.optional(),
  /**
   * Deliver this share of messages with one value of the wrong type (src/sim/garble.ts); or
   * `{ rate, messages }`: that share of the messages of the classes named only (store/protocol.ts,
   * MESSAGE_CLASSES), so rare ones get garbled often. Last: the generator draws kinds by position.
   */
  garble: z
    .union([probability, z.strictObject({ rate: probability, messages: z.array(z.enum(MESSAGE_CLASSES)).min(1, 'expected at least one message class') })])
    .optional(),
} as const;

export const FAULT_ACTIONS = Object.keys(faultActions) as (keyof typeof faultActions)[];
export type FaultActionName = (typeof FAULT_ACTIONS)[number];

/**
 * A `when` trigger: a state (a leader elected, operations completed) or a protocol event
 * (protocol-events.ts), optionally of one shard, the nth time it happens, after a delay.
 */
const when = z
  .strictObject({
    leaderElected: z.union([z.number().int().min(0), z.literal('any')]).optional(),
    opsCompleted: z.number().int().min(1).optional(),
    event: z.enum(PROTOCOL_EVENTS).optional(),
    shard: z.number().int().min(0).optional(),
    nth: z.number().int().min(1).max(1_000).optional(),
    delay: duration.optional(),
  })
  .superRefine((w, ctx) => {
    const kinds = [w.leaderElected !== undefined, w.opsCompleted !== undefined, w.event !== undefined].filter(Boolean).length;
    if (kinds !== 1) ctx.addIssue({ code: 'custom', message: 'expected exactly one of leaderElected, opsCompleted or event' });
    if (w.event === undefined && (w.shard !== undefined || w.nth !== undefined || w.delay !== undefined)) {
      ctx.addIssue({ code: 'custom', message: '`shard`, `nth` and `delay` only go with `event`' });
    }
  });

/** Every target text a fault names (sides, machines, link ends). */
function targetsNamed(f: Record<string, unknown>): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string') out.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') Object.values(v).forEach(walk);
  };
  for (const name of FAULT_ACTIONS) if (name !== 'spike') walk(f[name]); // a spike's key is not a target
  return out;
}

const fault = z
  .strictObject({
    at: duration.optional(),
    every: duration.optional(),
    from: duration.optional(),
    until: duration.optional(),
    when: when.optional(),
    for: duration.optional(),
    ...faultActions,
  })
  .superRefine((f, ctx) => {
    const actions = FAULT_ACTIONS.filter((name) => f[name] !== undefined);
    if (actions.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message:
          actions.length === 0
            ? `expected one action: ${FAULT_ACTIONS.join(', ')}`
            : `expected exactly one action, got ${actions.join(' and ')}`,
      });
    }
    const triggers = [f.at !== undefined, f.every !== undefined, f.when !== undefined].filter(Boolean).length;
    if (triggers !== 1) {
      ctx.addIssue({ code: 'custom', message: 'expected exactly one trigger: at, every or when' });
    }
    if (f.when?.event === undefined) {
      const eventTarget = targetsNamed(f).find((t) => {
        const parsed = parseTarget(t);
        return parsed !== undefined && isEventTarget(parsed);
      });
      if (eventTarget !== undefined) {
        ctx.addIssue({ code: 'custom', message: `${eventTarget} names a machine of the protocol event that fires the fault; expected a \`when: { event: ... }\` trigger` });
      }
    }
    if (f.every !== undefined && f.every <= 0) {
      ctx.addIssue({ code: 'custom', path: ['every'], message: 'expected a positive interval' });
    }
    if ((f.from !== undefined || f.until !== undefined) && f.every === undefined) {
      ctx.addIssue({ code: 'custom', message: '`from` and `until` only go with `every`' });
    }
    if (f.skew !== undefined && f.skew.offset !== undefined) {
      const text = f.skew.offset;
      const negative = text.startsWith('-');
      if (parseDurationUs(negative ? text.slice(1) : text) === undefined) {
        ctx.addIssue({ code: 'custom', path: ['skew', 'offset'], message: `expected ${DURATION_EXPECTED}, optionally negative` });
      }
    }
  });

/** An expectation: a comparison like ">= 1", "> 0", "== 3", "< 0.5", or an exact value. */
const expectation = z.union([
  z.boolean(),
  z.number(),
  z.null(),
  z.string().regex(/^\s*(>=|<=|==|!=|>|<)\s*-?\d+(\.\d+)?\s*$/, 'expected a comparison like ">= 1" or an exact value'),
]);

export const scenarioSchema = z.strictObject({
  name: z.string().min(1).optional(),
  description: z.string().optional(),
  seed: z.number().int().min(0).optional(),
  duration: duration,
  cluster: cluster,
  network: network.optional(),
  topology: topology.optional(),
  disk: disk.optional(),
  raft: raft.optional(),
  workload: workload.optional(),
  demo: demo.optional(),
  placement: placement.optional(),
  checks: checks.optional(),
  bugs: z.array(z.string()).optional(),
  faults: z.array(fault).optional(),
  expect: z.record(z.string(), expectation).optional(),
}).superRefine((scenario, ctx) => {
  // What one section cannot check alone: the topology against the cluster, the workload and
  // the faults' region(...) and zone(...) targets.
  for (const issue of topologyIssues(scenario)) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  if (scenario.raft?.quiesce === true && scenario.raft.coalesceHeartbeats === false) {
    ctx.addIssue({ code: 'custom', path: ['raft', 'quiesce'], message: 'quiesce needs coalesced heartbeats; expected coalesceHeartbeats: true (or unset) with quiesce: true' });
  }
});

export type Scenario = z.output<typeof scenarioSchema>;
export type FaultSpec = z.output<typeof fault>;
export type WorkloadSpec = z.output<typeof workload>;
export type ReadLevel = z.output<typeof readLevel>;
export type TopologySpec = z.output<typeof topology>;
export type LatencySpec = z.output<typeof latency>;

/** JSON Schema of the scenario format (input side: durations are strings), for editors. */
export function scenarioJsonSchema(): unknown {
  return z.toJSONSchema(scenarioSchema, { io: 'input', unrepresentable: 'any' });
}
