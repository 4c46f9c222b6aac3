// `kvsim serve --cluster FILE --id n1 [--data DIR]`: one real server until SIGTERM or SIGINT
// (both graceful: stop accepting, close connections, flush and fsync the disk, exit 0). SIGHUP
// re-reads the cluster file (kvsim cluster join|leave send it): the server dials servers that
// joined and forgets those that left; a file it cannot use is logged and changes nothing.
//
// `--exit-with-parent` (a test driver's servers): every PARENT_POLL_MS the server checks that
// its parent is still the process that started it — KVSIM_PARENT_PID when spawnServer set it,
// else process.ppid as first seen — and once it is not (the parent died, even by SIGKILL, and
// the server was re-parented), it stops as on SIGTERM, bounded by PARENT_GONE_STOP_MAX_MS, then
// exits. A stopped (SIGSTOP) server notices only once resumed.
import type { Command } from 'commander';
import { dirname, join } from 'node:path';
import { loadClusterFile, membershipStateOf, serverOf } from '../../node/cluster-file.js';
import { RealServer } from '../../node/server.js';
import { isAssertion } from '../../base/assert.js';
import { UserError } from '../../base/errors.js';
import { parseSeed } from '../options.js';
import { PARENT_PID_ENV } from '../../node/local-cluster.js';

/** How often an --exit-with-parent server looks for its parent, and its bound on stopping once it is gone. */
const PARENT_POLL_MS = 250;
const PARENT_GONE_STOP_MAX_MS = 2_000;

/** The pid this server's parent should have: the spawner's word, else the parent seen now. */
function expectedParentPid(): number {
  const told = Number(process.env[PARENT_PID_ENV]);
  return Number.isInteger(told) && told > 0 ? told : process.ppid;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run one real server of a cluster (TCP, real disk) until SIGTERM; SIGHUP re-reads the cluster file')
    .requiredOption('--cluster <file>', 'the cluster file (written by kvsim cluster up)')
    .requiredOption('--id <id>', 'this server, as listed in the cluster file (n1, n2, ...)')
    .option('--data <dir>', 'data directory (default: <cluster file dir>/<id>)')
    .option('--no-trace', 'do not write DATA/trace.jsonl')
    .option('--fsync-delay-ms <n>', 'delay every fsync by N ms (a slow disk)')
    .option('--exit-with-parent', 'stop (then exit) once the process that started this server is gone')
    .action(async (opts: { cluster: string; id: string; data?: string; trace: boolean; fsyncDelayMs?: string; exitWithParent?: boolean }) => {
      // First, before the slow part of start-up: a parent that dies meanwhile is still noticed.
      const parentPid = opts.exitWithParent === true ? expectedParentPid() : null;
      const fsyncDelayMs = opts.fsyncDelayMs === undefined ? undefined : parseSeed(opts.fsyncDelayMs, '--fsync-delay-ms');
      const cluster = loadClusterFile(opts.cluster);
      serverOf(opts.cluster, cluster, opts.id);
      if (membershipStateOf(cluster, opts.id) === 'left') {
        throw new UserError(`${opts.cluster}: ${opts.id} left the cluster (kvsim cluster leave); a left server is not started again and its id is never reused`);
      }
      const dataDir = opts.data ?? join(dirname(opts.cluster), opts.id);
      const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
      // A throw inside the store is a bug found on a real server: one line, then exit 1.
      process.on('uncaughtException', (err) => {
        log(`${opts.id}: ${isAssertion(err) ? '' : 'internal error: '}${err.message}`);
        process.exit(1);
      });
      // Installed before start-up: Node's default for SIGHUP is to exit, and a membership change
      // may signal a server that is still starting. One that arrives then is applied once up.
      let server: RealServer | null = null;
      let reloadWanted = false;
      let stopping = false;
      const reload = () => {
        if (stopping) return; // still handled: the default would end the process unflushed
        if (server === null) {
          reloadWanted = true;
          return;
        }
        try {
          const { added, removed } = server.reload(opts.cluster, loadClusterFile(opts.cluster));
          log(`${opts.id}: SIGHUP: re-read ${opts.cluster}; peers added ${added.join(' ') || '-'}, removed ${removed.join(' ') || '-'}`);
        } catch (err) {
          if (!(err instanceof UserError)) throw err;
          log(`${opts.id}: SIGHUP: ${err.message}`);
        }
      };
      process.on('SIGHUP', reload);
      let parentGone: (() => void) | null = null;
      let parentWatch: NodeJS.Timeout | null = null;
      if (parentPid !== null) {
        parentWatch = setInterval(() => {
          if (process.ppid === parentPid) return;
          clearInterval(parentWatch!);
          log(`${opts.id}: parent process ${parentPid} is gone: stopping`);
          // Whatever the stop does, the process ends within the bound.
          setTimeout(() => {
            log(`${opts.id}: not stopped within ${PARENT_GONE_STOP_MAX_MS} ms of losing the parent; exiting`);
            process.exit(1);
          }, PARENT_GONE_STOP_MAX_MS).unref();
          if (parentGone !== null) parentGone();
          else process.exit(0); // still starting: nothing to flush yet that a crash would not redo
        }, PARENT_POLL_MS);
        parentWatch.unref();
      }
      server = await RealServer.start({ clusterPath: opts.cluster, cluster, id: opts.id, dataDir, ...(opts.trace ? {} : { tracePath: null }), ...(fsyncDelayMs !== undefined && { fsyncDelayMs }), log });
      if (reloadWanted) reload();
      const running = server;
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          if (stopping) return; // a second signal (or the parent watch) while stopping
          log(`${opts.id}: ${signal}: stopping`);
          stopping = true;
          void running.stop().then(() => {
            log(`${opts.id}: stopped (disk flushed)`);
            resolve();
          });
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
        parentGone = () => stop('parent gone');
      });
      if (parentWatch !== null) clearInterval(parentWatch);
      if (parentPid !== null) process.exit(0);
    });
}
