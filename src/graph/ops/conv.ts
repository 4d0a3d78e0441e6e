/**
 * Conv (opset 11+ semantics, current at 17): Y[n, m] = sum_{c in group(m), k} X[n, c, s*o + d*k - pad] * W[m, c, k] + B[m].
 * W has shape [M, C/group, kH, kW]; group = C gives a depthwise convolution.
 */
import { ShapeError } from '../../errors.ts';
import { formatShape, isKnown } from '../dims.ts';
import { int, optInts, string } from './attrs.ts';
import { defineOp } from './op.ts';
import { resolveWindow, windowOutShape } from './window.ts';

export const Conv = defineOp({
  opType: 'Conv',
  domain: '',
  since: 11,
  inputs: ['X', 'W', 'B?'],
  outputs: ['Y'],
  attrs: {
    auto_pad: string('NOTSET'),
    dilations: optInts(),
    group: int(1),
    kernel_shape: optInts(),
    pads: optInts(),
    strides: optInts(),
  },
  inferShape([x, w, b], a, ctx) {
    if (!x || !w) throw new ShapeError(`${ctx.where}: needs X and W`);
    if (x.shape.length < 3) throw new ShapeError(`${ctx.where}: input must be [N, C, ...spatial], got ${formatShape(x.shape)}`);
    if (w.shape.length !== x.shape.length) {
      throw new ShapeError(`${ctx.where}: weight ${formatShape(w.shape)} and input ${formatShape(x.shape)} differ in rank`);
    }
    const kernel = a.kernel_shape ?? (w.shape.slice(2) as number[]);
    if (!kernel.every(isKnown)) throw new ShapeError(`${ctx.where}: weight spatial dims must be known`);
    const [n, c, ...spatial] = x.shape;
    const [m, cPerGroup] = w.shape;
    if (isKnown(c) && isKnown(cPerGroup) && c !== cPerGroup * a.group) {
      throw new ShapeError(
        `${ctx.where}: input has ${c} channels but weight ${formatShape(w.shape)} with group=${a.group} expects ${Number(cPerGroup) * a.group}`,
      );
    }
    if (isKnown(m) && m % a.group !== 0) throw new ShapeError(`${ctx.where}: ${m} output channels do not divide into ${a.group} groups`);
    if (b && (b.shape.length !== 1 || b.shape[0] !== m)) {
      throw new ShapeError(`${ctx.where}: bias ${formatShape(b.shape)} must be [${m}]`);
    }
    const win = resolveWindow(kernel, a, ctx.where);
    return [{ dtype: x.dtype, shape: [n, m, ...windowOutShape(spatial, win, false, ctx.where)] }];
  },
});
