// Failures the explorer found with no planted bug, kept as shrunk scenario files in
// test/fixtures/found/ as regression tests: each must now pass every check.
//  - leader-completeness-stale-term-leader: the oracle compared a late term-1 leader with an
//    entry a term-2 leader committed; §5.4 only asks for entries of earlier terms (fixed).
//  - read-safety-duplicated-read-request: a duplicated freshness query started a second
//    ReadIndex with the same request id (servers now ignore the duplicate).
//  - transfer-single-replica: a transfer fault with no other replica crashed the engine.
//  - learner-probe-past-log: a learner whose progress started past the leader's log never got
//    a probe (no entries to send), so it never caught up; probes now go out empty.
//  - restart-revives-replaced: a restart fault during the settle period revived a machine that
//    had been replaced for good.
//  - hint-ping-pong: replicas naming each other as leader during a transfer made the client
//    burn its attempts instantly; the liveness probe then never retried.
//  - undo-after-heal: a fault's `for` undo ran during the settle period and re-applied an
//    earlier drop rate.
//  - promote-empty-learner: the placement driver promoted a learner that had replicated
//    nothing; with another replica replaced for good the shard lost its quorum.
//  - drop-before-durable: a server confirmed dropping a removed replica before the deletion was
//    durable; a crash brought the replica back as a zombie that never converged.
//  - single-voter-term-reuse: the only voter of a group led a term before it was durable; after a
//    crash it led the same term again with a different entry at the same index (log matching).
//  - slow-disk-backlog-after-heal: writes queued on a slow disk kept their slow completion times
//    after the store was healed, freezing the disk past the liveness bound.
//  - refused-vote-resets-timer: with PreVote off, a replica with a stale log campaigned again and
//    again; each refused vote request restarted the others' election clocks, so no one who could
//    win ever timed out (the clock now restarts only on a leader's message or a granted vote).
//  - clog-outlives-heal: a clog that fired at the settle instant survived the heal (healing ended
//    cuts, not clogs), keeping a leader unreachable past the liveness bound.
//  - fault-at-settle-instant: a state-triggered fault that came true at the duration's last
//    instant fired after the settle's heal at that instant and lasted through the settle.
//  - drop-then-host-same-round: the placement driver asked a machine to drop a shard and, for a
//    read replica, to host it again in the same round; the late host left an orphan replica.
//  - leave-below-replication: a leave shrank a group to two voters, then a replace took one of
//    them for good (a leave that would go below the replication factor is now refused).
//  - placement-lost-shard: the placement driver, never having heard from a shard the ring had
//    since moved, asked only the ring's new choice for its leader and never found it.
//  - probe-backoff-under-loss: the network's own loss ate the liveness probe's messages and its
//    long backoff noticed the serving shard too late (the probe now polls more often).
//  - joined-machine-tick: a joined machine ticked at the host's default 10 ms, not raft.tick, and
//    a stale vote request went unanswered, so a candidate stayed a term behind for good.
//  - placement-asks-leaving-machine: the driver looked for a shard's leader everywhere but on the
//    machine that had left the ring and still held the shard's only replica.
//  - drop-half-durable-empty-voter: a drop deleted a removed replica's state and wrote its tombstone
//    in two disk writes; a crash between them brought it back empty as a founding voter, and its
//    vote elected a leader without committed entries (drops are one atomic batch now).
//  - rehosted-replica-reuses-id: a replica hosted again on a machine that had held the group reused
//    the old id, so a stale candidate counted its (empty) vote (replicas get ids never reused).
//  - stale-route-after-replace, stale-route-replace-under-bridge: the probe's client kept sending
//    to a machine replaced for good through its cached route (clients refresh on a timeout).
//  - lockstep-candidates-prevote-off: with PreVote off, a stale candidate always opened the next
//    term first, so the only electable one always asked in a term already spent (a candidate
//    refusing a same-term vote to a better log now restarts its clock).
//  - fresh-answer-after-restart (found by a guided hunt): a freshness answer to a query from before
//    a crash matched a new query's id (ids restart at 1) and made a bounded read stale past its
//    bound (answers echo the query's send time now).
//  - bounded-read-one-voter (found by the bounded-read liveness probe): with one voter, the
//    leader confirmed its own freshness inside askFreshness, but the age had been read before,
//    so the read waited out its bound and was refused (the age is read after asking now).
//  - quiesce-learner-bounded-read (found by a trial of quiescence in swarm scenarios): a bounded
//    read waiting for a lost freshness query never asked again (only the next read did, after
//    max(bound, 100 ms)), so at 5 % loss a learner of an idle group missed the liveness bound;
//    waiting reads now re-ask on a timer at half their bound (test/store/server.test.ts too).
//  - rehosted-leader-role-change: a re-hosted replica (id n3#1) never saw its own role changes, so
//    a lost leadership left stale pending puts (the server compares the id it hosts).
//  - stale-candidate-backs-off: restarting the clock left a fair race that the stale candidate
//    kept winning within the bound (it now backs off by one extra election timeout).
//  - lease-promise-lost-in-crash: a voter that had acknowledged the leader's heartbeat crashed and,
//    restarted, voted for a successor at once while the old leader still served lease reads
//    (a replica restarted with a durable term keeps quiet for an election timeout).
//  - route-by-ring-mid-move: a route refreshed mid-move named machines that did not hold the shard
//    yet, never its serving leader (clients route by actual members).
//  - placement-stale-status-shrinks-group: the driver removed a voter on a status older than its
//    own last step, leaving two voters; one replaced for good was a majority lost (epoch check,
//    add before remove).
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { executeScenario } from '../../src/explore/execute.js';

const FOUND = [
  { file: 'leader-completeness-stale-term-leader.yaml', seed: 964721, check: 'invariants', owner: 'check/raft-invariants (oracle)' },
  { file: 'read-safety-duplicated-read-request.yaml', seed: 564375, check: 'invariants', owner: 'raft read-only queue / oracle' },
  { file: 'transfer-single-replica.yaml', seed: 1, check: 'assertion', owner: 'store/engine transfer' },
  { file: 'promote-empty-learner.yaml', seed: 644078, check: 'liveness', owner: 'store/placement promotion' },
  { file: 'learner-probe-past-log.yaml', seed: 23, check: 'eventual', owner: 'raft probe on heartbeat reply' },
  { file: 'restart-revives-replaced.yaml', seed: 580, check: 'eventual', owner: 'scenario faults / sim machine retire' },
  { file: 'hint-ping-pong.yaml', seed: 2709, check: 'liveness', owner: 'store client hints / liveness probe' },
  { file: 'undo-after-heal.yaml', seed: 2588, check: 'liveness', owner: 'scenario fault undo during settle' },
  { file: 'drop-before-durable.yaml', seed: 254, check: 'eventual', owner: 'store/server drop confirmation' },
  { file: 'single-voter-term-reuse.yaml', seed: 419, check: 'invariants', owner: 'raft election: self-vote durable' },
  { file: 'slow-disk-backlog-after-heal.yaml', seed: 418, check: 'liveness', owner: 'sim disk recovery on heal' },
  { file: 'refused-vote-resets-timer.yaml', seed: 1588, check: 'liveness', owner: 'raft election clock (Figure 2)' },
  { file: 'clog-outlives-heal.yaml', seed: 4596, check: 'liveness', owner: 'sim network heal ends clogs' },
  { file: 'drop-then-host-same-round.yaml', seed: 10478, check: 'eventual', owner: 'store/placement drop before host' },
  { file: 'leave-below-replication.yaml', seed: 5734, check: 'liveness', owner: 'store/engine leave refused below replication' },
  { file: 'placement-lost-shard.yaml', seed: 12959, check: 'liveness', owner: 'store/placement asks every server' },
  { file: 'probe-backoff-under-loss.yaml', seed: 16905, check: 'liveness', owner: 'store/engine liveness probe retries' },
  { file: 'joined-machine-tick.yaml', seed: 33756, check: 'eventual', owner: 'store/server tick; raft stale vote answered' },
  { file: 'placement-asks-leaving-machine.yaml', seed: 47472, check: 'liveness', owner: 'store/placement asks leaving machines' },
  { file: 'drop-half-durable-empty-voter.yaml', seed: 109861, check: 'assertion', owner: 'store/server atomic drop; replica identity' },
  { file: 'rehosted-replica-reuses-id.yaml', seed: 126678, check: 'invariants', owner: 'store/replica-id; raft knownMember' },
  { file: 'stale-route-after-replace.yaml', seed: 123409, check: 'liveness', owner: 'store/client refresh on timeout' },
  { file: 'stale-route-replace-under-bridge.yaml', seed: 108344, check: 'liveness', owner: 'store/client refresh on timeout' },
  { file: 'lockstep-candidates-prevote-off.yaml', seed: 202743, check: 'liveness', owner: 'raft election clock on a refused same-term vote' },
  { file: 'rehosted-leader-role-change.yaml', seed: 243551, check: 'assertion', owner: 'store/server role changes by replica id' },
  { file: 'fresh-answer-after-restart.yaml', seed: 3779, check: 'eventual', owner: 'store/server freshness answers match the query sent' },
  { file: 'stale-candidate-backs-off.yaml', seed: 218121, check: 'liveness', owner: 'raft election clock back-off on a refused same-term vote' },
  { file: 'lease-promise-lost-in-crash.yaml', seed: 217127, check: 'invariants', owner: 'raft lease stickiness across restarts' },
  { file: 'route-by-ring-mid-move.yaml', seed: 201486, check: 'liveness', owner: 'store/placement members; client routing' },
  { file: 'placement-stale-status-shrinks-group.yaml', seed: 1, check: 'liveness', owner: 'store/placement epoch, add before remove' },
  { file: 'fault-at-settle-instant.yaml', seed: 5748, check: 'eventual', owner: 'harness/faults: none at the settle instant' },
  { file: 'bounded-read-one-voter.yaml', seed: 201, check: 'liveness', owner: 'store/server bounded reads: age read after asking' },
  { file: 'quiesce-learner-bounded-read.yaml', seed: 3254, check: 'liveness', owner: 'store/server bounded reads: waiting reads ask again' },
  { file: 'abandoned-removal-keeps-drop.yaml', seed: 640, check: 'placement', owner: 'store/placement: a drop for a member wanted again is forgotten' },
];

describe('failures found without a planted bug (fixed: regression tests)', () => {
  for (const f of FOUND) {
    it(`${f.file} seed ${f.seed} passes every check (${f.owner})`, () => {
      const path = `test/fixtures/found/${f.file}`;
      const out = executeScenario(path, readFileSync(path, 'utf8'), f.seed, []);
      expect(out.failing, out.failure?.message).toEqual([]);
    });
  }
});
