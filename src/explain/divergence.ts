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
  /**
   * What this node itself cost in SNR: the lowest SNR among the activations it reads (Infinity for
   * a graph input or weights only) minus its output's. The layers that lose the most rank first
   * (onnxruntime's `qdq_loss_debug` reports the SNR per activation; this is its difference).
   */
  snrLostDb: number;
}

export interface FirstDivergence {
  node: Node;
  /** The node's outputs that left the tolerance. */
  outputs: TensorError[];
  /** Initializers of the node whose values differ between the two graphs (two models only). */
  weightsDiffer: string[];
  /** Activations it reads that have no counterpart on side b (a value a pass folded away): not compared. */
  unmatchedInputs: string[];
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
export function tensorError(a: HostTensor, b: HostTensor, tol: Tolerance): Omit<TensorError, 'tensor' | 'node' | 'opType' | 'snrLostDb'> | undefined {
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
  const weights = new Map(g.initializers.map((t) => [t.name, t]));
  const weightsB = new Map((gb ?? g).initializers.map((t) => [t.name, t]));
  const activations = (node: Node) => node.inputs.filter((i) => i && !weights.has(i));
  const producer = new Map<string, Node>();
  for (const n of g.nodes) for (const o of n.outputs) if (o) producer.set(o, n);
  /**
   * A value's error, or where it was not compared (a value side b folded away: the Conv and
   * BatchNormalization before a quantized Conv's fused Relu), the fold of what it is computed
   * from, so that a fused group is judged and charged as one layer. Memoized per fold.
   */
  const upstream = <T>(own: (e: TensorError) => T, combine: (xs: T[]) => T, none: T) => {
    const memo = new Map<string, T>();
    const at = (v: string): T => {
      const e = errors.get(v);
      if (e) return own(e);
      if (memo.has(v)) return memo.get(v)!;
      memo.set(v, none); // NOTE: guards a cycle; ONNX graphs have none.
      const p = producer.get(v);
      const folded = p ? combine(activations(p).map(at)) : none;
      memo.set(v, folded);
      return folded;
    };
    return at;
  };
  const upstreamSnr = upstream((e) => e.snrDb, (xs) => Math.min(Number.POSITIVE_INFINITY, ...xs), Number.POSITIVE_INFINITY);
  const upstreamWithin = upstream((e) => e.within, (xs) => xs.every(Boolean), true);
  const record = (tensor: string, node: Node | undefined) => {
    if (!a[tensor] || !b[tensor]) return;
    const e = tensorError(a[tensor], b[tensor], tol);
    if (!e) return;
    const inputSnr = node ? Math.min(Number.POSITIVE_INFINITY, ...activations(node).map(upstreamSnr)) : Number.POSITIVE_INFINITY;
    // NOTE: Infinity - Infinity (an exact node fed exactly) is no loss, not NaN.
    const snrLostDb = inputSnr === e.snrDb ? 0 : inputSnr - e.snrDb;
    const te = { tensor, node: node?.name ?? '', opType: node?.opType ?? 'input', ...e, snrLostDb };
    errors.set(tensor, te);
    tensors.push(te);
  };
  for (const v of g.inputs) record(v.name, undefined);
  let first: FirstDivergence | undefined;
  for (const node of g.nodes) {
    for (const out of node.outputs) if (out) record(out, node);
    if (first) continue;
    const off = node.outputs.flatMap((o) => (errors.get(o) && !errors.get(o)!.within ? [errors.get(o)!] : []));
    if (!off.length) continue;
    // NOTE: an input with no error of its own (a value side b folded away) is as good as what it is computed from; an integer shape is.
    if (!activations(node).every(upstreamWithin)) continue;
    const weightsDiffer = gb ? node.inputs.filter((i) => i && weights.has(i) && !sameTensor(weights.get(i), weightsB.get(i))) : [];
    const unmatchedInputs = activations(node).filter((i) => !errors.has(i) && a[i] !== undefined && (b[i] === undefined || tensorError(a[i], b[i], tol) === undefined));
    first = { node, outputs: off, weightsDiffer, unmatchedInputs };
  }
  return { tensors, ...(first ? { first } : {}) };
}
