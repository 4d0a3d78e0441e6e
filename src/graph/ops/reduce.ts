/**
 * Reductions over axes, as they stand at opset 17:
 *
 *   ReduceMax(X)[j] = max_{i ~ j} X[i],  ReduceMean = (1/|axes|) sum,  ReduceSum = sum
 *
 * over the positions i that differ from j only on the reduced axes. keepdims=1 leaves those axes
 * with size 1, keepdims=0 drops them. No axes: every axis is reduced.
 * NOTE: at opset 17 ReduceMax and ReduceMean take `axes` as an attribute (opset 13; it moves to an
 * input at 18), while ReduceSum has taken it as an optional constant input since 13, with
 * noop_with_empty_axes=1 turning "no axes" into the identity.
 *
 * Gradients: ReduceSum spreads dY over the reduced axes, dX = Expand(dY, shape of X);
 * ReduceMean does the same divided by the number of reduced elements. ReduceMax has none here.
 */
import { ShapeError } from '../../errors.ts';
import { formatShape, normAxis } from '../dims.ts';
import type { Shape, Value, ValueType } from '../ir.ts';
import { int, optInts } from './attrs.ts';
import { knownShape } from './grad-util.ts';
import { defineOp, type Emitter, type ShapeContext } from './op.ts';

/** dX of a sum over `axes`: dY with the reduced axes restored (if dropped), broadcast to X's shape. */
function spread(b: Emitter, dy: Value, x: Value, axes: number[] | undefined, keepdims: number, where: string): Value {
  const xs = knownShape(x, where);
  const all = (axes?.length ? axes : xs.map((_, i) => i)).map((a) => normAxis(a, xs.length, where));
  const kept = keepdims ? dy : b.apply('Unsqueeze', [dy, b.int64s(all, 'axes')]);
  return b.apply('Expand', [kept, b.int64s(xs, 'shape')]);
}

function reducedCount(x: Value, axes: number[] | undefined, where: string): number {
  const xs = knownShape(x, where);
  const all = (axes?.length ? axes : xs.map((_, i) => i)).map((a) => normAxis(a, xs.length, where));
  return all.reduce((p, a) => p * xs[a], 1);
}

function reduceShape(x: ValueType, axes: number[] | undefined, keepdims: number, where: string): ValueType {
  const r = x.shape.length;
  const norm = (axes ?? [...Array(r).keys()]).map((a) => normAxis(a, r, where));
  if (new Set(norm).size !== norm.length) throw new ShapeError(`${where}: axes ${formatShape(axes ?? [])} repeat an axis`);
  const shape: Shape = [];
  x.shape.forEach((d, i) => {
    if (!norm.includes(i)) shape.push(d);
    else if (keepdims) shape.push(1);
  });
  return { dtype: x.dtype, shape };
}

function requireInput(x: ValueType | undefined, ctx: ShapeContext): ValueType {
  if (!x) throw new ShapeError(`${ctx.where}: missing input`);
  return x;
}

function reduceWithAxesAttr(opType: 'ReduceMax' | 'ReduceMean') {
  return defineOp({
    opType,
    domain: '',
    since: 13,
    inputs: ['data'],
    outputs: ['reduced'],
    attrs: { axes: optInts(), keepdims: int(1) },
    inferShape([x], a, ctx) {
      return [reduceShape(requireInput(x, ctx), a.axes, a.keepdims, ctx.where)];
    },
    grad:
      opType === 'ReduceMean'
        ? ({ b, attrs, I, GO, where }) => {
            const scaled = b.apply('Mul', [GO(0)!, b.scalar(1 / reducedCount(I(0), attrs.axes, where))]);
            return [spread(b, scaled, I(0), attrs.axes, attrs.keepdims, where)];
          }
        : undefined,
  });
}

export const ReduceMax = reduceWithAxesAttr('ReduceMax');
export const ReduceMean = reduceWithAxesAttr('ReduceMean');

export const ReduceSum = defineOp({
  opType: 'ReduceSum',
  domain: '',
  since: 13,
  inputs: ['data', 'axes?'],
  outputs: ['reduced'],
  attrs: { keepdims: int(1), noop_with_empty_axes: int(0) },
  inferShape([x, axesType], a, ctx) {
    const data = requireInput(x, ctx);
    let axes: number[] | undefined;
    if (axesType) {
      if (axesType.dtype !== 'int64' || axesType.shape.length !== 1) {
        throw new ShapeError(`${ctx.where}: axes must be a 1-D int64 tensor, got ${axesType.dtype} ${formatShape(axesType.shape)}`);
      }
      const t = ctx.constant(1);
      if (!t) throw new ShapeError(`${ctx.where}: axes must be a constant initializer`);
      axes = Array.from(t.data as BigInt64Array, Number);
    }
    if (!axes?.length && a.noop_with_empty_axes) return [{ dtype: data.dtype, shape: data.shape }];
    return [reduceShape(data, axes?.length ? axes : undefined, a.keepdims, ctx.where)];
  },
  grad({ b, attrs, node, I, GO, where }) {
    const t = node.inputs[1] ? b.constantOf(node.inputs[1]) : undefined;
    const axes = t ? Array.from(t.data as BigInt64Array, Number) : undefined;
    if (!axes?.length && attrs.noop_with_empty_axes) return [GO(0)!, null];
    return [spread(b, GO(0)!, I(0), axes, attrs.keepdims, where), null];
  },
});
