/**
 * BatchNormalization (inference form, opset 15):
 *   Y = scale * (X - mean) / sqrt(var + epsilon) + B,  per channel (axis 1).
 */
import { ShapeError } from '../../errors.ts';
import { formatShape } from '../dims.ts';
import { float, int } from './attrs.ts';
import { defineOp } from './op.ts';

export const BatchNormalization = defineOp({
  opType: 'BatchNormalization',
  domain: '',
  since: 15,
  inputs: ['X', 'scale', 'B', 'input_mean', 'input_var'],
  outputs: ['Y'],
  attrs: { epsilon: float(1e-5), momentum: float(0.9), training_mode: int(0) },
  // Scale and bias are learned; the running mean and variance are statistics, not parameters.
  traits: { channels: 'batchnorm', learned: [1, 2] },
  inferShape([x, ...params], a, ctx) {
    if (!x || x.shape.length < 2) throw new ShapeError(`${ctx.where}: input must be [N, C, ...]`);
    if (a.training_mode !== 0) throw new ShapeError(`${ctx.where}: training_mode=1 is only emitted by the trainer`);
    const c = x.shape[1];
    params.forEach((p, i) => {
      if (!p || p.shape.length !== 1 || p.shape[0] !== c) {
        throw new ShapeError(`${ctx.where}: parameter ${i + 1} must be [${c}], got ${p ? formatShape(p.shape) : 'nothing'}`);
      }
    });
    return [{ dtype: x.dtype, shape: x.shape }];
  },
});
