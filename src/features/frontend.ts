/**
 * The feature frontend: decoded audio at the preset's rate -> [C, M, T] float32 tensor.
 *
 *   channels:  'mono' -> x = (1/K) sum_k x_k (librosa.to_mono); 'keep' -> all K; n -> exactly n
 *              (a mono input is replicated n times, anything else is an error)
 *   static:    S_c = mel(|STFT(x_c)|^2)            (stft.ts, mel.ts)
 *   log:       L = dB(S) over the whole clip       (db.ts; top_db below the max over all channels)
 *   mfcc:      C_c = DCT-II_ortho(L_c)[:n_mfcc]     (mfcc.ts), when kind = 'mfcc'
 *   deltas:    channels [F_1..F_K, dF_1..dF_K, ddF_1..ddF_K] with dd = d(d(F))   (deltas.ts)
 *
 * Resampling is the caller's job (resample.ts). Per-preset state (window, FFT tables, filterbank,
 * scratch) is built once and cached; the per-frame loop allocates nothing.
 */
import { EXIT, UserError } from '../errors.ts';
import { powerToDbInPlace } from './db.ts';
import { deltas } from './deltas.ts';
import { applyMel, melFilterbank, type MelFilterbank } from './mel.ts';
import { mfccFromLogMel } from './mfcc.ts';
import { featureRows, framesForSamples, validatePreset, type Preset } from './presets.ts';
import { powerFrame, stftPlan, type StftPlan } from './stft.ts';
import type { Audio, FeatureTensor } from './types.ts';

interface FrontendPlan {
  stft: StftPlan;
  bank: MelFilterbank;
  power: Float64Array;
  mel: Float64Array;
}

const plans = new Map<string, FrontendPlan>();

function presetKey(p: Preset): string {
  return [p.sampleRate, p.nFft, p.winLength, p.hopLength, p.nMels, p.fMin, p.fMax, p.melScale, p.melNorm].join('/');
}

function frontendPlan(p: Preset): FrontendPlan {
  const key = presetKey(p);
  let plan = plans.get(key);
  if (plan) return plan;
  validatePreset(p);
  const stft = stftPlan(p.nFft, p.winLength, p.hopLength);
  const bank = melFilterbank(p);
  plan = { stft, bank, power: new Float64Array(stft.nFreqs), mel: new Float64Array(p.nMels) };
  plans.set(key, plan);
  return plan;
}

/** The channels the preset asks for, from the decoded channels. */
export function selectChannels(audio: Audio, preset: Preset, name = 'audio'): Float32Array[] {
  const chans = audio.channels;
  const k = chans.length;
  if (k === 0) throw new UserError(`${name}: no audio channels`, EXIT.badInput);
  if (preset.channels === 'keep') return chans;
  if (preset.channels === 'mono') {
    if (k === 1) return [chans[0]];
    const n = chans[0].length;
    const mono = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let c = 0; c < k; c++) s += chans[c][i];
      mono[i] = s / k;
    }
    return [mono];
  }
  const want = preset.channels;
  if (k === want) return chans;
  if (k === 1) return Array.from({ length: want }, () => chans[0]);
  throw new UserError(
    `${name}: preset '${preset.name}' needs ${want} channel(s) (or mono, replicated) but the audio has ${k}; ` +
      `use a preset with channels 'mono' or 'keep'`,
    EXIT.badInput,
  );
}

/** Mel power of one channel into out[offset + m*T + t]. */
function melPower(x: Float32Array, plan: FrontendPlan, nFrames: number, out: Float32Array, offset: number): void {
  const { stft, bank, power, mel } = plan;
  const nMels = bank.nMels;
  for (let t = 0; t < nFrames; t++) {
    powerFrame(x, t, stft, power);
    applyMel(bank, power, mel);
    for (let m = 0; m < nMels; m++) out[offset + m * nFrames + t] = mel[m];
  }
}

export function computeFeatures(audio: Audio, preset: Preset): FeatureTensor {
  if (audio.sampleRate !== preset.sampleRate) {
    throw new UserError(
      `audio is at ${audio.sampleRate} Hz but preset '${preset.name}' expects ${preset.sampleRate} Hz: resample it first`,
      EXIT.badInput,
    );
  }
  const plan = frontendPlan(preset);
  const xs = selectChannels(audio, preset);
  const nSamples = xs[0].length;
  if (nSamples === 0) throw new UserError('audio is empty (0 samples): nothing to compute features from', EXIT.badInput);
  for (const x of xs) {
    if (x.length !== nSamples) throw new UserError('audio channels have different lengths', EXIT.badInput);
  }
  const k = xs.length;
  const nFrames = framesForSamples(nSamples, preset.hopLength);
  const nMels = preset.nMels;
  const rows = featureRows(preset);
  const block = rows * nFrames;
  const out = new Float32Array(k * (1 + preset.deltas) * block);

  // NOTE: for MFCC the log-mel lives in a scratch tensor; for log-mel it is written straight into `out`.
  const logMel = preset.kind === 'mfcc' ? new Float32Array(k * nMels * nFrames) : out;
  for (let c = 0; c < k; c++) melPower(xs[c], plan, nFrames, logMel, c * nMels * nFrames);
  powerToDbInPlace(logMel.subarray(0, k * nMels * nFrames), { topDb: preset.topDb });
  if (preset.kind === 'mfcc') {
    for (let c = 0; c < k; c++) {
      mfccFromLogMel(logMel.subarray(c * nMels * nFrames), nMels, nFrames, rows, out, c * block);
    }
  }
  if (preset.deltas >= 1) deltas(out, k * rows, nFrames, out, 0, k * block);
  if (preset.deltas >= 2) deltas(out, k * rows, nFrames, out, k * block, 2 * k * block);
  return { data: out, dims: [k * (1 + preset.deltas), rows, nFrames] };
}
