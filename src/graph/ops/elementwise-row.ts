/**
 * How an elementwise op is written as one row of a table: `unary` keeps its input's type (other
 * inputs, such as Clip's bounds, are side inputs); `binary` broadcasts numpy-style. Each row holds
 * the op's gradient rule and its traits, so adding an elementwise op is one row (see elementwise.ts).
 */
import { ShapeError } from '../../errors.ts';
import { broadcastShapes } from '../dims.ts';
import type { Value, ValueType } from '../ir.ts';
import type { AttrSchema, AttrsOf } from './attrs.ts';
import { unbroadcast } from './grad-util.ts';
import { defineOp, type Emitter, type GradContext, type OpDef, type OpTraits, type ShapeContext } from './op.ts';

export type Rule<S extends AttrSchema> = (ctx: GradContext<S>) => (Value | null)[];

/** A rule for a one-input op from dX = f(b, x, y, dy, attrs); side inputs get no gradient. */
export const pointwise =
  <S extends AttrSchema>(f: (b: Emitter, x: Value, y: Value, dy: Value, a: AttrsOf<S>) => Value): Rule<S> =>
  ({ b, I, O, GO, attrs, node }) => [f(b, I(0), O(0), GO(0)!, attrs), ...node.inputs.slice(1).map(() => null)];

export function sameAsInput([x]: (ValueType | undefined)[], ctx: ShapeContext): ValueType[] {
  if (!x) throw new ShapeError(`${ctx.where}: missing input`);
  return [{ dtype: x.dtype, shape: x.shape }];
}

export interface UnaryRow<S extends AttrSchema> {
  attrs?: S;
  grad?: Rule<S>;
  /** Input names (default ['X']); side inputs are marked optional with '?'. */
  inputs?: readonly string[];
  traits?: OpTraits;
}

/**
 * A one-input elementwise op of the default domain.
 *
 * @example
 *   export const Relu = unary('Relu', 14, { grad: pointwise(...), traits: { channels: 'keep' } });
 */
export function unary<S extends AttrSchema = Record<string, never>>(opType: string, since: number, row: UnaryRow<S> = {}): OpDef<S> {
  const { attrs = {} as S, grad, inputs = ['X'], traits } = row;
  return defineOp({ opType, domain: '', since, inputs, outputs: ['Y'], attrs, inferShape: (ins, _a, ctx) => sameAsInput(ins, ctx), grad, traits });
}

/** A broadcasting two-input elementwise op; `grad` gives dA and dB before they are summed back over broadcast axes. */
export function binary(
  opType: string,
  since: number,
  row: { grad?: (b: Emitter, a: Value, bv: Value, y: Value, dy: Value) => [Value | null, Value | null]; traits?: OpTraits } = {},
): OpDef<Record<string, never>> {
  const { grad, traits } = row;
  return defineOp({
    opType,
    domain: '',
    since,
    inputs: ['A', 'B'],
    outputs: ['C'],
    attrs: {},
    inferShape([a, b], _attrs, ctx) {
      if (!a || !b) throw new ShapeError(`${ctx.where}: needs two inputs`);
      if (a.dtype !== b.dtype && opType !== 'Pow') throw new ShapeError(`${ctx.where}: input types differ (${a.dtype} vs ${b.dtype})`);
      return [{ dtype: a.dtype, shape: broadcastShapes(a.shape, b.shape, ctx.where) }];
    },
    grad: grad
      ? ({ b, I, O, GO, wants }) => {
          const [da, db] = grad(b, I(0), I(1), O(0), GO(0)!);
          return [da && wants(0) ? unbroadcast(b, da, I(0)) : null, db && wants(1) ? unbroadcast(b, db, I(1)) : null];
        }
      : undefined,
    traits,
  });
}
