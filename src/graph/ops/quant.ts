/**
 * Quantization ops of static quantization: QuantizeLinear / DequantizeLinear (QDQ format) and the
 * QOperator ops (QLinearConv, QLinearMatMul, and com.microsoft's QLinear* where no standard op exists).
 *
 * The affine map of every op here, with scale s > 0 and integer zero point z:
 *   q = saturate(round_half_even(x / s) + z)      (QuantizeLinear; int8 [-128, 127], uint8 [0, 255])
 *   x = (q - z) * s                               (DequantizeLinear; int32 input allowed for biases)
 * s and z are scalars (per tensor) or 1-D of length shape[axis] (per channel, opset 13+).
 * The QLinear* ops compute their float counterpart on dequantized inputs and quantize the result
 * with (y_scale, y_zero_point); their output type is the type of y_zero_point.
 *
 * com.microsoft contrib ops (ONNX Runtime's CPU and WASM builds carry their kernels):
 *   QLinearAdd(A, A_scale, A_zp, B, B_scale, B_zp, C_scale, C_zp)     C = A + B, broadcast
 *   QLinearGlobalAveragePool(X, x_scale, x_zp, y_scale, y_zp)         channels_last = 0 (NCHW)
 *   QLinearConcat(Y_scale, Y_zp, X1, X1_scale, X1_zp, X2, ...)        concatenation along axis
 *   QGemm(A, a_scale, a_zp, B, b_scale, b_zp, C?, y_scale?, y_zp?)    Y = alpha A' B' + C, C int32 bias
 *                                                                     at scale a_scale*b_scale; with no
 *                                                                     y_scale the output is float32
 * No gradients: these ops only appear in exported inference graphs.
 */
import { ShapeError } from '../../errors.ts';
import { broadcastShapes, formatShape, isKnown, normAxis } from '../dims.ts';
import type { DType, ValueType } from '../ir.ts';
import { float, int } from './attrs.ts';
import { Conv } from './conv.ts';
import { Gemm, MatMul } from './gemm.ts';
import { defineOp, type OpDef, type ShapeContext } from './op.ts';

export const MS_DOMAIN = 'com.microsoft';

const QUANT_TYPES: readonly DType[] = ['int8', 'uint8'];

function need(v: ValueType | undefined, what: string, ctx: ShapeContext): ValueType {
  if (!v) throw new ShapeError(`${ctx.where}: missing input ${what}`);
  return v;
}

function requireQuant(v: ValueType, what: string, ctx: ShapeContext): void {
  if (!QUANT_TYPES.includes(v.dtype)) throw new ShapeError(`${ctx.where}: ${what} must be int8 or uint8, got ${v.dtype}`);
}

/** A scale (float32) and its optional zero point: scalars, or 1-D of `channels` entries when allowed. */
function checkScaleZp(scale: ValueType | undefined, zp: ValueType | undefined, ctx: ShapeContext, what: string, channels?: number | string): void {
  const s = need(scale, `${what}_scale`, ctx);
  if (s.dtype !== 'float32') throw new ShapeError(`${ctx.where}: ${what}_scale must be float32, got ${s.dtype}`);
  for (const t of zp ? [s, zp] : [s]) {
    const ok = t.shape.length === 0 || (t.shape.length === 1 && channels !== undefined && (t.shape[0] === channels || !isKnown(t.shape[0]) || !isKnown(channels)));
    if (!ok) {
      throw new ShapeError(`${ctx.where}: ${what} scale and zero point must be scalars${channels !== undefined ? ` or 1-D of ${channels} channels` : ''}, got ${formatShape(t.shape)}`);
    }
  }
  if (zp && s.shape.length !== zp.shape.length) throw new ShapeError(`${ctx.where}: ${what} scale ${formatShape(s.shape)} and zero point ${formatShape(zp.shape)} differ`);
}

/** The size of x along `axis` when the scale is per channel (1-D); `axis` is ignored for a scalar scale. */
function channelsAt(x: ValueType, scale: ValueType | undefined, axis: number, ctx: ShapeContext): number | string | undefined {
  if (!scale || scale.shape.length === 0) return undefined;
  return x.shape[normAxis(axis, x.shape.length, ctx.where)];
}

export const QuantizeLinear = defineOp({
  opType: 'QuantizeLinear',
  domain: '',
  since: 13,
  inputs: ['x', 'y_scale', 'y_zero_point?'],
  outputs: ['y'],
  attrs: { axis: int(1) },
  inferShape([x, s, z], a, ctx) {
    const xv = need(x, 'x', ctx);
    if (xv.dtype !== 'float32') throw new ShapeError(`${ctx.where}: x must be float32, got ${xv.dtype}`);
    if (z) requireQuant(z, 'y_zero_point', ctx);
    checkScaleZp(s, z, ctx, 'y', channelsAt(xv, s, a.axis, ctx));
    return [{ dtype: z?.dtype ?? 'uint8', shape: xv.shape }];
  },
});

export const DequantizeLinear = defineOp({
  opType: 'DequantizeLinear',
  domain: '',
  since: 13,
  inputs: ['x', 'x_scale', 'x_zero_point?'],
  outputs: ['y'],
  attrs: { axis: int(1) },
  // The integer tensor it reads is a quantized parameter when it is an initializer (QDQ weights).
  traits: { learned: [0] },
  inferShape([x, s, z], a, ctx) {
    const xv = need(x, 'x', ctx);
    if (![...QUANT_TYPES, 'int32'].includes(xv.dtype)) throw new ShapeError(`${ctx.where}: x must be int8, uint8 or int32, got ${xv.dtype}`);
    if (z && z.dtype !== xv.dtype) throw new ShapeError(`${ctx.where}: x_zero_point is ${z.dtype} but x is ${xv.dtype}`);
    checkScaleZp(s, z, ctx, 'x', channelsAt(xv, s, a.axis, ctx));
    return [{ dtype: 'float32', shape: xv.shape }];
  },
});

export const QLinearConv = defineOp({
  opType: 'QLinearConv',
  domain: '',
  since: 10,
  inputs: ['x', 'x_scale', 'x_zero_point', 'w', 'w_scale', 'w_zero_point', 'y_scale', 'y_zero_point', 'B?'],
  outputs: ['y'],
  attrs: Conv.attrs,
  traits: { weight: 3, learned: [3, 8], macs: 'window' },
  inferShape([x, xs, xz, w, ws, wz, ys, yz, b], a, ctx) {
    const [xv, wv, yzv] = [need(x, 'x', ctx), need(w, 'w', ctx), need(yz, 'y_zero_point', ctx)];
    requireQuant(xv, 'x', ctx);
    requireQuant(wv, 'w', ctx);
    requireQuant(yzv, 'y_zero_point', ctx);
    checkScaleZp(xs, xz, ctx, 'x');
    checkScaleZp(ws, wz, ctx, 'w', wv.shape[0]);
    checkScaleZp(ys, yz, ctx, 'y');
    if (b && b.dtype !== 'int32') throw new ShapeError(`${ctx.where}: bias must be int32, got ${b.dtype}`);
    const [out] = Conv.inferShape([{ ...xv, dtype: 'float32' }, wv, b], a, ctx);
    return [{ dtype: yzv.dtype, shape: out.shape }];
  },
});

export const QLinearMatMul = defineOp({
  opType: 'QLinearMatMul',
  domain: '',
  since: 10,
  inputs: ['a', 'a_scale', 'a_zero_point', 'b', 'b_scale', 'b_zero_point', 'y_scale', 'y_zero_point'],
  outputs: ['y'],
  attrs: {},
  traits: { learned: [3], macs: 'matmul' },
  inferShape([a, as, az, b, bs, bz, ys, yz], _a, ctx) {
    const [av, bv, yzv] = [need(a, 'a', ctx), need(b, 'b', ctx), need(yz, 'y_zero_point', ctx)];
    requireQuant(av, 'a', ctx);
    requireQuant(bv, 'b', ctx);
    requireQuant(yzv, 'y_zero_point', ctx);
    checkScaleZp(as, az, ctx, 'a');
    checkScaleZp(bs, bz, ctx, 'b', bv.shape[bv.shape.length - 1]);
    checkScaleZp(ys, yz, ctx, 'y');
    const [out] = MatMul.inferShape([av, bv], {}, ctx);
    return [{ dtype: yzv.dtype, shape: out.shape }];
  },
});

export const QLinearAdd = defineOp({
  opType: 'QLinearAdd',
  domain: MS_DOMAIN,
  since: 1,
  inputs: ['A', 'A_scale', 'A_zero_point?', 'B', 'B_scale', 'B_zero_point?', 'C_scale', 'C_zero_point?'],
  outputs: ['C'],
  attrs: {},
  inferShape([a, as, az, b, bs, bz, cs, cz], _a, ctx) {
    const [av, bv] = [need(a, 'A', ctx), need(b, 'B', ctx)];
    requireQuant(av, 'A', ctx);
    if (av.dtype !== bv.dtype || (cz && cz.dtype !== av.dtype)) throw new ShapeError(`${ctx.where}: A, B and C must share one type, got ${av.dtype}, ${bv.dtype}, ${cz?.dtype}`);
    checkScaleZp(as, az, ctx, 'A');
    checkScaleZp(bs, bz, ctx, 'B');
    checkScaleZp(cs, cz, ctx, 'C');
    return [{ dtype: av.dtype, shape: broadcastShapes(av.shape, bv.shape, ctx.where) }];
  },
});

export const QLinearGlobalAveragePool = defineOp({
  opType: 'QLinearGlobalAveragePool',
  domain: MS_DOMAIN,
  since: 1,
  inputs: ['X', 'x_scale', 'x_zero_point', 'y_scale', 'y_zero_point'],
  outputs: ['Y'],
  attrs: { channels_last: int(0) },
  inferShape([x, xs, xz, ys, yz], a, ctx) {
    const xv = need(x, 'X', ctx);
    requireQuant(xv, 'X', ctx);
    checkScaleZp(xs, xz, ctx, 'x');
    checkScaleZp(ys, yz, ctx, 'y');
    if (a.channels_last !== 0) throw new ShapeError(`${ctx.where}: only channels_last=0 (NCHW) is supported`);
    if (xv.shape.length < 3) throw new ShapeError(`${ctx.where}: input must be [N, C, ...spatial], got ${formatShape(xv.shape)}`);
    return [{ dtype: xv.dtype, shape: [xv.shape[0], xv.shape[1], ...xv.shape.slice(2).map(() => 1)] }];
  },
});

export const QLinearConcat = defineOp({
  opType: 'QLinearConcat',
  domain: MS_DOMAIN,
  since: 1,
  // NOTE: variadic: (Y_scale, Y_zero_point) then one (X, X_scale, X_zero_point) triple per input.
  inputs: ['Y_scale', 'Y_zero_point', 'X1', 'X1_scale', 'X1_zero_point'],
  outputs: ['Y'],
  attrs: { axis: int() },
  inferShape(ins, a, ctx) {
    const [ys, yz, ...rest] = ins;
    const yzv = need(yz, 'Y_zero_point', ctx);
    checkScaleZp(ys, yz, ctx, 'Y');
    if (rest.length === 0 || rest.length % 3 !== 0) throw new ShapeError(`${ctx.where}: inputs after Y_scale, Y_zero_point must be (X, X_scale, X_zero_point) triples, got ${rest.length}`);
    const xs: ValueType[] = [];
    for (let i = 0; i < rest.length; i += 3) {
      const xv = need(rest[i], `X${i / 3 + 1}`, ctx);
      if (xv.dtype !== yzv.dtype) throw new ShapeError(`${ctx.where}: input ${i / 3 + 1} is ${xv.dtype}, the output ${yzv.dtype}`);
      checkScaleZp(rest[i + 1], rest[i + 2], ctx, `X${i / 3 + 1}`);
      xs.push(xv);
    }
    const rank = xs[0].shape.length;
    const axis = normAxis(a.axis, rank, ctx.where);
    const shape = [...xs[0].shape];
    let total: number | string = 0;
    for (const x of xs) {
      if (x.shape.length !== rank) throw new ShapeError(`${ctx.where}: inputs differ in rank`);
      const d = x.shape[axis];
      total = isKnown(total) && isKnown(d) ? total + d : `${total}+${d}`;
    }
    shape[axis] = total;
    return [{ dtype: yzv.dtype, shape }];
  },
});

export const QGemm = defineOp({
  opType: 'QGemm',
  domain: MS_DOMAIN,
  since: 1,
  inputs: ['A', 'a_scale', 'a_zero_point', 'B', 'b_scale', 'b_zero_point', 'C?', 'y_scale?', 'y_zero_point?'],
  outputs: ['Y'],
  attrs: { alpha: float(1), transA: int(0), transB: int(0) },
  inferShape([a, as, az, b, bs, bz, c, ys, yz], attrs, ctx) {
    const [av, bv] = [need(a, 'A', ctx), need(b, 'B', ctx)];
    requireQuant(av, 'A', ctx);
    requireQuant(bv, 'B', ctx);
    checkScaleZp(as, az, ctx, 'a');
    checkScaleZp(bs, bz, ctx, 'b', attrs.transB ? bv.shape[0] : bv.shape[1]);
    if (c && c.dtype !== 'int32') throw new ShapeError(`${ctx.where}: C must be int32, got ${c.dtype}`);
    if (ys) checkScaleZp(ys, yz, ctx, 'y');
    const [out] = Gemm.inferShape([av, bv, c], { alpha: attrs.alpha, beta: 1, transA: attrs.transA, transB: attrs.transB }, ctx);
    return [{ dtype: ys ? (yz?.dtype ?? 'uint8') : 'float32', shape: out.shape }];
  },
});

export const QUANT_OPS: OpDef<any>[] = [QuantizeLinear, DequantizeLinear, QLinearConv, QLinearMatMul, QLinearAdd, QLinearGlobalAveragePool, QLinearConcat, QGemm];
