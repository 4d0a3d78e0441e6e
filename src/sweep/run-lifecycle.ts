/**
 * A run from start to end, shared by `bench` and `ablate`: its id (which names the report), the
 * plan (new, or `--resume` of a saved one), the CSV and samples sinks with one progress line per
 * row, and the end: the files' summary, the exit code and the HTML report.
 */
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { EXIT, UserError } from '../errors.ts';
import type { Row } from '../report/columns.ts';
import { ConfusionLog, confusionPathOf } from '../report/confusion-log.ts';
import { CsvReport, samplesPathFor } from '../report/csv.ts';
import { formatCell } from '../report/row-table.ts';
import { SamplesLog } from '../report/samples.ts';
import { writeReport } from '../report/write-report.ts';
import { setResumeHint } from './interrupt.ts';
import { reconcileForResume } from './resume.ts';
import { readRunSettings, resumedOptions, settingsOf, writeRunSettings } from './run-settings.ts';
import type { SweepSinks } from './sweep.ts';

/** `YYYYMMDD-HHMMSS-xxxx`: sortable by time, and unique for runs started in the same second. */
export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${randomBytes(2).toString('hex')}`;
}

/** The CSV (`out`, default reports/<run>.csv) and samples files of a run; `progress` gets one line per row. */
export function openRunFiles(runId: string, out: string | undefined, progress: (line: string) => void): SweepSinks {
  const csvPath = out ?? `reports/${runId}.csv`;
  return {
    csv: new CsvReport(csvPath).open(),
    samples: new SamplesLog(samplesPathFor(csvPath)),
    confusion: new ConfusionLog(confusionPathOf(csvPath)),
    onRow: (r) => progress(`  ${r.model}${r.variant === 'fp32' || r.variant === 'trained-fp32' ? '' : ` ${r.variant}`} ${r.runtime} b${r.batch}: ${r.status}${r.p50_ms !== null ? ` p50 ${formatCell(r.p50_ms)} ms` : ''}${r.error ? ` (${r.error})` : ''}`),
  };
}

/** Where the files are, as lines for stdout. */
export function runFilesText(sinks: SweepSinks): string {
  return `report: ${sinks.csv.path}\nsamples: ${sinks.samples.path}\n${sinks.profile ? `profile: ${sinks.profile.path}\n` : ''}`;
}

/**
 * Why `--strict` fails a finished run, or undefined: a row that is neither ok nor unavailable
 * (nonfinite included), or no ok row at all (every runtime unavailable measures nothing).
 */
export function strictFailure(rows: readonly Pick<Row, 'status'>[]): string | undefined {
  const failed = rows.filter((r) => r.status !== 'ok' && r.status !== 'unavailable');
  if (failed.length) return `--strict: ${failed.length} of ${rows.length} row(s) failed (${[...new Set(failed.map((r) => r.status))].join(', ')})`;
  if (!rows.some((r) => r.status === 'ok')) return `--strict: no row was measured: all ${rows.length} row(s) are unavailable`;
  return undefined;
}

/** The exit code of a finished run; with `strict`, a failure is also said in one line through `say`. */
export function runExitCode(rows: readonly Pick<Row, 'status'>[], strict: boolean | undefined, say: (line: string) => void = (l) => process.stderr.write(`melbench: ${l}\n`)): number {
  const why = strict ? strictFailure(rows) : undefined;
  if (why) say(why);
  return why ? EXIT.rowsFailed : EXIT.ok;
}

/** What `bench` and `ablate` add to the measure options for resuming and reporting. */
export interface RunFileOptions {
  out?: string;
  resume?: string;
  retryFailed?: boolean;
  report: boolean;
}

export interface RunPlan<T> {
  runId: string;
  /** The options to run with: on `--resume`, the run's saved settings. */
  options: T;
  /** `--resume`: the CSV of the run to finish. */
  resume?: string;
}

/**
 * A new run, or with `--resume <run.csv>` the run to finish: its id, and its settings
 * (run-settings.ts) checked against the options given again. Touches no file.
 */
export function planRun<T extends RunFileOptions>(command: string, o: T, cmd: Command): RunPlan<T> {
  if (!o.resume) {
    if (o.retryFailed) throw new UserError('--retry-failed only applies with --resume <run.csv>');
    return { runId: newRunId(), options: o };
  }
  if (o.out !== undefined && o.out !== o.resume) throw new UserError('--resume appends to the run it names; drop -o/--out');
  const saved = readRunSettings(o.resume, command);
  return { runId: saved.run_id, options: resumedOptions(o, cmd, saved), resume: o.resume };
}

export interface OpenedRun {
  sinks: SweepSinks;
  /** On `--resume`: the cells already done. */
  done?: Set<string>;
  /** On `--resume`: the status of every row kept, for the exit code. */
  keptStatuses: string[];
}

/**
 * Opens the files of a planned run. A new run saves its settings beside the CSV; a resumed one
 * has torn last lines moved aside by opening the sinks, then its CSV and samples log reconciled
 * (resume.ts).
 */
export function openRun<T extends RunFileOptions>(command: string, plan: RunPlan<T>, progress: (line: string) => void): OpenedRun {
  const o = plan.options;
  const sinks = openRunFiles(plan.runId, plan.resume ?? o.out, progress);
  setResumeHint(command, sinks.csv.path);
  if (!plan.resume) {
    writeRunSettings(sinks.csv.path, { run_id: plan.runId, command, options: settingsOf(o) });
    return { sinks, keptStatuses: [] };
  }
  const state = reconcileForResume(sinks.csv.path, sinks.samples.path, plan.runId, !!o.retryFailed, progress);
  progress(`melbench: resuming run ${plan.runId}: ${state.done.size} cell(s) already done${o.retryFailed ? '' : ' (failed cells are kept; --retry-failed measures them again)'}`);
  return { sinks, done: state.done, keptStatuses: state.keptStatuses };
}

/** Unless `--no-report`: writes the run's HTML report and prints its path on stdout. */
export async function reportAtEnd(csvPath: string, o: RunFileOptions): Promise<void> {
  if (!o.report) return;
  process.stdout.write(`html: ${await writeReport(csvPath)}\n`);
}
