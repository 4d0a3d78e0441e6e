/**
 * Elementwise ops as rows of one table (row builders in elementwise-row.ts): unary ops keep their
 * input's type; binary ops broadcast numpy-style (Add, Sub, Mul, Div, Pow). Each row carries the
 * op's gradient rule and its traits (channels kept or tied, static quantization), so a new
 * elementwise op is one row here. Softmax keeps the shape and normalises
 * along `axis`: softmax(x)_i = exp(x_i) / sum_j exp(x_j); LogSoftmax = log(softmax(x)).
 *
 * Gradients, row by row (y is the output, dy its gradient):
 *   Relu dy*[x>0]   LeakyRelu dy*(x>0 ? 1 : alpha)   Clip dy*[min<x<max]   Sigmoid dy*y*(1-y)
 *   Tanh dy*(1-y^2)   Exp dy*y   Log dy/x   Sqrt dy/(2y)   Neg -dy   Identity dy   Abs dy*sign(x)
 *   Add dy, dy   Sub dy, -dy   Mul dy*b, dy*a   Div dy/b, -dy*y/b   (each summed back over broadcast axes)
 *   Softmax y*(dy - sum(dy*y))   LogSoftmax dy - exp(y)*sum(dy)   (sums along `axis`)
 * NOTE: masks use strict comparisons, so at a kink (x = 0 for Relu) the gradient is 0, as in PyTorch.
 */
import { normAxis } from '../dims.ts';
import type { Value } from '../ir.ts';
import { float, int } from './attrs.ts';
import { binary, pointwise, sameAsInput, unary } from './elementwise-row.ts';
import { reduceSum, zero } from './grad-util.ts';
import { defineOp, type Emitter, type OpTraits } from './op.ts';

const mul = (b: Emitter, x: Value, y: Value) => b.apply('Mul', [x, y]);
const where = (b: Emitter, mask: Value, dy: Value, other: Value = zero(b)) => b.apply('Where', [mask, dy, other]);
const greater = (b: Emitter, x: Value, y: Value) => b.apply('Greater', [x, y]);

const oneMinus = (b: Emitter, v: Value) => b.apply('Sub', [b.scalar(1), v]);

/** Channel pruning: the op keeps each channel where it is (elementwise on its first input). */
const KEEP: OpTraits = { channels: 'keep' };

// NOTE: each op's `since` is the first opset with the semantics modelled here (src/graph/infer.ts
// infers a node only from it on); the later versions of these ops add element types only.
export const Relu = unary('Relu', 6, {
  grad: pointwise((b, x, _y, dy) => where(b, greater(b, x, zero(b)), dy)),
  traits: { channels: 'keep', staticQuant: { clamp: 'zero' } },
});
export const Sigmoid = unary('Sigmoid', 6, { grad: pointwise((b, _x, y, dy) => mul(b, dy, mul(b, y, oneMinus(b, y)))), traits: KEEP });
export const Tanh = unary('Tanh', 6, { grad: pointwise((b, _x, y, dy) => mul(b, dy, oneMinus(b, mul(b, y, y)))), traits: KEEP });
export const Identity = unary('Identity', 1, { grad: pointwise((_b, _x, _y, dy) => dy), traits: { ...KEEP, carriesWeight: 'first', constantFold: true } });
export const Exp = unary('Exp', 6, { grad: pointwise((b, _x, y, dy) => mul(b, dy, y)) });
export const Log = unary('Log', 6, { grad: pointwise((b, x, _y, dy) => b.apply('Div', [dy, x])) });
export const Sqrt = unary('Sqrt', 6, { grad: pointwise((b, _x, y, dy) => b.apply('Div', [mul(b, dy, b.scalar(0.5)), y])) });
export const Neg = unary('Neg', 6, { grad: pointwise((b, _x, _y, dy) => b.apply('Neg', [dy])) });
export const Abs = unary('Abs', 6, {
  grad: pointwise((b, x, _y, dy) => where(b, greater(b, x, zero(b)), dy, where(b, b.apply('Less', [x, zero(b)]), b.apply('Neg', [dy])))),
});
// NOTE: since 6: LeakyRelu-16 only adds bfloat16 to LeakyRelu-6 (tf2onnx's opset-13 models use it).
export const LeakyRelu = unary('LeakyRelu', 6, {
  attrs: { alpha: float(0.01) },
  grad: pointwise((b, x, _y, dy, a) => where(b, greater(b, x, zero(b)), dy, mul(b, dy, b.scalar(a.alpha)))),
  traits: KEEP,
});
/** Clip(x, min, max): min and max are optional scalar inputs since opset 11; ReLU6 is Clip(x, 0, 6). */
export const Clip = unary('Clip', 13, {
  inputs: ['input', 'min?', 'max?'],
  grad: ({ b, I, GO, node }) => {
    const x = I(0);
    const masks: Value[] = [];
    if (node.inputs[1]) masks.push(greater(b, x, I(1)));
    if (node.inputs[2]) masks.push(b.apply('Less', [x, I(2)]));
    const dy = GO(0)!;
    const dx = masks.length ? where(b, masks.reduce((m, k) => b.apply('And', [m, k])), dy) : dy;
    return [dx, ...node.inputs.slice(1).map(() => null)];
  },
  traits: { channels: 'keep', staticQuant: { clamp: 'inputs' } },
});

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

/** Channel pruning: an elementwise op of two tensors ties their channels together. */
const TIE: OpTraits = { channels: 'tie' };

export const Add = binary('Add', 7, { grad: (_b, _a, _bv, _y, dy) => [dy, dy], traits: { channels: 'tie', staticQuant: { kind: 'add', absorbsClamp: true } } });
export const Sub = binary('Sub', 7, { grad: (b, _a, _bv, _y, dy) => [dy, b.apply('Neg', [dy])], traits: TIE });
export const Mul = binary('Mul', 7, { grad: (b, a, bv, _y, dy) => [mul(b, dy, bv), mul(b, dy, a)], traits: TIE });
export const Div = binary('Div', 7, { grad: (b, _a, bv, y, dy) => [b.apply('Div', [dy, bv]), b.apply('Neg', [b.apply('Div', [mul(b, dy, y), bv])])], traits: TIE });
export const Pow = binary('Pow', 7);
