/**
 * Deterministic weight initialisation from a seed.
 *   He (Kaiming) normal:  W ~ N(0, 2 / fan_in)                 for layers followed by ReLU-like units
 *   Glorot (Xavier) uniform: W ~ U(-a, a), a = sqrt(6 / (fan_in + fan_out))   for linear outputs
 * fan_in = in_channels/group * prod(kernel) for Conv weights [M, C/g, k...], in_features for Gemm [out, in].
 */
import { Rng } from '../rng.ts';

export type InitKind = 'he' | 'glorot' | 'zeros' | 'ones';

export function initWeights(rng: Rng, kind: InitKind, dims: number[], fanIn: number, fanOut: number): Float32Array {
  const n = dims.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  switch (kind) {
    case 'zeros':
      return out;
    case 'ones':
      return out.fill(1);
    case 'he': {
      const std = Math.sqrt(2 / fanIn);
      for (let i = 0; i < n; i++) out[i] = rng.normal(0, std);
      return out;
    }
    case 'glorot': {
      const a = Math.sqrt(6 / (fanIn + fanOut));
      for (let i = 0; i < n; i++) out[i] = rng.uniform(-a, a);
      return out;
    }
  }
}
