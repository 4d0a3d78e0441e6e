/**
 * The files of a run, shared by `bench` and `ablate`: its id (which names the report), the CSV
 * and samples sinks with one progress line per row, and the closing summary.
 */
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { writeReport } from '../commands/report.ts';
import { EXIT, UserError } from '../errors.ts';
import type { Row } from '../report/columns.ts';
import { ConfusionLog, confusionPathOf } from '../report/confusion-log.ts';
import { CsvReport } from '../report/csv.ts';
import { formatCell } from '../report/row-table.ts';
import { SamplesLog } from '../report/samples.ts';
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
    samples: new SamplesLog(`${csvPath.replace(/\.csv$/, '')}.samples.jsonl`),
    confusion: new ConfusionLog(confusionPathOf(csvPath)),
    onRow: (r) => progress(`  ${r.model}${r.variant === 'fp32' || r.variant === 'trained-fp32' ? '' : ` ${r.variant}`} ${r.runtime} b${r.batch}: ${r.status}${r.p50_ms !== null ? ` p50 ${formatCell(r.p50_ms)} ms` : ''}${r.error ? ` (${r.error})` : ''}`),
  };
}

/** Where the files are, as lines for stdout. */
export function runFilesText(sinks: SweepSinks): string {
  return `report: ${sinks.csv.path}\nsamples: ${sinks.samples.path}\n`;
}

/** The exit code of a finished run: with `strict`, a row that is neither ok nor unavailable fails it. */
export function runExitCode(rows: readonly Pick<Row, 'status'>[], strict: boolean | undefined): number {
  return strict && rows.some((r) => r.status !== 'ok' && r.status !== 'unavailable') ? EXIT.rowsFailed : EXIT.ok;
}

/** What `bench` and `ablate` add to the measure options for resuming and reporting. */
export interface RunFileOptions {
  out?: string;
  resume?: string;
  retryFailed?: boolean;
  report: boolean;
}

export interface StartedRun<T> {
  runId: string;
  /** The options to run with: on `--resume`, the run's saved settings. */
  options: T;
  sinks: SweepSinks;
  /** On `--resume`: the cells already done, and the status of every row kept. */
  done?: Set<string>;
  keptStatuses: string[];
}

/**
 * Starts a new run (saving its settings beside the CSV) or, with `--resume <run.csv>`, reopens
 * one: same run id, same files, settings from the run (run-settings.ts), torn last lines moved
 * aside by opening the sinks and the two files reconciled (resume.ts).
 */
export function startRun<T extends RunFileOptions>(command: string, o: T, cmd: Command, progress: (line: string) => void): StartedRun<T> {
  if (!o.resume) {
    if (o.retryFailed) throw new UserError('--retry-failed only applies with --resume <run.csv>');
    const runId = newRunId();
    const sinks = openRunFiles(runId, o.out, progress);
    writeRunSettings(sinks.csv.path, { run_id: runId, command, options: settingsOf(o) });
    return { runId, options: o, sinks, keptStatuses: [] };
  }
  if (o.out !== undefined && o.out !== o.resume) throw new UserError('--resume appends to the run it names; drop -o/--out');
  const saved = readRunSettings(o.resume, command);
  const options = resumedOptions(o, cmd, saved);
  const sinks = openRunFiles(saved.run_id, o.resume, progress);
  const state = reconcileForResume(sinks.csv.path, sinks.samples.path, saved.run_id, !!o.retryFailed, progress);
  progress(`melbench: resuming run ${saved.run_id}: ${state.done.size} cell(s) already done${o.retryFailed ? '' : ' (failed cells kept; --retry-failed measures them again)'}`);
  return { runId: saved.run_id, options, sinks, done: state.done, keptStatuses: state.keptStatuses };
}

/** Unless `--no-report`: writes the run's HTML report and prints its path on stdout. */
export async function reportAtEnd(csvPath: string, o: RunFileOptions): Promise<void> {
  if (!o.report) return;
  process.stdout.write(`html: ${await writeReport(csvPath)}\n`);
}
