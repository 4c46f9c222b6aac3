// Trace events of Raft groups (owned by raft/). Placeholder until the Raft layer lands.
export type RaftEvent = { t: number; type: 'raft.placeholder' };
