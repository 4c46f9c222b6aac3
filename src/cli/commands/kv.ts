// `kvsim kv put KEY VALUE --dir DIR` / `kvsim kv get KEY [--level L] --dir DIR`: one operation
// through the store's own client library against a running local cluster. Exit 0 when the
// operation is ok (a missing key is an ok read), 1 when it failed or its outcome is unknown.
import type { Command } from 'commander';
import { join } from 'node:path';
import { randomInt } from 'node:crypto';
import { EXIT_CHECK_FAILED, UserError } from '../errors.js';
import { loadClusterFile } from '../../node/cluster-file.js';
import { ClientSession, LEVELS, type KvResult } from '../../node/client.js';
import { CLUSTER_FILE } from '../../node/local-cluster.js';
import type { ReadLevel } from '../../history/op.js';

async function once(dir: string, fn: (c: ClientSession) => Promise<KvResult>, json: boolean): Promise<void> {
  const cluster = loadClusterFile(join(dir, CLUSTER_FILE));
  const session = await ClientSession.open(cluster, `kv-${process.pid}-${randomInt(1, 1_000_000)}`, null, () => {});
  try {
    const r = await fn(session);
    const { record: _record, ...shown } = r;
    if (json) process.stdout.write(JSON.stringify(shown) + '\n');
    else {
      const what = r.op === 'get' ? (r.outcome === 'ok' ? (r.value === null ? '(missing)' : JSON.stringify(r.value)) : '') : '';
      const parts = [r.outcome.toUpperCase(), what, r.servedBy !== null ? `served by ${r.servedBy}` : '', r.level !== null ? `level ${r.level}` : '', r.index !== null ? `index ${r.index}` : '', `${r.attempts} attempt${r.attempts === 1 ? '' : 's'}`, `${r.latencyMs} ms`];
      process.stdout.write(parts.filter((p) => p !== '').join('  ') + '\n');
    }
    if (r.outcome !== 'ok') process.exitCode = EXIT_CHECK_FAILED;
  } finally {
    await session.close();
  }
}

export function registerKv(program: Command): void {
  const kv = program.command('kv').description('put and get against a running local cluster (kvsim cluster up)');
  kv.command('put')
    .argument('<key>')
    .argument('<value>')
    .requiredOption('--dir <dir>', 'the cluster directory')
    .option('--json', 'print one JSON object')
    .action(async (key: string, value: string, opts: { dir: string; json?: boolean }) => {
      await once(opts.dir, (c) => c.put(key, value), opts.json === true);
    });
  kv.command('get')
    .argument('<key>')
    .requiredOption('--dir <dir>', 'the cluster directory')
    .option('--level <level>', `read level: ${LEVELS.join(', ')}`, 'linearizable')
    .option('--json', 'print one JSON object')
    .action(async (key: string, opts: { dir: string; level: string; json?: boolean }) => {
      if (!(LEVELS as readonly string[]).includes(opts.level)) throw new UserError(`--level: expected one of ${LEVELS.join(', ')}, got "${opts.level}"`);
      await once(opts.dir, (c) => c.get(key, opts.level as ReadLevel), opts.json === true);
    });
}
