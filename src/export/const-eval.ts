/**
 * Evaluates one node over constant inputs, exactly: the folds of lift-constants.ts (weights behind
 * Identity/Transpose/Reshape/Cast chains, int64 shape arithmetic) and the constants cost.ts
 * propagates to learn shapes and If conditions inside bodies (Shape of a value of known shape,
 * Gather, Equal, Not: the `if state is None` / rank checks PyTorch's scripted exports write).
 *
 *   Identity(c)            -> c
 *   Transpose(c, perm)     -> y[i_perm(0), ..., i_perm(r-1)] = c[i_0, ..., i_(r-1)]
 *   Reshape(c, s)          -> c with dims s (0 copies the input dim unless allowzero, -1 infers)
 *   Unsqueeze / Squeeze    -> c with unit dims inserted / removed (axes from the attribute
 *                             before opset 13, from the second input after)
 *   Cast(c, to)            -> c converted (float -> integer truncates toward zero, as ORT's cast)
 *   Shape(x), Size(x)      -> x's dims (Shape-15's start/end), their product; x need only be shaped
 *   Not(c), Equal(a, b)    -> elementwise (Equal: equal dims, or one side a single element)
 * and, for integer and bool tensors of up to MAX_CREATED elements only (shape arithmetic: a float
 * weight re-laid by Slice/Concat stays as it is, so a weight two LSTMs share through slices is
 * never copied into a second tensor, counted twice or stored twice):
 *   Concat(c0, c1.., axis) -> the inputs joined along `axis`
 *   Slice(c, starts, ends, axes, steps) -> the elements i = start + k*step, k >= 0, with i < end
 *                             (i > end for a negative step), starts/ends clamped as ONNX says
 *   Gather(c, idx, axis)   -> out[.., j, ..] = c[.., idx[j], ..]
 *   ConstantOfShape(s)     -> a tensor of dims s filled with its `value` (float32 0 by default)
 */
import type { DType, Node, Tensor, TensorData, ValueType } from '../graph/ir.ts';
import { DTYPES, dtypeOfOnnx, isIntegerDType, isNumericDType } from '../graph/dtype.ts';
import { traitsOf } from '../graph/ops/index.ts';
import { fromHalfArray, toHalfArray } from './passes/fp16-bits.ts';

/** Whether const-eval evaluates `n` (its op's `constantFold` trait, default domain, one output). */
export function foldable(n: Node): boolean {
  return n.domain === '' && n.outputs.length === 1 && traitsOf(n).constantFold === true;
}

/** Why a float tensor is not folded by Concat, Slice or Gather (only integer shape arithmetic is). */
const floatKept = (x: Tensor, op: string) => (isIntegerDType(x.dtype) ? undefined : `a ${x.dtype} ${op} stays a node (only integer shape arithmetic is folded)`);

/** The most elements a Concat, Slice, Gather or ConstantOfShape may create. */
export const MAX_CREATED = 4096;

const intsOf = (t: Tensor): number[] => Array.from(t.data as ArrayLike<number | bigint>, Number);
const attrInts = (n: Node, name: string): number[] | undefined => (n.attrs[name]?.kind === 'ints' ? (n.attrs[name].value as number[]) : undefined);
const attrInt = (n: Node, name: string): number | undefined => (n.attrs[name]?.kind === 'int' ? (n.attrs[name].value as number) : undefined);
const numel = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

function transpose(t: Tensor, perm: number[], name: string): Tensor {
  const r = t.dims.length;
  const dims = perm.map((p) => t.dims[p]);
  const inStrides = strides(t.dims);
  const src = t.data as TensorData & ArrayLike<unknown>;
  const out = like(src, src.length) as unknown as unknown[];
  const idx = new Array<number>(r).fill(0);
  for (let o = 0; o < out.length; o++) {
    let from = 0;
    for (let k = 0; k < r; k++) from += idx[k] * inStrides[perm[k]];
    out[o] = (src as unknown[])[from];
    for (let k = r - 1; k >= 0; k--) {
      if (++idx[k] < dims[k]) break;
      idx[k] = 0;
    }
  }
  return { name, dtype: t.dtype, dims, data: out as unknown as TensorData };
}

/** Reshape's target dims: 0 copies the input's dim (unless allowzero), one -1 takes the rest. */
function reshapeDims(from: readonly number[], spec: number[], allowZero: boolean): number[] | undefined {
  const dims = spec.map((d, i) => (d === 0 && !allowZero ? from[i] : d));
  const free = dims.filter((d) => d === -1).length;
  if (free > 1 || dims.some((d) => d === undefined || d < -1)) return undefined;
  const known = numel(dims.filter((d) => d !== -1));
  const total = numel(from);
  if (free) {
    if (known === 0 || total % known) return undefined;
    return dims.map((d) => (d === -1 ? total / known : d));
  }
  return known === total ? dims : undefined;
}

const CASTABLE = new Set<DType>(['float32', 'float64', 'float16', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'bool']);

function cast(t: Tensor, to: DType, name: string): Tensor | undefined {
  if (!CASTABLE.has(t.dtype) || !CASTABLE.has(to)) return undefined;
  const values: number[] = t.dtype === 'float16' ? Array.from(fromHalfArray(t.data as Uint16Array)) : Array.from(t.data as ArrayLike<number | bigint>, Number);
  const isFloat = to === 'float32' || to === 'float64' || to === 'float16';
  // NOTE: float -> integer truncates toward zero, as ORT's Cast does (static_cast).
  // NOTE: -> bool is v != 0.
  const ints = isFloat ? values : to === 'bool' ? values.map((v) => (v !== 0 ? 1 : 0)) : values.map((v) => Math.trunc(v));
  let data: TensorData;
  if (to === 'float16') data = toHalfArray(ints);
  else if (to === 'int64') data = BigInt64Array.from(ints.map((v) => BigInt(v)));
  else data = (DTYPES[to as Exclude<DType, 'string'>].array as unknown as { from(xs: number[]): TensorData }).from(ints);
  return { name, dtype: to, dims: t.dims, data };
}

/** A typed array like `src`'s, of length n. */
function like(src: TensorData, n: number): TensorData {
  return (Array.isArray(src) ? new Array(n) : new (src.constructor as new (n: number) => TensorData)(n)) as TensorData;
}

/** Row-major strides of dims. */
function strides(dims: readonly number[]): number[] {
  const out = new Array<number>(dims.length);
  for (let i = dims.length - 1, s = 1; i >= 0; i--) {
    out[i] = s;
    s *= dims[i];
  }
  return out;
}

/** Concat along `axis`: outer blocks of each input in turn (inputs of one dtype and equal other dims). */
function concat(ts: Tensor[], axis: number, name: string): Tensor | string {
  const r = ts[0].dims.length;
  const ax = axis < 0 ? axis + r : axis;
  if (ax < 0 || ax >= r) return `axis ${axis} does not fit rank-${r} inputs`;
  if (ts.some((t) => t.dtype !== ts[0].dtype || t.dims.length !== r || t.dims.some((d, i) => i !== ax && d !== ts[0].dims[i]))) return 'its inputs differ in type or in dims other than the axis';
  const dims = ts[0].dims.map((d, i) => (i === ax ? ts.reduce((a, t) => a + t.dims[ax], 0) : d));
  const outer = numel(dims.slice(0, ax));
  const data = like(ts[0].data, numel(dims)) as unknown as unknown[];
  let o = 0;
  for (let b = 0; b < outer; b++) {
    for (const t of ts) {
      const block = numel(t.dims.slice(ax));
      const src = t.data as unknown as ArrayLike<unknown>;
      for (let k = 0; k < block; k++) data[o++] = src[b * block + k];
    }
  }
  return { name, dtype: ts[0].dtype, dims, data: data as unknown as TensorData };
}

/** ONNX Slice (opset 10+ inputs, or the opset-1 attributes): per axis, the indices it keeps. */
function slice(x: Tensor, starts: number[], ends: number[], axes: number[] | undefined, steps: number[] | undefined, name: string): Tensor | string {
  const r = x.dims.length;
  const picks = x.dims.map((d) => Array.from({ length: d }, (_, i) => i));
  const ax = axes ?? starts.map((_, i) => i);
  for (let k = 0; k < ax.length; k++) {
    const a = ax[k] < 0 ? ax[k] + r : ax[k];
    const d = x.dims[a];
    const step = steps?.[k] ?? 1;
    if (a < 0 || a >= r || step === 0) return `axis ${ax[k]} or step ${step} does not fit its input`;
    const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
    // NOTE: ONNX clamps starts to [0, d] (step > 0) or [0, d-1] (step < 0), ends to [0, d] or [-1, d-1]; INT64_MAX/MIN read as ±Infinity here.
    let s = starts[k] < 0 ? starts[k] + d : starts[k];
    let e = ends[k] < 0 ? ends[k] + d : ends[k];
    s = step > 0 ? clamp(s, 0, d) : clamp(s, 0, d - 1);
    e = step > 0 ? clamp(e, 0, d) : clamp(e, -1, d - 1);
    const keep: number[] = [];
    for (let i = s; step > 0 ? i < e : i > e; i += step) keep.push(i);
    picks[a] = keep;
  }
  const dims = picks.map((p) => p.length);
  if (numel(dims) > MAX_CREATED) return `it would create ${numel(dims)} elements, over ${MAX_CREATED}: it stays a node`;
  const inStrides = strides(x.dims);
  const data = like(x.data, numel(dims)) as unknown as unknown[];
  const src = x.data as unknown as ArrayLike<unknown>;
  const idx = new Array<number>(r).fill(0);
  for (let o = 0; o < data.length; o++) {
    let from = 0;
    for (let k = 0; k < r; k++) from += picks[k][idx[k]] * inStrides[k];
    data[o] = src[from];
    for (let k = r - 1; k >= 0; k--) {
      if (++idx[k] < dims[k]) break;
      idx[k] = 0;
    }
  }
  return { name, dtype: x.dtype, dims, data: data as unknown as TensorData };
}

/** Gather along `axis` with indices of dims `idxDims` (negative from the end): out dims x[:axis] + idx + x[axis+1:]. */
function gather(x: Tensor, idx: number[], idxDims: number[], axis: number, name: string): Tensor | string {
  const r = x.dims.length;
  const ax = axis < 0 ? axis + r : axis;
  if (ax < 0 || ax >= r) return `axis ${axis} does not fit a rank-${r} input`;
  const d = x.dims[ax];
  const at = idx.map((i) => (i < 0 ? i + d : i));
  if (at.some((i) => !(i >= 0 && i < d))) return `an index is outside [${-d}, ${d - 1}]`;
  const dims = [...x.dims.slice(0, ax), ...idxDims, ...x.dims.slice(ax + 1)];
  if (numel(dims) > MAX_CREATED) return `it would create ${numel(dims)} elements, over ${MAX_CREATED}: it stays a node`;
  const outer = numel(x.dims.slice(0, ax));
  const inner = numel(x.dims.slice(ax + 1));
  const src = x.data as unknown as ArrayLike<unknown>;
  const data = like(x.data, numel(dims)) as unknown as unknown[];
  let o = 0;
  for (let b = 0; b < outer; b++) for (const i of at) for (let k = 0; k < inner; k++) data[o++] = src[(b * d + i) * inner + k];
  return { name, dtype: x.dtype, dims, data: data as unknown as TensorData };
}

/** Equal of two tensors of one dtype, equal dims or one of them a single element. */
function equal(x: Tensor, y: Tensor, name: string): Tensor | string {
  if (x.dtype !== y.dtype) return 'its inputs differ in type';
  const [a, b] = [x.data as unknown as ArrayLike<unknown>, y.data as unknown as ArrayLike<unknown>];
  const same = x.dims.length === y.dims.length && x.dims.every((d, i) => d === y.dims[i]);
  if (!same && a.length !== 1 && b.length !== 1) return 'broadcasting other than from one element is not evaluated';
  const dims = a.length === 1 && !same ? y.dims : x.dims;
  const n = numel(dims);
  const data = new Uint8Array(n);
  for (let i = 0; i < n; i++) data[i] = a[a.length === 1 ? 0 : i] === b[b.length === 1 ? 0 : i] ? 1 : 0;
  return { name, dtype: 'bool', dims, data };
}

/** An int64 constant's values as numbers, the int64 extremes (ONNX's "to the end") as ±Infinity. */
function indexValues(t: Tensor): number[] {
  return Array.from(t.data as ArrayLike<number | bigint>, (v) => (typeof v === 'bigint' && (v >= 2n ** 53n || v <= -(2n ** 53n)) ? (v > 0n ? Infinity : -Infinity) : Number(v)));
}

/** The axes of an Unsqueeze / Squeeze: its attribute (opset < 13) or its constant second input. */
function axesOf(n: Node, consts: ReadonlyMap<string, Tensor>): number[] | undefined {
  if (n.inputs[1]) {
    const a = consts.get(n.inputs[1]);
    return a ? intsOf(a) : undefined;
  }
  return attrInts(n, 'axes');
}

/** Shape(x) (Shape-15's start/end: a slice of the dims, negative from the end, clamped) or Size(x), from x's known dims. */
function shapeOf(n: Node, consts: ReadonlyMap<string, Tensor>, typeOf?: (name: string) => ValueType | undefined): Tensor | string {
  const name = n.outputs[0];
  const dims = consts.get(n.inputs[0])?.dims ?? typeOf?.(n.inputs[0])?.shape;
  if (!dims || !dims.every((d): d is number => typeof d === 'number')) return 'the shape of its input is not known';
  if (n.opType === 'Size') return { name, dtype: 'int64', dims: [], data: BigInt64Array.of(BigInt(numel(dims))) };
  // Shape-15's start/end: a slice of the dims, negative from the end, clamped.
  const r = dims.length;
  const at = (v: number | undefined, d: number) => Math.min(Math.max(v === undefined ? d : v < 0 ? v + r : v, 0), r);
  const kept = dims.slice(at(attrInt(n, 'start'), 0), at(attrInt(n, 'end'), r));
  return { name, dtype: 'int64', dims: [kept.length], data: BigInt64Array.from(kept.map(BigInt)) };
}

/**
 * The value of `n`'s output over constant inputs, or why it cannot be computed. `typeOf` gives the
 * types of non-constant values, for Shape and Size of a value whose shape is known.
 */
export function evalConstant(n: Node, consts: ReadonlyMap<string, Tensor>, typeOf?: (name: string) => ValueType | undefined): Tensor | string {
  const name = n.outputs[0];
  switch (n.opType) {
    case 'Shape':
    case 'Size':
      return shapeOf(n, consts, typeOf);
  }
  const x = consts.get(n.inputs[0]);
  if (!x) return 'its input is not a constant';
  if (x.dtype === 'string' && n.opType !== 'Identity') return 'its input holds strings';
  switch (n.opType) {
    case 'Identity':
      return { ...x, name };
    case 'Transpose': {
      const r = x.dims.length;
      const perm = attrInts(n, 'perm') ?? Array.from({ length: r }, (_, i) => r - 1 - i);
      if (perm.length !== r || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) return `its perm [${perm.join(', ')}] does not fit a rank-${r} input`;
      return transpose(x, perm, name);
    }
    case 'Reshape': {
      const s = consts.get(n.inputs[1] ?? '');
      if (!s) return 'its shape input is not a constant';
      const dims = reshapeDims(x.dims, intsOf(s), attrInt(n, 'allowzero') === 1);
      return dims ? { ...x, name, dims } : `shape [${intsOf(s).join(', ')}] does not fit its input [${x.dims.join(', ')}]`;
    }
    case 'Unsqueeze': {
      const axes = axesOf(n, consts);
      if (!axes) return 'its axes are not constant';
      const r = x.dims.length + axes.length;
      const at = new Set(axes.map((a) => (a < 0 ? a + r : a)));
      const dims: number[] = [];
      for (let i = 0, k = 0; i < r; i++) dims.push(at.has(i) ? 1 : x.dims[k++]);
      return dims.length === r && at.size === axes.length ? { ...x, name, dims } : `axes [${axes.join(', ')}] do not fit its input`;
    }
    case 'Squeeze': {
      const axes = axesOf(n, consts) ?? x.dims.flatMap((d, i) => (d === 1 ? [i] : []));
      const at = new Set(axes.map((a) => (a < 0 ? a + x.dims.length : a)));
      if ([...at].some((a) => x.dims[a] !== 1)) return `axes [${axes.join(', ')}] are not unit dims of [${x.dims.join(', ')}]`;
      return { ...x, name, dims: x.dims.filter((_, i) => !at.has(i)) };
    }
    case 'Concat': {
      const ts = n.inputs.map((i) => consts.get(i));
      if (ts.some((t) => !t)) return 'not all its inputs are constants';
      const kept = floatKept(x, 'Concat');
      if (kept) return kept;
      const total = ts.reduce((a, t) => a + numel(t!.dims), 0);
      if (total > MAX_CREATED) return `it would create ${total} elements, over ${MAX_CREATED}: it stays a node`;
      const axis = attrInt(n, 'axis');
      return axis === undefined ? 'it has no axis' : concat(ts as Tensor[], axis, name);
    }
    case 'Slice': {
      const kept = floatKept(x, 'Slice');
      if (kept) return kept;
      if (n.inputs.length === 1) {
        const [starts, ends] = [attrInts(n, 'starts'), attrInts(n, 'ends')];
        return starts && ends ? slice(x, starts, ends, attrInts(n, 'axes'), undefined, name) : 'its starts or ends are missing';
      }
      const [starts, ends, axes, steps] = [1, 2, 3, 4].map((k) => (n.inputs[k] ? consts.get(n.inputs[k]) : undefined));
      if (!starts || !ends || (n.inputs[3] && !axes) || (n.inputs[4] && !steps)) return 'its starts, ends, axes or steps are not constants';
      return slice(x, indexValues(starts), indexValues(ends), axes && intsOf(axes), steps && intsOf(steps), name);
    }
    case 'ConstantOfShape': {
      const dims = intsOf(x);
      if (dims.some((d) => d < 0)) return `its shape [${dims.join(', ')}] has a negative dim`;
      if (numel(dims) > MAX_CREATED) return `it would create ${numel(dims)} elements, over ${MAX_CREATED}: it stays a node`;
      const v = n.attrs.value?.kind === 'tensor' ? n.attrs.value.value : { name, dtype: 'float32' as const, dims: [1], data: Float32Array.of(0) };
      if (!isIntegerDType(v.dtype)) return `a ${v.dtype} ConstantOfShape stays a node (only integer shape arithmetic is folded)`;
      const data = like(v.data, numel(dims)) as unknown as unknown[];
      for (let i = 0; i < data.length; i++) data[i] = (v.data as unknown as ArrayLike<unknown>)[0];
      return { name, dtype: v.dtype, dims, data: data as unknown as TensorData };
    }
    case 'Gather': {
      const kept = floatKept(x, 'Gather');
      if (kept) return kept;
      const idx = consts.get(n.inputs[1] ?? '');
      if (!idx) return 'its indices are not constant';
      return gather(x, indexValues(idx), idx.dims, attrInt(n, 'axis') ?? 0, name);
    }
    case 'Equal': {
      const y = consts.get(n.inputs[1] ?? '');
      if (!y) return 'its second input is not a constant';
      return equal(x, y, name);
    }
    case 'Not':
      return x.dtype === 'bool' ? { name, dtype: 'bool', dims: x.dims, data: Uint8Array.from(x.data as Uint8Array, (v) => (v ? 0 : 1)) } : 'its input is not bool';
    case 'Cast': {
      const to = dtypeOfOnnx(attrInt(n, 'to') ?? -1);
      if (!to || !isNumericDType(to)) return 'its target type is not one melbench converts';
      return cast(x, to, name) ?? `a cast from ${x.dtype} to ${to} is not one melbench folds`;
    }
  }
  return 'not an op melbench folds';
}

