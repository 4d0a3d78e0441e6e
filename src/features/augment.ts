/**
 * Training augmentations, pure functions of their inputs and a seeded Rng (src/rng.ts); inputs are not modified.
 *
 * SpecAugment (Park et al. 2019), on a [C, M, T] tensor, the same masks on every channel:
 *   frequency mask: w ~ U{0..F}, f0 ~ U{0..M-w}, rows [f0, f0+w) := fill;  time mask likewise with T_max.
 * Mixup (Zhang et al. 2018): lambda ~ Beta(a, a), x = lambda x1 + (1 - lambda) x2, y = lambda y1 + (1 - lambda) y2.
 * Random gain: x * 10^(g/20), g ~ U[min_db, max_db].
 * Time shift: s ~ U{-S..S} samples; 'roll' wraps around, 'zero' fills the vacated part with zeros.
 * Background noise at SNR (dB): y = x + k n,  k = sqrt(P_x / (P_n 10^(SNR/10))),  P = mean square over all
 * channels; n is a random excerpt of the noise recording (looped when shorter than x).
 */
import { EXIT, UserError } from '../errors.ts';
import type { Rng } from '../rng.ts';
import type { Audio, FeatureTensor } from './types.ts';

export interface SpecAugmentOptions {
  freqMasks: number;
  /** Largest frequency-mask width F (rows). */
  freqWidth: number;
  timeMasks: number;
  /** Largest time-mask width (frames). */
  timeWidth: number;
  /** 'mean': each channel's mean (the level of "no information" in dB); or a constant. */
  fill: 'mean' | number;
}

export const SPEC_AUGMENT_DEFAULTS: Readonly<SpecAugmentOptions> = { freqMasks: 2, freqWidth: 8, timeMasks: 2, timeWidth: 16, fill: 'mean' };

export function specAugment(x: FeatureTensor, rng: Rng, opts: Partial<SpecAugmentOptions> = {}): FeatureTensor {
  const o = { ...SPEC_AUGMENT_DEFAULTS, ...opts };
  const [C, M, T] = x.dims;
  const data = Float32Array.from(x.data);
  const fills = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    if (o.fill !== 'mean') {
      fills[c] = o.fill;
      continue;
    }
    let s = 0;
    for (let i = c * M * T; i < (c + 1) * M * T; i++) s += data[i];
    fills[c] = s / (M * T);
  }
  const masks: [number, number, boolean][] = [];
  for (let i = 0; i < o.freqMasks; i++) {
    const w = rng.int(Math.min(o.freqWidth, M) + 1);
    masks.push([rng.int(M - w + 1), w, true]);
  }
  for (let i = 0; i < o.timeMasks; i++) {
    const w = rng.int(Math.min(o.timeWidth, T) + 1);
    masks.push([rng.int(T - w + 1), w, false]);
  }
  for (const [start, w, isFreq] of masks) {
    for (let c = 0; c < C; c++) {
      const base = c * M * T;
      if (isFreq) data.fill(fills[c], base + start * T, base + (start + w) * T);
      else for (let m = 0; m < M; m++) data.fill(fills[c], base + m * T + start, base + m * T + start + w);
    }
  }
  return { data, dims: [...x.dims] };
}

export function oneHot(label: number, classes: number): Float32Array {
  if (!(Number.isInteger(label) && label >= 0 && label < classes)) throw new RangeError(`label ${label} not in [0, ${classes})`);
  const y = new Float32Array(classes);
  y[label] = 1;
  return y;
}

export interface Mixed {
  x: FeatureTensor;
  /** Soft labels. */
  y: Float32Array;
  lambda: number;
}

export function mixup(x1: FeatureTensor, y1: Float32Array, x2: FeatureTensor, y2: Float32Array, rng: Rng, alpha = 0.4): Mixed {
  if (x1.data.length !== x2.data.length || y1.length !== y2.length) throw new RangeError('mixup needs inputs and labels of equal shapes');
  if (!(alpha > 0)) throw new RangeError(`mixup alpha must be > 0 (got ${alpha})`);
  const lambda = rng.beta(alpha, alpha);
  const data = new Float32Array(x1.data.length);
  for (let i = 0; i < data.length; i++) data[i] = lambda * x1.data[i] + (1 - lambda) * x2.data[i];
  const y = new Float32Array(y1.length);
  for (let i = 0; i < y.length; i++) y[i] = lambda * y1[i] + (1 - lambda) * y2[i];
  return { x: { data, dims: [...x1.dims] }, y, lambda };
}

export function randomGain(audio: Audio, rng: Rng, minDb = -6, maxDb = 6): Audio {
  const g = 10 ** (rng.uniform(minDb, maxDb) / 20);
  return { sampleRate: audio.sampleRate, channels: audio.channels.map((x) => x.map((v) => v * g)) };
}

export function timeShift(audio: Audio, rng: Rng, maxSeconds: number, mode: 'roll' | 'zero' = 'roll'): Audio {
  const max = Math.round(maxSeconds * audio.sampleRate);
  const s = rng.int(2 * max + 1) - max;
  return {
    sampleRate: audio.sampleRate,
    channels: audio.channels.map((x) => {
      const n = x.length;
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const j = i - s;
        if (j >= 0 && j < n) out[i] = x[j];
        else if (mode === 'roll' && n > 0) out[i] = x[((j % n) + n) % n];
      }
      return out;
    }),
  };
}

function meanSquare(chs: Float32Array[]): number {
  let s = 0;
  let n = 0;
  for (const x of chs) {
    for (let i = 0; i < x.length; i++) s += x[i] * x[i];
    n += x.length;
  }
  return n > 0 ? s / n : 0;
}

export function addNoise(audio: Audio, noise: Audio, snrDb: number, rng: Rng): Audio {
  if (noise.sampleRate !== audio.sampleRate) {
    throw new UserError(`background noise is at ${noise.sampleRate} Hz but the audio is at ${audio.sampleRate} Hz: resample it first`, EXIT.badInput);
  }
  const nLen = noise.channels[0]?.length ?? 0;
  if (nLen === 0) throw new UserError('background noise recording is empty', EXIT.badInput);
  const n = audio.channels[0]?.length ?? 0;
  const offset = rng.int(nLen);
  const excerpt = audio.channels.map((_, c) => {
    const src = noise.channels[c % noise.channels.length];
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = src[(offset + i) % nLen];
    return out;
  });
  const px = meanSquare(audio.channels);
  const pn = meanSquare(excerpt);
  // NOTE: silent noise excerpt or silent signal: nothing to scale against, return the input unchanged.
  const k = pn > 0 && px > 0 ? Math.sqrt(px / (pn * 10 ** (snrDb / 10))) : 0;
  return {
    sampleRate: audio.sampleRate,
    channels: audio.channels.map((x, c) => {
      const out = new Float32Array(x.length);
      for (let i = 0; i < x.length; i++) out[i] = x[i] + k * excerpt[c][i];
      return out;
    }),
  };
}
