/**
 * Ops that move data without arithmetic: Flatten, Reshape, Concat, Transpose, Slice, Expand.
 * Their gradients move dY back: Reshape to the input's shape, Slice per Concat input, the
 * inverse permutation, and for Expand a sum over the broadcast axes.
 */
import { ShapeError } from '../../errors.ts';
import { broadcastShapes, formatShape, isKnown, normAxis, productDim, quotientDim } from '../dims.ts';
import type { Dim } from '../ir.ts';
import { type AttrSchema, int, optInts } from './attrs.ts';
import { knownShape, reshapeTo, unbroadcast } from './grad-util.ts';
import { defineOp, type GradContext } from './op.ts';

/** dX = Reshape(dY, shape of X): the gradient of every op that only reshapes. */
function reshapeGrad<S extends AttrSchema>({ b, I, GO, where, node }: GradContext<S>) {
  return [reshapeTo(b, GO(0)!, knownShape(I(0), where)), ...node.inputs.slice(1).map(() => null)];
}

/** Flatten: [d0..d_{axis-1}, d_axis..d_n] -> [prod(d0..d_{axis-1}), prod(d_axis..d_n)]. */
export const Flatten = defineOp({
  opType: 'Flatten',
  domain: '',
  // NOTE: since 11: Flatten-11 (negative axis) and -13 (bfloat16) are the same op.
  since: 11,
  inputs: ['input'],
  outputs: ['output'],
  attrs: { axis: int(1) },
  traits: { channels: 'flatten', staticQuant: { kind: 'passthrough' }, carriesWeight: 'first' },
  inferShape([x], a, ctx) {
    if (!x) throw new ShapeError(`${ctx.where}: missing input`);
    const r = x.shape.length;
    const axis = a.axis < 0 ? a.axis + r : a.axis;
    if (axis < 0 || axis > r) throw new ShapeError(`${ctx.where}: axis ${a.axis} out of range for rank ${r}`);
    return [{ dtype: x.dtype, shape: [productDim(x.shape.slice(0, axis)), productDim(x.shape.slice(axis))] }];
  },
  grad: reshapeGrad,
});

/**
 * Reshape with a constant shape: 0 copies the input dim (allowzero=0), -1 is inferred.
 * NOTE: since 5: Reshape-5 and -13 are Reshape-14 without `allowzero`, i.e. with its default 0
 * (tf2onnx's opset-13 models, openWakeWord's among them, are full of them).
 */
export const Reshape = defineOp({
  opType: 'Reshape',
  domain: '',
  since: 5,
  inputs: ['data', 'shape'],
  outputs: ['reshaped'],
  attrs: { allowzero: int(0) },
  traits: { staticQuant: { kind: 'passthrough' }, carriesWeight: 'first', constantFold: true },
  inferShape([x], _a, ctx) {
    if (!x) throw new ShapeError(`${ctx.where}: missing input`);
    const t = ctx.constant(1);
    if (!t) throw new ShapeError(`${ctx.where}: the target shape must be a constant initializer`);
    const target = Array.from(t.data as BigInt64Array, Number);
    const out: Dim[] = target.map((d, i) => (d === 0 ? x.shape[i] : d));
    const inferred = out.indexOf(-1);
    if (out.filter((d) => d === -1).length > 1) throw new ShapeError(`${ctx.where}: at most one -1 in shape ${formatShape(target)}`);
    if (inferred >= 0) {
      const q = quotientDim(x.shape, out.filter((_, i) => i !== inferred));
      if (q === undefined) throw new ShapeError(`${ctx.where}: cannot reshape ${formatShape(x.shape)} to ${formatShape(target)}`);
      out[inferred] = q;
    } else {
      const a = productDim(x.shape);
      const b = productDim(out);
      if (isKnown(a) && isKnown(b) && a !== b) throw new ShapeError(`${ctx.where}: cannot reshape ${formatShape(x.shape)} (${a} elements) to ${formatShape(target)}`);
    }
    return [{ dtype: x.dtype, shape: out }];
  },
  grad: reshapeGrad,
});

export const Concat = defineOp({
  opType: 'Concat',
  domain: '',
  // NOTE: since 11: Concat-11 (negative axis) and -13 (bfloat16) are the same op.
  since: 11,
  inputs: ['inputs...'],
  outputs: ['concat_result'],
  attrs: { axis: int() },
  traits: { channels: 'concat', staticQuant: { kind: 'concat' }, carriesWeight: 'all', constantFold: true },
  inferShape(ins, a, ctx) {
    const xs = ins.filter((x) => x !== undefined);
    if (!xs.length) throw new ShapeError(`${ctx.where}: needs at least one input`);
    const r = xs[0].shape.length;
    const axis = normAxis(a.axis, r, ctx.where);
    const out = [...xs[0].shape];
    const along: Dim[] = [];
    for (const x of xs) {
      if (x.shape.length !== r) throw new ShapeError(`${ctx.where}: inputs differ in rank`);
      x.shape.forEach((d, i) => {
        if (i !== axis && isKnown(d) && isKnown(out[i]) && d !== out[i]) {
          throw new ShapeError(`${ctx.where}: ${formatShape(x.shape)} does not match ${formatShape(xs[0].shape)} outside axis ${axis}`);
        }
      });
      along.push(x.shape[axis]);
    }
    out[axis] = along.every(isKnown) ? along.reduce((s, d) => s + d, 0) : along.join('+');
    return [{ dtype: xs[0].dtype, shape: out }];
  },
  grad({ b, attrs, node, I, GO, wants, where }) {
    const axis = normAxis(attrs.axis, GO(0)!.shape.length, where);
    let offset = 0;
    return node.inputs.map((_, i) => {
      const size = knownShape(I(i), where)[axis];
      const start = offset;
      offset += size;
      if (!wants(i)) return null;
      return b.apply('Slice', [GO(0)!, b.int64s([start], 'starts'), b.int64s([start + size], 'ends'), b.int64s([axis], 'axes')]);
    });
  },
});

export const Transpose = defineOp({
  opType: 'Transpose',
  domain: '',
  // NOTE: since 1: Transpose-13 only adds bfloat16.
  since: 1,
  inputs: ['data'],
  outputs: ['transposed'],
  traits: { carriesWeight: 'first', constantFold: true },
  attrs: { perm: optInts() },
  inferShape([x], a, ctx) {
    if (!x) throw new ShapeError(`${ctx.where}: missing input`);
    const r = x.shape.length;
    const perm = a.perm ?? [...Array(r).keys()].reverse();
    if (perm.length !== r || new Set(perm).size !== r || perm.some((p) => p < 0 || p >= r)) {
      throw new ShapeError(`${ctx.where}: perm ${formatShape(perm)} is not a permutation of rank ${r}`);
    }
    return [{ dtype: x.dtype, shape: perm.map((p) => x.shape[p]) }];
  },
  grad({ b, attrs, I, GO }) {
    const r = I(0).shape.length;
    const perm = attrs.perm ?? [...Array(r).keys()].reverse();
    const inverse = perm.map((_, i) => perm.indexOf(i));
    return [b.apply('Transpose', [GO(0)!], { perm: inverse })];
  },
});

/**
 * Slice(data, starts, ends, axes?, steps?) with constant int64 inputs (opset 13). Per axis of size d,
 * negative starts/ends count from the end, then clamp to [0, d] (step > 0) or [-1, d-1] (step < 0):
 *   length = max(0, ceil((end - start) / step)).  A step of -1 from -1 to -d-1 reverses the axis.
 */
export const Slice = defineOp({
  opType: 'Slice',
  domain: '',
  // NOTE: since 11: Slice-11 (negative axes, steps) and -13 (bfloat16) are the same op.
  since: 11,
  inputs: ['data', 'starts', 'ends', 'axes?', 'steps?'],
  outputs: ['output'],
  traits: { carriesWeight: 'first', constantFold: true },
  attrs: {},
  inferShape([x], _a, ctx) {
    if (!x) throw new ShapeError(`${ctx.where}: missing input`);
    const read = (i: number) => {
      const t = ctx.constant(i);
      return t ? Array.from(t.data as BigInt64Array, Number) : undefined;
    };
    const starts = read(1);
    const ends = read(2);
    if (!starts || !ends) throw new ShapeError(`${ctx.where}: starts and ends must be constant initializers`);
    const axes = read(3) ?? starts.map((_, i) => i);
    const steps = read(4) ?? starts.map(() => 1);
    const shape = [...x.shape];
    axes.forEach((a0, i) => {
      const a = normAxis(a0, shape.length, ctx.where);
      const d = shape[a];
      const step = steps[i];
      if (!isKnown(d)) throw new ShapeError(`${ctx.where}: cannot slice symbolic axis ${a} (${d})`);
      if (!step) throw new ShapeError(`${ctx.where}: a step of 0 on axis ${a}`);
      const wrap = (v: number) => (v < 0 ? v + d : v);
      const [lo, hi] = step > 0 ? [0, d] : [-1, d - 1];
      const clamp = (v: number) => Math.min(Math.max(wrap(v), lo), hi);
      shape[a] = Math.max(0, Math.ceil((clamp(ends[i]) - clamp(starts[i])) / step));
    });
    return [{ dtype: x.dtype, shape }];
  },
});

/** Expand(input, shape): numpy broadcasting of input to `shape` (a constant int64 input). */
export const Expand = defineOp({
  opType: 'Expand',
  domain: '',
  // NOTE: since 8: Expand-13 only adds bfloat16.
  since: 8,
  inputs: ['input', 'shape'],
  outputs: ['output'],
  attrs: {},
  inferShape([x], _a, ctx) {
    if (!x) throw new ShapeError(`${ctx.where}: missing input`);
    const t = ctx.constant(1);
    if (!t) throw new ShapeError(`${ctx.where}: the shape must be a constant initializer`);
    return [{ dtype: x.dtype, shape: broadcastShapes(x.shape, Array.from(t.data as BigInt64Array, Number), ctx.where) }];
  },
  grad({ b, I, GO }) {
    return [unbroadcast(b, GO(0)!, I(0)), null];
  },
});
