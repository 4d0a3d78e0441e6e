/**
 * Small builders shared by gradient rules. Each emits standard ONNX nodes only.
 */
import { ShapeError } from '../../errors.ts';
import { formatShape, isKnown } from '../dims.ts';
import type { Value, ValueType } from '../ir.ts';
import type { Emitter } from './op.ts';

/** The shape as numbers: backward rules that build constants need concrete shapes. */
export function knownShape(v: ValueType, where: string): number[] {
  if (!v.shape.every(isKnown)) {
    throw new ShapeError(`${where}: its gradient needs a concrete shape, got ${formatShape(v.shape)}; build the training graph for a fixed batch and input size`);
  }
  return v.shape as number[];
}

export function reduceSum(b: Emitter, x: Value, axes: number[], keepdims: boolean): Value {
  return b.apply('ReduceSum', [x, b.int64s(axes, 'axes')], { keepdims: keepdims ? 1 : 0 });
}

export function reshapeTo(b: Emitter, x: Value, shape: number[]): Value {
  return b.apply('Reshape', [x, b.int64s(shape, 'shape')]);
}

/**
 * Reduces a gradient of the broadcast shape back to an input's shape:
 * sum over the axes the input was broadcast along, then drop the leading ones it lacked.
 */
export function unbroadcast(b: Emitter, g: Value, target: ValueType): Value {
  if (g.shape.length === target.shape.length && g.shape.every((d, i) => d === target.shape[i])) return g;
  const lead = g.shape.length - target.shape.length;
  const axes: number[] = [];
  g.shape.forEach((d, i) => {
    if (i < lead || (target.shape[i - lead] === 1 && d !== 1)) axes.push(i);
  });
  const summed = axes.length ? reduceSum(b, g, axes, true) : g;
  return summed.shape.length === target.shape.length ? summed : reshapeTo(b, summed, knownShape(target, 'unbroadcast'));
}

export const zero = (b: Emitter): Value => b.scalar(0);
