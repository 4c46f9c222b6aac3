// kvsim campaign (--swarm | FILE) --seeds A..B --parts N --format k8s|github|shell
//   [--workers W] [--bug NAME]... [--image IMAGE] [--parallelism P]
// Prints (stdout) a job for an existing scheduler that runs the seed range as N parts of
// `kvsim sweep --shard I/N --json` and joins them with `kvsim merge`: a POSIX shell script, a
// Kubernetes Indexed Job or a GitHub Actions workflow. Flags are checked here, as sweep checks
// them, so a bad campaign fails now rather than in every part. Exit 0, or 2 bad input.
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { collect, parsePositiveInt, parseSeedRange } from '../options.js';

interface CampaignFlags {
  swarm?: boolean;
  seeds?: string;
  parts?: string;
  format?: string;
  workers?: string;
  bug?: string[];
  image?: string;
  parallelism?: string;
}

export function registerCampaign(program: Command): void {
  program
    .command('campaign')
    .description('print a job that runs a sweep in parts on a scheduler (Kubernetes, GitHub Actions, shell) and merges them')
    .argument('[file]', 'scenario file (YAML), at the same path where the parts run; or use --swarm')
    .option('--swarm', 'generate a scenario per seed (as kvsim sweep --swarm)')
    .option('--seeds <A..B>', 'seed range, inclusive (e.g. 1..10000)')
    .option('--parts <n>', 'number of parts (kvsim sweep --shard I/N), at most the number of seeds')
    .option('--format <format>', 'k8s (Indexed Job), github (Actions matrix) or shell (POSIX sh script)')
    .option('--workers <n>', 'worker threads per part (default: all cores; k8s: 2, the CPUs each pod requests)')
    .option('--bug <name>', 'switch on a planted bug (repeatable)', collect)
    .option('--image <image>', 'k8s: a container image with kvsim on its PATH (default: kvsim:0.1.0)')
    .option('--parallelism <n>', 'k8s and github: parts running at once (k8s default: 16)')
    .action(async (file: string | undefined, opts: CampaignFlags) => {
      const { CAMPAIGN_FORMATS, DEFAULT_IMAGE, campaignText, maxParts, seedCount } = await import('../../explore/campaign.js');
      if (opts.format === undefined) throw new UserError('campaign: --format k8s|github|shell is required');
      const format = CAMPAIGN_FORMATS.find((f) => f === opts.format);
      if (format === undefined) throw new UserError(`--format: expected k8s, github or shell, got "${opts.format}"`);
      if (opts.swarm === true && file !== undefined) throw new UserError('campaign: give either --swarm or a scenario FILE, not both');
      if (opts.swarm !== true && file === undefined) throw new UserError('campaign: expected a scenario FILE or --swarm');
      if (opts.seeds === undefined) throw new UserError('campaign: --seeds A..B is required');
      const range = parseSeedRange(opts.seeds);
      if (opts.parts === undefined) throw new UserError('campaign: --parts N is required');
      const parts = parsePositiveInt(opts.parts, '--parts');
      const seeds = seedCount(range);
      if (parts > seeds) throw new UserError(`--parts: expected at most ${seeds} (the seeds in ${opts.seeds}; every part needs one), got ${parts}`);
      const limit = maxParts(format);
      if (parts > limit) throw new UserError(`--parts: --format ${format} runs at most ${limit} parts, got ${parts}`);
      const workers = opts.workers !== undefined ? parsePositiveInt(opts.workers, '--workers') : null;
      if (opts.image !== undefined && format !== 'k8s') throw new UserError(`--image: only for --format k8s, not ${format}`);
      if (opts.image !== undefined && !/^[^\s'"\\$`]+$/.test(opts.image)) throw new UserError(`--image: expected a container image reference (e.g. registry.example/kvsim:0.1.0), got "${opts.image}"`);
      if (opts.parallelism !== undefined && format === 'shell') throw new UserError('--parallelism: only for --format k8s or github (the shell script runs the parts one after another)');
      const parallelism = opts.parallelism !== undefined ? parsePositiveInt(opts.parallelism, '--parallelism') : null;
      const bugs = opts.bug ?? [];
      const [{ validateBugFlags }, { loadScenarioFile }] = await Promise.all([import('./bugs.js'), import('../../scenario/load.js')]);
      validateBugFlags(bugs);
      if (file !== undefined) {
        // The script, manifest or workflow names the file on one line (and in comments).
        if (/[\0-\x1f\x7f]/.test(file)) throw new UserError(`${JSON.stringify(file)}: expected a scenario file path without control characters`);
        // Read here to catch a bad file once; the parts read it again where they run.
        const loaded = loadScenarioFile(file);
        validateBugFlags(loaded.scenario.bugs ?? [], `${file}: bugs`);
      }
      const text = campaignText(
        {
          source: file === undefined ? { kind: 'swarm' } : { kind: 'file', file },
          range,
          parts,
          workers,
          bugs,
          image: opts.image ?? DEFAULT_IMAGE,
          parallelism,
        },
        format,
      );
      process.stdout.write(text);
    });
}
