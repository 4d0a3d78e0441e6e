/**
 * Rows as a terminal table: the summary `bench` prints after a run (the CSV holds everything).
 */
import Table from 'cli-table3';
import type { Row } from './columns.ts';

/** A cell: numbers to `digits` significant digits, empty for a value not measured. */
export function formatCell(v: Row[keyof Row], digits = 3): string {
  return v === null || v === '' ? '' : typeof v === 'number' ? Number(v.toPrecision(digits)).toString() : String(v);
}

/** One line per row: status, latency percentiles, agreement and F1, and why a row is not ok. */
export function rowTable(rows: readonly Row[]): string {
  const t = new Table({ head: ['model', 'runtime', 'batch', 'status', 'p50 ms', 'p90 ms', 'rme %', 'n', 'max|Δ|', 'agree', 'F1', 'note'] });
  for (const r of rows) {
    const note = r.status === 'ok' ? (r.software_adapter === true ? 'software adapter: correctness only' : '') : String(r.error ?? '').slice(0, 70);
    const f = formatCell;
    t.push([r.model, r.runtime, r.batch, r.status, f(r.p50_ms), f(r.p90_ms), f(r.rme_pct, 2), f(r.samples), f(r.max_abs_diff, 2), f(r.agreement_fp32, 3), f(r.macro_f1, 3), note] as string[]);
  }
  return `${t.toString()}\n`;
}
