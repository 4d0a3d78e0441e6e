/**
 * A run's HTML page on disk: `<dir>/<run>/index.html` (default dir: the CSV's own folder, so
 * `reports/r.csv` gives `reports/r/index.html`). Used by `melbench report`, by `bench` and
 * `ablate` at the end of a run, and by `compare`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { EXIT, UserError } from '../errors.ts';
import { renderReport, type ReportOptions } from './html.ts';
import { loadReportInputs } from './report-inputs.ts';

/** Where the page of `csvPath` goes: `<outDir or the CSV's folder>/<run>/index.html`. */
export function reportPathOf(csvPath: string, outDir?: string): string {
  const run = csvPath.replace(/^.*[\\/]/, '').replace(/\.csv$/, '');
  return join(outDir ?? dirname(csvPath), run, 'index.html');
}

/** Renders and writes the report of one run; returns its path. */
export async function writeReport(csvPath: string, outDir?: string, opts: ReportOptions = {}): Promise<string> {
  const inputs = loadReportInputs(csvPath);
  for (const w of inputs.warnings) process.stderr.write(`melbench: warning: ${w}\n`);
  const path = reportPathOf(csvPath, outDir);
  writeHtml(path, await renderReport(inputs, opts));
  return path;
}

/** Writes a page, creating its folder; an unwritable path is exit 5. */
export function writeHtml(path: string, html: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, html);
  } catch (e) {
    throw new UserError(`cannot write the report ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; choose a writable -o folder`, EXIT.output);
  }
}
