/**
 * Non-finite values are never features: a NaN or an infinity (a float WAV with samples of 1e30
 * overflows the power spectrum to +Inf) would flow into every runtime, and max-abs differences
 * and argmaxes computed from it mean nothing. Each entry point (the `features` command, dataset
 * extraction, `bench --input`) refuses such a tensor with the index of its first bad value.
 */
import { AudioError } from './decode.ts';
import type { FeatureTensor } from './types.ts';

/** Index of the first NaN or ±Infinity in `x`, or -1 when every value is finite. */
export function firstNonFinite(x: ArrayLike<number>): number {
  for (let i = 0; i < x.length; i++) {
    // NOTE: v - v is 0 for every finite v and NaN for NaN and ±Infinity.
    const v = x[i];
    if (v - v !== 0) return i;
  }
  return -1;
}

/** Where flat index `i` of a C-order tensor of shape `dims` lies, e.g. '[0, 12, 40]'. */
export function positionOf(i: number, dims: readonly number[]): string {
  const at: number[] = [];
  let rest = i;
  for (let k = dims.length - 1; k >= 0; k--) {
    at.unshift(rest % dims[k]);
    rest = Math.floor(rest / dims[k]);
  }
  return `[${at.join(', ')}]`;
}

/** Throws AudioError ('nan': exit 3, skippable under --on-bad-file skip) when features of `name` hold a non-finite value. */
export function checkFiniteFeatures(f: FeatureTensor, name: string): void {
  const i = firstNonFinite(f.data);
  if (i < 0) return;
  throw new AudioError(
    name,
    'nan',
    `its features hold ${f.data[i]} at value ${i} of ${f.data.length} (position ${positionOf(i, f.dims)} of shape [${f.dims.join(', ')}]); the samples are out of range (e.g. float samples near 1e30)`,
  );
}
