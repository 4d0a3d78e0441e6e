/**
 * `ablate --models file.onnx`: a suite's variants of a user's file (test/data/tiny-cnn.onnx),
 * swept like a zoo model's: rows named by the file's base name, with size, latency and the
 * fidelity columns; variants that fine-tune are left out and say why; no dataset is loaded.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readReport } from '../../src/report/csv.ts';
import { melbenchInProcess as melbench } from '../cli/run-in-process.ts';

const TINY = new URL('../data/tiny-cnn.onnx', import.meta.url).pathname;
const FAST = ['--runtimes', 'cpu', '--no-isolate', '--warmup', '2', '--samples', '3', '--no-report'];

describe('ablate --models file.onnx', () => {
  it('seed001 on a file: each variant a row with size, latency and fidelity to the file', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'melbench-ablate-file-')), 'run.csv');
    const r = await melbench('ablate', '--suite', 'seed001', '--models', TINY, '--calib', 'random', '--eval-count', '32', ...FAST, '-o', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('tiny-cnn: warning: ranges from random data are a smoke test');
    expect(r.stderr).not.toMatch(/alerts/); // files alone never load the default dataset
    const rows = readReport(out);
    expect(rows.map((x) => x.variant)).toEqual(['fp32', 'qdq-u8s8-pc-minmax', 'full-int-u8s8-pc-minmax', 'full-int-naive-u8s8', 'fp16', 'dynamic']);
    for (const row of rows) {
      expect(row.model).toBe('tiny-cnn');
      expect(row.status, row.error ?? '').toBe('ok');
      expect(Number(row.p50_ms)).toBeGreaterThan(0);
      expect(Number(row.model_bytes)).toBeGreaterThan(0);
      expect(row.fidelity_inputs).toBe('32');
      expect(row.macro_f1).toBe('');
    }
    const fp32 = rows[0];
    expect(fp32.snr_db).toBe('Infinity');
    expect(fp32.fidelity_agreement).toBe('1');
    expect(fp32.fidelity_max_abs_diff).toBe('0');
    const qdq = rows[1];
    expect(Number(qdq.snr_db)).toBeGreaterThan(15);
    expect(Number(qdq.snr_db)).toBeLessThan(200);
    expect(Number(qdq.fidelity_max_abs_diff)).toBeGreaterThan(0);
    expect(qdq.quant_mode).toBe('static-qdq');
    // The naive full-int input scale ([-1, 1] for standard-normal inputs) clips: worse than calibrated.
    expect(Number(rows[3].snr_db)).toBeLessThan(Number(rows[2].snr_db));
  }, 120_000);

  it('prune on a file: fine-tuned variants are left out, the others are rows', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'melbench-ablate-file-')), 'run.csv');
    const r = await melbench('ablate', '--suite', 'prune', '--models', TINY, '--ratios', '0.5', '--fine-tune-epochs', '2', ...FAST, '-o', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('tiny-cnn: channels-l1-0.5-ft2 left out: fine-tuning needs a labelled training set, which a model file does not come with');
    const rows = readReport(out);
    expect(rows.map((x) => x.variant)).toEqual(['fp32', 'fold-bn', 'magnitude-global-0.5', 'channels-l1-0.5', 'channels-bn-gamma-0.5']);
    const ch = rows.find((x) => x.variant === 'channels-l1-0.5')!;
    expect(Number(ch.params)).toBeLessThan(Number(rows[0].params));
    expect(ch.prune_method).toBe('channels-l1');
    expect(Number(ch.fidelity_inputs)).toBe(64);
  }, 120_000);

  it('a missing file fails before the run exists (exit 3)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'melbench-ablate-file-'));
    const r = await melbench('ablate', '--suite', 'quant', '--models', join(dir, 'nope.onnx'), ...FAST, '-o', join(dir, 'run.csv'));
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/cannot read model .*nope\.onnx: ENOENT/);
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(dir)).toEqual([]);
  });
});
