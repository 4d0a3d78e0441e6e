/**
 * Calibration for static quantization: run the fp32 model on the cpu runtime over clips of the
 * TRAINING split with every float activation exposed as an extra graph output (in a calibration
 * copy, expose-activations.ts; values inside If/Loop/Scan bodies included), collect per-tensor
 * statistics, and turn them into ranges [min, max] that the pure quantize pass maps to scales and
 * zero points (src/export/passes/quant-params.ts).
 *
 * Statistics, in two passes over the clips (activations of a ResNet are ~3M floats per clip, too
 * many to keep):
 *   pass 1  exact min and max of every tensor
 *   pass 2  a `bins`-bin histogram of x over [min, max], and one of |x| over [0, max |x|]
 *
 * Range methods, each per tensor (t is a threshold on |x|; a range is widened to contain 0 later):
 *   minmax      [min, max]
 *   percentile  [Q(1 - p), Q(p)] of the signed histogram, both tails, p = 99.99% by default, linear
 *               inside a bin. (Not ORT's |x| percentile: a ReLU's output has one tail only.)
 *   entropy     TensorRT's / ORT's KL calibrator on the |x| histogram: for i = L .. bins, the
 *               reference P is the first i bins with the outliers folded into bin i - 1, Q is P
 *               merged into L levels and spread back uniformly over P's non-empty bins; pick the i
 *               minimising KL(P || Q) = sum P log(P / Q); t = i * bin width; L = 128 (8-bit
 *               magnitudes). The range is [max(min, -t), min(max, t)]. Bin 0 is first set to
 *               bin 1's count, as TensorRT's calibrator does, so a ReLU's zeros do not decide t.
 *   mse         the same candidate thresholds t, scored by the expected squared quantization
 *               error over the signed histogram: bins inside the range cost s^2 / 12 (uniform
 *               rounding noise), bins outside cost (x - clamp(x))^2, with s = width / (levels - 1),
 *               levels = 256.
 */
import { UserError } from '../errors.ts';
import { toOnnx } from '../export/onnx.ts';
import type { Range } from '../export/passes/quant-params.ts';
import type { SplitFeatures } from '../features/datasets/index.ts';
import type { Graph } from '../graph/ir.ts';
import { type Feeds, getRunner } from '../runners/runner.ts';
import { type ExposedValue, exposeActivations } from './expose-activations.ts';

export type CalibrationMethod = 'minmax' | 'percentile' | 'entropy' | 'mse';
export const CALIBRATION_METHODS: readonly CalibrationMethod[] = ['minmax', 'percentile', 'entropy', 'mse'];

export interface TensorStats {
  min: number;
  max: number;
  count: number;
  /** Counts of x over [min, max], equal-width bins. */
  hist: Float64Array;
  /** Counts of |x| over [0, max(|min|, |max|)]. */
  absHist: Float64Array;
}

/** Statistics of every float activation, by value name (the graph input included). */
export type ActivationStats = Map<string, TensorStats>;

export interface CollectOptions {
  /** Clips per session run (default 16). */
  batch?: number;
  /** Histogram bins (default 2048, as ORT's and TensorRT's calibrators). */
  bins?: number;
  /** The input the clips feed (default: the graph's first input). */
  input?: string;
  /**
   * Every input's feed for a run of m clips, for a model with several inputs: the clips' input
   * and the others' fixed values (default: the clips alone, as [m, ...dims]). Only the clips'
   * input and the activations are calibrated; the other inputs are fed, not measured.
   */
  feeds?: (clips: Float32Array, m: number) => Feeds;
}

export interface RangeOptions {
  /** Percentile of the `percentile` method, in percent (default 99.99). */
  percentile?: number;
  /** Quantized magnitude levels of the `entropy` method (default 128). */
  entropyLevels?: number;
  /** Quantization levels of the `mse` method (default 256). */
  mseLevels?: number;
}

/** `n` clips of the training split, evenly spaced over it (the split is already shuffled by class). */
export function trainingClips(train: SplitFeatures, n: number): { clips: Float32Array; dims: number[] } {
  const total = train.y.length;
  if (total === 0 || n <= 0) throw new UserError(`calibration needs at least one training clip (asked for ${n}, the training split has ${total})`);
  const per = train.dims.reduce((a, b) => a * b, 1);
  const take = Math.min(n, total);
  const clips = new Float32Array(take * per);
  for (let k = 0; k < take; k++) {
    const i = Math.floor((k * total) / take);
    clips.set(train.x.subarray(i * per, (i + 1) * per), k * per);
  }
  return { clips, dims: train.dims.slice() };
}

async function forEachBatch(
  graph: Graph,
  exposed: readonly ExposedValue[],
  clips: Float32Array,
  dims: number[],
  opts: CollectOptions & { batch: number },
  visit: (name: string, data: Float32Array) => void,
): Promise<void> {
  const per = dims.reduce((a, b) => a * b, 1);
  const n = clips.length / per;
  const input = opts.input ?? graph.inputs[0].name;
  const session = await getRunner('cpu').open(toOnnx(graph));
  try {
    for (let start = 0; start < n; start += opts.batch) {
      const m = Math.min(opts.batch, n - start);
      const x = clips.subarray(start * per, (start + m) * per);
      visit(input, x);
      const out = await session.run(opts.feeds ? opts.feeds(x, m) : { [input]: { type: 'float32', data: x, dims: [m, ...dims] } });
      for (const { output, value } of exposed) {
        // NOTE: an empty tensor is a subgraph that did not run (the If branch not taken, a Loop of 0 trips).
        const data = out[output].data as Float32Array;
        if (data.length > 0) visit(value, data);
      }
    }
  } finally {
    await session.close();
  }
}

/**
 * Runs the fp32 graph over `clips` (concatenated examples of shape `dims`) and returns each float
 * activation's min, max and histograms. Throws UserError on an empty calibration set.
 */
export async function collectActivations(graph: Graph, clips: Float32Array, dims: number[], opts: CollectOptions = {}): Promise<ActivationStats> {
  const per = dims.reduce((a, b) => a * b, 1);
  if (clips.length === 0 || per === 0) throw new UserError('the calibration set is empty: give at least one clip from the training split (e.g. --calibration-clips 128)');
  if (clips.length % per !== 0) throw new UserError(`calibration clips hold ${clips.length} values, not a multiple of one example [${dims}] (${per})`);
  if (graph.inputs.length !== 1 && !opts.feeds) throw new UserError(`calibration needs a model with one input, '${graph.name}' has ${graph.inputs.length}`);
  const batch = opts.batch ?? 16;
  const bins = opts.bins ?? 2048;
  const { graph: copy, exposed } = exposeActivations(graph);

  const stats: ActivationStats = new Map();
  await forEachBatch(copy, exposed, clips, dims, { ...opts, batch }, (name, x) => {
    let s = stats.get(name);
    if (!s) stats.set(name, (s = { min: Infinity, max: -Infinity, count: 0, hist: new Float64Array(bins), absHist: new Float64Array(bins) }));
    let lo = s.min;
    let hi = s.max;
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    s.min = lo;
    s.max = hi;
    s.count += x.length;
  });
  for (const [name, s] of stats) {
    if (!Number.isFinite(s.min) || !Number.isFinite(s.max)) throw new UserError(`activation '${name}' is not finite on the calibration clips (NaN or Inf): the model is broken`);
  }
  await forEachBatch(copy, exposed, clips, dims, { ...opts, batch }, (name, x) => {
    const s = stats.get(name)!;
    const width = (s.max - s.min) / bins;
    const absMax = Math.max(-s.min, s.max);
    const absWidth = absMax / bins;
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      s.hist[width > 0 ? Math.min(bins - 1, Math.floor((v - s.min) / width)) : 0]++;
      s.absHist[absWidth > 0 ? Math.min(bins - 1, Math.floor(Math.abs(v) / absWidth)) : 0]++;
    }
  });
  return stats;
}

function percentileRange(s: TensorStats, p: number): Range {
  const bins = s.hist.length;
  const width = (s.max - s.min) / bins;
  const quantile = (q: number): number => {
    const target = q * s.count;
    let acc = 0;
    for (let i = 0; i < bins; i++) {
      if (acc + s.hist[i] >= target) return s.min + (i + (s.hist[i] > 0 ? (target - acc) / s.hist[i] : 0)) * width;
      acc += s.hist[i];
    }
    return s.max;
  };
  return { min: Math.max(s.min, quantile(1 - p / 100)), max: Math.min(s.max, quantile(p / 100)) };
}

/** KL(P || Q) of the entropy calibrator for the first i bins of h (see the header). */
function klForThreshold(h: Float64Array, i: number, levels: number): number {
  const p = Array.from(h.subarray(0, i));
  for (let k = i; k < h.length; k++) p[i - 1] += h[k];
  const q = new Float64Array(i);
  for (let j = 0; j < levels; j++) {
    const start = Math.floor((j * i) / levels);
    const end = j === levels - 1 ? i : Math.floor(((j + 1) * i) / levels);
    let sum = 0;
    let nonzero = 0;
    for (let k = start; k < end; k++) {
      sum += h[k];
      if (p[k] > 0) nonzero++;
    }
    // NOTE: the merged level is built from the unclipped counts, as TensorRT does; only P gets the outliers.
    for (let k = start; k < end; k++) if (p[k] > 0) q[k] = sum / nonzero;
  }
  const pSum = p.reduce((a, b) => a + b, 0);
  const qSum = q.reduce((a, b) => a + b, 0);
  let kl = 0;
  for (let k = 0; k < i; k++) {
    if (p[k] === 0) continue;
    const pk = p[k] / pSum;
    // An empty Q where P is not: smoothed as ORT's smooth_distribution does, with a small epsilon.
    const qk = q[k] > 0 ? q[k] / qSum : 1e-4 / qSum;
    kl += pk * Math.log(pk / qk);
  }
  return kl;
}

function clampToStats(s: TensorStats, t: number): Range {
  return { min: Math.max(s.min, -t), max: Math.min(s.max, t) };
}

function entropyRange(s: TensorStats, levels: number): Range {
  const bins = s.absHist.length;
  const absMax = Math.max(-s.min, s.max);
  if (absMax === 0 || bins <= levels) return { min: s.min, max: s.max };
  // NOTE: a ReLU's output is half exact zeros; that spike in bin 0 would dominate the KL and pull
  // the threshold down to a fraction of the range (0.49 instead of 3.95 on the ResNet's stem, F1
  // 0.12). TensorRT's calibrator (pytorch-quantization) flattens it the same way: h[0] = h[1].
  const h = Float64Array.from(s.absHist);
  h[0] = h[1];
  let best = bins;
  let bestKl = Infinity;
  for (let i = levels; i <= bins; i++) {
    const kl = klForThreshold(h, i, levels);
    if (kl < bestKl) {
      bestKl = kl;
      best = i;
    }
  }
  return clampToStats(s, (best * absMax) / bins);
}

function mseRange(s: TensorStats, levels: number): Range {
  const bins = s.hist.length;
  const width = (s.max - s.min) / bins;
  const absMax = Math.max(-s.min, s.max);
  if (absMax === 0 || width === 0) return { min: s.min, max: s.max };
  const centres = Float64Array.from({ length: bins }, (_, k) => s.min + (k + 0.5) * width);
  let best: Range = { min: s.min, max: s.max };
  let bestErr = Infinity;
  for (let i = 1; i <= bins; i++) {
    const r = clampToStats(s, (i * absMax) / bins);
    const lo = Math.min(r.min, 0);
    const hi = Math.max(r.max, 0);
    const step = (hi - lo) / (levels - 1);
    const inRange = (step * step) / 12;
    let err = 0;
    for (let k = 0; k < bins; k++) {
      if (s.hist[k] === 0) continue;
      const c = centres[k];
      const d = c < lo ? lo - c : c > hi ? c - hi : 0;
      err += s.hist[k] * (d > 0 ? d * d : inRange);
    }
    if (err < bestErr) {
      bestErr = err;
      best = r;
    }
  }
  return best;
}

/** The range [min, max] of every tensor under a calibration method. */
export function calibrationRanges(stats: ActivationStats, method: CalibrationMethod, opts: RangeOptions = {}): Map<string, Range> {
  if (!CALIBRATION_METHODS.includes(method)) throw new UserError(`unknown calibration method '${method}': use one of ${CALIBRATION_METHODS.join(', ')}`);
  const p = opts.percentile ?? 99.99;
  if (!(p > 50 && p <= 100)) throw new UserError(`percentile must be in (50, 100], got ${p}`);
  const out = new Map<string, Range>();
  for (const [name, s] of stats) {
    if (method === 'minmax') out.set(name, { min: s.min, max: s.max });
    else if (method === 'percentile') out.set(name, percentileRange(s, p));
    else if (method === 'entropy') out.set(name, entropyRange(s, opts.entropyLevels ?? 128));
    else out.set(name, mseRange(s, opts.mseLevels ?? 256));
  }
  return out;
}
