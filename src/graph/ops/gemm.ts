/**
 * Gemm:   Y = alpha * A' B' + beta * C,  A' = transA ? A^T : A,  B' = transB ? B^T : B  (2-D only).
 * MatMul: numpy matmul with batch broadcasting over leading axes.
 *
 * Gradients (alpha = beta = 1, transA = 0):
 *   dA = dY B'^T;  dB = dY^T A when transB, else A^T dY;  dC = dY summed over broadcast axes.
 *   MatMul (2-D): dA = dY B^T, dB = A^T dY.
 */
import { ShapeError } from '../../errors.ts';
import { broadcastShapes, formatShape, isKnown } from '../dims.ts';
import type { Dim } from '../ir.ts';
import { float, int } from './attrs.ts';
import { unbroadcast } from './grad-util.ts';
import { defineOp } from './op.ts';

function checkInner(k1: Dim, k2: Dim, where: string, a: Dim[], b: Dim[]): void {
  if (isKnown(k1) && isKnown(k2) && k1 !== k2) {
    throw new ShapeError(`${where}: inner dims differ: ${formatShape(a)} x ${formatShape(b)} (${k1} vs ${k2})`);
  }
}

export const Gemm = defineOp({
  opType: 'Gemm',
  domain: '',
  // NOTE: since 11: Gemm-11 (C optional) and -13 (bfloat16) are the same op.
  since: 11,
  inputs: ['A', 'B', 'C?'],
  outputs: ['Y'],
  attrs: { alpha: float(1), beta: float(1), transA: int(0), transB: int(0) },
  traits: { channels: 'gemm', staticQuant: { kind: 'gemm', absorbsClamp: true }, dynamicQuant: 'gemm', weight: 1, magnitudePrune: true, learned: [1, 2], macs: 'matmul' },
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
  grad({ b, attrs, I, GO, wants, where }) {
    if (attrs.alpha !== 1 || attrs.beta !== 1 || attrs.transA) throw new ShapeError(`${where}: the gradient supports alpha=beta=1 and transA=0`);
    const dy = GO(0)!;
    const da = wants(0) ? b.apply('Gemm', [dy, I(1)], attrs.transB ? {} : { transB: 1 }) : null;
    const db = wants(1) ? (attrs.transB ? b.apply('Gemm', [dy, I(0)], { transA: 1 }) : b.apply('Gemm', [I(0), dy], { transA: 1 })) : null;
    const dc = wants(2) ? unbroadcast(b, dy, I(2)) : null;
    return [da, db, dc];
  },
});

export const MatMul = defineOp({
  opType: 'MatMul',
  domain: '',
  // NOTE: since 1: MatMul-9 and -13 only add element types.
  since: 1,
  inputs: ['A', 'B'],
  outputs: ['Y'],
  attrs: {},
  // NOTE: either operand may be the constant one, so both count as learned when they are initializers.
  traits: { channels: 'matmul', staticQuant: { kind: 'matmul', absorbsClamp: true }, dynamicQuant: 'matmul', weight: 1, magnitudePrune: true, learned: [0, 1], macs: 'matmul' },
  inferShape([a, b], _attrs, ctx) {
    if (!a || !b) throw new ShapeError(`${ctx.where}: needs A and B`);
    if (a.shape.length < 2 || b.shape.length < 2) throw new ShapeError(`${ctx.where}: 1-D operands are not supported; reshape to 2-D`);
    const [m, ka] = a.shape.slice(-2);
    const [kb, n] = b.shape.slice(-2);
    checkInner(ka, kb, ctx.where, a.shape, b.shape);
    const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), ctx.where);
    return [{ dtype: a.dtype, shape: [...batch, m, n] }];
  },
  grad({ b, I, GO, wants, where }) {
    if (I(0).shape.length !== 2 || I(1).shape.length !== 2) throw new ShapeError(`${where}: the gradient supports 2-D MatMul only`);
    const dy = GO(0)!;
    const t = (v: Parameters<typeof b.apply>[1][number]) => b.apply('Transpose', [v], { perm: [1, 0] });
    return [wants(0) ? b.apply('MatMul', [dy, t(I(1))]) : null, wants(1) ? b.apply('MatMul', [t(I(0)), dy]) : null];
  },
});
