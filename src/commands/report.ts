/**
 * `melbench report <run.csv>... [-o dir]`: one self-contained HTML page per run, written to
 * `<dir>/<run>/index.html` (default dir: the CSV's own folder, so `reports/r.csv` gives
 * `reports/r/index.html`). Prints each page's path.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { EXIT, UserError } from '../errors.ts';
import { renderReport, type ReportOptions } from '../report/html.ts';
import { loadReportInputs } from '../report/report-inputs.ts';
import type { RegisterCommand } from './command.ts';

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

export const register: RegisterCommand = (program) => {
  program
    .command('report')
    .description('write an HTML report (plots as inline SVG, no network) for each run CSV: <dir>/<run>/index.html')
    .argument('<run.csv...>', 'reports written by bench or ablate')
    .option('-o, --out <dir>', "folder to write <run>/index.html into (default: the CSV's folder)")
    .action(async (csvs: string[], o: { out?: string }) => {
      for (const csv of csvs) process.stdout.write(`${await writeReport(csv, o.out)}\n`);
    });
};
