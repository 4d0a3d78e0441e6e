import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.ts';
import { makeRow, type Row } from '../../src/report/columns.ts';
import { newRunId, openRunFiles, runExitCode, runFilesText } from '../../src/sweep/run-lifecycle.ts';

const row = (status: Row['status'], extra: Partial<Row> = {}) => makeRow({ model: 'resnet', variant: 'fp32', runtime: 'cpu', batch: 1, status, ...extra });

describe('run files', () => {
  it('a run id sorts by its start time and differs between runs of the same second', () => {
    const t = new Date('2026-11-29T20:05:07.123Z');
    expect(newRunId(t)).toMatch(/^20261129-200507-[0-9a-f]{4}$/);
    const ids = new Set(Array.from({ length: 20 }, () => newRunId(t)));
    expect(ids.size).toBeGreaterThan(1);
  });

  it('--strict fails a run with a row neither ok nor unavailable, and only then', () => {
    const said: string[] = [];
    const say = (l: string) => said.push(l);
    const fine = [row('ok'), row('unavailable')];
    expect(runExitCode(fine, true, say)).toBe(EXIT.ok);
    expect(runExitCode([...fine, row('crashed')], true, say)).toBe(EXIT.rowsFailed);
    expect(runExitCode([...fine, row('crashed')], false, say)).toBe(EXIT.ok);
    expect(runExitCode([...fine, row('nonfinite')], true, say)).toBe(EXIT.rowsFailed);
    expect(said).toEqual(['--strict: 1 of 3 row(s) failed (crashed)', '--strict: 1 of 3 row(s) failed (nonfinite)']);
  });

  it('--strict fails a run in which no row is ok, saying no row was measured', () => {
    const said: string[] = [];
    const allUnavailable = [row('unavailable'), row('unavailable', { runtime: 'webgpu' })];
    expect(runExitCode(allUnavailable, true, (l) => said.push(l))).toBe(EXIT.rowsFailed);
    expect(said).toEqual(['--strict: no row was measured: all 2 row(s) are unavailable']);
    expect(runExitCode(allUnavailable, false, (l) => said.push(l))).toBe(EXIT.ok);
    expect(said).toHaveLength(1);
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
