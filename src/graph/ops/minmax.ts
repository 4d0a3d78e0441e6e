/**
 * Variadic elementwise Max and Min (opset 13): Y = max(X_1, ..., X_k) (resp. min), k >= 1, all of one
 * type, broadcast numpy-style across every input. Max(S, amin) is the floor of a dB conversion.
 */
import { ShapeError } from '../../errors.ts';
import { broadcastShapes } from '../dims.ts';
import type { Shape } from '../ir.ts';
import { defineOp, type OpDef } from './op.ts';

function variadic(opType: string): OpDef<Record<string, never>> {
  return defineOp({
    opType,
    domain: '',
    // NOTE: since 8 (broadcasting); -12 and -13 only add element types.
    since: 8,
    inputs: ['data_0...'],
    outputs: [opType.toLowerCase()],
    attrs: {},
    traits: { channels: 'tie' },
    inferShape(ins, _attrs, ctx) {
      const xs = ins.filter((x) => x !== undefined);
      if (!xs.length) throw new ShapeError(`${ctx.where}: needs at least one input`);
      let shape: Shape = xs[0].shape;
      for (const x of xs.slice(1)) {
        if (x.dtype !== xs[0].dtype) throw new ShapeError(`${ctx.where}: input types differ (${xs[0].dtype} vs ${x.dtype})`);
        shape = broadcastShapes(shape, x.shape, ctx.where);
      }
      return [{ dtype: xs[0].dtype, shape }];
    },
  });
}

export const Max = variadic('Max');
export const Min = variadic('Min');
