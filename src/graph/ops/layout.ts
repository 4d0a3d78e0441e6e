/**
 * Ops that move data without arithmetic: Flatten, Reshape, Concat, Transpose.
 */
import { ShapeError } from '../../errors.ts';
import { formatShape, isKnown, normAxis, productDim, quotientDim } from '../dims.ts';
import type { Dim } from '../ir.ts';
import { int, optInts } from './attrs.ts';
import { defineOp } from './op.ts';

/** Flatten: [d0..d_{axis-1}, d_axis..d_n] -> [prod(d0..d_{axis-1}), prod(d_axis..d_n)]. */
export const Flatten = defineOp({
  opType: 'Flatten',
  domain: '',
  since: 13,
  inputs: ['input'],
  outputs: ['output'],
  attrs: { axis: int(1) },
  inferShape([x], a, ctx) {
    if (!x) throw new ShapeError(`${ctx.where}: missing input`);
    const r = x.shape.length;
    const axis = a.axis < 0 ? a.axis + r : a.axis;
    if (axis < 0 || axis > r) throw new ShapeError(`${ctx.where}: axis ${a.axis} out of range for rank ${r}`);
    return [{ dtype: x.dtype, shape: [productDim(x.shape.slice(0, axis)), productDim(x.shape.slice(axis))] }];
  },
});

/** Reshape with a constant shape: 0 copies the input dim (allowzero=0), -1 is inferred. */
export const Reshape = defineOp({
  opType: 'Reshape',
  domain: '',
  since: 14,
  inputs: ['data', 'shape'],
  outputs: ['reshaped'],
  attrs: { allowzero: int(0) },
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
});

export const Concat = defineOp({
  opType: 'Concat',
  domain: '',
  since: 13,
  inputs: ['inputs...'],
  outputs: ['concat_result'],
  attrs: { axis: int() },
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
});

export const Transpose = defineOp({
  opType: 'Transpose',
  domain: '',
  since: 13,
  inputs: ['data'],
  outputs: ['transposed'],
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
});
