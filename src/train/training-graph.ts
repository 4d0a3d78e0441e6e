/**
 * The training step as one ONNX graph: forward pass in training mode, loss, backward pass and
 * optimizer update, so that onnxruntime runs a whole step per `session.run`.
 *
 *   inputs   mel [B, C, M, T], labels [B, K] (soft: mixup), sample_weight [B] (class weights),
 *            lr [] (and lr_t [] for Adam: the bias-corrected rate), every parameter, its optimizer
 *            state, and every BatchNormalization running mean and variance
 *   outputs  loss [], logits [B, K], then for each of those state inputs '<name>.next'
 *
 * Forward changes from the inference graph:
 * - BatchNormalization uses the batch statistics (lowered to primitives, so autodiff differentiates
 *   through mean and variance):  mu = mean_{N,H,W} x,  s2 = mean (x - mu)^2,
 *   y = (x - mu) / sqrt(s2 + eps) * gamma + beta;  running_mean' = m*running_mean + (1-m)*mu,
 *   running_var' = m*running_var + (1-m)*s2*n/(n-1)  (ONNX momentum m = 0.9 is PyTorch's 0.1).
 * - The final Softmax is dropped: the loss starts from the logits.
 *
 * Loss: weighted soft-label cross-entropy, plus an optional L1 penalty on BN scales (network
 * slimming, seed 004):
 *   L = sum_b w_b * (-sum_k y_bk log softmax(z_b)_k) / sum_b w_b  +  lambda * sum |gamma|
 *
 * Optimizers (g the gradient, w a parameter):
 *   sgd    v' = mu v + (g + wd w),  w' = w - lr v'                    (PyTorch SGD)
 *   adamw  m' = b1 m + (1-b1) g,  v' = b2 v + (1-b2) g^2,
 *          w' = w (1 - lr wd) - lr_t m' / (sqrt(v') + eps')          lr_t = lr sqrt(1-b2^t)/(1-b1^t),
 *          eps' = eps sqrt(1-b2^t): the host passes lr_t and eps' per step
 */
import { invariant, ShapeError } from '../errors.ts';
import { gradients } from '../graph/autodiff.ts';
import { ModelBuilder, type Value } from '../graph/builder.ts';
import type { Graph, Node } from '../graph/ir.ts';
import { attrsOf } from '../graph/ops/attrs.ts';
import { BatchNormalization } from '../graph/ops/batchnorm.ts';
import { traitsOf } from '../graph/ops/index.ts';
import { learnedParamNames } from '../export/cost.ts';

export type OptimizerKind = 'sgd' | 'adam' | 'adamw';

export interface OptimizerConfig {
  kind: OptimizerKind;
  /** SGD momentum, or Adam's beta1. */
  momentum: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export interface TrainingGraphOptions {
  batch: number;
  /** [C, M, T] of one clip, binding symbolic input dims (a model that accepts any length). */
  input?: number[];
  optimizer: OptimizerConfig;
  /** L1 penalty on BatchNormalization scales (network slimming); 0 for none. */
  l1Gamma: number;
  /** Also output each parameter's gradient as '<name>.grad' (gradient checks). */
  exposeGradients?: boolean;
}

export interface StateTensor {
  /** Input name; the updated value comes out as `${name}.next`. */
  name: string;
  /** Where its initial value comes from: an inference initializer, or zeros (optimizer state). */
  init: { from: string } | { zeros: number[] };
}

export interface TrainingGraph {
  graph: Graph;
  /** Learned parameters, in input order. */
  params: string[];
  /** Every tensor carried from step to step: parameters, optimizer state, BN running statistics. */
  state: StateTensor[];
  /** Names of the per-step scalar inputs. */
  scalars: string[];
  inputName: string;
}

function lowerBatchNorm(b: ModelBuilder, node: Node, x: Value, p: Value[], runningOut: Map<string, Value>): Value {
  const [gamma, beta, mean, variance] = p;
  const { epsilon: eps, momentum } = attrsOf(BatchNormalization, node);
  const rank = x.shape.length;
  const c = x.shape[1] as number;
  const axes = [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2)];
  const n = axes.reduce((acc, a) => acc * (x.shape[a] as number), 1);
  const bshape = [1, c, ...Array(rank - 2).fill(1)];
  return b.scope(node.name, () => {
    const mu = b.apply('ReduceMean', [x], { axes, keepdims: 1 }, 'batch_mean');
    const xc = b.apply('Sub', [x, mu]);
    const s2 = b.apply('ReduceMean', [b.apply('Mul', [xc, xc])], { axes, keepdims: 1 }, 'batch_var');
    // NOTE: gamma / sqrt(s2 + eps) is formed on the [1, C, 1, 1] statistics first, so the
    // full-size tensor sees one Mul and one Add (each full-size op is a memory pass).
    const scale = b.apply('Div', [b.reshape(gamma, bshape, 'gamma'), b.apply('Sqrt', [b.apply('Add', [s2, b.scalar(eps)])])]);
    const y = b.apply('Add', [b.apply('Mul', [xc, scale]), b.reshape(beta, bshape, 'beta')], {}, 'y');
    // Running statistics: not on the loss's path, so autodiff never visits them.
    const blend = (old: Value, batch: Value, scale: number) =>
      b.apply('Add', [b.apply('Mul', [old, b.scalar(momentum)]), b.apply('Mul', [b.reshape(batch, [c]), b.scalar((1 - momentum) * scale)])]);
    runningOut.set(mean.name, blend(mean, mu, 1));
    runningOut.set(variance.name, blend(variance, s2, n > 1 ? n / (n - 1) : 1));
    return y;
  });
}

/** Builds the training step for an inference graph built with a fixed batch and input size. */
export function buildTrainingGraph(inference: Graph, o: TrainingGraphOptions): TrainingGraph {
  if (inference.inputs.length !== 1) throw new ShapeError(`training needs a model with one input, '${inference.name}' has ${inference.inputs.length}`);
  const learned = learnedParamNames(inference);
  const inits = new Map(inference.initializers.map((t) => [t.name, t]));
  const b = new ModelBuilder(`${inference.name}.train`, { opset: inference.opset });
  const input = inference.inputs[0];
  const rest = input.shape.slice(1).map((d, i) => {
    const bound = o.input?.[i];
    if (typeof d === 'number' && bound !== undefined && bound !== d) throw new ShapeError(`training input [${o.input}] does not match the model's [${input.shape}]`);
    if (typeof d === 'number') return d;
    if (bound === undefined) throw new ShapeError(`training needs fixed input dims, got [${input.shape}]; pass the clip's [C, M, T]`);
    return bound;
  });
  const x = b.input(input.name, [o.batch, ...rest]);

  const values = new Map<string, Value>([[input.name, x]]);
  const state: StateTensor[] = [];
  const runningOut = new Map<string, Value>();
  /** A graph value for an inference name: an earlier output, a parameter input, or a constant. */
  const get = (name: string): Value | undefined => {
    if (name === '') return undefined;
    const v = values.get(name);
    if (v) return v;
    const t = inits.get(name);
    // The inference graph passed shape inference, so every name it reads is defined.
    invariant(t, () => `training graph: '${name}' is not defined`);
    const isState = learned.has(name) || /BatchNormalization/.test(consumerOp.get(name) ?? '');
    const made = isState ? b.input(name, t.dims, t.dtype) : b.constant(name, t.dtype, t.dims, t.data);
    if (isState) state.push({ name, init: { from: name } });
    values.set(name, made);
    return made;
  };
  const consumerOp = new Map<string, string>();
  for (const n of inference.nodes) n.inputs.forEach((i) => consumerOp.set(i, `${consumerOp.get(i) ?? ''} ${n.opType}`));

  const outputName = inference.outputs[0].name;
  let logits: Value | undefined;
  for (const node of inference.nodes) {
    if (node.opType === 'Softmax' && node.outputs[0] === outputName) {
      logits = get(node.inputs[0]);
      continue;
    }
    const ins = node.inputs.map(get);
    const outs =
      node.opType === 'BatchNormalization'
        ? [lowerBatchNorm(b, node, ins[0]!, ins.slice(1) as Value[], runningOut)]
        : // NOTE: outputs that the op's gradient reads are computed even where the inference node
          // omits them (MaxPool's argmax indices, which its gradient rule then reuses).
          b.copy(node, ins, { outputs: Math.max(node.outputs.length, traitsOf(node).trainingOutputs ?? 0) });
    node.outputs.forEach((name, i) => values.set(name, outs[i]));
  }
  logits ??= values.get(outputName);
  if (!logits || logits.shape.length !== 2) throw new ShapeError(`training needs a model whose output is [N, classes] logits or softmax, got '${outputName}'`);
  const k = logits.shape[1] as number;

  const labels = b.input('labels', [o.batch, k]);
  const weights = b.input('sample_weight', [o.batch]);
  const loss = b.scope('loss', () => {
    const logp = b.apply('LogSoftmax', [logits!], { axis: 1 });
    const ce = b.apply('Neg', [b.apply('ReduceSum', [b.apply('Mul', [labels, logp]), b.int64s([1], 'axes')], { keepdims: 0 })]);
    const sum = (v: Value) => b.apply('ReduceSum', [v], { keepdims: 0 });
    let total = b.apply('Div', [sum(b.apply('Mul', [ce, weights])), sum(weights)], {}, 'cross_entropy');
    if (o.l1Gamma > 0) {
      const gammas = inference.nodes.filter((n) => n.opType === 'BatchNormalization').map((n) => values.get(n.inputs[1])!);
      if (!gammas.length) throw new ShapeError(`network slimming (L1 on BN scales) needs BatchNormalization layers; '${inference.name}' has none`);
      const l1 = gammas.map((g) => sum(b.apply('Abs', [g]))).reduce((acc, v) => b.apply('Add', [acc, v]));
      total = b.apply('Add', [total, b.apply('Mul', [l1, b.scalar(o.l1Gamma)])]);
    }
    return total;
  });

  const params = state.filter((s) => learned.has(s.name)).map((s) => s.name);
  const grads = gradients(b, loss, params);

  const lr = b.input('lr', []);
  const scalars = ['lr'];
  const opt = o.optimizer;
  const updates = new Map<string, Value>();
  const lrT = opt.kind === 'sgd' ? undefined : b.input('lr_t', []);
  const epsT = opt.kind === 'sgd' ? undefined : b.input('eps_t', []);
  if (lrT) scalars.push('lr_t', 'eps_t');
  b.scope('optimizer', () => {
    for (const p of params) {
      const w = values.get(p)!;
      const g = grads.get(p)!;
      const shape = w.shape as number[];
      const mul = (a: Value, c: number | Value) => b.apply('Mul', [a, typeof c === 'number' ? b.scalar(c) : c]);
      const add = (a: Value, c: Value) => b.apply('Add', [a, c]);
      const m = b.input(`${p}.m`, shape);
      state.push({ name: m.name, init: { zeros: shape } });
      if (opt.kind === 'sgd') {
        const gd = opt.weightDecay ? add(g, mul(w, opt.weightDecay)) : g;
        const v = add(mul(m, opt.momentum), gd);
        updates.set(m.name, v);
        updates.set(p, b.apply('Sub', [w, mul(v, lr)]));
      } else {
        const v = b.input(`${p}.v`, shape);
        state.push({ name: v.name, init: { zeros: shape } });
        const gd = opt.kind === 'adam' && opt.weightDecay ? add(g, mul(w, opt.weightDecay)) : g;
        const m2 = add(mul(m, opt.momentum), mul(gd, 1 - opt.momentum));
        const v2 = add(mul(v, opt.beta2), mul(b.apply('Mul', [gd, gd]), 1 - opt.beta2));
        const decayed = opt.kind === 'adamw' && opt.weightDecay ? b.apply('Sub', [w, mul(mul(w, lr), opt.weightDecay)]) : w;
        const step = b.apply('Div', [mul(m2, lrT!), add(b.apply('Sqrt', [v2]), epsT!)]);
        updates.set(m.name, m2);
        updates.set(v.name, v2);
        updates.set(p, b.apply('Sub', [decayed, step]));
      }
    }
  });
  for (const [name, v] of runningOut) updates.set(name, v);

  b.output(b.apply('Identity', [loss], {}, 'loss'));
  b.output(b.apply('Identity', [logits], {}, 'logits'));
  if (o.exposeGradients) for (const p of params) b.output(b.apply('Identity', [grads.get(p)!], {}, `${p}.grad`));
  for (const s of state) {
    const next = updates.get(s.name);
    invariant(next, () => `training graph: no update for '${s.name}'`);
    b.output(b.apply('Identity', [next], {}, `${s.name}.next`));
  }
  return { graph: b.build(), params, state, scalars, inputName: input.name };
}
