/**
 * ScatterElements (opset 16): output = data, then for every index position p of `indices`,
 *   output[..., indices[p], ...] (op)= updates[p]     along `axis`, op = assign | add | mul
 * With reduction 'add' over zeros it routes MaxPool's output gradients back to the winning inputs.
 */
import { ShapeError } from '../../errors.ts';
import { formatShape, normAxis } from '../dims.ts';
import { int, string } from './attrs.ts';
import { defineOp } from './op.ts';

export const ScatterElements = defineOp({
  opType: 'ScatterElements',
  domain: '',
  since: 16,
  inputs: ['data', 'indices', 'updates'],
  outputs: ['output'],
  attrs: { axis: int(0), reduction: string('none') },
  inferShape([data, indices, updates], a, ctx) {
    if (!data || !indices || !updates) throw new ShapeError(`${ctx.where}: needs data, indices and updates`);
    if (indices.dtype !== 'int64' && indices.dtype !== 'int32') throw new ShapeError(`${ctx.where}: indices must be int32 or int64, got ${indices.dtype}`);
    if (indices.shape.length !== data.shape.length || updates.shape.length !== data.shape.length) {
      throw new ShapeError(`${ctx.where}: data ${formatShape(data.shape)}, indices ${formatShape(indices.shape)} and updates ${formatShape(updates.shape)} must have one rank`);
    }
    if (!['none', 'add', 'mul', 'max', 'min'].includes(a.reduction)) throw new ShapeError(`${ctx.where}: unknown reduction '${a.reduction}'`);
    normAxis(a.axis, data.shape.length, ctx.where);
    return [{ dtype: data.dtype, shape: data.shape }];
  },
});
