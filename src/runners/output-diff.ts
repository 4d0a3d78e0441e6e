/**
 * How far one set of runner outputs is from a reference set (the sweep: a runtime's outputs
 * against the fp32 cpu reference; src/report/fidelity.ts: a compressed model's against its fp32
 * original):
 *   max_abs_diff   = max over every output element of |y - y_ref|
 *   close_fraction = fraction of all output elements with |y - y_ref| <= atol + rtol * |y_ref|
 *                    (numpy.allclose's test, element by element; NaN is never close)
 *   agreement_fp32 = fraction of samples whose top-1 class agrees with the reference's, tie-aware:
 *                    the candidate's argmax j agrees when y_ref[j] >= max(y_ref) - (atol + rtol * |max(y_ref)|),
 *                    so a flip between scores tied to the last bit is no disagreement. Only for class
 *                    scores: a float first output [rows, K] with K >= 2; for a spatial map (rank > 2),
 *                    a last dim of 1 or an integer output it is empty, with the reason
 * Both are only meaningful when every value is finite: `nonFiniteOutputs` says which output holds
 * NaN or ±Inf, and the sweep then leaves them empty instead of computing them over non-numbers.
 * Pure math over HostTensors, in runners/ so that both the sweep and the report can import it.
 */
import { fromHalfArray } from '../export/passes/fp16-bits.ts';
import type { HostTensor } from './runner.ts';

/** The float values of a tensor, or undefined for integer types (always finite). */
function floatValues(t: HostTensor): ArrayLike<number> | undefined {
  if (t.type === 'float16') return fromHalfArray(t.data as Uint16Array);
  if (t.type === 'float32') return t.data as Float32Array;
  return undefined;
}

/**
 * One line naming each output with NaN or ±Inf values and how many, e.g.
 * "output 'logits': 3 NaN, 1 +Inf of 10 values"; undefined when every value is finite.
 */
export function nonFiniteOutputs(outputs: Record<string, HostTensor>): string | undefined {
  const parts: string[] = [];
  for (const [name, t] of Object.entries(outputs)) {
    const x = floatValues(t);
    if (!x) continue;
    let nan = 0;
    let pos = 0;
    let neg = 0;
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      if (Number.isNaN(v)) nan++;
      else if (v === Number.POSITIVE_INFINITY) pos++;
      else if (v === Number.NEGATIVE_INFINITY) neg++;
    }
    if (nan + pos + neg === 0) continue;
    const counts = [nan && `${nan} NaN`, pos && `${pos} +Inf`, neg && `${neg} -Inf`].filter(Boolean).join(', ');
    parts.push(`output '${name}': ${counts} of ${x.length} values`);
  }
  return parts.length ? parts.join('; ') : undefined;
}

function asNumbers(t: HostTensor): ArrayLike<number> {
  if (t.data instanceof BigInt64Array) return Array.from(t.data, Number);
  return t.data as ArrayLike<number>;
}

export function maxAbsDiff(out: Record<string, HostTensor>, ref: Record<string, HostTensor>): number {
  let m = 0;
  for (const [name, r] of Object.entries(ref)) {
    const o = out[name];
    if (!o || o.data.length !== r.data.length) return Number.POSITIVE_INFINITY;
    const a = asNumbers(o);
    const b = asNumbers(r);
    for (let i = 0; i < a.length; i++) {
      const d = Math.abs(a[i] - b[i]);
      if (!(d <= m)) m = Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
    }
  }
  return m;
}

/** Tolerances of close_fraction and of tie-aware agreement (numpy.allclose's atol and rtol). */
export interface Tolerance {
  atol: number;
  rtol: number;
}

/**
 * The defaults: float32 results of one model on two runtimes differ by reordered sums (a few ulps
 * of each partial sum, 1e-6 to 1e-5 relative after a deep network; ORT's own cross-EP tests allow
 * 1e-5 to 1e-3 by provider), and a harness must not call that a disagreement.
 */
export const DEFAULT_TOLERANCE: Tolerance = { atol: 1e-4, rtol: 1e-3 };

/** Why top-1 agreement means nothing for this output; undefined for class scores (float [rows, K], K >= 2). */
export function notClassScores(t: HostTensor): string | undefined {
  if (t.type !== 'float32' && t.type !== 'float16' && t.type !== 'float64') return `its first output is ${t.type}, not class scores`;
  if (t.dims.length > 2) return `its first output [${t.dims.join(', ')}] is a map (rank > 2), not class scores`;
  if (t.dims.length < 2 || t.dims[t.dims.length - 1] < 2) return `its first output [${t.dims.join(', ')}] has no class axis of 2 or more`;
  return undefined;
}

/** Tie-aware top-1 agreement of two class-score tensors [rows, K] (see the header). */
export function topOneAgreement(out: HostTensor, ref: HostTensor, tol: Tolerance = DEFAULT_TOLERANCE): number {
  const k = ref.dims[ref.dims.length - 1];
  const x = asNumbers(out);
  const r = asNumbers(ref);
  if (x.length !== r.length || !k) return 0;
  const rows = r.length / k;
  let agree = 0;
  for (let i = 0; i < rows; i++) {
    let best = 0;
    let refMax = r[i * k];
    for (let j = 1; j < k; j++) {
      if (x[i * k + j] > x[i * k + best]) best = j;
      if (r[i * k + j] > refMax) refMax = r[i * k + j];
    }
    if (r[i * k + best] >= refMax - (tol.atol + tol.rtol * Math.abs(refMax))) agree++;
  }
  return agree / rows;
}

/** `agreement_fp32` of a run's outputs: over the first output when it holds class scores, else the reason it is empty. */
export function outputAgreement(out: Record<string, HostTensor>, ref: Record<string, HostTensor>, tol: Tolerance = DEFAULT_TOLERANCE): { agreement: number } | { reason: string } {
  const name = Object.keys(ref)[0];
  const why = notClassScores(ref[name]);
  if (why) return { reason: why };
  if (!out[name]) return { agreement: 0 };
  return { agreement: topOneAgreement(out[name], ref[name], tol) };
}

/** Fraction of all reference output elements that `out` matches within `tol` (numpy.allclose's test). */
export function closeFraction(out: Record<string, HostTensor>, ref: Record<string, HostTensor>, tol: Tolerance = DEFAULT_TOLERANCE): number {
  let close = 0;
  let total = 0;
  for (const [name, r] of Object.entries(ref)) {
    total += r.data.length;
    const o = out[name];
    if (!o || o.data.length !== r.data.length) continue;
    const a = asNumbers(o);
    const b = asNumbers(r);
    for (let i = 0; i < b.length; i++) if (Math.abs(a[i] - b[i]) <= tol.atol + tol.rtol * Math.abs(b[i])) close++;
  }
  return total ? close / total : 1;
}
