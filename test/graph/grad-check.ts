/**
 * Gradient checking through onnxruntime-node, after JAX's check_vjp: one random direction v per
 * input, and the analytic directional derivative sum(dL/dx . v) against the central difference
 *   (L(x + eps v) - L(x - eps v)) / (2 eps)
 * of the scalar L = sum(Y * R) with a fixed random R. Three session runs per check.
 */
import * as ort from 'onnxruntime-node';
import { gradients } from '../../src/graph/autodiff.ts';
import { ModelBuilder, type Value } from '../../src/graph/builder.ts';
import type { Graph } from '../../src/graph/ir.ts';
import { toOnnx } from '../../src/export/onnx.ts';
import { Rng } from '../../src/rng.ts';

export interface GradCase {
  /** Builds the op under test from inputs it declares with b.input; returns them and the output. */
  build(b: ModelBuilder): { inputs: Value[]; y: Value };
  /** Draws one input element; keep values away from kinks (Relu at 0, ties in MaxPool). */
  sample?(rng: Rng, input: string): number;
  eps?: number;
}

export interface GradResult {
  analytic: number;
  numeric: number;
  relError: number;
  graph: Graph;
}

const numel = (shape: readonly (number | string)[]) => (shape as number[]).reduce((a, b) => a * b, 1);

export async function checkGradient(c: GradCase, seed = 1): Promise<GradResult> {
  const b = new ModelBuilder('gradcheck', { seed });
  const { inputs, y } = c.build(b);
  const r = b.input('__r', y.shape);
  const prod = b.apply('Mul', [y, r]);
  const loss = b.apply('ReduceSum', [prod], { keepdims: 0 }, 'loss');
  const grads = gradients(b, loss, inputs.map((v) => v.name));
  b.output(loss);
  const gradNames = inputs.map((v) => {
    const g = b.apply('Identity', [grads.get(v.name)!], {}, `d_${v.name}`);
    b.output(g);
    return g.name;
  });
  const graph = b.build();
  const session = await ort.InferenceSession.create(toOnnx(graph));

  const rng = new Rng(seed + 100);
  const draw = c.sample ?? ((g: Rng) => g.uniform(-1, 1));
  const x = inputs.map((v) => Float32Array.from({ length: numel(v.shape) }, () => draw(rng, v.name)));
  const rv = Float32Array.from({ length: numel(y.shape) }, () => rng.uniform(-1, 1));
  const dir = inputs.map((v) => Float32Array.from({ length: numel(v.shape) }, () => rng.normal()));
  const eps = c.eps ?? 1e-2;

  const run = async (shift: number) => {
    const feeds: Record<string, ort.Tensor> = { __r: new ort.Tensor('float32', rv, y.shape as number[]) };
    inputs.forEach((v, i) => {
      feeds[v.name] = new ort.Tensor('float32', x[i].map((e, j) => e + shift * dir[i][j]), v.shape as number[]);
    });
    return session.run(feeds);
  };
  const at = await run(0);
  let analytic = 0;
  gradNames.forEach((name, i) => {
    const g = at[name].data as Float32Array;
    for (let j = 0; j < g.length; j++) analytic += g[j] * dir[i][j];
  });
  const plus = (await run(eps))[loss.name].data as Float32Array;
  const minus = (await run(-eps))[loss.name].data as Float32Array;
  const numeric = (plus[0] - minus[0]) / (2 * eps);
  await session.release();
  const relError = Math.abs(analytic - numeric) / Math.max(Math.abs(analytic), Math.abs(numeric), 1e-3);
  return { analytic, numeric, relError, graph };
}
