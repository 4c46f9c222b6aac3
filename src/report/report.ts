// kvsim report: reads a trace twice (once to aggregate, once for the space-time window) and
// writes one self-contained HTML file. Nothing is held per event, so a trace of millions of
// events needs memory for its aggregates only.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../base/errors.js';
import { readTrace } from '../trace/reader.js';
import { ReportAggregator, type ReportModel } from './aggregate.js';
import { renderPage } from './html.js';
import { renderHeader, renderLatency, renderLeaders, renderSpaceTimeSection, renderStaleness, renderStats, renderThroughput, renderViolation } from './sections.js';
import { renderGeography } from './geo-section.js';
import { SpaceTimeCollector, type LaneMark, type SpaceTime } from './spacetime.js';
import { defaultWindow, type TimeWindow } from './window.js';
import { reproCommand } from '../scenario/repro.js';

export interface ReportOptions {
  /** Space-time window; default: around the first violation, else the first election after a fault. */
  window?: { fromUs: number; toUs: number };
  /** The scenario file for the reproduce command (default: scenarios/<name>.yaml when it exists). */
  scenarioFile?: string;
  /** Bugs for the reproduce command (default: the bugs the trace's run.summary lists). */
  bugs?: readonly string[];
}

export interface ReportResult {
  htmlPath: string;
  model: ReportModel;
  window: TimeWindow;
}

export async function aggregateTrace(tracePath: string): Promise<ReportModel> {
  const agg = new ReportAggregator();
  for await (const event of readTrace(tracePath)) agg.add(event);
  const model = agg.finish();
  if (model.events === 0) throw new UserError(`${tracePath}: the trace is empty; expected trace events (kvsim run FILE --trace OUT.jsonl)`);
  return model;
}

/** Invocation time of one operation (only needed when an eventual violation is the first one). */
async function opInvokeUs(tracePath: string, op: number): Promise<number | undefined> {
  for await (const e of readTrace(tracePath)) if (e.type === 'client.invoke' && e.op === op) return e.t;
  return undefined;
}

function violationMarks(model: ReportModel): LaneMark[] {
  const marks: LaneMark[] = [];
  for (const c of model.verdicts?.checks ?? []) {
    if (c.ok === false && c.atUs !== undefined) marks.push({ tUs: c.atUs, lane: null, kind: 'violation', text: `${c.name}: ${c.message ?? 'violated'}` });
  }
  const lin = model.verdicts?.linViolation;
  if (lin !== undefined) {
    const f = lin.failing;
    marks.push({ tUs: f.invokeUs, lane: null, kind: 'violation', text: `op #${f.id} (the impossible read) invoked` });
    if (f.completeUs !== null) marks.push({ tUs: f.completeUs, lane: null, kind: 'violation', text: `op #${f.id} (the impossible read) completed${f.servedBy !== undefined ? `, served by ${f.servedBy}` : ''}` });
  }
  return marks;
}

export async function collectSpaceTime(tracePath: string, model: ReportModel, window: TimeWindow): Promise<SpaceTime> {
  const collector = new SpaceTimeCollector(window, model.machines, violationMarks(model));
  for await (const event of readTrace(tracePath)) if (!collector.add(event)) break;
  return collector.finish();
}

export async function chooseWindow(tracePath: string, model: ReportModel, chosen?: { fromUs: number; toUs: number }): Promise<TimeWindow> {
  if (chosen !== undefined) return { ...chosen, reason: 'chosen with --window' };
  const firstEventual = model.verdicts?.eventualViolations[0];
  const eventualUs = firstEventual !== undefined ? await opInvokeUs(tracePath, firstEventual.op) : undefined;
  return defaultWindow(model, eventualUs);
}

export function reproduceCommand(model: ReportModel, options: ReportOptions): string {
  const guess = `scenarios/${model.scenario}.yaml`;
  const file = options.scenarioFile ?? (existsSync(guess) ? guess : `${model.scenario}.yaml`);
  return reproCommand(file, model.seed ?? 1, options.bugs ?? model.bugs);
}

export async function writeReport(tracePath: string, outDir: string, options: ReportOptions = {}): Promise<ReportResult> {
  const model = await aggregateTrace(tracePath);
  const window = await chooseWindow(tracePath, model, options.window);
  const spaceTime = await collectSpaceTime(tracePath, model, window);
  const sections = [
    renderHeader(model, { reproduce: reproduceCommand(model, options), tracePath }),
    renderLatency(model),
    renderThroughput(model),
    renderLeaders(model),
    renderStaleness(model),
    renderGeography(model),
    renderSpaceTimeSection(spaceTime),
    renderViolation(model),
    renderStats(model),
  ];
  const html = renderPage(`kvsim report: ${model.scenario} seed ${model.seed ?? '?'}${model.realRun ? ' (real run)' : ''}`, sections);
  const htmlPath = join(outDir, 'index.html');
  try {
    mkdirSync(outDir, { recursive: true });
    writeFileSync(htmlPath, html);
  } catch (err) {
    throw new UserError(`${outDir}: cannot write the report (${(err as NodeJS.ErrnoException).code ?? 'error'}); expected a directory that can be created or written`);
  }
  return { htmlPath, model, window };
}
