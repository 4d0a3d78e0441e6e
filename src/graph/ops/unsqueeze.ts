/**
 * Unsqueeze (opset 13, current at 17): inserts size-1 axes. `axes` is a constant int64 input
 * (an attribute before 13), each normalised against the OUTPUT rank r + |axes|:
 *   [N, S] with axes [1] -> [N, 1, S];  [N, S] with axes [-1] -> [N, S, 1].
 */
import { ShapeError } from '../../errors.ts';
import { formatShape, normAxis } from '../dims.ts';
import type { Shape } from '../ir.ts';
import { knownShape, reshapeTo } from './grad-util.ts';
import { defineOp } from './op.ts';

export const Unsqueeze = defineOp({
  opType: 'Unsqueeze',
  domain: '',
  since: 13,
  inputs: ['data', 'axes'],
  outputs: ['expanded'],
  traits: { carriesWeight: 'first', constantFold: true },
  attrs: {},
  inferShape([x, axesType], _a, ctx) {
    if (!x || !axesType) throw new ShapeError(`${ctx.where}: needs data and axes`);
    if (axesType.dtype !== 'int64' || axesType.shape.length !== 1) {
      throw new ShapeError(`${ctx.where}: axes must be a 1-D int64 tensor, got ${axesType.dtype} ${formatShape(axesType.shape)}`);
    }
    const t = ctx.constant(1);
    if (!t) throw new ShapeError(`${ctx.where}: axes must be a constant initializer`);
    const raw = Array.from(t.data as BigInt64Array, Number);
    const rank = x.shape.length + raw.length;
    const axes = raw.map((a) => normAxis(a, rank, ctx.where));
    if (new Set(axes).size !== axes.length) throw new ShapeError(`${ctx.where}: axes ${formatShape(raw)} repeat an axis`);
    const rest = [...x.shape];
    const shape: Shape = [];
    for (let i = 0; i < rank; i++) shape.push(axes.includes(i) ? 1 : rest.shift()!);
    return [{ dtype: x.dtype, shape }];
  },
  grad: ({ b, I, GO, where }) => [reshapeTo(b, GO(0)!, knownShape(I(0), where)), null],
});
