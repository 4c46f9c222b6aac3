// Fault targets that name a place — region(NAME), zone(NAME) — resolved against the run's
// topology: the servers there (what crash, pause, skew or slowDisk act on) and, for network
// faults, the client machines there too (a region cut off takes its clients with it).
import { isPlaceTarget, parseTarget } from '../scenario/target.js';
import { machinesAt, type Topology } from '../scenario/topology.js';

/** The servers (among `servers`) a place target names, or undefined for any other target. */
export function serversAt(topology: Topology | undefined, target: string, servers: readonly string[]): string[] | undefined {
  const t = parseTarget(target);
  if (t === undefined || !isPlaceTarget(t)) return undefined;
  if (topology === undefined) return [];
  const here = new Set(machinesAt(topology, t.kind, t.name));
  return servers.filter((m) => here.has(m));
}

/** The client machines a place target covers ([] for other targets or without a topology). */
export function clientsAt(topology: Topology | undefined, target: string, servers: readonly string[]): string[] {
  const t = parseTarget(target);
  if (topology === undefined || t === undefined || !isPlaceTarget(t)) return [];
  const isServer = new Set(servers);
  return machinesAt(topology, t.kind, t.name).filter((m) => !isServer.has(m) && !/^n[0-9]+$/.test(m));
}
