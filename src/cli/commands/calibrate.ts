// `kvsim calibrate --dir DIR [--seconds S] [--out FILE] [--json]`: measures the running local
// cluster in DIR (message latency under a light load, fsync of DIR's filesystem) and writes a
// scenario fragment — `network:` and `disk:` in the scenario file's format — fitted to it
// (src/node/calibrate.ts). YAML to stdout, or to FILE with a one-line summary on stdout;
// `--json` prints {network, disk, measured, fit} instead. No cluster or no server answering is
// bad input: one line naming DIR, exit 2.
import type { Command } from 'commander';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { UserError } from '../errors.js';
import { CALIBRATE_SECONDS_MAX, DEFAULT_CALIBRATE_SECONDS, calibrate, calibrationYaml } from '../../node/calibrate.js';

function parseSeconds(text: string): number {
  const s = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !(s > 0) || s > CALIBRATE_SECONDS_MAX) {
    throw new UserError(`--seconds: expected a number of seconds above 0 and at most ${CALIBRATE_SECONDS_MAX}, got "${text}"`);
  }
  return s;
}

export function registerCalibrate(program: Command): void {
  program
    .command('calibrate')
    .description('measure a running local cluster and write network: and disk: for a scenario file, fitted to this machine')
    .requiredOption('--dir <dir>', 'the cluster directory (kvsim cluster up --dir DIR)')
    .option('--seconds <s>', 'length of the load that is measured', String(DEFAULT_CALIBRATE_SECONDS))
    .option('--out <file>', 'write the YAML fragment here (default: stdout)')
    .option('--json', 'print one JSON object {network, disk, measured, fit}')
    .action(async (opts: { dir: string; seconds: string; out?: string; json?: boolean }) => {
      const seconds = parseSeconds(opts.seconds);
      // Before seconds of measuring, not after.
      if (opts.out !== undefined && !existsSync(dirname(opts.out))) throw new UserError(`${opts.out}: no directory ${dirname(opts.out)} to write the fragment in`);
      const c = await calibrate({ dir: opts.dir, seconds });
      const yaml = calibrationYaml(c);
      if (opts.out !== undefined) {
        try {
          writeFileSync(opts.out, yaml);
        } catch (err) {
          throw new UserError(`${opts.out}: cannot write the fragment (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
        }
      }
      if (opts.json) {
        process.stdout.write(JSON.stringify(c) + '\n');
        return;
      }
      if (opts.out === undefined) {
        process.stdout.write(yaml);
        return;
      }
      const l = c.measured.latency;
      process.stdout.write(`wrote ${opts.out}: latency p50 ${l.p50Us} µs, p99 ${l.p99Us} µs (${l.count} messages); fsync mean ${c.measured.fsync.meanUs} µs (${c.measured.fsync.count} samples)\n`);
    });
}
