/**
 * The files of a run, shared by `bench` and `ablate`: its id (which names the report), the CSV
 * and samples sinks with one progress line per row, and the closing summary.
 */
import { randomBytes } from 'node:crypto';
import { EXIT } from '../errors.ts';
import type { Row } from '../report/columns.ts';
import { CsvReport, samplesPathFor } from '../report/csv.ts';
import { formatCell } from '../report/row-table.ts';
import { SamplesLog } from '../report/samples.ts';
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
export function strictFailure(rows: readonly Row[]): string | undefined {
  const failed = rows.filter((r) => r.status !== 'ok' && r.status !== 'unavailable');
  if (failed.length) return `--strict: ${failed.length} of ${rows.length} row(s) failed (${[...new Set(failed.map((r) => r.status))].join(', ')})`;
  if (!rows.some((r) => r.status === 'ok')) return `--strict: no row was measured: all ${rows.length} row(s) are unavailable`;
  return undefined;
}

/** The exit code of a finished run; with `strict`, a failure is also said in one line through `say`. */
export function runExitCode(rows: readonly Row[], strict: boolean | undefined, say: (line: string) => void = (l) => process.stderr.write(`melbench: ${l}\n`)): number {
  const why = strict ? strictFailure(rows) : undefined;
  if (why) say(why);
  return why ? EXIT.rowsFailed : EXIT.ok;
}
