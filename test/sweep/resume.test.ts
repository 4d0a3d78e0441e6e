/**
 * resume.ts on hand-made files: which cells are done, what is moved aside, and that rows of other
 * runs in the same file are left alone.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COLUMN_NAMES, makeRow, type Row } from '../../src/report/columns.ts';
import { csvLine } from '../../src/report/csv.ts';
import { cellKey, reconcileForResume } from '../../src/sweep/resume.ts';

const line = (v: Partial<Row>) => {
  const r = makeRow(v);
  return csvLine(COLUMN_NAMES.map((c) => (r[c] === null ? '' : String(r[c]))));
};
const cell = (run: string, runtime: string, batch: number, status: string, samples = status === 'ok' ? 3 : null) => ({ run_id: run, model: 'm', variant: 'fp32', runtime, batch, status, samples });
const rec = (run: string, runtime: string, batch: number) => `${JSON.stringify({ run_id: run, model: 'm', variant: 'fp32', runtime, batch, samples_ms: [1, 2, 3] })}\n`;

function files(rows: Partial<Row>[], records: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'melbench-resume-unit-'));
  const csv = join(dir, 'r.csv');
  const samples = join(dir, 'r.samples.jsonl');
  writeFileSync(csv, csvLine([...COLUMN_NAMES]) + rows.map(line).join(''));
  writeFileSync(samples, records.join(''));
  return { csv, samples };
}

describe('reconcileForResume', () => {
  it('keeps done cells, redoes an ok row without samples, drops an orphan record, leaves other runs alone', () => {
    const { csv, samples } = files(
      [cell('old', 'cpu', 1, 'crashed'), cell('R', 'cpu', 1, 'ok'), cell('R', 'cpu', 2, 'ok'), cell('R', 'wasm', 1, 'crashed'), cell('R', 'wasm', 2, 'unavailable')],
      [rec('R', 'cpu', 1), rec('R', 'wasm', 4), rec('old', 'cpu', 9)],
    );
    const warnings: string[] = [];
    const s = reconcileForResume(csv, samples, 'R', false, (m) => warnings.push(m));
    expect([...s.done].sort()).toEqual([cellKey({ model: 'm', variant: 'fp32', runtime: 'cpu', batch: 1 }), 'm|fp32|wasm|1', 'm|fp32|wasm|2']);
    expect(s.keptStatuses.sort()).toEqual(['crashed', 'ok', 'unavailable']);
    expect(warnings[0]).toMatch(/m fp32 cpu 2 has a row but no samples record/);
    const kept = readFileSync(csv, 'utf8');
    expect(kept).toContain(',old,');
    expect(kept.split('\n').filter(Boolean)).toHaveLength(5);
    expect(readFileSync(`${csv}.aside`, 'utf8').split('\n').filter(Boolean)).toHaveLength(1);
    expect(readFileSync(samples, 'utf8')).toBe(rec('R', 'cpu', 1) + rec('old', 'cpu', 9));
    expect(readFileSync(`${samples}.aside`, 'utf8')).toBe(rec('R', 'wasm', 4));
  });

  it('--retry-failed moves crashed, timeout and error rows aside; a second row of a cell goes too', () => {
    const { csv, samples } = files([cell('R', 'cpu', 1, 'timeout'), cell('R', 'cpu', 2, 'error'), cell('R', 'cpu', 4, 'unsupported'), cell('R', 'cpu', 4, 'unsupported')], []);
    const s = reconcileForResume(csv, samples, 'R', true, () => {});
    expect([...s.done]).toEqual(['m|fp32|cpu|4']);
    expect(s.movedAside).toBe(3);
    expect(readFileSync(csv, 'utf8').split('\n').filter(Boolean)).toHaveLength(2);
  });
});
