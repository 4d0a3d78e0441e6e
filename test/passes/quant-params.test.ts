import { describe, expect, it } from 'vitest';
import {
  activationParams,
  dequantizeArray,
  paramsForRange,
  quantizeArray,
  quantizeBias,
  quantizeWeight,
  REDUCED_WEIGHT_MAX,
  roundHalfEven,
} from '../../src/export/passes/quant-params.ts';
import { Rng } from '../../src/rng.ts';

describe('scale and zero point', () => {
  it('rounds half to even, as QuantizeLinear does', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, 2.6].map(roundHalfEven)).toEqual([0, 2, 2, 0, -2, -2, 2, 3]);
  });

  it('maps an asymmetric range onto the full integer range, 0 exactly representable', () => {
    expect(paramsForRange({ min: 0, max: 2.55 }, 'uint8', false)).toEqual({ scale: Math.fround(0.01), zeroPoint: 0 });
    // [-1, 1]: z = round(0 + 1 / s) with s = fround(2/255) a hair above 2/255, so 127.4999... -> 127
    expect(paramsForRange({ min: -1, max: 1 }, 'uint8', false)).toEqual({ scale: Math.fround(2 / 255), zeroPoint: 127 });
    expect(paramsForRange({ min: -1, max: 1 }, 'int8', false)).toEqual({ scale: Math.fround(2 / 255), zeroPoint: -1 });
    // a range that excludes 0 is widened to contain it
    expect(paramsForRange({ min: 1, max: 3 }, 'uint8', false)).toEqual({ scale: Math.fround(3 / 255), zeroPoint: 0 });
    expect(paramsForRange({ min: -3, max: -1 }, 'int8', false)).toEqual({ scale: Math.fround(3 / 255), zeroPoint: 127 });
  });

  it('symmetric: z = 0 (int8, restricted to +-127) or 128 (uint8)', () => {
    expect(paramsForRange({ min: -2, max: 1 }, 'int8', true)).toEqual({ scale: Math.fround(2 / 127), zeroPoint: 0 });
    expect(paramsForRange({ min: -2, max: 1 }, 'uint8', true)).toEqual({ scale: Math.fround(4 / 255), zeroPoint: 128 });
  });

  it('gives a dead tensor scale 1 instead of dividing by zero', () => {
    expect(paramsForRange({ min: 0, max: 0 }, 'uint8', false).scale).toBe(1);
    expect(paramsForRange({ min: 0, max: 0 }, 'int8', true).scale).toBe(1);
  });

  it('round-trips in-range values within half a step, and saturates outside', () => {
    const rng = new Rng(3);
    for (const [dtype, symmetric] of [['uint8', false], ['int8', false], ['int8', true], ['uint8', true]] as const) {
      const range = { min: -1.7, max: 3.1 };
      const p = activationParams(range, dtype, symmetric);
      const x = Float32Array.from({ length: 1000 }, () => range.min + (range.max - range.min) * rng.next());
      const back = dequantizeArray(quantizeArray(x, p), p);
      // Bound s/2, plus float32 rounding of x/s and of (q - z) * s (a few ulps of 3.1).
      for (let i = 0; i < x.length; i++) expect(Math.abs(back[i] - x[i])).toBeLessThanOrEqual(p.scale[0] / 2 + 1e-6);
      const far = dequantizeArray(quantizeArray(Float32Array.of(1e6, -1e6), p), p);
      expect(far[0]).toBeGreaterThanOrEqual(range.max - p.scale[0]);
      expect(far[1]).toBeLessThanOrEqual(Math.min(range.min, symmetric ? -range.max : range.min) + p.scale[0]);
    }
  });
});

describe('weights and biases', () => {
  const w = { name: 'w', dtype: 'float32' as const, dims: [3, 2, 2], data: Float32Array.of(1, -2, 0.5, 0.25, 0, 0, 0, 0, 0.1, -0.3, 0.2, 0.3) };

  it('per channel: each output channel spans its own max |w|; a zero channel keeps scale 1', () => {
    const { q, params } = quantizeWeight(w, 0, false);
    expect(params.axis).toBe(0);
    expect(Array.from(params.scale)).toEqual([Math.fround(2 / 127), 1, Math.fround(0.3 / 127)]);
    expect(Array.from(params.zeroPoint)).toEqual([0, 0, 0]);
    expect(q[1]).toBe(-127);
    expect(q[11]).toBe(127);
    const back = dequantizeArray(q, params, w.dims);
    for (let i = 0; i < 12; i++) expect(Math.abs(back[i] - w.data[i])).toBeLessThanOrEqual(params.scale[Math.floor(i / 4)] / 2 + 1e-7);
  });

  it('per tensor and reduced range: one scale, integers within +-64', () => {
    const { q, params } = quantizeWeight(w, undefined, true);
    expect(params.axis).toBeUndefined();
    expect(Array.from(params.scale)).toEqual([Math.fround(2 / REDUCED_WEIGHT_MAX)]);
    expect(Math.max(...Array.from(q, Math.abs))).toBe(REDUCED_WEIGHT_MAX);
  });

  it('bias: int32 at s_x * s_w per channel, zero point 0', () => {
    const { q, scale } = quantizeBias(Float32Array.of(0.5, -0.25), Math.fround(0.1), Float32Array.of(0.01, 0.02));
    expect(Array.from(scale)).toEqual([Math.fround(Math.fround(0.1) * Math.fround(0.01)), Math.fround(Math.fround(0.1) * Math.fround(0.02))]);
    expect(Array.from(q)).toEqual([500, -125]);
  });
});
