// kvsim campaign through the built CLI (dist/, built by `npm test` first): the shell script run
// for real against one unsharded sweep, the Kubernetes Job's pod script run once per index, the
// GitHub workflow's shape, and bad input. That the manifest fits the Kubernetes API is checked
// by tsc: src/explore/campaign.ts builds it as a `Job` from kubernetes-types.
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { kvsim } from '../cli/helpers.js';

const MAIN = resolve('dist/src/cli/main.js');
/** The CLI as $KVSIM words (the script evals them, so quoted paths may hold spaces). */
const KVSIM = `"${process.execPath}" "${MAIN}"`;
const TIMEOUT_MS = 120_000;

const temps: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kvsim campaign '));
  temps.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

interface Summary {
  seeds: number;
  failures: { seed: number; check: string; repro: string }[];
  coverage: Record<string, { total: number; seeds: number }>;
}

/** The CLI run in `cwd` (swarm failures write reports/ there), e.g. one unsharded sweep. */
function kvsimIn(cwd: string, args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd, encoding: 'utf8', timeout: TIMEOUT_MS, env: { ...process.env, FORCE_COLOR: '0' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function campaign(args: string[]): string {
  const r = kvsim(['campaign', ...args]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
}

/** Writes the shell campaign to a temp dir and runs it there with sh, OUT in a folder with a space. */
function runShellCampaign(args: string[]): { code: number; stderr: string; out: string; dir: string } {
  const dir = tempDir();
  writeFileSync(join(dir, 'campaign.sh'), campaign(['--format', 'shell', ...args]));
  const out = join(dir, 'out dir');
  const r = spawnSync('sh', ['campaign.sh'], { cwd: dir, encoding: 'utf8', timeout: TIMEOUT_MS, env: { ...process.env, FORCE_COLOR: '0', KVSIM, OUT: out } });
  return { code: r.status ?? -1, stderr: r.stderr, out, dir };
}

const essentials = (s: Summary) => ({ seeds: s.seeds, failures: s.failures.map((f) => ({ seed: f.seed, check: f.check, repro: f.repro })), coverage: s.coverage });

describe('kvsim campaign --format shell', () => {
  it('4 parts of a swarm sweep, merged, equal one unsharded sweep', { timeout: TIMEOUT_MS }, () => {
    const run = runShellCampaign(['--swarm', '--seeds', '1..12', '--parts', '4', '--workers', '1']);
    expect(run.stderr).toContain('campaign: part 4/4');
    expect(run.code).toBe(0);
    const parts = [1, 2, 3, 4].map((i) => JSON.parse(readFileSync(join(run.out, `part-${i}.json`), 'utf8')) as Summary & { shard: unknown });
    expect(parts.map((p) => p.shard)).toEqual([1, 2, 3, 4].map((index) => ({ index, count: 4 })));
    expect(parts.map((p) => p.seeds)).toEqual([3, 3, 3, 3]);
    const merged = JSON.parse(readFileSync(join(run.out, 'merged.json'), 'utf8')) as Summary;
    const whole = kvsimIn(tempDir(), ['sweep', '--swarm', '--seeds', '1..12', '--workers', '1', '--json']);
    expect(whole.code).toBe(0);
    expect(essentials(merged)).toEqual(essentials(JSON.parse(whole.stdout) as Summary));
    expect(merged.seeds).toBe(12);
  });

  it('with a planted bug: exits 1, with the failures of one unsharded sweep', { timeout: TIMEOUT_MS }, () => {
    const args = ['--swarm', '--seeds', '1..4', '--workers', '1', '--bug', 'stale-route-no-redirect'];
    const run = runShellCampaign([...args, '--parts', '4']);
    expect(run.code).toBe(1); // merge's exit code: failures
    const merged = JSON.parse(readFileSync(join(run.out, 'merged.json'), 'utf8')) as Summary;
    const whole = kvsimIn(tempDir(), ['sweep', ...args, '--json']);
    expect(whole.code).toBe(1);
    const expected = JSON.parse(whole.stdout) as Summary;
    expect(expected.failures.length).toBeGreaterThan(0);
    expect(merged.failures.map((f) => f.seed)).toContain(1);
    expect(essentials(merged)).toEqual(essentials(expected));
  });

  it('a scenario FILE whose path holds a space and a quote', { timeout: TIMEOUT_MS }, () => {
    const dir = join(tempDir(), "it's here");
    mkdirSync(dir);
    const file = join(dir, 'demo ping.yaml');
    copyFileSync('scenarios/demo-ping.yaml', file);
    const run = runShellCampaign([file, '--seeds', '1..2', '--parts', '2', '--workers', '1']);
    expect(run.code).toBe(0);
    const merged = JSON.parse(readFileSync(join(run.out, 'merged.json'), 'utf8')) as Summary & { source: string };
    expect(merged.seeds).toBe(2);
    expect(merged.source).toBe(file);
  });

  it('a part that cannot run stops the script with its exit code', { timeout: TIMEOUT_MS }, () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'campaign.sh'), campaign(['--format', 'shell', '--swarm', '--seeds', '1..2', '--parts', '2']));
    // A KVSIM whose sweep rejects its input (exit 2) in place of the real one.
    const r = spawnSync('sh', ['campaign.sh'], { cwd: dir, encoding: 'utf8', timeout: TIMEOUT_MS, env: { ...process.env, KVSIM: `${KVSIM} --bogus-flag`, OUT: join(dir, 'out') } });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('campaign: part 1/2: kvsim sweep exited with 2');
  });

  it('prints the same bytes every time (no timestamps)', () => {
    const args = ['--format', 'shell', '--swarm', '--seeds', '1..100', '--parts', '7'];
    expect(campaign(args)).toBe(campaign(args));
    expect(campaign(args).startsWith('#!/bin/sh\n')).toBe(true);
    expect(campaign(args)).toContain('\nset -eu\n');
  });
});

interface JobYaml {
  apiVersion: string;
  kind: string;
  spec: {
    completionMode: string;
    completions: number;
    parallelism: number;
    backoffLimit: number;
    template: { spec: { restartPolicy: string; containers: { image: string; command: string[]; resources: { requests: Record<string, string> } }[] } };
  };
}

describe('kvsim campaign --format k8s', () => {
  it('an Indexed Job: completions N, 2 CPUs per pod, --shard from the 0-based JOB_COMPLETION_INDEX', () => {
    const text = campaign(['--format', 'k8s', '--swarm', '--seeds', '1..1000', '--parts', '40', '--image', 'registry.example/kvsim:1']);
    expect(text).toBe(campaign(['--format', 'k8s', '--swarm', '--seeds', '1..1000', '--parts', '40', '--image', 'registry.example/kvsim:1']));
    expect(text).toContain('kvsim merge parts/*.json'); // how to collect and merge, in the header
    const job = parse(text) as JobYaml;
    expect([job.apiVersion, job.kind]).toEqual(['batch/v1', 'Job']);
    expect(job.spec.completionMode).toBe('Indexed');
    expect(job.spec.completions).toBe(40);
    expect(job.spec.parallelism).toBe(16);
    expect(job.spec.backoffLimit).toBeGreaterThan(0);
    const pod = job.spec.template.spec;
    expect(pod.restartPolicy).toBe('Never');
    const container = pod.containers[0]!;
    expect(container.image).toBe('registry.example/kvsim:1');
    expect(container.resources.requests.cpu).toBe('2');
    expect(container.command.slice(0, 2)).toEqual(['sh', '-c']);
    expect(container.command[2]).toContain('kvsim sweep --swarm --seeds 1..1000 --workers 2 --shard "$((JOB_COMPLETION_INDEX + 1))/40" --json > "/out/part-$JOB_COMPLETION_INDEX.json"');
    expect((parse(campaign(['--format', 'k8s', '--swarm', '--seeds', '1..3', '--parts', '3', '--parallelism', '50'])) as JobYaml).spec.parallelism).toBe(3);
  });

  it("the pod script, run for each index, prints parts that merge into the whole sweep", { timeout: TIMEOUT_MS }, () => {
    const job = parse(campaign(['--format', 'k8s', '--swarm', '--seeds', '1..3', '--parts', '3', '--workers', '1'])) as JobYaml;
    const dir = tempDir();
    // The image's `kvsim` on PATH, and /out moved to the temp dir.
    mkdirSync(join(dir, 'bin'));
    writeFileSync(join(dir, 'bin', 'kvsim'), `#!/bin/sh\nexec ${KVSIM} "$@"\n`, { mode: 0o755 });
    const script = job.spec.template.spec.containers[0]!.command[2]!.replaceAll('/out/', `${dir}/`);
    const files = [0, 1, 2].map((index) => {
      const r = spawnSync('sh', ['-c', script], { cwd: dir, encoding: 'utf8', timeout: TIMEOUT_MS, env: { ...process.env, PATH: `${join(dir, 'bin')}:${process.env.PATH ?? ''}`, JOB_COMPLETION_INDEX: String(index) } });
      expect(r.status).toBe(0);
      const lastLine = r.stdout.trimEnd().split('\n').pop()!; // what `kubectl logs --tail=1` collects
      expect((JSON.parse(lastLine) as { shard: unknown }).shard).toEqual({ index: index + 1, count: 3 });
      const file = join(dir, `collected-${index}.json`);
      writeFileSync(file, lastLine);
      return file;
    });
    const merged = kvsimIn(dir, ['merge', ...files]);
    expect(merged.code).toBe(0);
    const whole = kvsimIn(dir, ['sweep', '--swarm', '--seeds', '1..3', '--workers', '1', '--json']);
    expect(essentials(JSON.parse(merged.stdout) as Summary)).toEqual(essentials(JSON.parse(whole.stdout) as Summary));
  });
});

interface WorkflowYaml {
  on: Record<string, unknown>;
  jobs: Record<string, { needs?: string; strategy?: { 'fail-fast': boolean; matrix: { part: number[] } }; steps: { uses?: string; run?: string; with?: Record<string, unknown> }[] }>;
}

describe('kvsim campaign --format github', () => {
  it('a matrix of N parts, each uploading its JSON, and a merge job that needs them', () => {
    const text = campaign(['--format', 'github', '--swarm', '--seeds', '1..500', '--parts', '5', '--bug', 'stale-route-no-redirect']);
    const wf = parse(text) as WorkflowYaml;
    expect(Object.keys(wf.on)).toEqual(['workflow_dispatch']);
    const sweep = wf.jobs.sweep!;
    const merge = wf.jobs.merge!;
    expect(sweep.strategy?.matrix.part).toEqual([1, 2, 3, 4, 5]);
    expect(sweep.strategy?.['fail-fast']).toBe(false);
    const run = sweep.steps.map((s) => s.run ?? '').join('\n');
    expect(run).toContain('sweep --swarm --seeds 1..500 --bug stale-route-no-redirect --shard "$PART/5" --json > "part-$PART.json"');
    expect(sweep.steps.some((s) => s.uses?.startsWith('actions/upload-artifact@') && s.with?.name === 'part-${{ matrix.part }}')).toBe(true);
    expect(merge.needs).toBe('sweep');
    expect(merge.steps.some((s) => s.uses?.startsWith('actions/download-artifact@') && s.with?.pattern === 'part-*')).toBe(true);
    expect(merge.steps.map((s) => s.run ?? '').join('\n')).toContain('merge parts/part-*.json > merged.json');
  });
});

describe('kvsim campaign: bad input', () => {
  const base = ['campaign', '--swarm', '--format', 'shell'];
  it.each([
    [['--seeds', '1..24', '--parts', '0'], '--parts: expected a positive integer, got "0"'],
    [['--seeds', '1..24', '--parts', '4', '--format', 'x'], '--format: expected k8s, github or shell, got "x"'],
    [['--seeds', '5..1', '--parts', '2'], '--seeds: the range 5..1 is empty'],
    [['--seeds', '1..3', '--parts', '4'], '--parts: expected at most 3'],
    [['--seeds', '1..3', '--parts', '2', '--bug', 'no-such-bug'], '--bug: unknown planted bug "no-such-bug"'],
    [['--seeds', '1..3', '--parts', '2', '--image', 'x'], '--image: only for --format k8s'],
    [['--seeds', '1..3', '--parts', '2', 'scenarios/default.yaml'], 'campaign: give either --swarm or a scenario FILE, not both'],
  ])('%j -> exit 2, one line', (args, message) => {
    const r = kvsim([...base, ...args]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(message);
  });

  it('GitHub Actions runs at most 256 jobs of a matrix', () => {
    const r = kvsim(['campaign', '--swarm', '--format', 'github', '--seeds', '1..1000', '--parts', '300']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--parts: --format github runs at most 256 parts, got 300');
  });
});
