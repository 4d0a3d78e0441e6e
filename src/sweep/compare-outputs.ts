/**
 * How far a runtime's outputs are from the fp32 cpu reference:
 *   max_abs_diff   = max over every output element of |y - y_ref|
 *   agreement_fp32 = fraction of samples whose argmax (over the last axis of the first output)
 *                    equals the reference's
 */
import type { HostTensor } from '../runners/runner.ts';

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
