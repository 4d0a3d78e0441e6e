import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { ModelBuilder } from '../../src/graph/builder.ts';
import { Rng } from '../../src/rng.ts';
import { activationParams, dequantizeArray, quantizeArray } from '../../src/export/passes/quant-params.ts';
import { calibrationRanges, collectActivations, trainingClips } from '../../src/train/calibrate.ts';

/** x -> Identity -> Relu: the input's and Identity's statistics are those of the fed values. */
function passThrough() {
  const b = new ModelBuilder('pass', { seed: 1 });
  const x = b.input('x', ['N', 1, 4, 'T']);
  const id = b.apply('Identity', [x], {}, 'id');
  b.output(b.relu(id, 'relu'));
  return b.build();
}

/** 40 000 standard-normal values plus one outlier at +50. */
function gaussianWithOutlier(): Float32Array {
  const rng = new Rng(7);
  const x = Float32Array.from({ length: 40_000 }, () => rng.normal());
  x[123] = 50;
  return x;
}

describe('collectActivations', () => {
  it('records exact min/max and histograms of every float activation, input included', async () => {
    const x = gaussianWithOutlier();
    const stats = await collectActivations(passThrough(), x, [1, 4, 100], { batch: 16 });
    expect([...stats.keys()].sort()).toEqual(['id', 'relu', 'x']);
    const s = stats.get('id')!;
    expect(s.max).toBe(50);
    expect(s.min).toBe(Math.min(...x));
    expect(s.count).toBe(x.length);
    expect(s.hist.reduce((a, b) => a + b, 0)).toBe(x.length);
    expect(s.absHist.reduce((a, b) => a + b, 0)).toBe(x.length);
    expect(stats.get('relu')!.min).toBe(0);
  });

  it('refuses an empty calibration set', async () => {
    await expect(collectActivations(passThrough(), new Float32Array(0), [1, 4, 100])).rejects.toThrow(UserError);
    await expect(collectActivations(passThrough(), new Float32Array(0), [1, 4, 100])).rejects.toThrow(/calibration set is empty/);
  });

  it('draws clips from the training split only, capped at its size', () => {
    const train = { x: Float32Array.from({ length: 6 }, (_, i) => i), y: Int32Array.of(0, 1, 2), dims: [2], sources: [] };
    expect(Array.from(trainingClips(train, 2).clips)).toEqual([0, 1, 2, 3]);
    expect(trainingClips(train, 10).clips.length).toBe(6);
    expect(() => trainingClips({ ...train, x: new Float32Array(0), y: new Int32Array(0) }, 4)).toThrow(UserError);
  });
});

describe('calibrationRanges', () => {
  it('minmax keeps the outlier; percentile and entropy clip it and keep the bulk', async () => {
    const stats = await collectActivations(passThrough(), gaussianWithOutlier(), [1, 4, 100]);
    const min = calibrationRanges(stats, 'minmax').get('id')!;
    expect(min.max).toBe(50);
    for (const method of ['percentile', 'entropy'] as const) {
      const r = calibrationRanges(stats, method).get('id')!;
      // N(0,1) over 40k draws: |x| reaches ~4.2; a range under 2.5 would clip >1% of the bulk,
      // one over 25 would spend half the levels on the single outlier.
      expect(r.max, method).toBeGreaterThan(2.5);
      expect(r.max, method).toBeLessThan(25);
      expect(r.min, method).toBeLessThan(-2.5);
      expect(r.min, method).toBeGreaterThanOrEqual(min.min);
    }
  });

  it('mse picks a range whose real quantization error is no worse than the other methods', async () => {
    const x = gaussianWithOutlier();
    const stats = await collectActivations(passThrough(), x, [1, 4, 100]);
    const mse = (method: 'minmax' | 'percentile' | 'entropy' | 'mse') => {
      const p = activationParams(calibrationRanges(stats, method).get('id')!, 'uint8', false);
      const back = dequantizeArray(quantizeArray(x, p), p);
      return back.reduce((a, v, i) => a + (v - x[i]) ** 2, 0) / x.length;
    };
    const best = mse('mse');
    // 1% slack: the method scores bin centres with s^2/12 noise, not the exact values.
    for (const other of ['minmax', 'percentile', 'entropy'] as const) expect(best, other).toBeLessThanOrEqual(mse(other) * 1.01);
  });

  it('entropy is not pulled to 0 by a ReLU output that is half exact zeros', async () => {
    const stats = await collectActivations(passThrough(), gaussianWithOutlier(), [1, 4, 100]);
    const r = calibrationRanges(stats, 'entropy').get('relu')!;
    expect(r.min).toBe(0);
    expect(r.max).toBeGreaterThan(2.5);
  });

  it('rejects an unknown method and an impossible percentile', async () => {
    const stats = await collectActivations(passThrough(), gaussianWithOutlier(), [1, 4, 100]);
    expect(() => calibrationRanges(stats, 'kl' as never)).toThrow(UserError);
    expect(() => calibrationRanges(stats, 'percentile', { percentile: 120 })).toThrow(UserError);
  });
});
