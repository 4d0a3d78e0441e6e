/**
 * Feature presets: every parameter of the frontend, named after the seed that uses it.
 *
 * Frame count (torch.stft / librosa with center=true, reflect padding of n_fft/2 on both sides):
 *   T = 1 + floor(N / hop),  N = round(seconds * sampleRate)
 * Frequency bins of a one-sided power spectrum: F = n_fft/2 + 1.
 *
 * Conventions are torchaudio's (MelSpectrogram + AmplitudeToDB + MFCC) so that golden values from
 * torchaudio check them: periodic Hann of win_length zero-padded (centred) to n_fft, power = 2,
 * dB = 10*log10(max(S, 1e-10)) - 10*log10(ref=1), then max(dB, max_clip(dB) - top_db).
 *
 * Choices made where a seed is silent or ambiguous:
 * - `default`: 16 kHz, n_fft 1024, win 400 (25 ms), hop 256 (16 ms), 64 HTK mels 0..8 kHz, top_db 80,
 *   2 s clips -> [1, 64, 126]. The 400-sample window sets the resolution; n_fft 1024 zero-pads it
 *   so the lowest HTK filters (about 27 Hz wide) each cover several bins.
 * - `seed003-mel80`: 16 kHz, 80 mels, shape [41, 80] on 0.5 s clips, i.e. hop 200: torchaudio's
 *   MelSpectrogram defaults (n_fft 400, hop 200). fft.js needs a power of two, so n_fft is 512
 *   with the same 400-sample window.
 * - `seed003-mel128`: 44.1 kHz, 128 mels, shape [44, 128] on 0.5 s clips: librosa's defaults
 *   (n_fft 2048, hop 512, slaney scale with slaney norm).
 * - `seed003-mfcc`: the seed's MFCC setup (python_speech_features naming: numcep 13, nfilt 26,
 *   winlen 25 ms, sr 12000): 12 kHz, win 300, hop 120 (10 ms), n_fft 512, 26 HTK filters, 13 coefficients,
 *   0.5 s clips. The seed got 49 frames (no centring); with center=true we get 51.
 * - `dcase2020-1b` (seed 004): 44.1 kHz, window 2048 (the seed's "2018" is read as 2048), hop 1536,
 *   256 mels, both binaural channels, 10 s clips -> [2, 256, 288] (the seed reports 280 frames).
 * - `lim2021` (seed 000): 48 kHz, n_fft 2048 (42.7 ms), hop 1024 (21.3 ms), 128 HTK mels,
 *   log-mel + delta + delta-delta over 2 channels = 6 channels, 10 s clips -> [6, 128, 469],
 *   exactly the seed's (128, 469, 6).
 */
import { EXIT, UserError } from '../errors.ts';

export type MelScale = 'htk' | 'slaney';
export type MelNorm = 'slaney' | 'none';

export interface Preset {
  name: string;
  sampleRate: number;
  /** FFT size; a power of two (fft.js). */
  nFft: number;
  /** Hann window length, <= nFft; the window is centred in the nFft frame. */
  winLength: number;
  hopLength: number;
  nMels: number;
  fMin: number;
  /** Upper edge of the filterbank in Hz; at most sampleRate / 2. */
  fMax: number;
  melScale: MelScale;
  melNorm: MelNorm;
  /** Dynamic range below the clip's maximum in dB, or null for no clamping. */
  topDb: number | null;
  kind: 'logmel' | 'mfcc';
  /** Number of cepstral coefficients, for kind 'mfcc'. */
  nMfcc?: number;
  /** 0: static only; 1: + delta; 2: + delta + delta-delta, stacked as extra channels. */
  deltas: 0 | 1 | 2;
  /** 'mono': mix down; 'keep': as many as the file has; n: exactly n (a mono file is replicated). */
  channels: 'mono' | 'keep' | number;
  /** Clip length that datasets and the built-in test signal use. */
  clipSeconds: number;
}

export const PRESETS: Readonly<Record<string, Readonly<Preset>>> = Object.freeze({
  default: {
    name: 'default',
    sampleRate: 16000,
    nFft: 1024,
    winLength: 400,
    hopLength: 256,
    nMels: 64,
    fMin: 0,
    fMax: 8000,
    melScale: 'htk',
    melNorm: 'none',
    topDb: 80,
    kind: 'logmel',
    deltas: 0,
    channels: 'mono',
    clipSeconds: 2,
  },
  'seed003-mel80': {
    name: 'seed003-mel80',
    sampleRate: 16000,
    nFft: 512,
    winLength: 400,
    hopLength: 200,
    nMels: 80,
    fMin: 0,
    fMax: 8000,
    melScale: 'htk',
    melNorm: 'none',
    topDb: 80,
    kind: 'logmel',
    deltas: 0,
    channels: 'mono',
    clipSeconds: 0.5,
  },
  'seed003-mel128': {
    name: 'seed003-mel128',
    sampleRate: 44100,
    nFft: 2048,
    winLength: 2048,
    hopLength: 512,
    nMels: 128,
    fMin: 0,
    fMax: 22050,
    melScale: 'slaney',
    melNorm: 'slaney',
    topDb: 80,
    kind: 'logmel',
    deltas: 0,
    channels: 'mono',
    clipSeconds: 0.5,
  },
  'seed003-mfcc': {
    name: 'seed003-mfcc',
    sampleRate: 12000,
    nFft: 512,
    winLength: 300,
    hopLength: 120,
    nMels: 26,
    fMin: 0,
    fMax: 6000,
    melScale: 'htk',
    melNorm: 'none',
    topDb: 80,
    kind: 'mfcc',
    nMfcc: 13,
    deltas: 0,
    channels: 'mono',
    clipSeconds: 0.5,
  },
  'dcase2020-1b': {
    name: 'dcase2020-1b',
    sampleRate: 44100,
    nFft: 2048,
    winLength: 2048,
    hopLength: 1536,
    nMels: 256,
    fMin: 0,
    fMax: 22050,
    melScale: 'htk',
    melNorm: 'none',
    topDb: 80,
    kind: 'logmel',
    deltas: 0,
    channels: 2,
    clipSeconds: 10,
  },
  lim2021: {
    name: 'lim2021',
    sampleRate: 48000,
    nFft: 2048,
    winLength: 2048,
    hopLength: 1024,
    nMels: 128,
    fMin: 0,
    fMax: 24000,
    melScale: 'htk',
    melNorm: 'none',
    topDb: 80,
    kind: 'logmel',
    deltas: 2,
    channels: 2,
    clipSeconds: 10,
  },
});

export const PRESET_NAMES: readonly string[] = Object.keys(PRESETS);

export function getPreset(name: string): Preset {
  const p = Object.prototype.hasOwnProperty.call(PRESETS, name) ? PRESETS[name] : undefined;
  if (!p) {
    throw new UserError(`unknown feature preset '${name}': valid presets are ${PRESET_NAMES.join(', ')}`, EXIT.usage);
  }
  return { ...p };
}

/** Number of samples in `seconds` of audio at the preset's rate. */
export function samplesFor(preset: Preset, seconds: number): number {
  return Math.round(seconds * preset.sampleRate);
}

/** Frames T of a clip of `seconds` (center=true): 1 + floor(N / hop). */
export function framesFor(preset: Preset, seconds: number = preset.clipSeconds): number {
  return framesForSamples(samplesFor(preset, seconds), preset.hopLength);
}

export function framesForSamples(nSamples: number, hopLength: number): number {
  return 1 + Math.floor(nSamples / hopLength);
}

/** Rows M of the feature tensor: mels for log-mel, coefficients for MFCC. */
export function featureRows(preset: Preset): number {
  return preset.kind === 'mfcc' ? (preset.nMfcc ?? 13) : preset.nMels;
}

/** Channels C of the output for audio with `inputChannels` channels (deltas stack extra channels). */
export function outputChannels(preset: Preset, inputChannels: number): number {
  const base = preset.channels === 'mono' ? 1 : preset.channels === 'keep' ? inputChannels : preset.channels;
  return base * (1 + preset.deltas);
}

/** Throws a UserError describing the first inconsistent parameter, if any. */
export function validatePreset(p: Preset): void {
  const bad = (what: string) => {
    throw new UserError(`feature preset '${p.name}': ${what}`, EXIT.usage);
  };
  if (!(p.sampleRate > 0)) bad(`sampleRate must be > 0 (got ${p.sampleRate})`);
  if (!(p.nFft >= 2 && (p.nFft & (p.nFft - 1)) === 0)) bad(`nFft must be a power of two >= 2 (got ${p.nFft})`);
  if (!(p.winLength >= 1 && p.winLength <= p.nFft)) bad(`winLength must be in [1, nFft=${p.nFft}] (got ${p.winLength})`);
  if (!(Number.isInteger(p.hopLength) && p.hopLength >= 1)) bad(`hopLength must be a positive integer (got ${p.hopLength})`);
  if (!(Number.isInteger(p.nMels) && p.nMels >= 1)) bad(`nMels must be a positive integer (got ${p.nMels})`);
  if (!(p.fMin >= 0 && p.fMin < p.fMax && p.fMax <= p.sampleRate / 2)) {
    bad(`need 0 <= fMin < fMax <= sampleRate/2 (got fMin ${p.fMin}, fMax ${p.fMax}, sampleRate ${p.sampleRate})`);
  }
  if (p.kind === 'mfcc' && !(p.nMfcc !== undefined && p.nMfcc >= 1 && p.nMfcc <= p.nMels)) {
    bad(`nMfcc must be in [1, nMels=${p.nMels}] (got ${p.nMfcc})`);
  }
  if (typeof p.channels === 'number' && !(Number.isInteger(p.channels) && p.channels >= 1)) {
    bad(`channels must be 'mono', 'keep' or a positive integer (got ${p.channels})`);
  }
  if (p.topDb !== null && !(p.topDb > 0)) bad(`topDb must be > 0 or null (got ${p.topDb})`);
}
