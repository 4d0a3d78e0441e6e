/**
 * Elementwise ops as rows of one table: unary ops keep their input's type; binary ops
 * broadcast numpy-style (Add, Sub, Mul, Div, Pow). Softmax keeps the shape and normalises
 * along `axis`: softmax(x)_i = exp(x_i) / sum_j exp(x_j); LogSoftmax = log(softmax(x)).
 *
 * Gradients, row by row (y is the output, dy its gradient):
 *   Relu dy*[x>0]   LeakyRelu dy*(x>0 ? 1 : alpha)   Clip dy*[min<x<max]   Sigmoid dy*y*(1-y)
 *   Tanh dy*(1-y^2)   Exp dy*y   Log dy/x   Sqrt dy/(2y)   Neg -dy   Identity dy   Abs dy*sign(x)
 *   Add dy, dy   Sub dy, -dy   Mul dy*b, dy*a   Div dy/b, -dy*y/b   (each summed back over broadcast axes)
 *   Softmax y*(dy - sum(dy*y))   LogSoftmax dy - exp(y)*sum(dy)   (sums along `axis`)
 * NOTE: masks use strict comparisons, so at a kink (x = 0 for Relu) the gradient is 0, as in PyTorch.
 */
import { ShapeError } from '../../errors.ts';
import { broadcastShapes, normAxis } from '../dims.ts';
import type { ValueType } from '../ir.ts';
import type { ModelBuilder, Value } from '../builder.ts';
import { type AttrSchema, type AttrsOf, float, int } from './attrs.ts';
import { reduceSum, unbroadcast, zero } from './grad-util.ts';
import { defineOp, type GradContext, type OpDef, type ShapeContext } from './op.ts';

type Rule<S extends AttrSchema> = (ctx: GradContext<S>) => (Value | null)[];

/** A rule for a one-input op from dX = f(b, x, y, dy, attrs). */
const pointwise =
  <S extends AttrSchema>(f: (b: ModelBuilder, x: Value, y: Value, dy: Value, a: AttrsOf<S>) => Value): Rule<S> =>
  ({ b, I, O, GO, attrs, node }) => [f(b, I(0), O(0), GO(0)!, attrs), ...node.inputs.slice(1).map(() => null)];

const mul = (b: ModelBuilder, x: Value, y: Value) => b.apply('Mul', [x, y]);
const where = (b: ModelBuilder, mask: Value, dy: Value, other: Value = zero(b)) => b.apply('Where', [mask, dy, other]);
const greater = (b: ModelBuilder, x: Value, y: Value) => b.apply('Greater', [x, y]);

function sameAsInput([x]: (ValueType | undefined)[], ctx: ShapeContext): ValueType[] {
  if (!x) throw new ShapeError(`${ctx.where}: missing input`);
  return [{ dtype: x.dtype, shape: x.shape }];
}

function unary<S extends AttrSchema>(opType: string, since: number, attrs: S, grad?: Rule<S>, inputs: readonly string[] = ['X']): OpDef<S> {
  return defineOp({ opType, domain: '', since, inputs, outputs: ['Y'], attrs, inferShape: (ins, _a, ctx) => sameAsInput(ins, ctx), grad });
}

function binary(opType: string, since: number, grad?: (b: ModelBuilder, a: Value, bv: Value, y: Value, dy: Value) => [Value | null, Value | null]): OpDef<Record<string, never>> {
  return defineOp({
    opType,
    domain: '',
    since,
    inputs: ['A', 'B'],
    outputs: ['C'],
    attrs: {},
    inferShape([a, b], _attrs, ctx) {
      if (!a || !b) throw new ShapeError(`${ctx.where}: needs two inputs`);
      if (a.dtype !== b.dtype && opType !== 'Pow') throw new ShapeError(`${ctx.where}: input types differ (${a.dtype} vs ${b.dtype})`);
      return [{ dtype: a.dtype, shape: broadcastShapes(a.shape, b.shape, ctx.where) }];
    },
    grad: grad
      ? ({ b, I, O, GO, wants }) => {
          const [da, db] = grad(b, I(0), I(1), O(0), GO(0)!);
          return [da && wants(0) ? unbroadcast(b, da, I(0)) : null, db && wants(1) ? unbroadcast(b, db, I(1)) : null];
        }
      : undefined,
  });
}

const oneMinus = (b: ModelBuilder, v: Value) => b.apply('Sub', [b.scalar(1), v]);

export const Relu = unary('Relu', 14, {}, pointwise((b, x, _y, dy) => where(b, greater(b, x, zero(b)), dy)));
export const Sigmoid = unary('Sigmoid', 13, {}, pointwise((b, _x, y, dy) => mul(b, dy, mul(b, y, oneMinus(b, y)))));
export const Tanh = unary('Tanh', 13, {}, pointwise((b, _x, y, dy) => mul(b, dy, oneMinus(b, mul(b, y, y)))));
export const Identity = unary('Identity', 16, {}, pointwise((_b, _x, _y, dy) => dy));
export const Exp = unary('Exp', 13, {}, pointwise((b, _x, y, dy) => mul(b, dy, y)));
export const Log = unary('Log', 13, {}, pointwise((b, x, _y, dy) => b.apply('Div', [dy, x])));
export const Sqrt = unary('Sqrt', 13, {}, pointwise((b, _x, y, dy) => b.apply('Div', [mul(b, dy, b.scalar(0.5)), y])));
export const Neg = unary('Neg', 13, {}, pointwise((b, _x, _y, dy) => b.apply('Neg', [dy])));
export const Abs = unary(
  'Abs',
  13,
  {},
  pointwise((b, x, _y, dy) => where(b, greater(b, x, zero(b)), dy, where(b, b.apply('Less', [x, zero(b)]), b.apply('Neg', [dy])))),
);
export const LeakyRelu = unary(
  'LeakyRelu',
  16,
  { alpha: float(0.01) },
  pointwise((b, x, _y, dy, a) => where(b, greater(b, x, zero(b)), dy, mul(b, dy, b.scalar(a.alpha)))),
);
/** Clip(x, min, max): min and max are optional scalar inputs since opset 11; ReLU6 is Clip(x, 0, 6). */
export const Clip = unary(
  'Clip',
  13,
  {},
  ({ b, I, GO, node }) => {
    const x = I(0);
    const masks: Value[] = [];
    if (node.inputs[1]) masks.push(greater(b, x, I(1)));
    if (node.inputs[2]) masks.push(b.apply('Less', [x, I(2)]));
    const dy = GO(0)!;
    const dx = masks.length ? where(b, masks.reduce((m, k) => b.apply('And', [m, k])), dy) : dy;
    return [dx, ...node.inputs.slice(1).map(() => null)];
  },
  ['input', 'min?', 'max?'],
);

function softmaxLike(opType: 'Softmax' | 'LogSoftmax') {
  return defineOp({
    opType,
    domain: '',
    since: 13,
    inputs: ['input'],
    outputs: ['output'],
    attrs: { axis: int(-1) },
    inferShape(ins, a, ctx) {
      const [x] = sameAsInput(ins, ctx);
      normAxis(a.axis, x.shape.length, ctx.where);
      return [x];
    },
    grad({ b, O, GO, attrs }) {
      const y = O(0);
      const dy = GO(0)!;
      const axis = normAxis(attrs.axis, y.shape.length, 'softmax');
      if (opType === 'Softmax') return [mul(b, y, b.apply('Sub', [dy, reduceSum(b, mul(b, dy, y), [axis], true)]))];
      return [b.apply('Sub', [dy, mul(b, b.apply('Exp', [y]), reduceSum(b, dy, [axis], true))])];
    },
  });
}

export const Softmax = softmaxLike('Softmax');
export const LogSoftmax = softmaxLike('LogSoftmax');

export const Add = binary('Add', 14, (_b, _a, _bv, _y, dy) => [dy, dy]);
export const Sub = binary('Sub', 14, (b, _a, _bv, _y, dy) => [dy, b.apply('Neg', [dy])]);
export const Mul = binary('Mul', 14, (b, a, bv, _y, dy) => [mul(b, dy, bv), mul(b, dy, a)]);
export const Div = binary('Div', 14, (b, _a, bv, y, dy) => [b.apply('Div', [dy, bv]), b.apply('Neg', [b.apply('Div', [mul(b, dy, y), bv])])]);
export const Pow = binary('Pow', 15);
