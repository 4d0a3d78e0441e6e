/**
 * The frontend against torchaudio 0.13 + scipy golden values (test/data/golden/make_golden.py).
 *
 * Tolerances, and why:
 * - log-mel: 1e-3 dB max abs error. The reference is float64 end to end; we compute in float64 and round
 *   the mel power (relative 6e-8, i.e. 2.6e-7 dB) and the dB value (ulp of |x| < 128 is <= 7.6e-6 dB) to
 *   float32, so the expected error is ~1e-5 dB. 1e-3 dB leaves room for libm differences and is 10x
 *   tighter than the 0.01 dB the issue asks for. Values at the top_db floor must match too (the floor is
 *   max - 80 on both sides).
 * - MFCC: 1e-3 absolute: each coefficient is a 26-term sum of dB values (|c| < 500, float32 ulp 3e-5).
 * - deltas: 1e-4 dB/frame: a 9-tap weighted sum of float32 dB values divided by 60.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { deltas } from '../../src/features/deltas.ts';
import { computeFeatures } from '../../src/features/frontend.ts';
import { decodeNpy } from '../../src/features/npy.ts';
import { getPreset } from '../../src/features/presets.ts';
import type { FeatureTensor } from '../../src/features/types.ts';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'data', 'golden');
const manifest = JSON.parse(readFileSync(join(DIR, 'manifest.json'), 'utf8')) as {
  cases: { preset: string; wave: string; logmel?: string; mfcc?: string; delta?: string; delta2?: string }[];
  defaultDelta: string;
};
const load = (f: string): FeatureTensor => decodeNpy(new Uint8Array(readFileSync(join(DIR, f))), f);

function maxAbsDiff(a: Float32Array, b: Float32Array, from = 0, to = a.length): number {
  let m = 0;
  for (let i = from; i < to; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const TOL = { logmel: 1e-3, mfcc: 1e-3, delta: 1e-4 };

describe('golden values from torchaudio', () => {
  for (const c of manifest.cases) {
    it(`${c.preset}: matches the reference`, () => {
      const p = getPreset(c.preset);
      const wave = load(c.wave);
      const [nCh, n] = wave.dims;
      const channels = Array.from({ length: nCh }, (_, i) => wave.data.slice(i * n, (i + 1) * n));
      const f = computeFeatures({ sampleRate: p.sampleRate, channels }, p);
      const rows = f.dims[1];
      const T = f.dims[2];
      const block = nCh * rows * T;
      const parts: [string, string | undefined, number][] = [
        ['logmel', c.logmel, TOL.logmel],
        ['mfcc', c.mfcc, TOL.mfcc],
        ['delta', c.delta, TOL.delta],
        ['delta2', c.delta2, TOL.delta],
      ];
      let k = 0;
      for (const [what, file, tol] of parts) {
        if (!file) continue;
        const ref = load(file);
        expect(ref.data.length).toBe(block);
        expect(ref.dims.at(-1)).toBe(T);
        const err = maxAbsDiff(f.data.subarray(k * block, (k + 1) * block), ref.data);
        console.log(`golden ${c.preset} ${what}: max abs error ${err.toExponential(2)} (tolerance ${tol})`);
        expect(err).toBeLessThanOrEqual(tol);
        k++;
      }
      expect(f.dims[0]).toBe(nCh * k);
    });
  }

  it('default: librosa-style deltas of the reference log-mel match scipy savgol_filter', () => {
    const ref = load(manifest.cases.find((c) => c.preset === 'default')!.logmel!);
    const want = load(manifest.defaultDelta);
    const T = ref.dims.at(-1)!;
    const rows = ref.data.length / T;
    const got = new Float32Array(rows * T);
    deltas(ref.data, rows, T, got);
    const err = maxAbsDiff(got, want.data);
    console.log(`golden default delta: max abs error ${err.toExponential(2)} (tolerance ${TOL.delta})`);
    expect(err).toBeLessThanOrEqual(TOL.delta);
  });
});
