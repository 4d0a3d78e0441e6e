/**
 * How far one set of runner outputs is from a reference set (the sweep: a runtime's outputs
 * against the fp32 cpu reference; src/report/fidelity.ts: a compressed model's against its fp32
 * original):
 *   max_abs_diff   = max over every output element of |y - y_ref|
 *   agreement_fp32 = fraction of samples whose argmax (over the last axis of the first output)
 *                    equals the reference's
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

function argmaxRows(t: HostTensor): number[] {
  const k = t.dims[t.dims.length - 1];
  const x = asNumbers(t);
  const rows: number[] = [];
  for (let r = 0; r * k < x.length; r++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (x[r * k + j] > x[r * k + best]) best = j;
    rows.push(best);
  }
  return rows;
}

export function argmaxAgreement(out: Record<string, HostTensor>, ref: Record<string, HostTensor>): number {
  const name = Object.keys(ref)[0];
  if (!out[name]) return 0;
  const a = argmaxRows(out[name]);
  const b = argmaxRows(ref[name]);
  if (a.length !== b.length) return 0;
  return a.filter((v, i) => v === b[i]).length / b.length;
}
