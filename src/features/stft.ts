/**
 * Short-time Fourier transform to a one-sided power spectrogram (torch.stft / librosa conventions).
 *
 *   x_pad[i] = x[reflect(i - n_fft/2)]                     (center=true, reflect padding, no edge repeat)
 *   w[n]     = 0.5 - 0.5 cos(2 pi j / L),  n = j + floor((n_fft - L)/2), j in [0, L)   (periodic Hann, L = win_length)
 *   X_t[k]   = sum_n w[n] x_pad[t*hop + n] e^{-2 pi i k n / n_fft},   k in [0, n_fft/2]
 *   S[k, t]  = |X_t[k]|^2                                   (power = 2)
 *   T        = 1 + floor(N / hop)
 *
 * The FFT is fft.js's real transform (radix-4, power-of-two sizes). A plan holds the window and the
 * scratch buffers, so computing a frame allocates nothing.
 */
import FFT from 'fft.js';

export interface StftPlan {
  nFft: number;
  winLength: number;
  hopLength: number;
  nFreqs: number;
  /** Periodic Hann of winLength, zero-padded and centred to nFft. */
  window: Float64Array;
  fft: FFT;
  /** Scratch: one windowed frame. */
  frame: Float64Array;
  /** Scratch: fft.js interleaved complex output (2 * nFft). */
  spectrum: number[];
}

const plans = new Map<string, StftPlan>();

export function periodicHann(length: number): Float64Array {
  const w = new Float64Array(length);
  for (let j = 0; j < length; j++) w[j] = 0.5 - 0.5 * Math.cos((2 * Math.PI * j) / length);
  return w;
}

/** A cached plan for (nFft, winLength, hopLength). Plans own scratch buffers: use them from one caller at a time. */
export function stftPlan(nFft: number, winLength: number, hopLength: number): StftPlan {
  const key = `${nFft}/${winLength}/${hopLength}`;
  let plan = plans.get(key);
  if (plan) return plan;
  if (!(nFft >= 2 && (nFft & (nFft - 1)) === 0)) throw new RangeError(`n_fft must be a power of two (got ${nFft})`);
  if (!(winLength >= 1 && winLength <= nFft)) throw new RangeError(`win_length must be in [1, ${nFft}] (got ${winLength})`);
  const window = new Float64Array(nFft);
  window.set(periodicHann(winLength), Math.floor((nFft - winLength) / 2));
  const fft = new FFT(nFft);
  plan = {
    nFft,
    winLength,
    hopLength,
    nFreqs: nFft / 2 + 1,
    window,
    fft,
    frame: new Float64Array(nFft),
    spectrum: fft.createComplexArray() as number[],
  };
  plans.set(key, plan);
  return plan;
}

export function stftFrames(nSamples: number, hopLength: number): number {
  return 1 + Math.floor(nSamples / hopLength);
}

/** Index into x of padded position i - pad, reflected at both ends (numpy 'reflect', repeated for short x). */
function reflectIndex(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  let j = i % period;
  if (j < 0) j += period;
  return j < n ? j : period - j;
}

/**
 * Power spectrum of frame t of x into `out` (length nFreqs).
 * NOTE: only frames touching the edges take the reflect path; interior frames read x directly.
 */
export function powerFrame(x: Float32Array, t: number, plan: StftPlan, out: Float64Array | Float32Array): void {
  const { nFft, window, frame, spectrum, nFreqs } = plan;
  const n = x.length;
  const start = t * plan.hopLength - (nFft >> 1);
  if (start >= 0 && start + nFft <= n) {
    for (let i = 0; i < nFft; i++) frame[i] = window[i] * x[start + i];
  } else {
    for (let i = 0; i < nFft; i++) frame[i] = window[i] === 0 ? 0 : window[i] * x[reflectIndex(start + i, n)];
  }
  plan.fft.realTransform(spectrum, frame);
  // NOTE: realTransform fills bins 0..nFft/2 (interleaved re, im); the upper half is their conjugate mirror.
  for (let k = 0; k < nFreqs; k++) {
    const re = spectrum[2 * k];
    const im = spectrum[2 * k + 1];
    out[k] = re * re + im * im;
  }
}

/** Full power spectrogram, row-major [nFreqs, T]. For analysis and tests; the frontend fuses frames into the mel product. */
export function powerSpectrogram(x: Float32Array, plan: StftPlan): { data: Float64Array; nFreqs: number; nFrames: number } {
  if (x.length === 0) throw new RangeError('cannot take the STFT of an empty signal');
  const nFrames = stftFrames(x.length, plan.hopLength);
  const { nFreqs } = plan;
  const data = new Float64Array(nFreqs * nFrames);
  const col = new Float64Array(nFreqs);
  for (let t = 0; t < nFrames; t++) {
    powerFrame(x, t, plan, col);
    for (let k = 0; k < nFreqs; k++) data[k * nFrames + t] = col[k];
  }
  return { data, nFreqs, nFrames };
}
