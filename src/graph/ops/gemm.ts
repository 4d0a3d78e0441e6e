/**
 * Gemm:   Y = alpha * A' B' + beta * C,  A' = transA ? A^T : A,  B' = transB ? B^T : B  (2-D only).
 * MatMul: numpy matmul with batch broadcasting over leading axes.
 */
import { ShapeError } from '../../errors.ts';
import { broadcastShapes, formatShape, isKnown } from '../dims.ts';
import type { Dim } from '../ir.ts';
import { float, int } from './attrs.ts';
import { defineOp } from './op.ts';

function checkInner(k1: Dim, k2: Dim, where: string, a: Dim[], b: Dim[]): void {
  if (isKnown(k1) && isKnown(k2) && k1 !== k2) {
    throw new ShapeError(`${where}: inner dims differ: ${formatShape(a)} x ${formatShape(b)} (${k1} vs ${k2})`);
  }
}

export const Gemm = defineOp({
  opType: 'Gemm',
  domain: '',
  since: 13,
  inputs: ['A', 'B', 'C?'],
  outputs: ['Y'],
  attrs: { alpha: float(1), beta: float(1), transA: int(0), transB: int(0) },
  inferShape([a, b, c], attrs, ctx) {
    if (!a || !b) throw new ShapeError(`${ctx.where}: needs A and B`);
    if (a.shape.length !== 2 || b.shape.length !== 2) {
      throw new ShapeError(`${ctx.where}: A and B must be 2-D, got ${formatShape(a.shape)} and ${formatShape(b.shape)}; flatten first`);
    }
    const [m, ka] = attrs.transA ? [a.shape[1], a.shape[0]] : a.shape;
    const [kb, n] = attrs.transB ? [b.shape[1], b.shape[0]] : b.shape;
    checkInner(ka, kb, ctx.where, a.shape, b.shape);
    if (c) broadcastShapes([m, n], c.shape, `${ctx.where} (bias)`);
    return [{ dtype: a.dtype, shape: [m, n] }];
  },
});

export const MatMul = defineOp({
  opType: 'MatMul',
  domain: '',
  since: 13,
  inputs: ['A', 'B'],
  outputs: ['Y'],
  attrs: {},
  inferShape([a, b], _attrs, ctx) {
    if (!a || !b) throw new ShapeError(`${ctx.where}: needs A and B`);
    if (a.shape.length < 2 || b.shape.length < 2) throw new ShapeError(`${ctx.where}: 1-D operands are not supported; reshape to 2-D`);
    const [m, ka] = a.shape.slice(-2);
    const [kb, n] = b.shape.slice(-2);
    checkInner(ka, kb, ctx.where, a.shape, b.shape);
    const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), ctx.where);
    return [{ dtype: a.dtype, shape: [...batch, m, n] }];
  },
});
