// `kvsim cluster up|status|down|join|leave --dir DIR`: a local cluster of real server processes,
// and membership changes driven by the placement driver (src/node/membership.ts). `up --bug
// NAME` (repeatable) writes planted bugs into the cluster file: every server runs with them.
import type { Command } from 'commander';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { collect, parsePositiveInt, parseSeed } from '../options.js';
import { validateBugFlags } from './bugs.js';
import { CLUSTER_FILE, clusterDown, clusterStatus, clusterUp, type ClusterShape, type ShardLeadership } from '../../node/local-cluster.js';
import { joinServer, leaveServer, replaceServer, type MembershipResult } from '../../node/membership.js';
import { loadScenarioFile } from '../../scenario/load.js';
import { clusterShapeOf } from '../../live/shape.js';

function shapeOf(scenarioFile: string | undefined, opts: { machines?: string; shards?: string; rf?: string; seed?: string; bug?: string[] }): ClusterShape {
  const seed = parseSeed(opts.seed) ?? 1;
  const bugs = opts.bug ?? [];
  validateBugFlags(bugs);
  if (scenarioFile !== undefined) {
    if (opts.machines !== undefined || opts.shards !== undefined || opts.rf !== undefined) {
      throw new UserError('cluster up: give a scenario file or --machines/--shards/--rf, not both');
    }
    return clusterShapeOf(loadScenarioFile(scenarioFile).scenario, seed, bugs);
  }
  return {
    machines: opts.machines === undefined ? 3 : parsePositiveInt(opts.machines, '--machines'),
    shards: opts.shards === undefined ? 8 : parsePositiveInt(opts.shards, '--shards'),
    replication: opts.rf === undefined ? 3 : parsePositiveInt(opts.rf, '--rf'),
    seed,
    bugs,
  };
}

export function registerCluster(program: Command): void {
  const cluster = program.command('cluster').description('a local cluster of real server processes on 127.0.0.1');
  cluster
    .command('up')
    .argument('[scenario]', 'take machines, shards, replication and Raft timing from a scenario file')
    .description('start the servers (free ports, DIR/cluster.json) and wait until every shard has a leader')
    .requiredOption('--dir <dir>', 'the cluster directory')
    .option('--machines <n>', 'servers (default 3)')
    .option('--shards <n>', 'shards (default 8)')
    .option('--rf <n>', 'replication factor (default 3)')
    .option('--seed <n>', 'seeds the servers\' random streams (default 1)')
    .option('--bug <name>', 'every server runs with this planted bug (repeatable; see kvsim bugs)', collect)
    .option('--ready-s <n>', 'bound on waiting for leaders, in seconds', '20')
    .option('--json', 'print the cluster file as JSON')
    .action(async (scenario: string | undefined, opts: { dir: string; machines?: string; shards?: string; rf?: string; seed?: string; bug?: string[]; readyS: string; json?: boolean }) => {
      const shape = shapeOf(scenario, opts);
      const readyBoundMs = parsePositiveInt(opts.readyS, '--ready-s') * 1000;
      const t0 = performance.now();
      const file = await clusterUp({ ...shape, dir: opts.dir, readyBoundMs });
      if (opts.json) {
        process.stdout.write(JSON.stringify(file) + '\n');
        return;
      }
      process.stdout.write(`cluster up in ${opts.dir}: ${file.servers.length} servers, ${file.shards} shards, RF ${file.replication}; every shard led after ${Math.round(performance.now() - t0)} ms\n`);
      for (const s of file.servers) process.stdout.write(`  ${s.id}  tcp 127.0.0.1:${s.port}  http http://127.0.0.1:${s.httpPort}/status\n`);
      process.stdout.write(`  cluster file ${join(opts.dir, CLUSTER_FILE)}\n`);
      if (file.bugs !== undefined) process.stdout.write(`  planted bugs: ${file.bugs.join(', ')}\n`);
    });
  cluster
    .command('status')
    .description('each server (up or not, shards, leaderships) and each shard\'s leader')
    .requiredOption('--dir <dir>', 'the cluster directory')
    .option('--json', 'print one JSON object')
    .action(async (opts: { dir: string; json?: boolean }) => {
      const st = await clusterStatus(opts.dir);
      if (opts.json) {
        process.stdout.write(JSON.stringify(st) + '\n');
        return;
      }
      for (const s of st.servers) {
        if (s.state === 'left') {
          process.stdout.write(`${s.id}  left  (stopped for good)  tcp ${s.port}  http ${s.httpPort}\n`);
          continue;
        }
        const leaving = s.state === 'leaving' ? '  leaving' : '';
        process.stdout.write(`${s.id}  ${s.up ? 'up  ' : 'DOWN'}  pid ${s.pid ?? '-'}  tcp ${s.port}  http ${s.httpPort}  replicas ${s.shards}  leads ${s.leads}${leaving}\n`);
      }
      const led = st.shards.filter((x) => x.leader !== null).length;
      process.stdout.write(`shards led: ${led}/${st.shards.length}  ${leadershipText(st.shards)}\n`);
      if (st.servers.some((s) => s.state !== 'left' && !s.up) || led < st.shards.length) process.exitCode = 1;
    });
  cluster
    .command('down')
    .description('stop every server (SIGTERM, then SIGKILL after 5 s)')
    .requiredOption('--dir <dir>', 'the cluster directory')
    .option('--json', 'print one JSON object')
    .action(async (opts: { dir: string; json?: boolean }) => {
      const r = await clusterDown(opts.dir);
      if (opts.json) process.stdout.write(JSON.stringify(r) + '\n');
      else process.stdout.write(`stopped ${r.stopped.join(' ') || '-'}; killed after the grace period ${r.killed.join(' ') || '-'}; not running ${r.notRunning.join(' ') || '-'}${r.left.length > 0 ? `; left before ${r.left.join(' ')}` : ''}\n`);
    });
  cluster
    .command('join')
    .description('add a server (next id, free ports), start it, and move replicas onto it with the placement driver')
    .requiredOption('--dir <dir>', 'the cluster directory')
    .option('--bound-s <n>', 'bound on the whole change, in seconds', '60')
    .option('--json', 'print one JSON object')
    .action(async (opts: { dir: string; boundS: string; json?: boolean }) => {
      const boundMs = parsePositiveInt(opts.boundS, '--bound-s') * 1000;
      const r = await joinServer({ dir: opts.dir, boundMs, ...(!opts.json && { log: (line: string) => process.stdout.write(`${line}\n`) }) });
      printMembership(r, opts.json === true);
    });
  cluster
    .command('leave')
    .description('move a server\'s replicas away with the placement driver, then stop it for good')
    .requiredOption('--dir <dir>', 'the cluster directory')
    .requiredOption('--id <id>', 'the server that leaves (n1, n2, ...)')
    .option('--bound-s <n>', 'bound on the whole change, in seconds', '60')
    .option('--json', 'print one JSON object')
    .action(async (opts: { dir: string; id: string; boundS: string; json?: boolean }) => {
      const boundMs = parsePositiveInt(opts.boundS, '--bound-s') * 1000;
      const r = await leaveServer({ dir: opts.dir, id: opts.id, boundMs, ...(!opts.json && { log: (line: string) => process.stdout.write(`${line}\n`) }) });
      printMembership(r, opts.json === true);
    });
  cluster
    .command('replace')
    .description('a server failed for good: kill it if it runs, add a new one in its place, and rebuild its replicas there with the placement driver')
    .requiredOption('--dir <dir>', 'the cluster directory')
    .requiredOption('--id <id>', 'the failed server (n1, n2, ...)')
    .option('--bound-s <n>', 'bound on the whole change, in seconds', '60')
    .option('--json', 'print one JSON object')
    .action(async (opts: { dir: string; id: string; boundS: string; json?: boolean }) => {
      const boundMs = parsePositiveInt(opts.boundS, '--bound-s') * 1000;
      const r = await replaceServer({ dir: opts.dir, id: opts.id, boundMs, ...(!opts.json && { log: (line: string) => process.stdout.write(`${line}\n`) }) });
      printMembership(r, opts.json === true);
    });
}

/** `0:n1@1 1:n4@2 ...` (shard:leader@term). */
function leadershipText(shards: readonly ShardLeadership[]): string {
  return shards.map((x) => `${x.shard}:${x.leader ?? '-'}@${x.term < 0 ? '-' : x.term}`).join(' ');
}

function printMembership(r: MembershipResult & { replacement?: string }, json: boolean): void {
  const verb = r.op === 'join' ? 'joined' : r.op === 'leave' ? 'left' : 'replaced';
  if (json) {
    const { op: _op, id, ...rest } = r;
    process.stdout.write(JSON.stringify({ [verb]: id, ...rest }) + '\n');
    return;
  }
  const led = r.shards.filter((x) => x.leader !== null).length;
  process.stdout.write(
    `${r.id} ${verb}${r.replacement !== undefined ? ` by ${r.replacement}` : ''}${r.resumed ? ' (resumed)' : ''}: ${r.movesCompleted} move${r.movesCompleted === 1 ? '' : 's'} done, placed ${r.driverMs} ms after the driver started, ${r.ms} ms in all; shards led ${led}/${r.shards.length}  ${leadershipText(r.shards)}\n`,
  );
}
