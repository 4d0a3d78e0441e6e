/**
 * `bench --export-json` and `--export-markdown` (as hyperfine has them): a run's rows as a JSON
 * array of row objects (every CSV column, numbers as numbers, empty as null), and as a Markdown
 * table of the main columns. Both paths are checked like every output path before any work
 * (src/report/output-path.ts), and written when the run ends.
 */
import { writeFileSync } from 'node:fs';
import type { Row } from './columns.ts';
import { mdCell } from './markdown-text.ts';
import { prepareOutputPath } from './output-path.ts';
import { formatCell } from './row-table.ts';

const MARKDOWN_COLUMNS: [string, (r: Row) => string][] = [
  ['model', (r) => String(r.model)],
  ['variant', (r) => String(r.variant)],
  ['runtime', (r) => String(r.runtime)],
  ['batch', (r) => String(r.batch)],
  ['status', (r) => String(r.status)],
  ['p50 ms', (r) => formatCell(r.p50_ms)],
  ['p90 ms', (r) => formatCell(r.p90_ms)],
  ['size KB', (r) => (typeof r.model_bytes === 'number' ? (r.model_bytes / 1000).toFixed(1) : '')],
  ['macro-F1', (r) => formatCell(r.macro_f1, 3)],
  ['agreement', (r) => formatCell(r.agreement_fp32, 3)],
];

export function rowsJson(rows: readonly Row[]): string {
  return `${JSON.stringify(rows, null, 2)}\n`;
}


export function rowsMarkdown(rows: readonly Row[]): string {
  const line = (cells: string[]) => `| ${cells.map(mdCell).join(' | ')} |\n`;
  return line(MARKDOWN_COLUMNS.map(([h]) => h)) + line(MARKDOWN_COLUMNS.map(() => '---')) + rows.map((r) => line(MARKDOWN_COLUMNS.map(([, f]) => f(r)))).join('');
}

export interface RowExports {
  exportJson?: string;
  exportMarkdown?: string;
}

/** Refuses an unwritable export path at once (exit 5). */
export function checkRowExports(o: RowExports): void {
  if (o.exportJson) prepareOutputPath(o.exportJson, 'JSON export');
  if (o.exportMarkdown) prepareOutputPath(o.exportMarkdown, 'Markdown export');
}

/** Writes the exports asked for; returns one line per file written. */
export function writeRowExports(rows: readonly Row[], o: RowExports): string {
  let text = '';
  if (o.exportJson) writeFileSync(o.exportJson, rowsJson(rows)), (text += `json: ${o.exportJson}\n`);
  if (o.exportMarkdown) writeFileSync(o.exportMarkdown, rowsMarkdown(rows)), (text += `markdown: ${o.exportMarkdown}\n`);
  return text;
}
