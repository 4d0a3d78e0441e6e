/**
 * Pooling: MaxPool and AveragePool over a window; GlobalAveragePool / GlobalMaxPool reduce every
 * spatial axis to 1 (the "adaptive pooling to 1x1" that lets a model accept any number of frames).
 */
import { ShapeError } from '../../errors.ts';
import { formatShape } from '../dims.ts';
import type { ValueType } from '../ir.ts';
import { int, ints, optInts, string } from './attrs.ts';
import { defineOp, type ShapeContext } from './op.ts';
import { resolveWindow, windowOutShape } from './window.ts';

function requireSpatial(x: ValueType | undefined, ctx: ShapeContext): ValueType {
  if (!x || x.shape.length < 3) throw new ShapeError(`${ctx.where}: input must be [N, C, ...spatial], got ${x ? formatShape(x.shape) : 'nothing'}`);
  return x;
}

const windowAttrs = {
  auto_pad: string('NOTSET'),
  ceil_mode: int(0),
  kernel_shape: ints(),
  pads: optInts(),
  strides: optInts(),
};

export const MaxPool = defineOp({
  opType: 'MaxPool',
  domain: '',
  since: 12,
  inputs: ['X'],
  outputs: ['Y'],
  attrs: { ...windowAttrs, dilations: optInts(), storage_order: int(0) },
  inferShape([x], a, ctx) {
    const { dtype, shape } = requireSpatial(x, ctx);
    if (a.kernel_shape.length !== shape.length - 2) throw new ShapeError(`${ctx.where}: kernel rank must match the spatial rank`);
    const win = resolveWindow(a.kernel_shape, a, ctx.where);
    return [{ dtype, shape: [shape[0], shape[1], ...windowOutShape(shape.slice(2), win, a.ceil_mode === 1, ctx.where)] }];
  },
});

export const AveragePool = defineOp({
  opType: 'AveragePool',
  domain: '',
  since: 11,
  inputs: ['X'],
  outputs: ['Y'],
  attrs: { ...windowAttrs, count_include_pad: int(0) },
  inferShape([x], a, ctx) {
    const { dtype, shape } = requireSpatial(x, ctx);
    if (a.kernel_shape.length !== shape.length - 2) throw new ShapeError(`${ctx.where}: kernel rank must match the spatial rank`);
    const win = resolveWindow(a.kernel_shape, a, ctx.where);
    return [{ dtype, shape: [shape[0], shape[1], ...windowOutShape(shape.slice(2), win, a.ceil_mode === 1, ctx.where)] }];
  },
});

function globalPool(opType: string) {
  return defineOp({
    opType,
    domain: '',
    since: 1,
    inputs: ['X'],
    outputs: ['Y'],
    attrs: {},
    inferShape([x], _a, ctx) {
      const { dtype, shape } = requireSpatial(x, ctx);
      return [{ dtype, shape: [shape[0], shape[1], ...shape.slice(2).map(() => 1)] }];
    },
  });
}

export const GlobalAveragePool = globalPool('GlobalAveragePool');
export const GlobalMaxPool = globalPool('GlobalMaxPool');
