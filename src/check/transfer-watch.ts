// Leadership transfer, checked from outside (thesis §3.10): once the target holds the leader's
// whole log, the leader sends it TimeoutNow, so the target campaigns at once. A leader that
// forgets loses nothing safety depends on — it stops taking proposals while it transfers, then
// gives up after an election timeout — so every other check passes while each such transfer
// costs an election timeout of unavailable writes. This watch sees it.
//
// The rule it checks is exact, not statistical: a leader's knowledge of a follower's log (its
// match index) only grows when an append is acknowledged, and that is when the leader must
// send TimeoutNow if the follower is the transfer's target and now matches its last entry
// (or at the start, if it matched already). So a transfer that is aborted while its target is
// still a voter whose match equals the leader's last index, and during which the leader never
// sent TimeoutNow, broke the rule. Lost TimeoutNow messages do not matter: sending is what is
// checked. The engine feeds it the trace's transfer events and, at an abort (emitted right after
// the tick that gave up, before anything else runs), what the leader knows then.

export interface TransferAbortState {
  /** The target is still a voter of the leader's membership (an abort for a removed target is the rule). */
  targetIsVoter: boolean;
  /** The leader's match index for the target (null: no progress for it). */
  targetMatch: number | null;
  leaderLastIndex: number;
}

export interface TransferViolation {
  group: number;
  leader: string;
  to: string;
  term: number;
  startedUs: number;
  atUs: number;
  match: number;
}

interface OpenTransfer {
  to: string;
  term: number;
  startedUs: number;
  timeoutNowSent: boolean;
}

export class TransferWatch {
  /** Open transfers by leader replica id (one at a time per leader). */
  private readonly open = new Map<string, OpenTransfer>();
  private first: TransferViolation | null = null;
  /** Transfers that ended in an abort. */
  aborts = 0;

  get violation(): TransferViolation | null {
    return this.first;
  }

  started(leader: string, to: string, term: number, atUs: number): void {
    this.open.set(leader, { to, term, startedUs: atUs, timeoutNowSent: false });
  }

  timeoutNowSent(leader: string, to: string, term: number): void {
    const t = this.open.get(leader);
    if (t !== undefined && t.to === to && t.term === term) t.timeoutNowSent = true;
  }

  /** The leader's role or term changed, or it restarted: whatever it was transferring is over. */
  ended(leader: string): void {
    this.open.delete(leader);
  }

  aborted(group: number, leader: string, to: string, term: number, atUs: number, state: TransferAbortState): void {
    const t = this.open.get(leader);
    this.open.delete(leader);
    this.aborts++;
    if (t === undefined || t.to !== to || t.term !== term || t.timeoutNowSent || this.first !== null) return;
    if (!state.targetIsVoter || state.targetMatch === null || state.targetMatch !== state.leaderLastIndex) return;
    this.first = { group, leader, to, term, startedUs: t.startedUs, atUs, match: state.targetMatch };
  }
}

export function transferViolationMessage(v: TransferViolation): string {
  return `the leader ${v.leader} (term ${v.term}) gave up its transfer to ${v.to} (started at ${v.startedUs}us) although ${v.to} held its whole log (through ${v.match}), and never sent it TimeoutNow`;
}
