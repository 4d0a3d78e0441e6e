import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.ts';
import { makeRow, type Row } from '../../src/report/columns.ts';
import { newRunId, openRunFiles, runExitCode, runFilesText } from '../../src/sweep/run-files.ts';

const row = (status: Row['status'], extra: Partial<Row> = {}) => makeRow({ model: 'resnet', variant: 'fp32', runtime: 'cpu', batch: 1, status, ...extra });

describe('run files', () => {
  it('a run id sorts by its start time and differs between runs of the same second', () => {
    const t = new Date('2026-11-29T20:05:07.123Z');
    expect(newRunId(t)).toMatch(/^20261129-200507-[0-9a-f]{4}$/);
    const ids = new Set(Array.from({ length: 20 }, () => newRunId(t)));
    expect(ids.size).toBeGreaterThan(1);
  });

  it('--strict fails a run with a row neither ok nor unavailable, and only then', () => {
    const fine = [row('ok'), row('unavailable')];
    expect(runExitCode(fine, true)).toBe(EXIT.ok);
    expect(runExitCode([...fine, row('crashed')], true)).toBe(EXIT.rowsFailed);
    expect(runExitCode([...fine, row('crashed')], false)).toBe(EXIT.ok);
  });

  it('writes each row to the CSV and says one line per row', () => {
    const dir = mkdtempSync(join(tmpdir(), 'melbench-runfiles-'));
    const lines: string[] = [];
    const sinks = openRunFiles('r1', join(dir, 'r1.csv'), (l) => lines.push(l));
    const ok = row('ok', { p50_ms: 1.23456 });
    sinks.csv.append(ok);
    sinks.onRow!(ok);
    sinks.onRow!(row('error', { variant: 'qdq-u8s8-pc-minmax', error: 'boom' }));
    expect(lines).toEqual(['  resnet cpu b1: ok p50 1.23 ms', '  resnet qdq-u8s8-pc-minmax cpu b1: error (boom)']);
    expect(readFileSync(join(dir, 'r1.csv'), 'utf8').split('\n').filter(Boolean)).toHaveLength(2);
    expect(runFilesText(sinks)).toBe(`report: ${join(dir, 'r1.csv')}\nsamples: ${join(dir, 'r1.samples.jsonl')}\n`);
  });
});
