// Trace events of the store: client operations, reads served, shard moves (owned by store/).
export type StoreEvent = { t: number; type: 'store.placeholder' };
