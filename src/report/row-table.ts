/**
 * Rows as a terminal table: the summary `bench` prints after a run (the CSV holds everything).
 */
import type { Row } from './columns.ts';
import { fitTable, type TableColumn } from './terminal-table.ts';

/** A cell: numbers to `digits` significant digits, empty for a value not measured. */
export function formatCell(v: Row[keyof Row], digits = 3): string {
  return v === null || v === '' ? '' : typeof v === 'number' ? Number(v.toPrecision(digits)).toString() : String(v);
}

const COLUMNS: TableColumn[] = [
  { head: 'model', wrap: true },
  { head: 'runtime' },
  { head: 'batch' },
  { head: 'status' },
  { head: 'p50 ms' },
  { head: 'p90 ms', drop: 2 },
  { head: 'rme %', drop: 3 },
  { head: 'n', drop: 4 },
  { head: 'max|Δ|', drop: 5 },
  { head: 'agree', drop: 1 },
  { head: 'F1', drop: 1 },
  { head: 'note', note: true },
];

/**
 * One line per row: status, latency percentiles, agreement and F1; why a row is not ok goes below
 * the table as a numbered note. Fits `width` (src/report/terminal-table.ts). `agree` is
 * agreement_fp32, or `~` and close_fraction where agreement does not apply (a map, an integer output).
 */
const agreeCell = (r: Row): string => (r.agreement_fp32 === null && typeof r.close_fraction === 'number' ? `~${formatCell(r.close_fraction, 3)}` : formatCell(r.agreement_fp32, 3));

export function rowTable(rows: readonly Row[], width?: number): string {
  const cells = rows.map((r) => {
    const note = r.status === 'ok' ? (r.software_adapter === true ? 'software adapter: correctness only' : '') : String(r.error ?? '');
    const f = formatCell;
    return [String(r.model), String(r.runtime), String(r.batch), String(r.status), f(r.p50_ms), f(r.p90_ms), f(r.rme_pct, 2), f(r.samples), f(r.max_abs_diff, 2), agreeCell(r), f(r.macro_f1, 3), note];
  });
  return fitTable(COLUMNS, cells, width);
}
