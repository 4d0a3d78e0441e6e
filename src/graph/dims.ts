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

/** Index of the last character of `ops` outside parentheses in an expression, or -1. */
function lastTopLevel(d: string, ops: string): number {
  let depth = 0;
  for (let i = d.length - 1; i > 0; i--) {
    const ch = d[i];
    if (ch === ')') depth++;
    else if (ch === '(') depth--;
    else if (depth === 0 && ops.includes(ch)) return i;
  }
  return -1;
}

/** Splits 'expr+3' into ['expr', 3], so offsets fold: (T-2)+2 becomes T. */
function splitOffset(d: string): [string, number] {
  const i = lastTopLevel(d, '+-');
  if (i > 0 && /^\d+$/.test(d.slice(i + 1))) return [d.slice(0, i), Number(d.slice(i))];
  return [d, 0];
}

/** Wraps a compound expression in parentheses so it can be embedded in another one. */
function term(d: string): string {
  return lastTopLevel(d, '+-*/') < 0 ? d : `(${d})`;
}

/** d + delta, with constant offsets folded. */
export function addDim(d: Dim, delta: number): Dim {
  if (isKnown(d)) return d + delta;
  const [base, offset] = splitOffset(d);
  const k = offset + delta;
  return k === 0 ? base : k > 0 ? `${base}+${k}` : `${base}-${-k}`;
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
  if (stride === 1) return addDim(d, padSum - span + 1);
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

/** A product of dims as its known factor and its symbolic factors. */
function factors(ds: readonly Dim[]): { known: number; syms: string[] } {
  let known = 1;
  const syms: string[] = [];
  for (const d of ds) {
    if (isKnown(d)) known *= d;
    else syms.push(term(d));
  }
  return { known, syms };
}

function formatProduct(known: number, syms: string[]): Dim {
  if (!syms.length) return known;
  return known === 1 ? syms.join('*') : `${syms.join('*')}*${known}`;
}

/** Product of dims; symbolic when any factor is. */
export function productDim(ds: readonly Dim[]): Dim {
  const f = factors(ds);
  return formatProduct(f.known, f.syms);
}

/**
 * prod(num) / prod(den) with common symbolic factors cancelled (Reshape's -1), or undefined
 * when the known parts do not divide.
 */
export function quotientDim(num: readonly Dim[], den: readonly Dim[]): Dim | undefined {
  const a = factors(num);
  const b = factors(den);
  const rest = [...a.syms];
  const left: string[] = [];
  for (const s of b.syms) {
    const i = rest.indexOf(s);
    if (i >= 0) rest.splice(i, 1);
    else left.push(s);
  }
  if (a.known % b.known !== 0) return undefined;
  const q = formatProduct(a.known / b.known, rest);
  return left.length ? `(${q})/(${left.join('*')})` : q;
}

/** Normalises a possibly negative axis against a rank, with a clear error when out of range. */
export function normAxis(axis: number, rank: number, where: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new ShapeError(`${where}: axis ${axis} is out of range for rank ${rank}`);
  return a;
}
