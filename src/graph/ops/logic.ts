/**
 * Comparisons and selection, the masks of gradient rules (opset 13/16):
 *   Greater(A, B) = A > B,  Less(A, B) = A < B,  And(A, B) = A && B     (bool, broadcast)
 *   Where(C, X, Y) = C ? X : Y                                         (broadcast over all three)
 * None has a gradient with respect to a condition; Where passes dY to X where C holds, to Y elsewhere.
 */
import { ShapeError } from '../../errors.ts';
import { broadcastShapes } from '../dims.ts';
import type { ValueType } from '../ir.ts';
import { zero, unbroadcast } from './grad-util.ts';
import { defineOp, type OpDef, type ShapeContext } from './op.ts';

function two(ins: (ValueType | undefined)[], ctx: ShapeContext): [ValueType, ValueType] {
  const [a, b] = ins;
  if (!a || !b) throw new ShapeError(`${ctx.where}: needs two inputs`);
  return [a, b];
}

function compare(opType: string): OpDef<Record<string, never>> {
  return defineOp({
    opType,
    domain: '',
    // NOTE: since 7 (broadcasting); -9 and -13 only add element types.
    since: 7,
    inputs: ['A', 'B'],
    outputs: ['C'],
    attrs: {},
    inferShape(ins, _a, ctx) {
      const [a, b] = two(ins, ctx);
      if (a.dtype !== b.dtype) throw new ShapeError(`${ctx.where}: input types differ (${a.dtype} vs ${b.dtype})`);
      return [{ dtype: 'bool', shape: broadcastShapes(a.shape, b.shape, ctx.where) }];
    },
    grad: () => [null, null],
  });
}

export const Greater = compare('Greater');
export const Less = compare('Less');

export const And = defineOp({
  opType: 'And',
  domain: '',
  since: 7,
  inputs: ['A', 'B'],
  outputs: ['C'],
  attrs: {},
  inferShape(ins, _a, ctx) {
    const [a, b] = two(ins, ctx);
    if (a.dtype !== 'bool' || b.dtype !== 'bool') throw new ShapeError(`${ctx.where}: inputs must be bool`);
    return [{ dtype: 'bool', shape: broadcastShapes(a.shape, b.shape, ctx.where) }];
  },
  grad: () => [null, null],
});

export const Where = defineOp({
  opType: 'Where',
  domain: '',
  since: 16,
  inputs: ['condition', 'X', 'Y'],
  outputs: ['output'],
  attrs: {},
  inferShape([c, x, y], _a, ctx) {
    if (!c || !x || !y) throw new ShapeError(`${ctx.where}: needs condition, X and Y`);
    if (c.dtype !== 'bool') throw new ShapeError(`${ctx.where}: condition must be bool, got ${c.dtype}`);
    if (x.dtype !== y.dtype) throw new ShapeError(`${ctx.where}: X and Y types differ (${x.dtype} vs ${y.dtype})`);
    return [{ dtype: x.dtype, shape: broadcastShapes(broadcastShapes(c.shape, x.shape, ctx.where), y.shape, ctx.where) }];
  },
  grad({ b, I, GO, wants }) {
    const dy = GO(0)!;
    const c = I(0);
    const dx = wants(1) ? unbroadcast(b, b.apply('Where', [c, dy, zero(b)]), I(1)) : null;
    const dz = wants(2) ? unbroadcast(b, b.apply('Where', [c, zero(b), dy]), I(2)) : null;
    return [null, dx, dz];
  },
});
