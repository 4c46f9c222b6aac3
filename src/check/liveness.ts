// Liveness: after the last fault heals, every shard elects a leader and serves a write and a
// read within a bound. The engine runs probes during the settle period and reports, per shard,
// when the probe write and read succeeded (null: never).

export interface LivenessProbe {
  shard: number;
  writeOkUs: number | null;
  readOkUs: number | null;
}

export interface LivenessResult {
  ok: boolean;
  healedAtUs: number;
  boundUs: number;
  /** Slowest shard's time from heal to serving both a write and a read. */
  worstUs: number | null;
  stuck: number[];
}

export function checkLiveness(healedAtUs: number, boundUs: number, probes: readonly LivenessProbe[]): LivenessResult {
  const stuck: number[] = [];
  let worstUs = 0;
  for (const p of probes) {
    const doneUs = p.writeOkUs === null || p.readOkUs === null ? null : Math.max(p.writeOkUs, p.readOkUs);
    if (doneUs === null || doneUs - healedAtUs > boundUs) stuck.push(p.shard);
    if (doneUs !== null) worstUs = Math.max(worstUs, doneUs - healedAtUs);
  }
  return { ok: stuck.length === 0, healedAtUs, boundUs, worstUs: probes.length === 0 ? null : worstUs, stuck };
}
