/**
 * Signal-synthesis primitives for the synthetic datasets, on Float64 buffers of n samples:
 * - additive tones: x[i] += env[i] * sum_k a_k sin(2 pi phi_k[i]), phi_k[i+1] = phi_k[i] + r_k f[i] / sr,
 *   with a partial muted while r_k f[i] > 0.45 sr (no aliasing);
 * - a band-limited sawtooth (polyBLEP) as a glottal/reed source;
 * - RBJ band-pass biquads, fixed or with centre frequencies that move per 32-sample block (formants);
 * - white, pink (Kellet's 7-pole filter), brown (leaky integral of white) noise and mains hum;
 * - room reverb: a 4-line feedback delay network whose impulse response is decaying noise with a given RT60.
 */
import type { DataRng } from './data-rng.ts';

export type Buf = Float64Array;

export function power(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return x.length > 0 ? s / x.length : 0;
}

const TABLE = 4096;
const SINE = Float64Array.from({ length: TABLE + 1 }, (_, i) => Math.sin((2 * Math.PI * i) / TABLE));

/**
 * sin(2 pi u) from a 4096-point table with linear interpolation (error < 3e-7, far below float32
 * audio resolution) and 5-10x cheaper than Math.sin.
 */
export function sin1(u: number): number {
  const x = (u - Math.floor(u)) * TABLE;
  const i = x | 0;
  return SINE[i] + (x - i) * (SINE[i + 1] - SINE[i]);
}

export function dbToGain(db: number): number {
  return Math.pow(10, db / 20);
}

/** Adds `env * sum_k amps[k] * sin(phase_k)` with partial k at `ratios[k] * freq[i]`. */
export function addPartials(
  out: Buf,
  sr: number,
  freq: Buf,
  env: Buf,
  ratios: readonly number[],
  amps: readonly number[],
  phase0 = 0,
): void {
  for (let k = 0; k < ratios.length; k++) {
    const r = ratios[k] / sr;
    const a = amps[k];
    // NOTE: phase in cycles, wrapped to [0, 1) so it never loses precision.
    let ph = phase0 * (k + 1);
    ph -= Math.floor(ph);
    for (let i = 0; i < out.length; i++) {
      const e = env[i];
      const f = r * freq[i];
      if (e !== 0 && f < 0.45) out[i] += e * a * sin1(ph);
      ph += f;
      if (ph >= 1) ph -= 1;
    }
  }
}

/** Adds a unit-amplitude polyBLEP sawtooth at `freq[i]`, scaled by `env[i]`. */
export function addSaw(out: Buf, sr: number, freq: Buf, env: Buf, phase0 = 0): void {
  let p = phase0 - Math.floor(phase0);
  for (let i = 0; i < out.length; i++) {
    const dt = Math.min(freq[i] / sr, 0.5);
    let y = 2 * p - 1;
    if (p < dt) {
      const t = p / dt;
      y -= t + t - t * t - 1;
    } else if (p > 1 - dt) {
      const t = (p - 1) / dt;
      y -= t * t + t + t + 1;
    }
    out[i] += env[i] * y;
    p += dt;
    if (p >= 1) p -= 1;
  }
}

/** RBJ band-pass (0 dB peak) biquad coefficients [b0, b2, a1, a2] (b1 = 0), normalised by a0. */
function bandpassCoefs(sr: number, f: number, q: number): [number, number, number, number] {
  const w0 = (2 * Math.PI * Math.min(f, 0.45 * sr)) / sr;
  const alpha = Math.sin(w0) / (2 * q);
  const a0 = 1 + alpha;
  return [alpha / a0, -alpha / a0, (-2 * Math.cos(w0)) / a0, (1 - alpha) / a0];
}

/** Band-pass filter whose centre frequency is `freq(i)` sampled every 32 samples. */
export function bandpass(x: Buf, sr: number, freq: number | Buf, q: number): Buf {
  const y = new Float64Array(x.length);
  let x1 = 0, x2 = 0, y1 = 0, y2 = 0;
  let c = bandpassCoefs(sr, typeof freq === 'number' ? freq : freq[0], q);
  for (let i = 0; i < x.length; i++) {
    if (typeof freq !== 'number' && (i & 31) === 0) c = bandpassCoefs(sr, freq[i], q);
    const v = c[0] * x[i] + c[1] * x2 - c[2] * y1 - c[3] * y2;
    x2 = x1;
    x1 = x[i];
    y2 = y1;
    y1 = v;
    y[i] = v;
  }
  return y;
}

/** Sum of band-passes of `x` at several formants, with gains. */
export function formants(x: Buf, sr: number, freqs: readonly (number | Buf)[], q: number, gains: readonly number[]): Buf {
  const y = new Float64Array(x.length);
  freqs.forEach((f, k) => {
    const b = bandpass(x, sr, f, q);
    for (let i = 0; i < y.length; i++) y[i] += gains[k] * b[i];
  });
  return y;
}

/** One-pole low-pass: y[i] = y[i-1] + a (x[i] - y[i-1]), a = 1 - exp(-2 pi fc / sr). */
export function lowpass(x: Buf, sr: number, fc: number): Buf {
  const a = 1 - Math.exp((-2 * Math.PI * fc) / sr);
  const y = new Float64Array(x.length);
  let s = 0;
  for (let i = 0; i < x.length; i++) y[i] = s += a * (x[i] - s);
  return y;
}

export function highpass(x: Buf, sr: number, fc: number): Buf {
  const lp = lowpass(x, sr, fc);
  for (let i = 0; i < lp.length; i++) lp[i] = x[i] - lp[i];
  return lp;
}

/** Unit-variance white noise, uniform in [-sqrt 3, sqrt 3] (flat spectrum; cheaper than Gaussian). */
export function white(rng: DataRng, n: number): Buf {
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) y[i] = SQRT3 * (2 * rng.next() - 1);
  return y;
}
const SQRT3 = Math.sqrt(3);

/** Pink (1/f) noise: Paul Kellet's refined filter of white noise. */
export function pink(rng: DataRng, n: number): Buf {
  const y = new Float64Array(n);
  let b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0;
  for (let i = 0; i < n; i++) {
    const w = SQRT3 * (2 * rng.next() - 1);
    b0 = 0.99886 * b0 + w * 0.0555179;
    b1 = 0.99332 * b1 + w * 0.0750759;
    b2 = 0.969 * b2 + w * 0.153852;
    b3 = 0.8665 * b3 + w * 0.3104856;
    b4 = 0.55 * b4 + w * 0.5329522;
    b5 = -0.7616 * b5 - w * 0.016898;
    y[i] = b0 + b1 + b2 + b3 + b4 + b5 + b6 + w * 0.5362;
    b6 = w * 0.115926;
  }
  return y;
}

/** Brown (1/f^2) noise: y[i] = 0.998 y[i-1] + w[i]; the leak keeps it bounded. */
export function brown(rng: DataRng, n: number): Buf {
  const y = new Float64Array(n);
  let s = 0;
  for (let i = 0; i < n; i++) y[i] = s = 0.998 * s + SQRT3 * (2 * rng.next() - 1);
  return y;
}

/** Mains hum at `f0` (50 or 60 Hz) with harmonic amplitudes `amps`; `phase` in cycles. */
export function hum(sr: number, n: number, f0: number, amps: readonly number[], phase: number): Buf {
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = (f0 * i) / sr + phase;
    let v = 0;
    for (let k = 0; k < amps.length; k++) v += amps[k] * sin1((k + 1) * u);
    y[i] = v;
  }
  return y;
}

/** Scales `x` in place to power `p` (no-op on silence). */
export function normalizePower(x: Buf, p: number): Buf {
  const q = power(x);
  if (q > 0) {
    const g = Math.sqrt(p / q);
    for (let i = 0; i < x.length; i++) x[i] *= g;
  }
  return x;
}

export interface RoomParams {
  /** Reverberation time (60 dB decay), seconds. */
  rt60: number;
  /** Direct-to-reverberant power ratio on the clip, dB. */
  drrDb: number;
  /** Mean delay-line length, seconds (room size). */
  size: number;
  /** Corner of the in-loop air-absorption low-pass, Hz. */
  damping: number;
}

const LINES = 4;

/**
 * Room reverb: a 4-line feedback delay network (Jot & Chaigne), whose impulse response is dense,
 * exponentially decaying noise. Line i (length d_i samples) feeds back through a one-pole low-pass
 * and gain g_i = 10^(-3 d_i / (sr RT60)), so every path decays by 60 dB in RT60 seconds; the lines
 * are mixed by the orthogonal Hadamard matrix H4 / 2 (lossless, so the loop is stable).
 * Returns x + w, w scaled so that power(x) / power(w) = 10^(drrDb / 10).
 */
export function reverb(x: Buf, sr: number, rng: DataRng, p: RoomParams): Buf {
  const len = new Int32Array(LINES);
  const gain = new Float64Array(LINES);
  const inSign = new Float64Array(LINES);
  const outSign = new Float64Array(LINES);
  for (let i = 0; i < LINES; i++) {
    // NOTE: lengths spread over [0.5, 1.5] x size, jittered, so echoes do not line up into a comb.
    len[i] = Math.max(8, Math.round(sr * p.size * (0.5 + (i + rng.next()) / LINES)));
    gain[i] = Math.pow(10, (-3 * len[i]) / (sr * p.rt60));
    inSign[i] = rng.next() < 0.5 ? -1 : 1;
    outSign[i] = rng.next() < 0.5 ? -1 : 1;
  }
  const a = 1 - Math.exp((-2 * Math.PI * p.damping) / sr);
  const b0 = new Float64Array(len[0]), b1 = new Float64Array(len[1]);
  const b2 = new Float64Array(len[2]), b3 = new Float64Array(len[3]);
  let p0 = 0, p1 = 0, p2 = 0, p3 = 0;
  let l0 = 0, l1 = 0, l2 = 0, l3 = 0;
  const wet = new Float64Array(x.length);
  let start = 0;
  while (start < x.length && x[start] === 0) start++;
  // NOTE: written out for 4 lines; the generic loops over lines were several times slower in V8.
  for (let n = start; n < x.length; n++) {
    const y0 = b0[p0], y1 = b1[p1], y2 = b2[p2], y3 = b3[p3];
    l0 += a * (y0 - l0);
    l1 += a * (y1 - l1);
    l2 += a * (y2 - l2);
    l3 += a * (y3 - l3);
    const v0 = gain[0] * l0, v1 = gain[1] * l1, v2 = gain[2] * l2, v3 = gain[3] * l3;
    const s0 = v0 + v1, d0 = v0 - v1, s1 = v2 + v3, d1 = v2 - v3;
    const xn = x[n];
    b0[p0] = 0.5 * (s0 + s1) + inSign[0] * xn;
    b1[p1] = 0.5 * (d0 + d1) + inSign[1] * xn;
    b2[p2] = 0.5 * (s0 - s1) + inSign[2] * xn;
    b3[p3] = 0.5 * (d0 - d1) + inSign[3] * xn;
    if (++p0 === b0.length) p0 = 0;
    if (++p1 === b1.length) p1 = 0;
    if (++p2 === b2.length) p2 = 0;
    if (++p3 === b3.length) p3 = 0;
    wet[n] = outSign[0] * y0 + outSign[1] * y1 + outSign[2] * y2 + outSign[3] * y3;
  }
  const pw = power(wet);
  const g = pw > 0 ? Math.sqrt((Math.pow(10, -p.drrDb / 10) * power(x)) / pw) : 0;
  const y = new Float64Array(x.length);
  for (let n = 0; n < x.length; n++) y[n] = x[n] + g * wet[n];
  return y;
}
