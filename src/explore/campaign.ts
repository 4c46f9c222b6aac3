// A campaign: one seed range of `kvsim sweep`, split into parts (`--shard I/N`) for an existing
// scheduler, and joined again by `kvsim merge`. This module only writes text: a POSIX shell
// script, a Kubernetes Indexed Job manifest or a GitHub Actions workflow. It runs nothing and
// reads no clock, so the same campaign always prints the same bytes.
//
// The shape: `Campaign` (validated by the caller) -> `sweepCommand` (the one `kvsim sweep` line
// every format runs, with the part number left to the scheduler) -> one builder per format.
// The Kubernetes Job is typed with the published API types (kubernetes-types, a type-only
// import), so `tsc` checks the manifest's fields; the workflow is typed by a small local model.
import type { Job } from 'kubernetes-types/batch/v1.js';
import { Document } from 'yaml';
import { assert, assertNever } from '../base/assert.js';

export type CampaignFormat = 'k8s' | 'github' | 'shell';
export const CAMPAIGN_FORMATS: readonly CampaignFormat[] = ['k8s', 'github', 'shell'];

export type CampaignSource = { kind: 'swarm' } | { kind: 'file'; file: string };

export interface Campaign {
  source: CampaignSource;
  range: { from: number; to: number };
  parts: number;
  /** Worker threads per part; null leaves sweep's default (all cores). */
  workers: number | null;
  bugs: readonly string[];
  /** Kubernetes only: an image with `kvsim` on its PATH. */
  image: string;
  /** Parts running at once: Kubernetes `parallelism`, GitHub `max-parallel`; null for the default. */
  parallelism: number | null;
}

export const DEFAULT_IMAGE = 'kvsim:0.1.0';
/** Kubernetes: parts at once unless --parallelism says otherwise (the scheduler queues the rest). */
export const DEFAULT_K8S_PARALLELISM = 16;
/** Kubernetes: worker threads (and CPUs requested) per pod unless --workers says otherwise. */
export const DEFAULT_K8S_WORKERS = 2;
export const K8S_MEMORY_REQUEST = '512Mi';
/** Kubernetes caps an Indexed Job's completions at 10^5. */
export const MAX_K8S_PARTS = 100_000;
/** GitHub Actions runs at most 256 jobs from one matrix. */
export const MAX_GITHUB_PARTS = 256;
const JOB_NAME = 'kvsim-campaign';

export function seedCount(range: { from: number; to: number }): number {
  return range.to - range.from + 1;
}

/** The most parts a format can schedule. */
export function maxParts(format: CampaignFormat): number {
  switch (format) {
    case 'k8s':
      return MAX_K8S_PARTS;
    case 'github':
      return MAX_GITHUB_PARTS;
    case 'shell':
      return Number.MAX_SAFE_INTEGER;
    default:
      return assertNever(format, 'campaign format');
  }
}

/** One word for a POSIX shell: left bare when it is plainly safe, else in single quotes. */
export function shQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The `kvsim sweep` arguments of one part, as shell text (without the leading `kvsim`).
 * `shardText` is shell text too, so a scheduler's variable can stand in for the part number.
 */
export function sweepCommand(c: Campaign, shardText: string, workers: number | null): string {
  const words = ['sweep', c.source.kind === 'swarm' ? '--swarm' : shQuote(c.source.file), '--seeds', `${c.range.from}..${c.range.to}`];
  if (workers !== null) words.push('--workers', String(workers));
  for (const bug of c.bugs) words.push('--bug', shQuote(bug));
  words.push('--shard', shardText, '--json');
  return words.join(' ');
}

/** The `kvsim campaign` line that prints this campaign again (for the header comment). */
function campaignCommand(c: Campaign, format: CampaignFormat): string {
  const words = ['kvsim', 'campaign', '--format', format, c.source.kind === 'swarm' ? '--swarm' : shQuote(c.source.file)];
  words.push('--seeds', `${c.range.from}..${c.range.to}`, '--parts', String(c.parts));
  if (c.workers !== null) words.push('--workers', String(c.workers));
  for (const bug of c.bugs) words.push('--bug', shQuote(bug));
  if (format === 'k8s') words.push('--image', shQuote(c.image));
  if (format !== 'shell' && c.parallelism !== null) words.push('--parallelism', String(c.parallelism));
  return words.join(' ');
}

function describe(c: Campaign): string {
  const what = c.source.kind === 'swarm' ? 'swarm scenarios' : `scenario ${c.source.file}`;
  const bugs = c.bugs.length === 0 ? '' : `, planted bugs ${c.bugs.join(', ')}`;
  return `${what}, seeds ${c.range.from}..${c.range.to} (${seedCount(c.range)} seeds)${bugs}, in ${c.parts} parts`;
}

function checkCampaign(c: Campaign, format: CampaignFormat): void {
  assert(Number.isSafeInteger(c.parts) && c.parts >= 1, 'campaign: parts is a positive integer');
  assert(c.parts <= seedCount(c.range), 'campaign: no more parts than seeds (every part gets a seed)');
  assert(c.parts <= maxParts(format), 'campaign: parts within the format limit');
  assert(c.workers === null || (Number.isSafeInteger(c.workers) && c.workers >= 1), 'campaign: workers is a positive integer');
}

export function campaignText(c: Campaign, format: CampaignFormat): string {
  checkCampaign(c, format);
  switch (format) {
    case 'shell':
      return shellScript(c);
    case 'k8s':
      return yamlText(k8sJob(c), k8sHeader(c));
    case 'github':
      return yamlText(githubWorkflow(c), githubHeader(c));
    default:
      return assertNever(format, 'campaign format');
  }
}

function yamlText(value: unknown, header: string[]): string {
  // No anchors and aliases for repeated objects (the labels): each place spelled out.
  const doc = new Document(value, { aliasDuplicateObjects: false });
  doc.commentBefore = header.map((line) => ` ${line}`).join('\n');
  return doc.toString({ lineWidth: 0 });
}

// ---------------------------------------------------------------------------------------------
// Shell: the parts one after another on this machine (each part already runs --workers threads,
// so running parts side by side here would only share the same cores).

export function shellScript(c: Campaign): string {
  const sweep = sweepCommand(c, '"$part/$PARTS"', c.workers);
  return [
    '#!/bin/sh',
    `# kvsim campaign: ${describe(c)}.`,
    `# Generated by: ${campaignCommand(c, 'shell')}`,
    '#',
    '# Runs the parts (kvsim sweep --shard I/N) one after another, then kvsim merge. Each part',
    '# already uses its --workers threads (default: all cores). Exit code: merge\'s (0 no failures,',
    '# 1 failures), or that of the first part that could not run (2 bad input, ...).',
    '# Environment:',
    '#   KVSIM  the kvsim command, as shell words (default: kvsim),',
    '#          e.g. KVSIM=\'node "/path with spaces/dist/src/cli/main.js"\'',
    '#   OUT    the directory for part-I.json and merged.json (default: ./campaign-out; created)',
    ...(c.source.kind === 'swarm' ? ['# Failing swarm seeds are also written as reports/swarm-SEED.yaml under the working directory.'] : []),
    'set -eu',
    '',
    'KVSIM=${KVSIM:-kvsim}',
    'OUT=${OUT:-./campaign-out}',
    `PARTS=${c.parts}`,
    '',
    '# $KVSIM is shell words, so it may carry its own quotes.',
    'run_kvsim() {',
    '  eval "$KVSIM \\"\\$@\\""',
    '}',
    '',
    'mkdir -p -- "$OUT"',
    'part=1',
    'while [ "$part" -le "$PARTS" ]; do',
    '  echo "campaign: part $part/$PARTS" >&2',
    '  status=0',
    `  run_kvsim ${sweep} > "$OUT/part-$part.json" || status=$?`,
    '  # 1: the part found failures. They are in its JSON, and merge reports them.',
    '  if [ "$status" -gt 1 ]; then',
    '    echo "campaign: part $part/$PARTS: kvsim sweep exited with $status" >&2',
    '    exit "$status"',
    '  fi',
    '  part=$((part + 1))',
    'done',
    '',
    '# Exactly this campaign\'s parts (not a glob: $OUT may hold parts of an earlier campaign).',
    'set --',
    'part=1',
    'while [ "$part" -le "$PARTS" ]; do',
    '  set -- "$@" "$OUT/part-$part.json"',
    '  part=$((part + 1))',
    'done',
    'status=0',
    'run_kvsim merge "$@" > "$OUT/merged.json" || status=$?',
    'echo "campaign: merged summary in $OUT/merged.json (exit $status)" >&2',
    'exit "$status"',
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Kubernetes: an Indexed Job. Pod INDEX (0-based JOB_COMPLETION_INDEX) runs part INDEX + 1
// (sweep's --shard is 1-based), writes /out/part-INDEX.json and prints it as its last log line,
// which is how the parts are collected (an emptyDir ends with its pod).

function k8sWorkers(c: Campaign): number {
  return c.workers ?? DEFAULT_K8S_WORKERS;
}

function k8sHeader(c: Campaign): string[] {
  const select = `-l job-name=${JOB_NAME} --field-selector=status.phase=Succeeded -o name`;
  return [
    `kvsim campaign: ${describe(c)}, as a Kubernetes Indexed Job.`,
    `Generated by: ${campaignCommand(c, 'k8s')}`,
    `The image (${c.image}) must have kvsim on its PATH. kvsim is not published: build the image from`,
    'the repository and push it where the cluster pulls from, e.g. a Dockerfile of FROM node:20,',
    'COPY . /kvsim, WORKDIR /kvsim, RUN npm ci && npm run build && npm link (and pass --image).',
    ...(c.source.kind === 'file' ? [`The scenario file is read at ${c.source.file}, relative to the image's working directory.`] : []),
    'Pod INDEX runs kvsim sweep --shard $((INDEX + 1))/N and prints its JSON summary as its last',
    'log line; a part that found failures still succeeds (kvsim merge reports them), bad input',
    '(exit 2) fails the whole Job, and evicted pods are retried without counting.',
    'Run and collect:',
    '  kubectl apply -f job.yaml',
    `  kubectl wait --for=condition=complete job/${JOB_NAME} --timeout=24h`,
    '  mkdir -p parts',
    `  for pod in $(kubectl get pods ${select}); do kubectl logs "$pod" --tail=1 > "parts/\${pod#pod/}.json"; done`,
    `  ls parts | wc -l    # ${c.parts}`,
    '  kvsim merge parts/*.json > merged.json    # exit 0 no failures, 1 failures',
    'To keep the part files instead, replace the emptyDir volume "out" with a shared volume.',
  ];
}

export function k8sJob(c: Campaign): Job {
  const workers = k8sWorkers(c);
  const sweep = sweepCommand(c, '"$((JOB_COMPLETION_INDEX + 1))/' + c.parts + '"', workers);
  const script = [
    'set -eu',
    'status=0',
    `kvsim ${sweep} > "/out/part-$JOB_COMPLETION_INDEX.json" || status=$?`,
    '# 1: this part found failures. They are in its JSON, and kvsim merge reports them.',
    '[ "$status" -le 1 ] || exit "$status"',
    'cat "/out/part-$JOB_COMPLETION_INDEX.json"',
  ].join('\n');
  const labels = { 'app.kubernetes.io/name': 'kvsim', 'app.kubernetes.io/component': 'campaign' };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: JOB_NAME, labels },
    spec: {
      completionMode: 'Indexed',
      completions: c.parts,
      parallelism: Math.min(c.parts, c.parallelism ?? DEFAULT_K8S_PARALLELISM),
      // Runs are pure functions of their seed: a retry helps only when a pod was lost.
      backoffLimit: c.parts,
      podFailurePolicy: {
        rules: [
          { action: 'FailJob', onExitCodes: { containerName: 'sweep', operator: 'In', values: [2] } },
          { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
        ],
      },
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          containers: [
            {
              name: 'sweep',
              image: c.image,
              command: ['sh', '-c', script],
              resources: { requests: { cpu: String(workers), memory: K8S_MEMORY_REQUEST } },
              volumeMounts: [{ name: 'out', mountPath: '/out' }],
            },
          ],
          volumes: [{ name: 'out', emptyDir: {} }],
        },
      },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// GitHub Actions: a matrix job per part (each uploads part-I.json as an artifact), then a merge
// job that downloads them all and fails the workflow when the campaign found failures.

interface GithubStep {
  name?: string;
  if?: string;
  uses?: string;
  with?: Record<string, string | number | boolean>;
  env?: Record<string, string>;
  run?: string;
}

interface GithubJob {
  name?: string;
  needs?: string;
  'runs-on': string;
  strategy?: { 'fail-fast': boolean; 'max-parallel'?: number; matrix: { part: number[] } };
  steps: GithubStep[];
}

export interface GithubWorkflow {
  name: string;
  on: { workflow_dispatch: Record<string, never> };
  permissions: { contents: 'read' };
  jobs: { sweep: GithubJob; merge: GithubJob };
}

const KVSIM_IN_CHECKOUT = 'node dist/src/cli/main.js';

function buildSteps(): GithubStep[] {
  return [
    { uses: 'actions/checkout@v4' },
    { uses: 'actions/setup-node@v4', with: { 'node-version': '20', cache: 'npm' } },
    { run: 'npm ci' },
    { run: 'npm run build' },
  ];
}

function githubHeader(c: Campaign): string[] {
  return [
    `kvsim campaign: ${describe(c)}, as a GitHub Actions workflow.`,
    `Generated by: ${campaignCommand(c, 'github')}`,
    'Save as .github/workflows/kvsim-campaign.yml in the kvsim repository and start it by hand',
    '(Actions tab, or: gh workflow run kvsim-campaign.yml). Each part uploads part-I.json; the',
    'merge job joins them into the artifact "merged" and fails when the campaign found failures.',
    ...(c.source.kind === 'file' ? [`The scenario file is read at ${c.source.file}, relative to the repository root.`] : []),
  ];
}

export function githubWorkflow(c: Campaign): GithubWorkflow {
  const part: number[] = [];
  for (let i = 1; i <= c.parts; i++) part.push(i);
  const sweep = sweepCommand(c, `"$PART/${c.parts}"`, c.workers);
  const repro: GithubStep[] =
    c.source.kind === 'swarm'
      ? [
          {
            name: 'upload failing swarm scenarios',
            if: 'always()',
            uses: 'actions/upload-artifact@v4',
            with: { name: 'swarm-failures-${{ matrix.part }}', path: 'reports/swarm-*.yaml', 'if-no-files-found': 'ignore' },
          },
        ]
      : [];
  return {
    name: 'kvsim campaign',
    on: { workflow_dispatch: {} },
    permissions: { contents: 'read' },
    jobs: {
      sweep: {
        name: `sweep part \${{ matrix.part }}/${c.parts}`,
        'runs-on': 'ubuntu-latest',
        strategy: {
          // A part that finds failures must not cancel the others: merge reports them all.
          'fail-fast': false,
          ...(c.parallelism !== null && { 'max-parallel': c.parallelism }),
          matrix: { part },
        },
        steps: [
          ...buildSteps(),
          {
            name: 'sweep',
            env: { PART: '${{ matrix.part }}' },
            run: [
              'status=0',
              `${KVSIM_IN_CHECKOUT} ${sweep} > "part-$PART.json" || status=$?`,
              '# 1: this part found failures. They are in its JSON, and the merge job reports them.',
              'test "$status" -le 1',
            ].join('\n'),
          },
          {
            name: 'upload the part',
            uses: 'actions/upload-artifact@v4',
            with: { name: 'part-${{ matrix.part }}', path: 'part-${{ matrix.part }}.json', 'if-no-files-found': 'error' },
          },
          ...repro,
        ],
      },
      merge: {
        needs: 'sweep',
        'runs-on': 'ubuntu-latest',
        steps: [
          ...buildSteps(),
          { uses: 'actions/download-artifact@v4', with: { pattern: 'part-*', path: 'parts', 'merge-multiple': true } },
          {
            name: 'merge',
            run: ['status=0', `${KVSIM_IN_CHECKOUT} merge parts/part-*.json > merged.json || status=$?`, 'cat merged.json', 'exit "$status"'].join('\n'),
          },
          { name: 'upload the merged summary', if: 'always()', uses: 'actions/upload-artifact@v4', with: { name: 'merged', path: 'merged.json' } },
        ],
      },
    },
  };
}
