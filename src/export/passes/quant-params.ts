/**
 * Scale and zero-point math of linear quantization, as ONNX's QuantizeLinear defines it and
 * ONNX Runtime's quantizer chooses it.
 *
 *   q = clamp(round_half_even(x / s) + z, qmin, qmax),   x' = (q - z) s
 *
 * Range -> (s, z), for a calibrated range [lo, hi] first widened to contain 0 (so that 0.0, the
 * value of padding and of a ReLU's dead half, is exactly representable):
 *   asymmetric   s = (hi - lo) / (qmax - qmin),  z = round(qmin - lo / s)
 *   symmetric    s = max(|lo|, |hi|) / ((qmax - qmin) / 2),  z = (qmin + qmax) / 2 rounded up
 *                (0 for int8, 128 for uint8)
 * int8 is [-128, 127], uint8 [0, 255]; symmetric int8 uses the restricted range [-127, 127], as ORT
 * does for weights, so that -w and w quantize to opposite integers.
 * A degenerate range (hi = lo = 0: a dead channel, a pruned filter) gets s = 1.
 *
 * Weights are symmetric int8, per tensor or per output channel (axis 0 of a Conv weight
 * [M, C/g, kH, kW], axis 0 of a Gemm B with transB=1). A bias is int32 with s_b = s_x * s_w
 * (per channel when s_w is) and z_b = 0, so that the integer accumulator sum (q_x - z_x) q_w
 * and the bias share one scale: y = s_x s_w (sum (q_x - z_x) q_w + q_b).
 * Scales are rounded to float32 here, once, so that every consumer sees the same number.
 *
 * reduceRange: weights in [-64, 64] (7 bits), s_w = max |w| / 64, because x86 AVX2 u8s8 integer
 * kernels sum pairs of u8 x s8 products in saturating int16 (see `reduceRange` in quant-plan.ts).
 *
 * Error bound: for x in [qmin - z, qmax - z] * s, |x - x'| <= s / 2 (the rounding step).
 */
import type { Tensor } from '../../graph/ir.ts';

export type QuantDType = 'int8' | 'uint8';

export interface QuantParams {
  dtype: QuantDType;
  /** float32 scale(s): one per tensor, or one per channel along `axis`. */
  scale: Float32Array;
  zeroPoint: Int32Array;
  /** Channel axis of per-channel parameters; undefined for per-tensor. */
  axis?: number;
}

export interface Range {
  min: number;
  max: number;
}

export function qRange(dtype: QuantDType, symmetric = false): { qmin: number; qmax: number } {
  if (dtype === 'uint8') return { qmin: 0, qmax: 255 };
  return symmetric ? { qmin: -127, qmax: 127 } : { qmin: -128, qmax: 127 };
}

/** Round half to even, as QuantizeLinear rounds. */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  // NOTE: + 0 turns Math.round's -0 into 0.
  return (Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r) + 0;
}

/** (scale, zero point) of one range. */
export function paramsForRange(range: Range, dtype: QuantDType, symmetric: boolean): { scale: number; zeroPoint: number } {
  if (!Number.isFinite(range.min) || !Number.isFinite(range.max) || range.min > range.max) {
    throw new Error(`quantization range [${range.min}, ${range.max}] is not a finite interval`);
  }
  const lo = Math.min(range.min, 0);
  const hi = Math.max(range.max, 0);
  const { qmin, qmax } = qRange(dtype, symmetric);
  if (symmetric) {
    const absMax = Math.max(-lo, hi);
    const zeroPoint = dtype === 'uint8' ? 128 : 0;
    const scale = Math.fround(absMax > 0 ? absMax / ((qmax - qmin) / 2) : 1);
    return { scale, zeroPoint };
  }
  if (hi === lo) return { scale: 1, zeroPoint: Math.max(qmin, 0) };
  const scale = Math.fround((hi - lo) / (qmax - qmin));
  const zeroPoint = Math.min(qmax, Math.max(qmin, roundHalfEven(qmin - lo / scale)));
  return { scale, zeroPoint };
}

/** Per-tensor activation parameters from a calibrated range. */
export function activationParams(range: Range, dtype: QuantDType, symmetric: boolean): QuantParams {
  const { scale, zeroPoint } = paramsForRange(range, dtype, symmetric);
  return { dtype, scale: Float32Array.of(scale), zeroPoint: Int32Array.of(zeroPoint) };
}

export function quantizeValue(x: number, scale: number, zeroPoint: number, dtype: QuantDType): number {
  const { qmin, qmax } = qRange(dtype);
  return Math.min(qmax, Math.max(qmin, roundHalfEven(x / scale) + zeroPoint));
}

/** q for every element of x; per-channel when `p.axis` is set (x then has `dims`). */
export function quantizeArray(x: Float32Array, p: QuantParams, dims: readonly number[] = [x.length]): Int8Array | Uint8Array {
  const out = p.dtype === 'int8' ? new Int8Array(x.length) : new Uint8Array(x.length);
  const { channelOf } = channelIndexer(p, dims);
  for (let i = 0; i < x.length; i++) {
    const c = channelOf(i);
    out[i] = quantizeValue(x[i], p.scale[c], p.zeroPoint[c], p.dtype);
  }
  return out;
}

export function dequantizeArray(q: Int8Array | Uint8Array | Int32Array, p: Pick<QuantParams, 'scale' | 'zeroPoint' | 'axis'>, dims: readonly number[] = [q.length]): Float32Array {
  const out = new Float32Array(q.length);
  const { channelOf } = channelIndexer(p, dims);
  for (let i = 0; i < q.length; i++) {
    const c = channelOf(i);
    out[i] = (q[i] - p.zeroPoint[c]) * p.scale[c];
  }
  return out;
}

function channelIndexer(p: Pick<QuantParams, 'scale' | 'axis'>, dims: readonly number[]): { channelOf: (i: number) => number } {
  if (p.axis === undefined) return { channelOf: () => 0 };
  const inner = dims.slice(p.axis + 1).reduce((a, b) => a * b, 1);
  const channels = dims[p.axis];
  if (channels !== p.scale.length) throw new Error(`per-channel parameters have ${p.scale.length} scales for ${channels} channels on axis ${p.axis}`);
  return { channelOf: (i) => Math.floor(i / inner) % channels };
}

/** Largest weight magnitude with `reduceRange` (7-bit weights, see the header). */
export const REDUCED_WEIGHT_MAX = 64;

/** A weight quantized symmetrically: int8 values in [-qmax, qmax] and their (zero-point-0) parameters. */
export interface QuantizedWeight {
  q: Int8Array;
  params: QuantParams;
}

/**
 * Symmetric int8 weights, the one weight quantizer of the static and dynamic passes: per tensor,
 * or per channel along `axis` (each channel's scale is its own max |w| / qmax, qmax = 127, or 64
 * with `reduceRange`). Returns the integer tensor and its parameters.
 */
export function quantizeWeight(w: Tensor, perChannelAxis: number | undefined, reduceRange = false): QuantizedWeight {
  const x = w.data as Float32Array;
  const qmax = reduceRange ? REDUCED_WEIGHT_MAX : 127;
  const scaleFor = (m: number) => Math.fround(m > 0 ? m / qmax : 1);
  if (w.dtype !== 'float32') throw new Error(`weight '${w.name}' is ${w.dtype}; only float32 weights can be quantized`);
  let params: QuantParams;
  if (perChannelAxis === undefined) {
    let m = 0;
    for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]));
    params = { dtype: 'int8', scale: Float32Array.of(scaleFor(m)), zeroPoint: Int32Array.of(0) };
  } else {
    const channels = w.dims[perChannelAxis];
    const inner = w.dims.slice(perChannelAxis + 1).reduce((a, b) => a * b, 1);
    const absMax = new Float64Array(channels);
    for (let i = 0; i < x.length; i++) {
      const c = Math.floor(i / inner) % channels;
      absMax[c] = Math.max(absMax[c], Math.abs(x[i]));
    }
    const scale = Float32Array.from(absMax, scaleFor);
    params = { dtype: 'int8', scale, zeroPoint: new Int32Array(channels), axis: perChannelAxis };
  }
  return { q: quantizeArray(x, params, w.dims) as Int8Array, params };
}

/** int32 bias at scale s_x * s_w (one per channel when the weight is per channel), zero point 0. */
export function quantizeBias(b: Float32Array, inputScale: number, weightScale: Float32Array): { q: Int32Array; scale: Float32Array } {
  const scale = Float32Array.from({ length: b.length }, (_, c) => Math.fround(inputScale * weightScale[weightScale.length === 1 ? 0 : c]));
  const q = new Int32Array(b.length);
  for (let c = 0; c < b.length; c++) q[c] = Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, roundHalfEven(b[c] / scale[c])));
  return { q, scale: weightScale.length === 1 ? Float32Array.of(scale[0]) : scale };
}
