/**
 * Arithmetic on dimensions that may be symbolic.
 *
 * Known sizes are checked eagerly (a kernel larger than its padded input is an error at build
 * time); a symbolic size becomes a readable expression over its symbol, e.g. a stride-2 3x3
 * conv with pad 1 on 'T' gives 'floor((T-1)/2)+1', so ONNX dim_params stay meaningful.
 */
import { ShapeError } from '../errors.ts';
import type { Dim, Shape } from './ir.ts';

export const isKnown = (d: Dim): d is number => typeof d === 'number';

export function formatShape(s: Shape): string {
  return `[${s.join(', ')}]`;
}

/** Wraps a compound expression in parentheses so it can be embedded in another one. */
function term(d: string): string {
  return /^[A-Za-z_][\w']*$/.test(d) ? d : `(${d})`;
}

/** d + delta, simplified for known sizes. */
export function addDim(d: Dim, delta: number): Dim {
  if (isKnown(d)) return d + delta;
  if (delta === 0) return d;
  return delta > 0 ? `${term(d)}+${delta}` : `${term(d)}-${-delta}`;
}

/**
 * Output length of a sliding window (Conv, MaxPool, AveragePool):
 *   out = floor((in + padSum - dilation*(kernel-1) - 1) / stride) + 1     (ceil with ceilMode)
 */
export function windowOutDim(
  d: Dim,
  kernel: number,
  stride: number,
  padSum: number,
  dilation: number,
  ceilMode: boolean,
  where: string,
): Dim {
  const span = dilation * (kernel - 1) + 1;
  if (isKnown(d)) {
    const avail = d + padSum - span;
    if (avail < 0) {
      throw new ShapeError(
        `${where}: kernel ${kernel}${dilation > 1 ? ` (dilation ${dilation})` : ''} is larger than its input of size ${d}` +
          (padSum ? ` padded by ${padSum}` : '') +
          '; use a larger input (more mels or frames) or a smaller kernel/stride',
      );
    }
    return (ceilMode ? Math.ceil(avail / stride) : Math.floor(avail / stride)) + 1;
  }
  const shifted = addDim(d, padSum - span);
  if (stride === 1) return addDim(shifted, 1);
  return `${ceilMode ? 'ceil' : 'floor'}(${term(String(shifted))}/${stride})+1`;
}

/** Equal when both known and equal, or both the same symbol. */
export function sameDim(a: Dim, b: Dim): boolean {
  return a === b;
}

/** Numpy-style multidirectional broadcasting of two shapes. */
export function broadcastShapes(a: Shape, b: Shape, where: string): Shape {
  const n = Math.max(a.length, b.length);
  const out: Shape = [];
  for (let i = 0; i < n; i++) {
    const da = i < n - a.length ? 1 : a[i - (n - a.length)];
    const db = i < n - b.length ? 1 : b[i - (n - b.length)];
    if (da === 1) out.push(db);
    else if (db === 1 || sameDim(da, db)) out.push(da);
    else if (!isKnown(da) || !isKnown(db)) out.push(isKnown(da) ? da : db);
    else throw new ShapeError(`${where}: shapes ${formatShape(a)} and ${formatShape(b)} do not broadcast (axis ${i}: ${da} vs ${db})`);
  }
  return out;
}

/** Product of dims; symbolic when any factor is. */
export function productDim(ds: readonly Dim[]): Dim {
  let known = 1;
  const syms: string[] = [];
  for (const d of ds) {
    if (isKnown(d)) known *= d;
    else syms.push(term(d));
  }
  if (!syms.length) return known;
  return known === 1 ? syms.join('*') : `${syms.join('*')}*${known}`;
}

/** Normalises a possibly negative axis against a rank, with a clear error when out of range. */
export function normAxis(axis: number, rank: number, where: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new ShapeError(`${where}: axis ${axis} is out of range for rank ${rank}`);
  return a;
}
