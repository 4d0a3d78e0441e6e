/**
 * Mel filterbank, as torchaudio.functional.melscale_fbanks (and librosa.filters.mel with htk/norm).
 *
 * HTK:     mel(f) = 2595 log10(1 + f/700),            f(m) = 700 (10^(m/2595) - 1)
 * Slaney:  mel(f) = 3 f / 200                for f < 1000 Hz,
 *          mel(f) = 15 + ln(f/1000) / (ln(6.4)/27)    for f >= 1000 Hz (and the inverse)
 * Points:  m_i = linspace(mel(f_min), mel(f_max), n_mels + 2),  f_i = f(m_i)
 * Bins:    f_k = linspace(0, floor(sr/2), n_fft/2 + 1)
 * Filter:  H_m(f_k) = max(0, min((f_k - f_m)/(f_{m+1} - f_m), (f_{m+2} - f_k)/(f_{m+2} - f_{m+1})))
 * Slaney area norm: H_m *= 2 / (f_{m+2} - f_m)   (each triangle has unit area in Hz)
 *
 * Stored sparse: each filter keeps its first non-zero bin and its run of weights, so the
 * mel product costs sum of filter widths, not n_mels * n_freqs.
 */
import type { MelNorm, MelScale } from './presets.ts';

const SLANEY_F_SP = 200 / 3;
const SLANEY_MIN_LOG_HZ = 1000;
const SLANEY_MIN_LOG_MEL = SLANEY_MIN_LOG_HZ / SLANEY_F_SP;
const SLANEY_LOGSTEP = Math.log(6.4) / 27;

export function hzToMel(f: number, scale: MelScale): number {
  if (scale === 'htk') return 2595 * Math.log10(1 + f / 700);
  if (f < SLANEY_MIN_LOG_HZ) return f / SLANEY_F_SP;
  return SLANEY_MIN_LOG_MEL + Math.log(f / SLANEY_MIN_LOG_HZ) / SLANEY_LOGSTEP;
}

export function melToHz(m: number, scale: MelScale): number {
  if (scale === 'htk') return 700 * (Math.pow(10, m / 2595) - 1);
  if (m < SLANEY_MIN_LOG_MEL) return SLANEY_F_SP * m;
  return SLANEY_MIN_LOG_HZ * Math.exp(SLANEY_LOGSTEP * (m - SLANEY_MIN_LOG_MEL));
}

export interface MelOptions {
  sampleRate: number;
  nFft: number;
  nMels: number;
  fMin: number;
  fMax: number;
  melScale: MelScale;
  melNorm: MelNorm;
}

export interface MelFilterbank {
  nMels: number;
  nFreqs: number;
  /** First non-zero bin of each filter. */
  start: Int32Array;
  /** Number of bins of each filter (0 for a filter that falls between bins). */
  length: Int32Array;
  /** Offset of each filter's weights in `weights`. */
  offset: Int32Array;
  weights: Float64Array;
  /** Centre frequency f_{m+1} of each filter in Hz. */
  centers: Float64Array;
}

/** Dense [nFreqs, nMels] matrix, torchaudio's layout. */
export function melMatrix(opts: MelOptions): Float64Array {
  const nFreqs = opts.nFft / 2 + 1;
  const { nMels } = opts;
  const mMin = hzToMel(opts.fMin, opts.melScale);
  const mMax = hzToMel(opts.fMax, opts.melScale);
  const fPts = new Float64Array(nMels + 2);
  for (let i = 0; i < nMels + 2; i++) fPts[i] = melToHz(mMin + ((mMax - mMin) * i) / (nMels + 1), opts.melScale);
  const nyquist = Math.floor(opts.sampleRate / 2);
  const fb = new Float64Array(nFreqs * nMels);
  for (let k = 0; k < nFreqs; k++) {
    const f = nFreqs === 1 ? 0 : (nyquist * k) / (nFreqs - 1);
    for (let m = 0; m < nMels; m++) {
      const down = (f - fPts[m]) / (fPts[m + 1] - fPts[m]);
      const up = (fPts[m + 2] - f) / (fPts[m + 2] - fPts[m + 1]);
      let w = Math.max(0, Math.min(down, up));
      if (opts.melNorm === 'slaney') w *= 2 / (fPts[m + 2] - fPts[m]);
      fb[k * nMels + m] = w;
    }
  }
  return fb;
}

const banks = new Map<string, MelFilterbank>();

/** Cached sparse filterbank for these options. */
export function melFilterbank(opts: MelOptions): MelFilterbank {
  const key = `${opts.sampleRate}/${opts.nFft}/${opts.nMels}/${opts.fMin}/${opts.fMax}/${opts.melScale}/${opts.melNorm}`;
  const hit = banks.get(key);
  if (hit) return hit;
  const dense = melMatrix(opts);
  const nFreqs = opts.nFft / 2 + 1;
  const { nMels } = opts;
  const start = new Int32Array(nMels);
  const length = new Int32Array(nMels);
  const offset = new Int32Array(nMels);
  const runs: number[] = [];
  for (let m = 0; m < nMels; m++) {
    let lo = -1;
    let hi = -1;
    for (let k = 0; k < nFreqs; k++) {
      if (dense[k * nMels + m] !== 0) {
        if (lo < 0) lo = k;
        hi = k;
      }
    }
    offset[m] = runs.length;
    if (lo < 0) continue;
    start[m] = lo;
    length[m] = hi - lo + 1;
    for (let k = lo; k <= hi; k++) runs.push(dense[k * nMels + m]);
  }
  const mMin = hzToMel(opts.fMin, opts.melScale);
  const mMax = hzToMel(opts.fMax, opts.melScale);
  const centers = new Float64Array(nMels);
  for (let m = 0; m < nMels; m++) centers[m] = melToHz(mMin + ((mMax - mMin) * (m + 1)) / (nMels + 1), opts.melScale);
  const bank: MelFilterbank = { nMels, nFreqs, start, length, offset, weights: Float64Array.from(runs), centers };
  banks.set(key, bank);
  return bank;
}

/** out[m] = sum_k H_m(k) power[k]. */
export function applyMel(bank: MelFilterbank, power: Float64Array | Float32Array, out: Float64Array | Float32Array): void {
  const { start, length, offset, weights, nMels } = bank;
  for (let m = 0; m < nMels; m++) {
    let acc = 0;
    const s = start[m];
    const o = offset[m];
    const len = length[m];
    for (let j = 0; j < len; j++) acc += weights[o + j] * power[s + j];
    out[m] = acc;
  }
}
