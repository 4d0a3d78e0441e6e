/**
 * Reverse-mode differentiation over the IR.
 *
 * Given a scalar `loss` in a builder's graph and the names of the values to differentiate with
 * respect to, it visits, in reverse order, only the nodes that lie on a path from those values to
 * the loss, asks each OpDef's `grad` rule for its input gradients (emitted as standard ONNX
 * nodes into the same graph) and sums the gradients of a value used more than once:
 *   dL/dx = sum over uses u of x of (dL/du contribution)
 * The seed is dL/dL = 1. A missing rule fails loudly, naming the op and node.
 */
import { invariant, ShapeError } from '../errors.ts';
import type { ModelBuilder } from './builder.ts';
import { describeNode, type Node, type Value } from './ir.ts';
import { readAttrs } from './ops/attrs.ts';
import { getOp } from './ops/index.ts';

/** Values computed from any of `sources` (the sources included). */
function forwardReach(nodes: readonly Node[], sources: Iterable<string>): Set<string> {
  const reach = new Set(sources);
  for (const n of nodes) if (n.inputs.some((i) => reach.has(i))) n.outputs.forEach((o) => reach.add(o));
  return reach;
}

/** Values the loss depends on (the loss included). */
function backwardReach(nodes: readonly Node[], loss: string): Set<string> {
  const reach = new Set([loss]);
  for (let k = nodes.length - 1; k >= 0; k--) {
    const n = nodes[k];
    if (n.outputs.some((o) => reach.has(o))) n.inputs.forEach((i) => i && reach.add(i));
  }
  return reach;
}

/**
 * Appends the backward pass to `b` and returns dLoss/dValue for each name in `wrt`.
 * Throws if a `wrt` value does not affect the loss.
 */
export function gradients(b: ModelBuilder, loss: Value, wrt: readonly string[]): Map<string, Value> {
  // The trainer builds the loss: a non-scalar one is our bug, not the user's.
  invariant(loss.shape.length === 0 || (loss.shape.length === 1 && loss.shape[0] === 1), () => `autodiff: the loss '${loss.name}' must be a scalar, got shape [${loss.shape}]`);
  const forward = [...b.graphNodes];
  const fromWrt = forwardReach(forward, wrt);
  const toLoss = backwardReach(forward, loss.name);
  const onPath = (v: string) => fromWrt.has(v) && toLoss.has(v);

  const pending = new Map<string, Value[]>();
  const add = (name: string, g: Value) => {
    const list = pending.get(name);
    if (list) list.push(g);
    else pending.set(name, [g]);
  };
  /** The summed gradient of a value, collapsing its contributions into one. */
  const total = (name: string): Value | undefined => {
    const list = pending.get(name);
    if (!list?.length) return undefined;
    const sum = b.scope('grad', () => list.reduce((acc, g) => b.apply('Add', [acc, g], {}, 'accumulate')));
    pending.set(name, [sum]);
    return sum;
  };

  add(loss.name, b.scope('grad', () => b.constant('seed', loss.dtype, loss.shape as number[], Float32Array.from([1]))));

  for (let k = forward.length - 1; k >= 0; k--) {
    const node = forward[k];
    if (!node.outputs.some(onPath)) continue;
    const gos = node.outputs.map(total);
    if (gos.every((g) => g === undefined)) continue;
    const where = describeNode(node);
    const def = getOp(node.opType, node.domain);
    if (!def.grad) throw new ShapeError(`autodiff: no gradient rule for ${where}`);
    const wants = (i: number) => !!node.inputs[i] && onPath(node.inputs[i]);
    const results = b.scope(`grad/${node.name}`, () =>
      def.grad!({
        b,
        node,
        where,
        attrs: readAttrs(def.attrs, node.attrs, where),
        I: (i) => b.value(node.inputs[i]),
        O: (i) => b.value(node.outputs[i]),
        GO: (i) => gos[i],
        wants,
      }),
    );
    // NOTE: a rule may answer for the op's trailing optional inputs too (null when absent).
    const variadic = def.inputs.some((n) => n.endsWith('...'));
    invariant(
      results.length >= node.inputs.length && (variadic || results.length <= def.inputs.length),
      () => `autodiff: the gradient rule of ${where} returned ${results.length} gradients for ${node.inputs.length} inputs`,
    );
    node.inputs.forEach((_, i) => {
      const g = results[i];
      if (g && wants(i)) add(node.inputs[i], g);
    });
  }

  const out = new Map<string, Value>();
  for (const name of wrt) {
    const g = total(name);
    if (!g) throw new ShapeError(`autodiff: '${name}' does not affect the loss '${loss.name}'`);
    out.set(name, g);
  }
  return out;
}
