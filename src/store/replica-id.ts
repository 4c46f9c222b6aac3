// Replica identity. Every replica of a group has an id that is never used again in that group,
// as CockroachDB gives each replica a ReplicaID: a replica that is dropped and later created
// again on the same machine is a different replica, so no membership that named the old one can
// count the new one's vote or acks.
//
//   n3      the founding replica of a group on machine n3 (incarnation 0, from the ring);
//   n3#2    the second replica created on n3 after the founding one (each `host` takes the
//           next incarnation, kept on n3's disk before the id is told to anyone).
//
// Raft treats ids as opaque strings; only the store (and views that draw machines) split them.
import { AssertionError } from '../base/assert.js';

const SEPARATOR = '#';

export function replicaIdOf(machine: string, incarnation: number): string {
  if (!Number.isInteger(incarnation) || incarnation < 0) throw new AssertionError(`bad incarnation ${incarnation}`);
  if (machine.includes(SEPARATOR)) throw new AssertionError(`machine name ${machine} contains "${SEPARATOR}"`);
  return incarnation === 0 ? machine : `${machine}${SEPARATOR}${incarnation}`;
}

/** The machine a replica lives on. */
export function machineOfReplica(id: string): string {
  const at = id.indexOf(SEPARATOR);
  return at < 0 ? id : id.slice(0, at);
}

export function incarnationOf(id: string): number {
  const at = id.indexOf(SEPARATOR);
  return at < 0 ? 0 : Number(id.slice(at + 1));
}
