/**
 * Conv (opset 11+ semantics, current at 17): Y[n, m] = sum_{c in group(m), k} X[n, c, s*o + d*k - pad] * W[m, c, k] + B[m].
 * W has shape [M, C/group, kH, kW]; group = C gives a depthwise convolution.
 *
 * ConvTranspose is its adjoint in X: out = s*(in - 1) + output_padding + d*(k - 1) + 1 - pad_begin - pad_end,
 * with W of shape [C, M/group, k...].
 *
 * Gradients (../shared/STYLE.md §2; checked against finite differences in onnxruntime):
 *   dX = ConvTranspose(dY, W) with the forward strides, pads, dilations and group, and the
 *        output_padding that restores X's size. With unit strides it is the same as a plain
 *        Conv(dY, W') with W' = W flipped in space (and transposed [C, M]), pads d(k-1) - p,
 *        which onnxruntime runs about 2x faster than ConvTranspose on CPU.
 *   dW = Conv(X^T, dY^T) with dilations and strides swapped, on [C, N, ...] x [M, N, ...], cropped
 *        to the kernel and transposed back; depthwise convs run it grouped over C. For 2-D,
 *        group 1, it is computed instead as one batched GEMM per kernel offset (i, j):
 *          dW[:, :, i, j] = sum_n dY[n] (M x P) . Xpad[n, :, i d + s h', j d + s w']^T (P x C)
 *        which keeps the GEMM's inner dimension P = H'W' long (the Conv form runs a 9-column
 *        GEMM with K = N H' W' and is ~2.5x slower for the zoo's 3x3 layers).
 *   dB = ReduceSum(dY) over every axis but 1
 */
import { ShapeError } from '../../errors.ts';
import { formatShape, isKnown } from '../dims.ts';
import { int, optInts, string } from './attrs.ts';
import type { Value } from '../ir.ts';
import { knownShape, reduceSum, reshapeTo } from './grad-util.ts';
import { defineOp, type Emitter } from './op.ts';
import { resolveWindow, type Window, windowOutShape } from './window.ts';

const convAttrs = {
  auto_pad: string('NOTSET'),
  dilations: optInts(),
  group: int(1),
  kernel_shape: optInts(),
  pads: optInts(),
  strides: optInts(),
};

function windowAttrs(w: Window, group: number) {
  return { strides: w.strides, pads: w.pads, dilations: w.dilations, group, kernel_shape: w.kernel };
}

/** Crops the spatial axes of x (rank r + 2) to `size`, when the weight-gradient conv overshoots the kernel. */
function cropSpatial(b: Emitter, x: Value, size: number[]): Value {
  const have = knownShape(x, 'conv weight gradient').slice(2);
  if (have.every((d, i) => d === size[i])) return x;
  const axes = size.map((_, i) => i + 2);
  return b.apply('Slice', [x, b.int64s(size.map(() => 0), 'starts'), b.int64s(size, 'ends'), b.int64s(axes, 'axes')]);
}

/** dW of a 2-D, group-1 Conv as one batched GEMM per kernel offset (see the header). */
function weightGradGemm(b: Emitter, x: Value, dy: Value, win: Window, xs: number[], ys: number[]): Value {
  const [n, c] = xs;
  const [, m, oh, ow] = ys;
  const [kh, kw] = win.kernel;
  const [sh, sw] = win.strides;
  const [dh, dw] = win.dilations;
  const [pt, pl, pb, pr] = win.pads;
  const xp = pt || pl || pb || pr ? b.apply('Pad', [x, b.int64s([0, 0, pt, pl, 0, 0, pb, pr], 'pads')]) : x;
  const padded = knownShape(xp, 'conv weight gradient');
  const dyr = reshapeTo(b, dy, [n, m, oh * ow]);
  const parts: Value[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const starts = [i * dh, j * dw];
      const ends = [i * dh + sh * (oh - 1) + 1, j * dw + sw * (ow - 1) + 1];
      const whole = starts[0] === 0 && starts[1] === 0 && sh === 1 && sw === 1 && ends[0] === padded[2] && ends[1] === padded[3];
      const patch = whole ? xp : b.apply('Slice', [xp, b.int64s(starts, 'starts'), b.int64s(ends, 'ends'), b.int64s([2, 3], 'axes'), b.int64s([sh, sw], 'steps')]);
      const cols = b.apply('Transpose', [reshapeTo(b, patch, [n, c, oh * ow])], { perm: [0, 2, 1] });
      const perSample = b.apply('MatMul', [dyr, cols]);
      parts.push(b.apply('Unsqueeze', [reduceSum(b, perSample, [0], false), b.int64s([2], 'axes')]));
    }
  }
  const stacked = parts.length === 1 ? parts[0] : b.apply('Concat', parts, { axis: 2 });
  return reshapeTo(b, stacked, [m, c, kh, kw]);
}

export const Conv = defineOp({
  opType: 'Conv',
  domain: '',
  since: 11,
  inputs: ['X', 'W', 'B?'],
  outputs: ['Y'],
  attrs: convAttrs,
  traits: { channels: 'conv', staticQuant: { kind: 'conv', absorbsClamp: true }, dynamicQuant: 'conv', weight: 1, magnitudePrune: true, learned: [1, 2], macs: 'window' },
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
  grad({ b, attrs, I, GO, wants, where }) {
    const dy = GO(0)!;
    const x = I(0);
    const w = I(1);
    const xs = knownShape(x, where);
    const ws = knownShape(w, where);
    const ys = knownShape(dy, where);
    const win = resolveWindow(attrs.kernel_shape ?? ws.slice(2), attrs, where);
    const r = win.kernel.length;
    const [n, c] = xs;
    const m = ws[0];
    const perm = [1, 0, ...win.kernel.map((_, i) => i + 2)];
    let dx: Value | null = null;
    let dw: Value | null = null;
    const depthwise = attrs.group === c && m === c;
    if (wants(0)) {
      const flippedPads = win.pads.map((p, i) => win.dilations[i % r] * (win.kernel[i % r] - 1) - p);
      if (win.strides.every((st) => st === 1) && flippedPads.every((p) => p >= 0) && (attrs.group === 1 || depthwise)) {
        const k = win.kernel;
        const flipped = b.apply('Slice', [w, b.int64s(k.map(() => -1), 'starts'), b.int64s(k.map((ki) => -ki - 1), 'ends'), b.int64s(k.map((_, i) => i + 2), 'axes'), b.int64s(k.map(() => -1), 'steps')]);
        const wT = depthwise ? flipped : b.apply('Transpose', [flipped], { perm: perm });
        dx = b.apply('Conv', [dy, wT], { pads: flippedPads, dilations: win.dilations, group: attrs.group, kernel_shape: k });
      } else {
        // NOTE: a strided conv drops up to s-1 trailing input positions; output_padding puts them back.
        const outputPadding = win.kernel.map((k, i) => xs[i + 2] - (win.strides[i] * (ys[i + 2] - 1) + win.dilations[i] * (k - 1) + 1 - win.pads[i] - win.pads[i + r]));
        dx = b.apply('ConvTranspose', [dy, w], { ...windowAttrs(win, attrs.group), output_padding: outputPadding });
      }
    }
    if (wants(1) && attrs.group === 1 && r === 2) {
      dw = weightGradGemm(b, x, dy, win, xs, ys);
    } else if (wants(1)) {
      const swapped = { strides: win.dilations, dilations: win.strides, pads: win.pads };
      const dyT = b.apply('Transpose', [dy], { perm: perm });
      if (attrs.group === 1) {
        const xT = b.apply('Transpose', [x], { perm: perm });
        const g = cropSpatial(b, b.apply('Conv', [xT, dyT], swapped), win.kernel);
        dw = b.apply('Transpose', [g], { perm: perm });
      } else if (depthwise) {
        // Depthwise: channel c's kernel only sees channel c, so run the batch as C groups of N.
        const xT = reshapeTo(b, b.apply('Transpose', [x], { perm: perm }), [1, c * n, ...xs.slice(2)]);
        const g = cropSpatial(b, b.apply('Conv', [xT, dyT], { ...swapped, group: c }), win.kernel);
        dw = reshapeTo(b, g, ws);
      } else {
        throw new ShapeError(`${where}: the weight gradient supports group=1 and depthwise (group=C=M) convolutions, not group=${attrs.group}`);
      }
    }
    const db = wants(2) ? reduceSum(b, dy, [0, ...win.kernel.map((_, i) => i + 2)], false) : null;
    return [dx, dw, db];
  },
});

export const ConvTranspose = defineOp({
  opType: 'ConvTranspose',
  domain: '',
  since: 11,
  inputs: ['X', 'W', 'B?'],
  outputs: ['Y'],
  attrs: { ...convAttrs, output_padding: optInts(), output_shape: optInts() },
  traits: { weight: 1, learned: [1, 2], macs: 'window' },
  inferShape([x, w], a, ctx) {
    if (!x || !w) throw new ShapeError(`${ctx.where}: needs X and W`);
    if (w.shape.length !== x.shape.length || x.shape.length < 3) {
      throw new ShapeError(`${ctx.where}: weight ${formatShape(w.shape)} and input ${formatShape(x.shape)} must both be [N, C, ...spatial]`);
    }
    if (a.output_shape) throw new ShapeError(`${ctx.where}: output_shape is not supported; give pads and output_padding`);
    const kernel = a.kernel_shape ?? (w.shape.slice(2) as number[]);
    if (!kernel.every(isKnown)) throw new ShapeError(`${ctx.where}: weight spatial dims must be known`);
    const win = resolveWindow(kernel, a, ctx.where);
    const r = kernel.length;
    const op = a.output_padding ?? Array(r).fill(0);
    const spatial = x.shape.slice(2).map((d, i) => {
      if (!isKnown(d)) throw new ShapeError(`${ctx.where}: spatial dims must be known`);
      return win.strides[i] * (d - 1) + op[i] + win.dilations[i] * (kernel[i] - 1) + 1 - win.pads[i] - win.pads[i + r];
    });
    const m = w.shape[1];
    return [{ dtype: x.dtype, shape: [x.shape[0], isKnown(m) ? m * a.group : m, ...spatial] }];
  },
});
