/**
 * Pad (opset 13, current at 17; opset 18 adds an `axes` input, 19 the 'wrap' mode):
 *
 *   pads = [b_0, ..., b_{r-1}, e_0, ..., e_{r-1}]  (a constant int64 input of length 2r)
 *   out_i = b_i + d_i + e_i
 *   'constant': the new cells hold constant_value (default 0); negative pads crop
 *   'reflect':  x[-j] = x[j], x[d-1+j] = x[d-1-j]  (no edge repeat, numpy 'reflect'), needs b_i, e_i <= d_i - 1
 *   'edge':     x[-j] = x[0], x[d-1+j] = x[d-1]   (needs d_i >= 1 where padded)
 */
import { ShapeError } from '../../errors.ts';
import { addDim, formatShape, isKnown } from '../dims.ts';
import { string } from './attrs.ts';
import { defineOp } from './op.ts';

export const PAD_MODES = ['constant', 'reflect', 'edge'] as const;

export const Pad = defineOp({
  opType: 'Pad',
  domain: '',
  // NOTE: since 11 (pads and value as inputs); -13 only adds bfloat16.
  since: 11,
  inputs: ['data', 'pads', 'constant_value?'],
  outputs: ['output'],
  attrs: { mode: string('constant') },
  inferShape([x, pads, value], a, ctx) {
    if (!x || !pads) throw new ShapeError(`${ctx.where}: needs data and pads`);
    if (!(PAD_MODES as readonly string[]).includes(a.mode)) throw new ShapeError(`${ctx.where}: mode '${a.mode}' is not one of ${PAD_MODES.join(', ')}`);
    if (pads.dtype !== 'int64') throw new ShapeError(`${ctx.where}: pads must be int64, got ${pads.dtype}`);
    if (value && (value.dtype !== x.dtype || value.shape.length > 1)) {
      throw new ShapeError(`${ctx.where}: constant_value must be a ${x.dtype} scalar, got ${value.dtype} ${formatShape(value.shape)}`);
    }
    const t = ctx.constant(1);
    if (!t) throw new ShapeError(`${ctx.where}: pads must be a constant initializer`);
    const p = Array.from(t.data as BigInt64Array, Number);
    const r = x.shape.length;
    if (p.length !== 2 * r) throw new ShapeError(`${ctx.where}: input of rank ${r} needs ${2 * r} pads, got ${p.length}`);
    const shape = x.shape.map((d, i) => {
      const [b, e] = [p[i], p[i + r]];
      if (a.mode !== 'constant' && (b < 0 || e < 0)) throw new ShapeError(`${ctx.where}: negative pads (crops) are only supported in mode 'constant'`);
      if (isKnown(d)) {
        if (a.mode === 'reflect' && Math.max(b, e) > d - 1) {
          throw new ShapeError(`${ctx.where}: reflect pads ${b}/${e} on axis ${i} need an input longer than ${Math.max(b, e)}, got ${d}`);
        }
        if (a.mode === 'edge' && d === 0 && b + e > 0) throw new ShapeError(`${ctx.where}: edge padding of an empty axis ${i}`);
        if (d + b + e < 0) throw new ShapeError(`${ctx.where}: pads ${b}/${e} crop axis ${i} of size ${d} below zero`);
      }
      return addDim(d, b + e);
    });
    return [{ dtype: x.dtype, shape }];
  },
});
