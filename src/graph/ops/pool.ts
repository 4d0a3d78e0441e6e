/**
 * Pooling: MaxPool and AveragePool over a window; GlobalAveragePool / GlobalMaxPool reduce every
 * spatial axis to 1 (the "adaptive pooling to 1x1" that lets a model accept any number of frames).
 *
 * Gradients:
 *   MaxPool        dX = ScatterElements(0, Indices, dY, reduction=add): each output's gradient goes
 *                  to the input position that won (Indices index the flattened input, batch included)
 *   AveragePool    dX = ConvTranspose(dY, ones/|k|) per channel (unpadded, or counting the padding)
 *   GlobalAveragePool  dX = dY * ones[1, 1, H, W] / (H W), broadcast
 */
import { ShapeError } from '../../errors.ts';
import { formatShape } from '../dims.ts';
import type { ValueType } from '../ir.ts';
import { int, ints, optInts, string } from './attrs.ts';
import { knownShape, reshapeTo } from './grad-util.ts';
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
  outputs: ['Y', 'Indices?'],
  attrs: { ...windowAttrs, dilations: optInts(), storage_order: int(0) },
  // NOTE: its gradient routes dY through the Indices output, so training computes it.
  traits: { channels: 'pool', staticQuant: { kind: 'passthrough' }, trainingOutputs: 2 },
  inferShape([x], a, ctx) {
    const { dtype, shape } = requireSpatial(x, ctx);
    if (a.kernel_shape.length !== shape.length - 2) throw new ShapeError(`${ctx.where}: kernel rank must match the spatial rank`);
    const win = resolveWindow(a.kernel_shape, a, ctx.where);
    const out = [shape[0], shape[1], ...windowOutShape(shape.slice(2), win, a.ceil_mode === 1, ctx.where)];
    return [{ dtype, shape: out }, { dtype: 'int64', shape: out }];
  },
  grad({ b, node, I, O, GO, where }) {
    const x = I(0);
    const total = knownShape(x, where).reduce((p, d) => p * d, 1);
    // NOTE: the indices come from a second MaxPool with two outputs (the forward node may have
    // one); ORT fuses nothing across them, so this costs one extra pooling pass.
    const indices = node.outputs.length > 1 ? O(1) : b.copy(node, [x], { name: 'maxpool_indices', outputs: 2 })[1];
    const zeros = b.apply('Mul', [reshapeTo(b, x, [total]), b.scalar(0)]);
    const flat = b.apply('ScatterElements', [zeros, reshapeTo(b, indices, [-1]), reshapeTo(b, GO(0)!, [-1])], { axis: 0, reduction: 'add' });
    return [reshapeTo(b, flat, knownShape(x, where))];
  },
});

export const AveragePool = defineOp({
  opType: 'AveragePool',
  domain: '',
  since: 11,
  inputs: ['X'],
  outputs: ['Y'],
  attrs: { ...windowAttrs, count_include_pad: int(0) },
  traits: { channels: 'pool' },
  inferShape([x], a, ctx) {
    const { dtype, shape } = requireSpatial(x, ctx);
    if (a.kernel_shape.length !== shape.length - 2) throw new ShapeError(`${ctx.where}: kernel rank must match the spatial rank`);
    const win = resolveWindow(a.kernel_shape, a, ctx.where);
    return [{ dtype, shape: [shape[0], shape[1], ...windowOutShape(shape.slice(2), win, a.ceil_mode === 1, ctx.where)] }];
  },
  grad({ b, attrs, I, GO, where }) {
    const xs = knownShape(I(0), where);
    const ys = knownShape(GO(0)!, where);
    const win = resolveWindow(attrs.kernel_shape, attrs, where);
    const r = win.kernel.length;
    if (attrs.ceil_mode || (win.pads.some((p) => p > 0) && !attrs.count_include_pad)) {
      throw new ShapeError(`${where}: the gradient needs ceil_mode=0 and either no padding or count_include_pad=1`);
    }
    const c = xs[1];
    const size = win.kernel.reduce((p, k) => p * k, 1);
    const w = b.constant('avgpool_grad.weight', 'float32', [c, 1, ...win.kernel], new Float32Array(c * size).fill(1 / size));
    const outputPadding = win.kernel.map((k, i) => xs[i + 2] - (win.strides[i] * (ys[i + 2] - 1) + k - win.pads[i] - win.pads[i + r]));
    return [
      b.apply('ConvTranspose', [GO(0)!, w], {
        strides: win.strides,
        pads: win.pads,
        group: c,
        kernel_shape: win.kernel,
        output_padding: outputPadding,
      }),
    ];
  },
});

function globalPool(opType: 'GlobalAveragePool' | 'GlobalMaxPool') {
  return defineOp({
    opType,
    domain: '',
    since: 1,
    inputs: ['X'],
    outputs: ['Y'],
    attrs: {},
    traits: opType === 'GlobalAveragePool' ? { channels: 'pool', staticQuant: { kind: 'gap' } } : { channels: 'pool' },
    inferShape([x], _a, ctx) {
      const { dtype, shape } = requireSpatial(x, ctx);
      return [{ dtype, shape: [shape[0], shape[1], ...shape.slice(2).map(() => 1)] }];
    },
    ...(opType === 'GlobalAveragePool'
      ? {
          grad({ b, I, GO, where }) {
            const spatial = knownShape(I(0), where).slice(2);
            const size = spatial.reduce((p, d) => p * d, 1);
            const spread = b.constant('gap_grad.spread', 'float32', [1, 1, ...spatial], new Float32Array(size).fill(1 / size));
            return [b.apply('Mul', [GO(0)!, spread])];
          },
        }
      : {}),
  });
}

export const GlobalAveragePool = globalPool('GlobalAveragePool');
export const GlobalMaxPool = globalPool('GlobalMaxPool');
