// The store's own modules, unchanged, on RealMachines: three StoreServers (two shards, Raft over
// TCP, logs on files) and a StoreClient machine that only dials. Puts and reads at every level
// succeed, and a server stopped and started again comes back from its files.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { RealMachine } from '../../src/real/context.js';
import type { PeerAddress } from '../../src/real/transport.js';
import { StoreServer, type ServerEnv } from '../../src/store/server.js';
import { StoreClient, DEFAULT_CLIENT, type CompletedOp, type OperationSpec } from '../../src/store/client.js';
import type { ClientReply } from '../../src/store/protocol.js';
import { Ring } from '../../src/store/ring.js';
import { defaultRaftConfig } from '../../src/raft/config.js';
import { freePort, onCleanup, tempDir, waitFor, useRealTestLimits } from './helpers.js';

useRealTestLimits();

describe('the store on real machines', () => {
  it('serves puts and reads at every level over TCP and files, across a server restart', async () => {
    const ids = ['n1', 'n2', 'n3'];
    const ports = new Map<string, number>();
    for (const id of ids) ports.set(id, await freePort());
    const addr = (id: string): PeerAddress => ({ host: '127.0.0.1', port: ports.get(id)! });
    const dir = tempDir();
    const ring = Ring.build({ machines: ids, shards: 2, rf: 3 });
    const env: ServerEnv = { ring, raftConfig: (g, id) => defaultRaftConfig(g, id), snapshotEvery: 20, bugs: new Set() };
    const logs: string[] = [];
    const servers = new Map<string, RealMachine>();
    const startServer = async (id: string) => {
      const m = await RealMachine.start({
        id,
        seed: 1,
        dataDir: join(dir, id),
        listen: addr(id),
        peers: Object.fromEntries(ids.filter((p) => p !== id).map((p) => [p, addr(p)])),
        tracePath: join(dir, `${id}.jsonl`),
        traceMessages: false,
        log: (line) => logs.push(line),
        boot: (ctx) => new StoreServer(ctx, env),
      });
      onCleanup(() => m.close());
      servers.set(id, m);
    };
    for (const id of ids) await startServer(id);

    let client!: StoreClient;
    const c = await RealMachine.start({
      id: 'c1',
      seed: 1,
      dataDir: join(dir, 'c1'),
      listen: null,
      peers: Object.fromEntries(ids.map((p) => [p, addr(p)])),
      tracePath: null,
      log: (line) => logs.push(line),
      boot: (ctx) => {
        client = new StoreClient(ctx, ring, DEFAULT_CLIENT, () => ctx.localNowUs());
        return { onMessage: (from, payload) => client.onReply(from, payload as ClientReply) };
      },
    });
    onCleanup(() => c.close());
    let opId = 1;
    const run = (spec: OperationSpec) => new Promise<CompletedOp>((resolve) => client.execute(opId++, 0, spec, resolve));

    // Until leaders are elected, puts may come back failed or indeterminate: retry a few times.
    await waitFor(() => [...servers.values()].some((m) => (m.process as StoreServer).leaderGroups().length > 0), 'a leader', 10_000);
    for (let k = 0; k < 6; k++) {
      let outcome = '';
      for (let attempt = 0; attempt < 5 && outcome !== 'ok'; attempt++) outcome = (await run({ op: 'put', key: `key-${k}`, value: `value-${k}` })).record.outcome;
      expect(outcome, `put key-${k}`).toBe('ok');
    }
    for (const level of ['linearizable', 'lease', 'follower', 'session', 'bounded'] as const) {
      let got: CompletedOp | undefined;
      for (let attempt = 0; attempt < 5 && got?.record.outcome !== 'ok'; attempt++) got = await run({ op: 'get', key: 'key-3', level });
      expect(got?.record, level).toMatchObject({ outcome: 'ok', value: level === 'linearizable' || level === 'lease' || level === 'session' ? 'value-3' : expect.anything() });
    }

    // Stop one server cleanly, start it again from its files: it still holds the writes.
    const n2 = servers.get('n2')!;
    await n2.close();
    await startServer('n2');
    const again = servers.get('n2')!;
    expect(again.recovery.keys).toBeGreaterThan(0);
    await waitFor(() => (again.process as StoreServer).replicas.get(0)?.kv.get('key-0') !== undefined || (again.process as StoreServer).replicas.get(1)?.kv.get('key-0') !== undefined, 'n2 applies key-0 again', 10_000);
    const after = await run({ op: 'put', key: 'key-after', value: 'v' });
    expect(after.record.outcome).toBe('ok');
    expect(logs.filter((l) => l.includes('closing the connection'))).toEqual([]);
  });
});
