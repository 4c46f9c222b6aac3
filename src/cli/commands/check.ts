// `kvsim check HISTORY...`: linearizability of recorded histories (kvsim JSONL, Porcupine's
// reference formats, Jepsen's history.edn). The wall-clock deadline lives here so the checker
// core stays pure.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { Command } from 'commander';
import { EXIT_BAD_INPUT, EXIT_CHECK_FAILED, EXIT_OK, EXIT_UNDECIDED, UserError, locate } from '../errors.js';
import { HISTORY_FORMATS, inferFormat, isHistoryFormat, metaFor, parseHistoryText, parseInitialValue, type HistoryFormat } from '../../history/formats.js';
import { readJsonlFile } from '../../history/jsonl.js';
import type { OpRecord, ReadLevel } from '../../history/op.js';
import { checkHistory, type LinCheckResult, type LinVerdict } from '../../check/linearizability.js';

export const DEFAULT_CHECK_TIMEOUT_S = 60;

export interface CheckFileReport {
  file: string;
  verdict: LinVerdict;
  ms: number;
  keys: number;
  ops: number;
  /** Reads left out because their level never promised linearizability (see --all-levels). */
  excluded: number;
  explanation?: LinCheckResult['explanation'];
}

/** Read levels that never promised linearizability: by default their reads are not checked. */
export const WEAK_READ_LEVELS: readonly ReadLevel[] = ['follower', 'session', 'bounded'];

/** Splits off the gets whose level is weaker than linearizable (Porcupine formats have none). */
export function dropWeakReads(records: readonly OpRecord[]): { kept: OpRecord[]; excluded: number } {
  const kept: OpRecord[] = [];
  let excluded = 0;
  for (const r of records) {
    if (r.op === 'get' && r.level !== undefined && WEAK_READ_LEVELS.includes(r.level)) excluded++;
    else kept.push(r);
  }
  return { kept, excluded };
}

const EXIT_OF: Record<LinVerdict, number> = { linearizable: EXIT_OK, 'not-linearizable': EXIT_CHECK_FAILED, unknown: EXIT_UNDECIDED };
/** Worst first: bad input, then a violation, then undecided. */
const EXIT_RANK: Record<number, number> = { [EXIT_OK]: 0, [EXIT_UNDECIDED]: 1, [EXIT_CHECK_FAILED]: 2, [EXIT_BAD_INPUT]: 3 };

export function worseExit(a: number, b: number): number {
  return (EXIT_RANK[b] ?? 3) > (EXIT_RANK[a] ?? 3) ? b : a;
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, expected a history file' : code === 'EACCES' ? 'permission denied' : 'cannot be read';
    throw new UserError(locate(file, why));
  }
}

/** Loads a history; throws a located UserError for anything a user can get wrong. */
export async function loadHistory(file: string, format: HistoryFormat | undefined): Promise<{ records: OpRecord[]; format: HistoryFormat }> {
  if (format === 'jsonl' || (format === undefined && /\.(jsonl|ndjson)$/i.test(file))) {
    readText(file.length > 0 ? file : '.'); // same one-line errors for missing files
    const records: OpRecord[] = [];
    for await (const r of readJsonlFile(file)) records.push(r);
    return { records, format: 'jsonl' };
  }
  const text = readText(file);
  const fmt = format ?? inferFormat(file, text);
  if (fmt === undefined) throw new UserError(locate(file, `cannot tell the history format; expected --format ${HISTORY_FORMATS.join('|')}`, { line: 1 }));
  return { records: parseHistoryText(text, file, fmt), format: fmt };
}

/**
 * Checks one file. `initialText`: the `--initial` value as typed, read in the file's format
 * (see parseInitialValue); absent = the format's own starting value.
 */
export async function checkFile(file: string, format: HistoryFormat | undefined, timeoutS: number, allLevels = false, initialText?: string): Promise<CheckFileReport> {
  const loaded = await loadHistory(file, format);
  const meta = metaFor(loaded.format, initialText === undefined ? undefined : parseInitialValue(loaded.format, initialText));
  const { kept, excluded } = allLevels ? { kept: loaded.records, excluded: 0 } : dropWeakReads(loaded.records);
  const t0 = performance.now();
  const endMs = t0 + timeoutS * 1000;
  const result = checkHistory(kept, {
    model: meta.model,
    missingValue: meta.missingValue,
    deadline: () => performance.now() > endMs,
  });
  const ms = Math.round((performance.now() - t0) * 10) / 10;
  const report: CheckFileReport = { file, verdict: result.verdict, ms, keys: result.keys, ops: result.ops, excluded };
  if (result.explanation) report.explanation = result.explanation;
  return report;
}

function renderHuman(r: CheckFileReport): string {
  const verdict = r.verdict === 'not-linearizable' ? 'NOT linearizable' : r.verdict === 'unknown' ? 'unknown (time limit reached)' : 'linearizable';
  let s = `${r.file}: ${verdict}  (${r.ops} ops, ${r.keys} key${r.keys === 1 ? '' : 's'}, ${r.ms} ms)\n`;
  if (r.excluded > 0) s += `  (${r.excluded} ${WEAK_READ_LEVELS.join('/')} read${r.excluded === 1 ? '' : 's'} excluded: they do not promise linearizability; --all-levels checks them)\n`;
  if (r.explanation) s += r.explanation.text.split('\n').map((l) => `  ${l}`).join('\n') + '\n';
  return s;
}

function jsonLine(r: CheckFileReport): string {
  const o: Record<string, unknown> = { file: r.file, verdict: r.verdict, ms: r.ms, keys: r.keys, ops: r.ops, excluded: r.excluded };
  if (r.explanation) {
    const { text, ...data } = r.explanation;
    o['explanation'] = { ...data, text };
  }
  return JSON.stringify(o);
}

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('check recorded histories for linearizability (exit: 0 linearizable, 1 not, 3 unknown, 2 bad input)')
    .argument('<history...>', 'history files (.jsonl, Jepsen etcd .log, Porcupine kv .txt, Jepsen history .edn)')
    .option('--format <format>', `history format: ${HISTORY_FORMATS.join('|')} (default: from the name and content)`)
    .option('--initial <value>', 'the value every key (register) holds before its first write: EDN for jepsen (e.g. 0), text otherwise; nil = missing')
    .option('--json', 'one JSON object per file: {file, verdict, ms, keys, ops, excluded, explanation?}')
    .option('--all-levels', `also check gets at levels ${WEAK_READ_LEVELS.join(', ')} (excluded by default: they never promised linearizability)`)
    .option('--timeout-s <seconds>', 'time limit per file; past it the verdict is unknown', String(DEFAULT_CHECK_TIMEOUT_S))
    .action(async (files: string[], opts: { format?: string; json?: boolean; allLevels?: boolean; timeoutS: string; initial?: string }) => {
      if (opts.format !== undefined && !isHistoryFormat(opts.format))
        throw new UserError(`check: --format expects one of ${HISTORY_FORMATS.join(', ')}, got '${opts.format}'`);
      if (!/^[0-9]+(\.[0-9]+)?$/.test(opts.timeoutS) || Number(opts.timeoutS) <= 0)
        throw new UserError(`check: --timeout-s expects a positive number of seconds, got '${opts.timeoutS}'`);
      const format = opts.format as HistoryFormat | undefined;
      const timeoutS = Number(opts.timeoutS);
      let exit = EXIT_OK;
      for (const file of files) {
        try {
          const r = await checkFile(file, format, timeoutS, opts.allLevels === true, opts.initial);
          process.stdout.write(opts.json ? jsonLine(r) + '\n' : renderHuman(r));
          exit = worseExit(exit, EXIT_OF[r.verdict]);
        } catch (err) {
          if (!(err instanceof UserError)) throw err;
          process.stderr.write(`kvsim: ${err.message}\n`);
          exit = worseExit(exit, err.exitCode);
        }
      }
      process.exitCode = exit;
    });
}
