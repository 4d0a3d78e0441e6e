/**
 * Where two runs of a graph part ways: per intermediate tensor (in the graph's topological order)
 * the error of side b against side a, and the first node whose output leaves the tolerance while
 * every activation it reads was within it. Pure: the tensors come from explain's runs.
 *
 * Per tensor, with a the reference side and d = b - a over its n elements:
 * - max |d|;
 * - SNR = 10 log10(sum a^2 / sum d^2) dB (Infinity when d is all 0; -Infinity when a is all 0 and d is not);
 * - relative error = ||d||_2 / ||a||_2;
 * - within: every element satisfies numpy.allclose's |d| <= atol + rtol |a| (the rule of a row's close_fraction).
 * A node's weights (initializers) are not among what it reads here: between two models, a weight
 * that differs is the cause this names (`weightsDiffer`), not an input that was already off.
 */
import type { Graph, Node } from '../graph/ir.ts';
import { closeFraction, type Tolerance } from '../runners/output-diff.ts';
import type { HostTensor } from '../runners/runner.ts';
import { fromHalfArray } from '../export/passes/fp16-bits.ts';

export interface TensorError {
  /** The value's name. */
  tensor: string;
  /** The node that computes it; '' for a graph input. */
  node: string;
  opType: string;
  maxAbs: number;
  snrDb: number;
  relError: number;
  within: boolean;
}

export interface FirstDivergence {
  node: Node;
  /** The node's outputs that left the tolerance. */
  outputs: TensorError[];
  /** Initializers of the node whose values differ between the two graphs (two models only). */
  weightsDiffer: string[];
}

export interface Divergence {
  tensors: TensorError[];
  first?: FirstDivergence;
}

function floats(t: HostTensor): ArrayLike<number> | undefined {
  if (t.type === 'float32' || t.type === 'float64') return t.data as ArrayLike<number>;
  if (t.type === 'float16') return fromHalfArray(t.data as Uint16Array);
  return undefined;
}

/** Errors of `b` against `a`; undefined when they are not float tensors of one shape. */
export function tensorError(a: HostTensor, b: HostTensor, tol: Tolerance): Omit<TensorError, 'tensor' | 'node' | 'opType'> | undefined {
  const x = floats(a);
  const y = floats(b);
  if (!x || !y || x.length !== y.length || a.dims.join() !== b.dims.join()) return undefined;
  let maxAbs = 0;
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < x.length; i++) {
    const d = y[i] - x[i];
    maxAbs = Math.max(maxAbs, Math.abs(d));
    signal += x[i] * x[i];
    noise += d * d;
  }
  const snrDb = noise === 0 ? Number.POSITIVE_INFINITY : signal === 0 ? Number.NEGATIVE_INFINITY : 10 * Math.log10(signal / noise);
  const relError = signal === 0 ? (noise === 0 ? 0 : Number.POSITIVE_INFINITY) : Math.sqrt(noise / signal);
  return { maxAbs, snrDb, relError, within: closeFraction({ t: b }, { t: a }, tol) === 1 };
}

function sameTensor(a: Graph['initializers'][number] | undefined, b: Graph['initializers'][number] | undefined): boolean {
  if (!a || !b || a.dtype !== b.dtype || a.dims.join() !== b.dims.join() || a.data.length !== b.data.length) return false;
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) return false;
  return true;
}

/**
 * Walks `g`'s nodes in order (ONNX graphs are topologically sorted) over the tensors both sides
 * returned. `gb`: side b's graph when it is another model with the same value names (its weights
 * are compared by name); absent for one model on two runtimes.
 */
export function findDivergence(g: Graph, a: Record<string, HostTensor>, b: Record<string, HostTensor>, tol: Tolerance, gb?: Graph): Divergence {
  const errors = new Map<string, TensorError>();
  const tensors: TensorError[] = [];
  const record = (tensor: string, node: Node | undefined) => {
    if (!a[tensor] || !b[tensor]) return;
    const e = tensorError(a[tensor], b[tensor], tol);
    if (!e) return;
    const te = { tensor, node: node?.name ?? '', opType: node?.opType ?? 'input', ...e };
    errors.set(tensor, te);
    tensors.push(te);
  };
  for (const v of g.inputs) record(v.name, undefined);
  const weights = new Map(g.initializers.map((t) => [t.name, t]));
  const weightsB = new Map((gb ?? g).initializers.map((t) => [t.name, t]));
  let first: FirstDivergence | undefined;
  for (const node of g.nodes) {
    for (const out of node.outputs) if (out) record(out, node);
    if (first) continue;
    const off = node.outputs.flatMap((o) => (errors.get(o) && !errors.get(o)!.within ? [errors.get(o)!] : []));
    if (!off.length) continue;
    // NOTE: an input with no error of its own (an integer shape, a value neither side returned) does not clear or condemn the node.
    const inputsWithin = node.inputs.every((i) => !i || weights.has(i) || errors.get(i)?.within !== false);
    if (!inputsWithin) continue;
    const weightsDiffer = gb ? node.inputs.filter((i) => i && weights.has(i) && !sameTensor(weights.get(i), weightsB.get(i))) : [];
    first = { node, outputs: off, weightsDiffer };
  }
  return { tensors, ...(first ? { first } : {}) };
}
