/**
 * Feeds for every input of a model, from its own signature (src/export/signature.ts) and the
 * user's flags, deterministic for a seed:
 *
 * - shapes: a fixed dim stays; a named free dim takes `--dim name=value`; `--shape input=1x512`
 *   sets a whole input; the batch dim takes each `--batch` size. The batch dim is the free first
 *   dim of the first input of rank >= 2, unnamed or named like a batch (BATCH_LIKE), and every dim
 *   of that name (so `state [2, batch, 128]` follows it; an unnamed first dim of any rank >= 2
 *   input is batch as well). Any other free dim is an error naming the input, the dim and the
 *   flag that sets it.
 * - values: `--input name=file.npy | name=<number> | name=audio.wav` feeds that input; a log-mel
 *   input ([N, C, M, T] matching the preset's features) gets the features of the built-in signal
 *   (or the bare `--input features.npy`), N distinct clips rolled along time as for the zoo;
 *   state-like inputs (name matches STATE_LIKE, or equals an output's name) get zeros; other float
 *   inputs get seeded uniform noise in [-1, 1); integer inputs must be given (exit 2 naming the
 *   flag), unless the model's metadata holds a number under the input's name.
 *
 * A row's `input_sha256` covers all inputs: for one input the sha256 of its bytes (as melbench
 * always recorded), for several sha256 over, in input order, name, dtype and dims, then the bytes.
 */
import { createHash } from 'node:crypto';
import { EXIT, UserError } from '../errors.ts';
import { fromHalfArray, toHalfArray } from '../export/passes/fp16-bits.ts';
import { type SigDim, type Signature, type SigValue, sigShapeText } from '../export/signature.ts';
import type { Audio, FeatureTensor } from '../features/types.ts';
import { type DType, isHostDType, isIntegerDType } from '../graph/dtype.ts';
import { Rng } from '../rng.ts';
import { feedsSha256 } from '../runners/feed-sha256.ts';
import { makeTensor } from '../runners/tensors.ts';
import type { Feeds, HostTensor } from '../runners/runner.ts';
import { makeBatch, MAX_BATCH_VALUES } from './inputs.ts';
import type { TensorCodec } from './io-codec.ts';
import { encode } from './io-codec.ts';

/** An array from the user: a host tensor, or a bool array (from an .npy), which no runner carries. */
export type UserTensor = HostTensor | { type: 'bool'; data: Uint8Array; dims: number[] };

/** What `--input name=...` gave for one input, loaded (src/sweep/feed-values.ts). */
export type UserValue =
  | { kind: 'tensor'; tensor: UserTensor; source: string }
  | { kind: 'scalar'; value: number; source: string }
  | { kind: 'audio'; audio: Audio; source: string };

export interface FeedOptions {
  /** `--dim name=value`. */
  dims?: Readonly<Record<string, number>>;
  /** `--shape input=AxB`. */
  shapes?: Readonly<Record<string, number[]>>;
  /** `--input name=...`. */
  values?: Readonly<Record<string, UserValue>>;
  /** The bare `--input features.npy`: [C, M, T] for the log-mel input. */
  features?: FeatureTensor;
  seed: number;
  /** Several models in one run: flags naming an input or dim this model lacks are for another (checked by `unusedFeedFlags`). */
  lenient?: boolean;
}

/** Inputs fed zeros by default: recurrent state and caches. */
export const STATE_LIKE = /state|^h0$|^c0$|hidden|cache/i;

/** True when an input is fed zeros by default: its name is state-like (STATE_LIKE) or an output's (state in -> state out). */
export function isStateLike(sig: Signature, name: string): boolean {
  return STATE_LIKE.test(name) || sig.outputs.some((v) => v.name === name);
}

/** A dim of a planned shape: a size, or the batch. */
type PlanDim = number | 'batch';

export type FeedSource = 'features' | 'user' | 'zeros' | 'random' | 'metadata';

export interface InputPlan {
  name: string;
  dtype: DType;
  dims: PlanDim[];
  source: FeedSource;
  /** For 'features': the clip [C, M, T] and, for an int8/uint8/float16 input, its encoding. */
  features?: FeatureTensor;
  codec?: TensorCodec;
  /** For 'user' and 'metadata': the batch-1 tensor (tiled along axis 0 when it is the batch). */
  tensor?: HostTensor;
}

export interface FeedPlan {
  inputs: InputPlan[];
  /** False when no input has a batch dim: only --batch 1 runs. */
  batched: boolean;
  /** Seeds the noise of 'random' inputs. */
  seed: number;
  /** Set when `--dim <name>=N` fixed the dim that would be the batch: the feeds' real batch, N (the row's `batch`). */
  fixedBatch?: { dim: string; size: number };
}

export interface BatchFeeds {
  feeds: Feeds;
  sha256: string;
  /** One input: '1x1x64x126'; several: 'input=[1,512] state=[2,1,128] sr=[]'. */
  shape: string;
}

const isFloat = (d: DType) => d === 'float32' || d === 'float16';
const dimName = (d: SigDim, i: number) => (typeof d === 'string' ? `'${d}'` : `${i} (unnamed)`);

function fail(message: string, code: (typeof EXIT)[keyof typeof EXIT] = EXIT.usage): never {
  throw new UserError(message, code);
}

/** Names exporters give a batch dim: 'batch', 'batch_size', 'N', 'B', 'bs'. */
export const BATCH_LIKE = /batch|^[nb]$|^bs$/i;

/**
 * The batch dim's name (null: unnamed), or undefined when no input has one: the first dim of the
 * first input of rank >= 2 when it is unnamed or named like a batch (a sequence-first 'seq' is not).
 */
function batchDimOf(sig: Signature, o: FeedOptions): { name: string | null } | undefined {
  for (const v of sig.inputs) {
    if (!v.dims || v.dims.length < 2 || o.shapes?.[v.name]) continue;
    const d = v.dims[0];
    if (typeof d === 'number' || (typeof d === 'string' && (o.dims?.[d] !== undefined || !BATCH_LIKE.test(d)))) continue;
    return { name: d };
  }
  return undefined;
}

/** The batch-like dim that `--dim` fixed (so batchDimOf found none), with its size; undefined when --dim fixed none. */
function fixedBatchDim(sig: Signature, o: FeedOptions): { dim: string; size: number } | undefined {
  for (const v of sig.inputs) {
    if (!v.dims || v.dims.length < 2 || o.shapes?.[v.name]) continue;
    const d = v.dims[0];
    if (typeof d === 'string' && BATCH_LIKE.test(d) && o.dims?.[d] !== undefined) return { dim: d, size: o.dims[d] };
    return undefined;
  }
  return undefined;
}

/** True when `v` is the log-mel input: rank 4, float, dims 1..3 free or equal to the clip's [C, M, T]. */
function takesFeatures(v: SigValue, f: FeatureTensor, codec: TensorCodec | undefined): boolean {
  if (!v.dims || v.dims.length !== 4 || !v.dtype || !(v.dtype === 'float32' || codec)) return false;
  return v.dims.slice(1).every((d, i) => typeof d !== 'number' || d === f.dims[i]);
}

/** The size of dim `i` of input `v`: fixed, from --dim, or the batch; else an error naming the flag. */
function dimOf(v: SigValue & { dims: SigDim[] }, i: number, o: FeedOptions, batch: { name: string | null } | undefined, source: string, free?: number): PlanDim {
  const d = v.dims[i];
  if (typeof d === 'number') return d;
  if (typeof d === 'string' && o.dims?.[d] !== undefined) return o.dims[d];
  if (batch && ((d !== null && d === batch.name) || (d === null && i === 0 && v.dims.length >= 2))) return 'batch';
  if (free !== undefined) return free;
  const flag = typeof d === 'string' ? `--dim ${d}=<n>` : `--shape ${v.name}=${v.dims.map((x) => (typeof x === 'number' ? x : '<n>')).join('x')}`;
  return fail(`${source}: input '${v.name}' ${sigShapeText(v.dims)} has a free dim ${dimName(d, i)} at index ${i}; set it with ${flag}`);
}

/** `free`: the size a dim no flag sets takes (FREE, for a user value that brings its own shape); else such a dim is an error. */
function shapeOf(v: SigValue, o: FeedOptions, batch: { name: string | null } | undefined, source: string, free?: number): PlanDim[] {
  const given = o.shapes?.[v.name];
  const dims = v.dims;
  if (!dims) {
    if (given) return given;
    if (free !== undefined) return [];
    return fail(`${source}: input '${v.name}' has no shape in the model; set it with --shape ${v.name}=<d0>x<d1>...`);
  }
  if (given) {
    if (given.length !== dims.length) fail(`${source}: --shape ${v.name}=${given.join('x')} has rank ${given.length} but input '${v.name}' is ${sigShapeText(dims)}`);
    const bad = dims.findIndex((d, i) => typeof d === 'number' && d !== given[i]);
    if (bad >= 0) fail(`${source}: --shape ${v.name}=${given.join('x')} does not fit input '${v.name}' ${sigShapeText(dims)} at dim ${bad}`);
    return given;
  }
  return dims.map((_, i) => dimOf({ ...v, dims }, i, o, batch, source, free));
}

/** A free dim of an input fed a user value: it takes the value's size. */
const FREE = -1;

const concrete = (dims: PlanDim[], batch: number) => dims.map((d) => (d === 'batch' ? batch : d));
const count = (dims: number[]) => dims.reduce((a, d) => a * d, 1);

/** The user's value for input `v` as a batch-1 tensor of the input's dtype, checked against its planned shape. */
function userTensor(v: SigValue & { dtype: DType }, u: UserValue, dims: PlanDim[], source: string): HostTensor {
  const at1 = concrete(dims, 1);
  if (u.kind === 'scalar') {
    at1.forEach((d, i) => {
      if (d === FREE) at1[i] = 1;
    });
    if (count(at1) !== 1) fail(`${source}: --input ${v.name}=${u.value} is a scalar but input '${v.name}' is ${sigShapeText(v.dims)}; give a .npy file`);
    if (isIntegerDType(v.dtype) && !Number.isInteger(u.value)) fail(`${source}: --input ${v.name}=${u.value}: input '${v.name}' is ${v.dtype}; give an integer`);
    return makeTensor(v.dtype as HostTensor['type'], at1, () => u.value);
  }
  if (u.kind === 'audio' && !isFloat(v.dtype)) fail(`${source}: --input ${v.name}=${u.source} is audio but input '${v.name}' is ${v.dtype}`);
  const t = u.kind === 'audio' ? audioTensor(v, u, dims, source) : u.tensor;
  // NOTE: a float input takes any float array (numpy's default is float64), rounded to its type;
  // every other input only its own dtype, as onnxruntime itself would insist.
  if (t.type !== v.dtype && !(FLOATS.has(t.type) && FLOATS.has(v.dtype))) {
    // NOTE: the input is a host dtype here (planFeeds refused the rest), and each is also numpy's name for it.
    fail(`${source}: --input ${v.name}=${u.source} holds ${t.type} but input '${v.name}' is ${v.dtype}; save the array as ${v.dtype}, e.g. np.save(path, a.astype(np.${v.dtype}))`, EXIT.badInput);
  }
  // NOTE: along the batch dim a tensor holds 1 sample (repeated to each --batch) or exactly the batch.
  const fits = (!v.dims && !dims.length) || (t.dims.length === at1.length && t.dims.every((d, i) => d === at1[i] || at1[i] === FREE || (dims[i] === 'batch' && d >= 1)));
  if (!fits) fail(`${source}: --input ${v.name}=${u.source} has shape [${t.dims.join(', ')}] but input '${v.name}' needs [${at1.join(', ')}] (model: ${sigShapeText(v.dims)})`, EXIT.badInput);
  return t.type === v.dtype ? (t as HostTensor) : floatAs(t as HostTensor, v.dtype as FloatType);
}

type FloatType = 'float16' | 'float32' | 'float64';
const FLOATS: ReadonlySet<string> = new Set<FloatType>(['float16', 'float32', 'float64']);

/** A float tensor in another float type: float16 bits decoded exactly; to float16 through float32, rounded to nearest. */
function floatAs(t: HostTensor, to: FloatType): HostTensor {
  const values: ArrayLike<number> = t.type === 'float16' ? fromHalfArray(t.data as Uint16Array) : (t.data as Float32Array | Float64Array);
  const data = to === 'float16' ? toHalfArray(values) : to === 'float32' ? Float32Array.from(values) : Float64Array.from(values);
  return { type: to, data, dims: t.dims };
}

/**
 * Raw audio for a waveform input [S], [N, S] or [N, C, S]: its channels (mixed to mono for
 * C = 1), cut or zero-padded to a fixed S (a free S takes the file's length).
 */
function audioTensor(v: SigValue, u: Extract<UserValue, { kind: 'audio' }>, dims: PlanDim[], source: string): HostTensor {
  const rank = dims.length;
  if (rank < 1 || rank > 3) fail(`${source}: --input ${v.name}=${u.source} is audio but input '${v.name}' ${sigShapeText(v.dims)} is not [S], [N, S] or [N, C, S]`);
  const chans = u.audio.channels;
  const wantC = rank === 3 ? (dims[1] === FREE ? chans.length : dims[1]) : 1;
  if (typeof wantC !== 'number') fail(`${source}: input '${v.name}' has a batch-sized channel dim`);
  const rows = wantC === chans.length ? chans : wantC === 1 ? [mono(chans)] : fail(`${source}: input '${v.name}' takes ${wantC} channels but ${u.source} has ${chans.length}`);
  const last = v.dims?.[rank - 1];
  const s = typeof last === 'number' ? last : rows[0].length;
  const out = new Float32Array(rows.length * s);
  rows.forEach((x, c) => out.set(x.subarray(0, s), c * s));
  const shape = rank === 1 ? [s] : rank === 2 ? [1, s] : [1, rows.length, s];
  return { type: 'float32', data: out, dims: shape };
}

function mono(chans: Float32Array[]): Float32Array {
  if (chans.length === 1) return chans[0];
  const out = new Float32Array(chans[0].length);
  for (const c of chans) for (let i = 0; i < out.length; i++) out[i] += c[i] / chans.length;
  return out;
}

/** A model's inputs for a message: 'inputs: input float32[1, 512], state float32[2, 1, 128], sr int64[]'. */
export function inputsText(sig: Signature): string {
  return `inputs: ${sig.inputs.map((v) => `${v.name} ${v.onnxType}${sigShapeText(v.dims)}`).join(', ')}`;
}

/**
 * Plans every input of a model. `features` is the log-mel clip an [N, C, M, T] input gets;
 * `featureCodec` the encoding of the first input for a full-int or fp16-I/O model.
 */
export function planFeeds(sig: Signature, o: FeedOptions, features: FeatureTensor, source: string, featureCodec?: TensorCodec): FeedPlan {
  const listed = inputsText(sig);
  const unused = unusedFeedFlags(sig, o);
  if (unused && !o.lenient) fail(`${source}: ${unused} (${listed})`);
  const outputs = new Set(sig.outputs.map((v) => v.name));
  const batch = batchDimOf(sig, o);
  let fedFeatures = false;
  const inputs = sig.inputs.map((v, k): InputPlan => {
    // NOTE: the runners' host tensors carry the types of src/graph/dtype.ts HostDType: not bool, string, bfloat16 or float8.
    if (!v.dtype || !isHostDType(v.dtype)) fail(`${source}: input '${v.name}' is ${v.onnxType}, which melbench cannot feed: its runners carry no ${v.onnxType} tensors`, EXIT.badModel);
    const typed = v as SigValue & { dtype: DType };
    const codec = k === 0 ? featureCodec : undefined;
    const user = o.values?.[v.name];
    if (!user && !fedFeatures && takesFeatures(v, features, codec) && !o.shapes?.[v.name]) {
      fedFeatures = true;
      const n = dimOf({ ...v, dims: v.dims! }, 0, o, batch, source);
      return { name: v.name, dtype: typed.dtype, dims: [n, ...features.dims], source: 'features', features, ...(codec ? { codec } : {}) };
    }
    if (user) {
      const free = shapeOf(v, o, batch, source, FREE);
      const tensor = userTensor(typed, user, free, source);
      // NOTE: the value's own sizes fill the free dims; the batch dim stays the batch.
      const dims = free.length ? free.map((d, i) => (d === FREE ? tensor.dims[i] : d)) : tensor.dims;
      return { name: v.name, dtype: typed.dtype, dims, source: 'user', tensor };
    }
    const dims = shapeOf(v, o, batch, source);
    if (STATE_LIKE.test(v.name) || outputs.has(v.name)) return { name: v.name, dtype: typed.dtype, dims, source: 'zeros' };
    if (isFloat(typed.dtype)) return { name: v.name, dtype: typed.dtype, dims, source: 'random' };
    const meta = Number(sig.metadata[v.name]);
    if (v.name in sig.metadata && Number.isInteger(meta) && count(concrete(dims, 1)) === 1) {
      return { name: v.name, dtype: typed.dtype, dims, source: 'metadata', tensor: makeTensor(typed.dtype as HostTensor['type'], concrete(dims, 1), () => meta) };
    }
    const example = count(concrete(dims, 1)) === 1 ? `--input ${v.name}=<${v.dtype} value>, e.g. --input ${v.name}=16000` : `--input ${v.name}=<file.npy>`;
    return fail(`${source}: input '${v.name}' is ${v.dtype} ${sigShapeText(v.dims)}; melbench does not invent integer data: give it with ${example}`);
  });
  if (o.features && !fedFeatures) {
    fail(`${source}: no input takes the --input features [${o.features.dims.join(', ')}] as [N, ${o.features.dims.join(', ')}] (${listed}); choose a matching --preset or feed an input by name: --input <name>=file.npy`, EXIT.badModel);
  }
  const fixed = fixedBatchDim(sig, o);
  return { inputs, batched: inputs.some((p) => p.dims.includes('batch')), seed: o.seed, ...(fixed ? { fixedBatch: fixed } : {}) };
}

/** The first flag that names no input or dim of `sig`, as a message; undefined when all apply. */
export function unusedFeedFlags(sig: Signature, o: Pick<FeedOptions, 'dims' | 'shapes' | 'values'>): string | undefined {
  const names = new Set(sig.inputs.map((v) => v.name));
  for (const [flag, rec] of [['--shape', o.shapes], ['--input', o.values]] as const) {
    const unknown = Object.keys(rec ?? {}).find((n) => !names.has(n));
    if (unknown !== undefined) return `${flag} ${unknown}=...: no input is named '${unknown}'`;
  }
  const symbols = new Set(sig.inputs.flatMap((v) => (v.dims ?? []).filter((d): d is string => typeof d === 'string')));
  const unknownDim = Object.keys(o.dims ?? {}).find((n) => !symbols.has(n));
  return unknownDim === undefined ? undefined : `--dim ${unknownDim}=...: no input has a dim named '${unknownDim}'`;
}

/** A user tensor at batch n: as given when it holds n samples, else its one sample repeated n times along axis 0. */
function tile(t: HostTensor, n: number, name: string): HostTensor {
  if (t.dims[0] === n) return t;
  if (t.dims[0] !== 1) fail(`--input ${name} holds ${t.dims[0]} samples along its batch dim; it runs only at --batch ${t.dims[0]} (or give 1 sample)`);
  const data = new (t.data.constructor as new (n: number) => HostTensor['data'])(t.data.length * n);
  for (let k = 0; k < n; k++) (data as Float32Array).set(t.data as Float32Array, k * t.data.length);
  return { type: t.type, data, dims: [n, ...t.dims.slice(1)] };
}

function tensorFor(p: InputPlan, batch: number, seed: number, index: number): HostTensor {
  const dims = concrete(p.dims, batch);
  if (count(dims) > MAX_BATCH_VALUES) fail(`input '${p.name}' at batch ${batch} is [${dims.join(', ')}], ${count(dims)} values, over the limit of ${MAX_BATCH_VALUES}; use a smaller --batch or shape`);
  switch (p.source) {
    case 'features':
      return encode(makeBatch(p.features!, batch), p.codec);
    case 'user':
    case 'metadata':
      return p.dims[0] === 'batch' ? tile(p.tensor!, batch, p.name) : p.tensor!;
    case 'zeros':
      return makeTensor(p.dtype as HostTensor['type'], dims);
    case 'random': {
      // NOTE: one stream per (seed, input index): an input's data does not change when another input's shape does.
      const rng = new Rng((seed * 1000003 + index) >>> 0);
      const t = makeTensor('float32', dims, () => rng.uniform(-1, 1));
      return p.dtype === 'float16' ? { type: 'float16', data: toHalfArray(t.data as Float32Array), dims } : t;
    }
  }
}

/** '1x1x64x126' for one input; 'input=[1,512] state=[2,1,128] sr=[]' for several. */
export function feedsShapeText(feeds: Feeds, order: readonly string[]): string {
  if (order.length === 1) return feeds[order[0]].dims.join('x');
  return order.map((n) => `${n}=[${feeds[n].dims.join(',')}]`).join(' ');
}

/** The feeds of one batch size. */
export function makeFeeds(plan: FeedPlan, batch: number, source: string): BatchFeeds {
  if (!plan.batched && batch !== 1) fail(`${source}: no input has a batch dim (${plan.inputs.map((p) => `${p.name} [${p.dims.join(', ')}]`).join(', ')}); use --batch 1`);
  const feeds: Feeds = {};
  plan.inputs.forEach((p, i) => {
    feeds[p.name] = tensorFor(p, batch, plan.seed, i);
  });
  const order = plan.inputs.map((p) => p.name);
  return { feeds, sha256: feedsSha256(feeds, order), shape: feedsShapeText(feeds, order) };
}

/** One line per input: what it is fed, e.g. "sr int64 [] <- --input sr=16000". */
export function describePlan(plan: FeedPlan): string[] {
  const what: Record<FeedSource, string> = { features: 'log-mel features', user: '--input', zeros: 'zeros (state-like)', random: 'seeded uniform noise in [-1, 1)', metadata: 'the number in the model metadata' };
  return plan.inputs.map((p) => `input '${p.name}' ${p.dtype} [${p.dims.join(', ')}] <- ${what[p.source]}`);
}
