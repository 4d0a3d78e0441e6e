/**
 * The feature frontend as an ONNX graph, so that it runs (and is benchmarked) on every runtime:
 * audio [N, C, S] (or [N, S] for a mono preset) -> features [N, C', R, T], equal to computeFeatures
 * (frontend.ts) on each clip up to float32 rounding.
 *
 *   pad:    x_p = Pad_reflect(x, [a, b])          a = n_fft/2 - o, b = o + L - n_fft/2, o = floor((n_fft - L)/2)
 *   DFT:    Y = Conv1d(x_p, W, stride = hop, group = C), one filter per real row of the one-sided DFT:
 *             W_k[j]     =  w[j] cos(2 pi k (o + j) / n_fft),   k = 0 .. n_fft/2
 *             W_{F+k}[j] = -w[j] sin(2 pi k (o + j) / n_fft),   k = 1 .. n_fft/2 - 1
 *           with w the periodic Hann of L = win_length (stft.ts) and j in [0, L)
 *   power:  P = Y * Y,  [N, C n_fft, T] reshaped to [N, C, n_fft, T]
 *   mel:    S = H' P,  H' = [H^T, H^T[:, 1 .. n_fft/2 - 1]]  ([M, n_fft]; H = melMatrix, mel.ts), so the
 *           MatMul adds re^2 + im^2 of each bin while it applies the filterbank
 *   dB:     L = (10 / ln 10) ln(max(S, amin))               (db.ts, ref = 1)
 *   top_db: L = max(L, ReduceMax_{C, M, T}(L) - top_db)      (per clip, over all channels, as db.ts)
 *   mfcc:   L = D L,  D = dctMatrix (mfcc.ts)               (kind 'mfcc')
 *   deltas: d = Pad_edge(Conv_t(F, [-4 .. 4] / 60), [4, 4])  (deltas.ts: width 9, mode 'interp'); dd = d(d);
 *           channels [F, d, dd] stacked on axis 1
 *
 * Why Conv and not opset-17 STFT/MelWeightMatrix: ORT's WebGPU execution providers have no STFT or
 * DFT kernel (microsoft/onnxruntime#20997, open; #29454 adds only DFT, and only to later releases),
 * so an STFT graph would fall back to the CPU inside a "webgpu" session and benchmark the fallback.
 * Conv, Pad, Mul, MatMul, Log, Max and ReduceMax run natively on cpu, wasm and both WebGPU EPs.
 * The window of L taps is only the non-zero part of the n_fft frame: the zero-padding of the window
 * to n_fft costs nothing here (400 taps instead of 1024 for `default`), and the offset o moves
 * into the reflect pads and the DFT phase. The sine rows of k = 0 and n_fft/2 are identically zero
 * and left out: exactly n_fft filters.
 *
 * Channels: the input is the audio after channel selection (frontend.ts selectChannels): a mono
 * preset takes [N, S] (mix down first), a preset of n channels takes [N, n, S], 'keep' takes
 * [N, opts.channels, S].
 */
import { EXIT, UserError } from '../errors.ts';
import { ModelBuilder, type Value } from '../graph/builder.ts';
import type { Graph } from '../graph/ir.ts';
import { DEFAULT_AMIN } from './db.ts';
import { DELTA_WIDTH } from './deltas.ts';
import { selectChannels } from './frontend.ts';
import { melMatrix } from './mel.ts';
import { dctMatrix } from './mfcc.ts';
import { featureRows, framesForSamples, samplesFor, validatePreset, type Preset } from './presets.ts';
import { periodicHann } from './stft.ts';
import type { Audio } from './types.ts';

export interface FrontendGraphOptions {
  /** Samples per clip: a number fixes every dim; 'any' makes it the symbol 'S'. Default: the preset's clip. */
  samples?: number | 'any';
  /** Input channels for a preset with channels 'keep'. */
  channels?: number;
}

export const FRONTEND_INPUT = 'audio';
export const FRONTEND_OUTPUT = 'mel';

function int64(b: ModelBuilder, name: string, values: number[]): Value {
  return b.constant(name, 'int64', [values.length], BigInt64Array.from(values.map(BigInt)));
}

function scalar(b: ModelBuilder, name: string, v: number): Value {
  return b.constant(name, 'float32', [], new Float32Array([v]));
}

function inputChannels(preset: Preset, opts: FrontendGraphOptions): number {
  if (preset.channels === 'mono') return 1;
  if (typeof preset.channels === 'number') return preset.channels;
  const c = opts.channels;
  if (c === undefined || !Number.isInteger(c) || c < 1) {
    throw new UserError(`preset '${preset.name}' keeps the file's channels: give the ONNX frontend a channel count (channels: n >= 1)`, EXIT.usage);
  }
  return c;
}

/** The windowed one-sided DFT filters [C * n_fft, 1, L], repeated per channel for the grouped Conv. */
function dftFilters(preset: Preset, channels: number): Float32Array {
  const { nFft, winLength: l } = preset;
  const w = periodicHann(l);
  const o = Math.floor((nFft - l) / 2);
  const half = nFft / 2;
  const one = new Float32Array(nFft * l);
  for (let k = 0; k <= half; k++) {
    for (let j = 0; j < l; j++) {
      // NOTE: (k * (o + j)) mod n_fft keeps the angle in [0, 2 pi), so cos/sin stay exact to float64 for large k*n.
      const phase = (2 * Math.PI * ((k * (o + j)) % nFft)) / nFft;
      one[k * l + j] = w[j] * Math.cos(phase);
      if (k > 0 && k < half) one[(half + k) * l + j] = -w[j] * Math.sin(phase);
    }
  }
  const all = new Float32Array(channels * one.length);
  for (let c = 0; c < channels; c++) all.set(one, c * one.length);
  return all;
}

/** H' [M, n_fft]: the filterbank transposed, its interior bins repeated for the sine rows. */
function melRows(preset: Preset): Float32Array {
  const { nFft, nMels } = preset;
  const h = melMatrix(preset);
  const half = nFft / 2;
  const out = new Float32Array(nMels * nFft);
  for (let m = 0; m < nMels; m++) {
    for (let k = 0; k <= half; k++) out[m * nFft + k] = h[k * nMels + m];
    for (let k = 1; k < half; k++) out[m * nFft + half + k] = h[k * nMels + m];
  }
  return out;
}

/** librosa-style delta along the last axis of [N, C, R, T]: valid width-9 Conv, then edge padding. */
function delta(b: ModelBuilder, x: Value, channels: number, name: string): Value {
  const h = (DELTA_WIDTH - 1) / 2;
  let denom = 0;
  for (let n = 1; n <= h; n++) denom += 2 * n * n;
  const taps = new Float32Array(channels * DELTA_WIDTH);
  for (let c = 0; c < channels; c++) for (let j = 0; j < DELTA_WIDTH; j++) taps[c * DELTA_WIDTH + j] = (j - h) / denom;
  const w = b.constant(`${name}.weight`, 'float32', [channels, 1, 1, DELTA_WIDTH], taps);
  const [valid] = b.op('Conv', [x, w], { kernel_shape: [1, DELTA_WIDTH], strides: [1, 1], pads: [0, 0, 0, 0], group: channels }, { name });
  // NOTE: edge padding repeats d[h] and d[T-1-h]: exactly deltas.ts's 'interp' edges for T >= width.
  const pads = int64(b, `${name}.pads`, [0, 0, 0, h, 0, 0, 0, h]);
  return b.op('Pad', [valid, pads], { mode: 'edge' }, { name: `${name}.edges` })[0];
}

/**
 * The frontend graph for `preset`.
 *
 * @example
 *   const g = buildFrontendGraph(getPreset('default'));   // audio [N, 32000] -> mel [N, 1, 64, 126]
 *   const bytes = toOnnx(g);
 */
export function buildFrontendGraph(preset: Preset, opts: FrontendGraphOptions = {}): Graph {
  validatePreset(preset);
  const { nFft, winLength: l, hopLength: hop, nMels } = preset;
  const channels = inputChannels(preset, opts);
  const samples = opts.samples ?? samplesFor(preset, preset.clipSeconds);
  const o = Math.floor((nFft - l) / 2);
  const padLeft = nFft / 2 - o;
  const padRight = o + l - nFft / 2;
  if (samples !== 'any') {
    if (!Number.isInteger(samples) || samples < 1) throw new UserError(`ONNX frontend: samples must be a positive integer or 'any' (got ${samples})`, EXIT.usage);
    if (samples <= Math.max(padLeft, padRight)) {
      throw new UserError(
        `ONNX frontend for '${preset.name}': reflect padding needs clips longer than ${Math.max(padLeft, padRight)} samples (got ${samples}); ` +
          'computeFeatures handles shorter clips',
        EXIT.usage,
      );
    }
    if (preset.deltas > 0 && framesForSamples(samples, hop) < DELTA_WIDTH) {
      throw new UserError(
        `ONNX frontend for '${preset.name}': deltas need at least ${DELTA_WIDTH} frames, i.e. ${(DELTA_WIDTH - 1) * hop} samples (got ${samples})`,
        EXIT.usage,
      );
    }
  }
  const sDim = samples === 'any' ? 'S' : samples;

  const b = new ModelBuilder(`frontend-${preset.name}`);
  Object.assign(b.metadata, {
    'melbench.frontend.preset': preset.name,
    'melbench.frontend.params': JSON.stringify({ ...preset }),
    'melbench.frontend.formulation': 'reflect Pad + Conv1d DFT + MatMul mel + Log dB',
  });
  let x: Value;
  if (preset.channels === 'mono') {
    const audio = b.input(FRONTEND_INPUT, ['N', sDim]);
    x = b.op('Unsqueeze', [audio, int64(b, 'channel_axis.axes', [1])], {}, { name: 'channel_axis' })[0];
  } else {
    x = b.input(FRONTEND_INPUT, ['N', channels, sDim]);
  }

  const pads = int64(b, 'center.pads', [0, 0, padLeft, 0, 0, padRight]);
  const padded = b.op('Pad', [x, pads], { mode: 'reflect' }, { name: 'center' })[0];
  const filters = b.constant('dft.weight', 'float32', [channels * nFft, 1, l], dftFilters(preset, channels));
  const [spectrum] = b.op(
    'Conv',
    [padded, filters],
    { kernel_shape: [l], strides: [hop], pads: [0, 0], dilations: [1], group: channels },
    { name: 'dft' },
  );
  const [squares] = b.op('Mul', [spectrum, spectrum], {}, { name: 'power' });
  // NOTE: Unsqueeze for one channel keeps T's symbolic name as the Conv wrote it; Reshape's -1 would rewrite it.
  const [power] =
    channels === 1
      ? b.op('Unsqueeze', [squares, int64(b, 'power.axes', [1])], {}, { name: 'power.split' })
      : b.op('Reshape', [squares, int64(b, 'power.shape', [0, channels, nFft, -1])], {}, { name: 'power.split' });
  const mel = b.constant('mel.weight', 'float32', [nMels, nFft], melRows(preset));
  const [melPower] = b.op('MatMul', [mel, power], {}, { name: 'mel.filterbank' });

  const [floored] = b.op('Max', [melPower, scalar(b, 'db.amin.value', DEFAULT_AMIN)], {}, { name: 'db.amin' });
  const [ln] = b.op('Log', [floored], {}, { name: 'db.log' });
  let features = b.op('Mul', [ln, scalar(b, 'db.scale.value', 10 / Math.LN10)], {}, { name: 'db' })[0];
  if (preset.topDb !== null) {
    const [peak] = b.op('ReduceMax', [features], { axes: [1, 2, 3], keepdims: 1 }, { name: 'top_db.max' });
    const [floor] = b.op('Sub', [peak, scalar(b, 'top_db.value', preset.topDb)], {}, { name: 'top_db.floor' });
    features = b.op('Max', [features, floor], {}, { name: 'top_db' })[0];
  }
  if (preset.kind === 'mfcc') {
    const rows = featureRows(preset);
    const dct = b.constant('mfcc.dct', 'float32', [rows, nMels], Float32Array.from(dctMatrix(rows, nMels)));
    features = b.op('MatMul', [dct, features], {}, { name: 'mfcc' })[0];
  }
  if (preset.deltas >= 1) {
    const stack = [features, delta(b, features, channels, 'delta')];
    if (preset.deltas >= 2) stack.push(delta(b, stack[1], channels, 'delta2'));
    features = b.op('Concat', stack, { axis: 1 }, { name: 'deltas' })[0];
  }
  const [out] = b.op('Identity', [features], {}, { name: FRONTEND_OUTPUT });
  b.output(out);
  return b.build();
}

/**
 * The graph's input for a batch of clips of equal length: channels selected as computeFeatures does
 * (mono mixdown, replication), stacked to [N, S] for a mono preset or [N, C, S] otherwise.
 */
export function frontendInput(clips: Audio[], preset: Preset): { data: Float32Array; dims: number[] } {
  if (!clips.length) throw new UserError('ONNX frontend input: no clips', EXIT.usage);
  const selected = clips.map((a, i) => selectChannels(a, preset, `clip ${i}`));
  const c = selected[0].length;
  const n = selected[0][0].length;
  const data = new Float32Array(clips.length * c * n);
  selected.forEach((chans, i) => {
    if (chans.length !== c || chans.some((x) => x.length !== n)) {
      throw new UserError(`ONNX frontend input: clip ${i} is not ${c} channel(s) of ${n} samples like clip 0; a batch needs equal clips`, EXIT.badInput);
    }
    chans.forEach((x, k) => data.set(x, (i * c + k) * n));
  });
  return { data, dims: preset.channels === 'mono' ? [clips.length, n] : [clips.length, c, n] };
}
