/**
 * Squeeze (opset 13, current at 17): removes size-1 axes. `axes` is an optional constant int64
 * input (an attribute before 13), each normalised against the INPUT rank; without it, every
 * size-1 axis goes:
 *   [1, N, 1, S] with axes [0] -> [N, 1, S];  without axes -> [N, S] (when N, S are known not 1).
 */
import { ShapeError } from '../../errors.ts';
import { formatShape, isKnown, normAxis } from '../dims.ts';
import { knownShape, reshapeTo } from './grad-util.ts';
import { defineOp } from './op.ts';

export const Squeeze = defineOp({
  opType: 'Squeeze',
  domain: '',
  since: 13,
  inputs: ['data', 'axes?'],
  outputs: ['squeezed'],
  traits: { carriesWeight: 'first', constantFold: true },
  attrs: {},
  inferShape([x, axesType], _a, ctx) {
    if (!x) throw new ShapeError(`${ctx.where}: needs data`);
    let axes: number[];
    if (axesType) {
      if (axesType.dtype !== 'int64' || axesType.shape.length !== 1) {
        throw new ShapeError(`${ctx.where}: axes must be a 1-D int64 tensor, got ${axesType.dtype} ${formatShape(axesType.shape)}`);
      }
      const t = ctx.constant(1);
      if (!t) throw new ShapeError(`${ctx.where}: axes must be a constant initializer`);
      axes = Array.from(t.data as BigInt64Array, Number).map((a) => normAxis(a, x.shape.length, ctx.where));
      for (const a of axes) if (x.shape[a] !== 1) throw new ShapeError(`${ctx.where}: axis ${a} of ${formatShape(x.shape)} is not 1`);
    } else {
      // NOTE: a symbolic dim may be 1 at run time: without axes the result's rank is then unknown.
      if (!x.shape.every(isKnown)) throw new ShapeError(`${ctx.where}: no axes given and ${formatShape(x.shape)} has symbolic dims`);
      axes = x.shape.flatMap((d, i) => (d === 1 ? [i] : []));
    }
    return [{ dtype: x.dtype, shape: x.shape.filter((_, i) => !axes.includes(i)) }];
  },
  grad: ({ b, I, GO, where }) => [reshapeTo(b, GO(0)!, knownShape(I(0), where)), null],
});
