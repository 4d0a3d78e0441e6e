/**
 * Everything `melbench report` reads about one run: the CSV and the sidecars beside it,
 *   <run>.csv              the rows (required)
 *   <run>.samples.jsonl    raw timing samples per row (optional: the CSV's p50/p90 stand in)
 *   <run>.confusion.jsonl  confusion matrices of trained rows (optional)
 *   <run>.profile.csv      per-node profiles (optional)
 * Sidecars are read tolerantly: unknown fields are ignored, and a samples line that does not
 * parse (a run killed mid-write leaves a torn last line) is skipped with a warning in the report
 * rather than losing the whole page.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parse } from 'csv-parse/sync';
import { EXIT, UserError } from '../errors.ts';
import { type ConfusionRecord, confusionPathOf, readConfusion } from './confusion-log.ts';
import { readReport, samplesPathFor } from './csv.ts';
import { profilePathFor } from './profile-csv.ts';
import { type ProfileRow, readProfile } from './profile-read.ts';

/** One `<run>.samples.jsonl` record, reduced to what the report uses. */
export interface SampleSeries {
  runId: string;
  model: string;
  variant: string;
  runtime: string;
  batch: number;
  /** Every timed sample in ms, in the order recorded. */
  samplesMs: number[];
}

export interface ReportInputs {
  /** The run's name: the CSV's file name without `.csv`. */
  name: string;
  csvPath: string;
  /** The CSV's columns in file order (a newer or older schema may have others than columns.ts). */
  header: string[];
  rows: Record<string, string>[];
  samples: SampleSeries[];
  confusion: ConfusionRecord[];
  profile: ProfileRow[];
  /** Problems with the sidecars that did not stop the report, shown on the page. */
  warnings: string[];
}

/** Joins a CSV row to its samples record (a samples record carries no threads or preset). */
export const sampleKey = (o: { run_id?: string; runId?: string; model: string; variant: string; runtime: string; batch: string | number }): string =>
  [o.run_id ?? o.runId ?? '', o.model, o.variant, o.runtime, Number(o.batch)].join('|');

function readSamples(path: string, warnings: string[]): SampleSeries[] {
  if (!existsSync(path)) return [];
  const out: SampleSeries[] = [];
  let skipped = 0;
  readFileSync(path, 'utf8').split('\n').forEach((line) => {
    if (!line.trim()) return;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line);
    } catch {
      skipped++;
      return;
    }
    const s = o?.samples_ms;
    const ok = typeof o?.model === 'string' && typeof o.variant === 'string' && typeof o.runtime === 'string' && Number.isFinite(Number(o.batch));
    if (!ok || !Array.isArray(s) || s.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
      skipped++;
      return;
    }
    out.push({ runId: String(o.run_id ?? ''), model: o.model as string, variant: o.variant as string, runtime: o.runtime as string, batch: Number(o.batch), samplesMs: s as number[] });
  });
  if (skipped) warnings.push(`${path}: ${skipped} line(s) skipped (not a samples record); their rows use the CSV's p50/p90`);
  return out;
}

function headerOf(path: string): string[] {
  const first = readFileSync(path, 'utf8').split('\n', 1)[0];
  return (parse(first) as string[][])[0] ?? [];
}

/** Reads a run's CSV (a bad CSV is exit 3) and whatever sidecars exist beside it. */
export function loadReportInputs(csvPath: string): ReportInputs {
  if (!csvPath.endsWith('.csv')) throw new UserError(`${csvPath} is not a .csv report; pass the CSV that bench or ablate wrote`, EXIT.badInput);
  const rows = readReport(csvPath);
  const warnings: string[] = [];
  return {
    name: basename(csvPath, '.csv'),
    csvPath,
    header: headerOf(csvPath),
    rows,
    samples: readSamples(samplesPathFor(csvPath), warnings),
    confusion: readConfusion(confusionPathOf(csvPath)),
    profile: readProfile(profilePathFor(csvPath)),
    warnings,
  };
}
