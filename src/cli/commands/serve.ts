// `kvsim serve --cluster FILE --id n1 [--data DIR]`: one real server until SIGTERM or SIGINT
// (both graceful: stop accepting, close connections, flush and fsync the disk, exit 0).
import type { Command } from 'commander';
import { dirname, join } from 'node:path';
import { loadClusterFile, serverOf } from '../../node/cluster-file.js';
import { RealServer } from '../../node/server.js';
import { isAssertion } from '../../base/assert.js';
import { parseSeed } from '../options.js';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run one real server of a cluster (TCP, real disk) until SIGTERM')
    .requiredOption('--cluster <file>', 'the cluster file (written by kvsim cluster up)')
    .requiredOption('--id <id>', 'this server, as listed in the cluster file (n1, n2, ...)')
    .option('--data <dir>', 'data directory (default: <cluster file dir>/<id>)')
    .option('--no-trace', 'do not write DATA/trace.jsonl')
    .option('--fsync-delay-ms <n>', 'delay every fsync by N ms (a slow disk)')
    .action(async (opts: { cluster: string; id: string; data?: string; trace: boolean; fsyncDelayMs?: string }) => {
      const fsyncDelayMs = opts.fsyncDelayMs === undefined ? undefined : parseSeed(opts.fsyncDelayMs, '--fsync-delay-ms');
      const cluster = loadClusterFile(opts.cluster);
      serverOf(opts.cluster, cluster, opts.id);
      const dataDir = opts.data ?? join(dirname(opts.cluster), opts.id);
      const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
      // A throw inside the store is a bug found on a real server: one line, then exit 1.
      process.on('uncaughtException', (err) => {
        log(`${opts.id}: ${isAssertion(err) ? '' : 'internal error: '}${err.message}`);
        process.exit(1);
      });
      const server = await RealServer.start({ clusterPath: opts.cluster, cluster, id: opts.id, dataDir, ...(opts.trace ? {} : { tracePath: null }), ...(fsyncDelayMs !== undefined && { fsyncDelayMs }), log });
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          log(`${opts.id}: ${signal}: stopping`);
          void server.stop().then(() => {
            log(`${opts.id}: stopped (disk flushed)`);
            resolve();
          });
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
    });
}

