/**
 * `melbench prune <model.onnx>`: channel and magnitude pruning of a user's file
 * (test/data/tiny-cnn.onnx: Conv 8 -> Relu -> GAP -> Flatten -> Gemm -> Softmax), with the pass's
 * notes, the summary line (fewer params and MACs for channels, fewer non-zero ones for magnitude)
 * and fidelity; bad methods and ratios exit 2 before any work.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.ts';
import { melbenchInProcess as melbench } from './run-in-process.ts';

const TINY = new URL('../data/tiny-cnn.onnx', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'melbench-prune-'));

/** [before, after] of "label a -> b" in the summary line. */
function change(line: string, label: string): [number, number] {
  const m = new RegExp(`${label} ([\\d,.]+)(?: M)? -> ([\\d,.]+)`).exec(line);
  if (!m) throw new Error(`no '${label}' in ${line}`);
  return [Number(m[1].replaceAll(',', '')), Number(m[2].replaceAll(',', ''))];
}

describe('melbench prune', () => {
  it('channels-l1 0.5 removes half the conv filters and rewires the Gemm: params and MACs fall, the model runs', async () => {
    const out = join(dir, 'tiny-ch.onnx');
    const r = await melbench('prune', TINY, '--method', 'channels-l1', '--ratio', '0.5', '-o', out);
    expect(r.code, r.stderr).toBe(0);
    const [line, evalLine, fid] = r.stdout.trim().split('\n');
    expect(line).toContain('channels-l1-0.5 of tiny-cnn');
    // conv 8x1x3x3 + 8, fc 4x8 + 4 = 116; half the filters: 4x1x3x3 + 4 + 4x4 + 4 = 60.
    expect(change(line, 'params')).toEqual([116, 60]);
    const [macsBefore, macsAfter] = change(line, 'MACs');
    expect(macsAfter).toBeLessThan(macsBefore * 0.6);
    expect(evalLine).toBe('fidelity vs the fp32 file on cpu, over 64 random standard-normal samples (seed 2, other draws than calibration):');
    expect(fid).toMatch(/^ {2}probs: argmax agreement \d\.\d{4}, SNR -?\d+\.\d dB, max \|Δ\| \S+ \(256 values\)$/);
    const s = await ort.InferenceSession.create(readFileSync(out));
    const y = await s.run({ x: new ort.Tensor('float32', new Float32Array(320).fill(1), [1, 1, 16, 20]) });
    expect(y.probs.dims).toEqual([1, 4]);
  }, 60_000);

  it('magnitude-global 0.5 zeroes half the weights: same params and bytes order, half as many non-zero', async () => {
    const r = await melbench('prune', TINY, '--method', 'magnitude-global', '--ratio', '0.5', '-o', join(dir, 'tiny-mag.onnx'));
    expect(r.code, r.stderr).toBe(0);
    const line = r.stdout.split('\n')[0];
    expect(change(line, 'params')).toEqual([116, 116]);
    const [nzBefore, nzAfter] = change(line, 'non-zero');
    expect(nzBefore).toBe(116);
    expect(nzAfter).toBeLessThanOrEqual(116 - 50);
  }, 60_000);

  it('bad method or ratio: exit 2, nothing written', async () => {
    const out = join(dir, 'never.onnx');
    for (const [args, pattern] of [
      [['--method', 'random-drop', '--ratio', '0.5'], /unknown --method 'random-drop'; choose from: channels-l1, channels-bn-gamma, magnitude-global, magnitude-layer/],
      [['--method', 'channels-l1', '--ratio', '1.5'], /--ratio must be a fraction like 0\.05 or 5% in \[0\.001, 0\.999\], got '1\.5'/],
      [['--method', 'channels-l1', '--ratio', '0'], /--ratio must be a fraction .* got '0'/],
      [['--method', 'channels-l1', '--ratio', '1'], /--ratio must be a fraction .* got '1'/],
    ] as const) {
      const r = await melbench('prune', TINY, ...args, '-o', out);
      expect(r.code, r.stderr).toBe(EXIT.usage);
      expect(r.stderr.split('\n').filter((l) => l.startsWith('melbench: error:'))[0]).toMatch(pattern);
    }
    expect(() => readFileSync(out)).toThrow(/ENOENT/);
  }, 60_000);
});
