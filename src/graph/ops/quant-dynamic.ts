/**
 * Ops of dynamic quantization and float16 (shape rules only; none of them is differentiated):
 *
 *   Cast(x; to)                         y = x converted to the ONNX element type `to`
 *   DynamicQuantizeLinear(x)            (y, y_scale, y_zero_point), uint8, computed at run time:
 *                                         scale = (max(0, max x) - min(0, min x)) / 255
 *                                         zp    = saturate(round(-min(0, min x) / scale))
 *                                         y     = saturate(round(x / scale) + zp)
 *   ConvInteger(x, w, x_zp?, w_zp?)     int32 Conv of (x - x_zp) and (w - w_zp), Conv's attributes
 *   MatMulInteger(a, b, a_zp?, b_zp?)   int32 MatMul of (a - a_zp) and (b - b_zp)
 */
import { ShapeError } from '../../errors.ts';
import { formatShape } from '../dims.ts';
import { dtypeOfOnnx, onnxElemTypesText } from '../dtype.ts';
import type { DType, ValueType } from '../ir.ts';
import { int } from './attrs.ts';
import { Conv } from './conv.ts';
import { MatMul } from './gemm.ts';
import { defineOp, type OpDef } from './op.ts';

export const Cast = defineOp({
  opType: 'Cast',
  domain: '',
  since: 13,
  inputs: ['input'],
  outputs: ['output'],
  traits: { carriesWeight: 'first', constantFold: true },
  attrs: { to: int() },
  inferShape([x], a, ctx) {
    if (!x) throw new ShapeError(`${ctx.where}: needs an input`);
    const dtype = dtypeOfOnnx(a.to);
    if (!dtype) throw new ShapeError(`${ctx.where}: cast to ONNX element type ${a.to} is not supported (supported: ${onnxElemTypesText()})`);
    return [{ dtype, shape: x.shape }];
  },
});

export const DynamicQuantizeLinear = defineOp({
  opType: 'DynamicQuantizeLinear',
  domain: '',
  since: 11,
  inputs: ['x'],
  outputs: ['y', 'y_scale', 'y_zero_point'],
  attrs: {},
  inferShape([x], _a, ctx) {
    if (!x) throw new ShapeError(`${ctx.where}: needs an input`);
    if (x.dtype !== 'float32') throw new ShapeError(`${ctx.where}: input must be float32, got ${x.dtype}`);
    return [
      { dtype: 'uint8', shape: x.shape },
      { dtype: 'float32', shape: [] },
      { dtype: 'uint8', shape: [] },
    ];
  },
});

const EIGHT_BIT: readonly DType[] = ['int8', 'uint8'];

/** Checks the 8-bit operands and scalar (or, for the weight, per-row) zero points of an *Integer op. */
function checkInteger(ins: (ValueType | undefined)[], where: string, zpRows: number | string): void {
  const [x, w, xzp, wzp] = ins;
  for (const [v, what] of [
    [x, 'input'],
    [w, 'weight'],
  ] as const) {
    if (v && !EIGHT_BIT.includes(v.dtype)) throw new ShapeError(`${where}: ${what} must be int8 or uint8, got ${v.dtype}`);
  }
  if (xzp && (xzp.dtype !== x?.dtype || xzp.shape.length > 1 || (xzp.shape.length === 1 && xzp.shape[0] !== 1))) {
    throw new ShapeError(`${where}: input zero point must be a ${x?.dtype} scalar, got ${xzp.dtype} ${formatShape(xzp.shape)}`);
  }
  if (wzp && (wzp.dtype !== w?.dtype || wzp.shape.length > 1 || (wzp.shape.length === 1 && wzp.shape[0] !== 1 && wzp.shape[0] !== zpRows))) {
    throw new ShapeError(`${where}: weight zero point must be a ${w?.dtype} scalar or have ${zpRows} entries, got ${wzp.dtype} ${formatShape(wzp.shape)}`);
  }
}

export const ConvInteger = defineOp({
  opType: 'ConvInteger',
  domain: '',
  since: 10,
  inputs: ['x', 'w', 'x_zero_point?', 'w_zero_point?'],
  outputs: ['y'],
  attrs: Conv.attrs,
  traits: { weight: 1, learned: [1], macs: 'window' },
  inferShape(ins, a, ctx) {
    const [x, w] = ins;
    if (!x || !w) throw new ShapeError(`${ctx.where}: needs x and w`);
    checkInteger(ins, ctx.where, w.shape[0]);
    const [y] = Conv.inferShape([x, w], a, ctx);
    return [{ dtype: 'int32', shape: y.shape }];
  },
});

export const MatMulInteger = defineOp({
  opType: 'MatMulInteger',
  domain: '',
  since: 10,
  inputs: ['A', 'B', 'a_zero_point?', 'b_zero_point?'],
  outputs: ['Y'],
  attrs: {},
  traits: { learned: [1], macs: 'matmul' },
  inferShape(ins, a, ctx) {
    const [x, w] = ins;
    if (!x || !w) throw new ShapeError(`${ctx.where}: needs A and B`);
    checkInteger(ins, ctx.where, w.shape[w.shape.length - 1]);
    const [y] = MatMul.inferShape([x, w], a, ctx);
    return [{ dtype: 'int32', shape: y.shape }];
  },
});

export const DYNAMIC_QUANT_OPS: OpDef<any>[] = [Cast, DynamicQuantizeLinear, ConvInteger, MatMulInteger];
