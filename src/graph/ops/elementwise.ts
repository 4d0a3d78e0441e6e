/**
 * Elementwise ops as rows of one table: unary ops keep their input's type; binary ops
 * broadcast numpy-style (Add, Sub, Mul, Div, Pow). Softmax keeps the shape and normalises
 * along `axis`: softmax(x)_i = exp(x_i) / sum_j exp(x_j).
 */
import { ShapeError } from '../../errors.ts';
import { broadcastShapes, normAxis } from '../dims.ts';
import type { ValueType } from '../ir.ts';
import { type AttrSchema, float, int } from './attrs.ts';
import { defineOp, type OpDef, type ShapeContext } from './op.ts';

function sameAsInput([x]: (ValueType | undefined)[], ctx: ShapeContext): ValueType[] {
  if (!x) throw new ShapeError(`${ctx.where}: missing input`);
  return [{ dtype: x.dtype, shape: x.shape }];
}

function unary<S extends AttrSchema>(opType: string, since: number, attrs: S, inputs: readonly string[] = ['X']): OpDef<S> {
  return defineOp({ opType, domain: '', since, inputs, outputs: ['Y'], attrs, inferShape: (ins, _a, ctx) => sameAsInput(ins, ctx) });
}

function binary(opType: string, since: number): OpDef<Record<string, never>> {
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
  });
}

export const Relu = unary('Relu', 14, {});
export const Sigmoid = unary('Sigmoid', 13, {});
export const Tanh = unary('Tanh', 13, {});
export const Identity = unary('Identity', 16, {});
export const Exp = unary('Exp', 13, {});
export const Log = unary('Log', 13, {});
export const Sqrt = unary('Sqrt', 13, {});
export const Neg = unary('Neg', 13, {});
export const Abs = unary('Abs', 13, {});
export const LeakyRelu = unary('LeakyRelu', 16, { alpha: float(0.01) });
/** Clip(x, min, max): min and max are optional scalar inputs since opset 11; ReLU6 is Clip(x, 0, 6). */
export const Clip = unary('Clip', 13, {}, ['input', 'min?', 'max?']);

export const Softmax = defineOp({
  opType: 'Softmax',
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
});

export const Add = binary('Add', 14);
export const Sub = binary('Sub', 14);
export const Mul = binary('Mul', 14);
export const Div = binary('Div', 14);
export const Pow = binary('Pow', 15);
