/**
 * `bench model.onnx --dim batch=N`: fixing the batch dim by name feeds N, and the row says so
 * (batch N, its input_shape, throughput over N clips); with a --batch list it is exit 2.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.ts';
import { onnxFixture, writeFixture } from '../fixtures/onnx-models.ts';
import { melbenchInProcess } from './run-in-process.ts';

const QUICK = ['--runtimes', 'cpu', '--no-isolate', '--samples', '2', '--warmup', '0', '--time-ms', '0', '--no-report'];
const dir = mkdtempSync(join(tmpdir(), 'melbench-dim-batch-'));
const model = writeFixture(dir, onnxFixture('dynamic-batch-seq'));

describe('--dim batch=N', () => {
  it('the row\'s batch and throughput are the fed batch', async () => {
    const csv = join(dir, 'b3.csv');
    const r = await melbenchInProcess('bench', model, '--dim', 'batch=3', '--dim', 'seq=5', ...QUICK, '-o', csv);
    expect(r.code, r.stderr).toBe(0);
    const rows: Record<string, string>[] = parse(readFileSync(csv, 'utf8'), { columns: true });
    expect(rows).toHaveLength(1);
    expect(rows[0].batch).toBe('3');
    expect(rows[0].input_shape).toBe('3x5x40');
    // NOTE: both columns are rounded in the CSV; clips per run = throughput x p50 / 1000.
    expect((Number(rows[0].throughput_per_s) * Number(rows[0].p50_ms)) / 1000).toBeCloseTo(3, 1);
  });

  it('with --batch other than 1: exit 2 saying --dim fixes the batch dim and to use --batch', async () => {
    const r = await melbenchInProcess('bench', model, '--dim', 'batch=2', '--dim', 'seq=5', '--batch', '1,8', ...QUICK);
    expect(r.code, r.stderr).toBe(EXIT.usage);
    expect(r.stderr).toMatch(/--dim batch=2 fixes the batch dim, so --batch 1,8 cannot apply; drop --dim batch=\.\.\. and use --batch 1,8/);
  });
});
