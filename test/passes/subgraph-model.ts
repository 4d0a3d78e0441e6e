/**
 * A small model whose Conv and MatMul layers sit inside an If branch and a Loop body, reading
 * weights of the main graph that the main graph reads too (the shape of the problem in silero
 * VAD, where every weight is read from inside a branch). Built as ModelProto with the proto helpers
 * of test/fixtures/onnx-models.ts, not through melbench's IR. Input x ['N', 4, 8, 8]:
 *
 *   main    m = Relu(Conv(x, W, b))                                   W [8, 4, 3, 3], b [8]: shared
 *           main_y = MatMul(Flatten(GAP(m)), M)                       M [8, 5]: shared
 *           p = Relu(Conv(x, P))                                      P [8, 4, 3, 3]: main's own, p read in else
 *           cond = ReduceSum(x) > 0
 *   If      then: t = Relu(BN(Conv(x, W, b))); t2 = Relu(Conv(t, T2)) T2 [8, 8, 1, 1] its own
 *                 then_y = MatMul(Flatten(GAP(t2)), M)
 *           else: e = Relu(Conv(p, E)) (reads the main graph's activation p), E [8, 8, 3, 3]
 *                 else_y = MatMul(Flatten(GAP(e)), M)
 *   Loop    2 trips, carried v (from main_y): u = MatMul(Flatten(GAP(Relu(Conv(x, W, b)))), M)
 *           v <- 0.5 * (MatMul(v, L) + u)                            L [5, 5] its own
 *   y = if_y + loop_v + main_y                                        [N, 5]
 *
 * So W is read by the main graph, the then-branch and the Loop body; M by all four scopes; the
 * then-branch has a BN to fold and a channel group that lives wholly inside it (Conv -> BN -> Relu
 * -> Conv); the else-branch reads a main-graph activation (p) whose channels therefore cannot be
 * pruned. The batch dim is free; the If takes one branch per run (calibrate one clip at a time).
 */
import { Rng } from '../../src/rng.ts';
import { aGraph, aInt, aInts, BOOL, FLOAT, floatTensor, INT64, int64Tensor, model, node, vi, weights } from '../fixtures/onnx-models.ts';

export const SUBGRAPH_INPUT_DIMS = [4, 8, 8];

const pads = [aInts('kernel_shape', [3, 3]), aInts('pads', [1, 1, 1, 1])];

/** GAP -> Flatten -> MatMul(M): the head every scope ends with. */
function head(prefix: string, x: string, out: string) {
  return [node('GlobalAveragePool', [x], [`${prefix}_gap`]), node('Flatten', [`${prefix}_gap`], [`${prefix}_flat`]), node('MatMul', [`${prefix}_flat`, 'M'], [out])];
}

export function subgraphModel(): Uint8Array {
  const rng = new Rng(181);
  const positive = (n: number) => Float32Array.from({ length: n }, () => rng.uniform(0.5, 1.5));
  const thenBranch = {
    name: 'then',
    node: [
      node('Conv', ['x', 'W', 'b'], ['then_c1'], pads),
      node('BatchNormalization', ['then_c1', 'bn_gamma', 'bn_beta', 'bn_mean', 'bn_var'], ['then_bn']),
      node('Relu', ['then_bn'], ['then_r1']),
      node('Conv', ['then_r1', 'T2'], ['then_c2'], [aInts('kernel_shape', [1, 1])]),
      node('Relu', ['then_c2'], ['then_r2']),
      ...head('then', 'then_r2', 'then_y'),
    ],
    initializer: [
      floatTensor('bn_gamma', [8], positive(8)),
      floatTensor('bn_beta', [8], weights(rng, 8, 50)),
      floatTensor('bn_mean', [8], weights(rng, 8, 50)),
      floatTensor('bn_var', [8], positive(8)),
      floatTensor('T2', [8, 8, 1, 1], weights(rng, 64, 8)),
    ],
    output: [vi('then_y', FLOAT, ['N', 5])],
  };
  const elseBranch = {
    name: 'else',
    node: [node('Conv', ['p', 'E'], ['else_c'], pads), node('Relu', ['else_c'], ['else_r']), ...head('else', 'else_r', 'else_y')],
    initializer: [floatTensor('E', [8, 8, 3, 3], weights(rng, 8 * 8 * 9, 8 * 9))],
    output: [vi('else_y', FLOAT, ['N', 5])],
  };
  const body = {
    name: 'body',
    node: [
      node('Identity', ['cond_in'], ['cond_out']),
      node('Conv', ['x', 'W', 'b'], ['body_c'], pads),
      node('Relu', ['body_c'], ['body_r']),
      ...head('body', 'body_r', 'body_u'),
      node('MatMul', ['v_in', 'L'], ['body_vl']),
      node('Add', ['body_vl', 'body_u'], ['body_sum']),
      node('Mul', ['body_sum', 'half'], ['v_out']),
    ],
    initializer: [floatTensor('L', [5, 5], weights(rng, 25, 5)), floatTensor('half', [], Float32Array.of(0.5))],
    input: [vi('iter', INT64, []), vi('cond_in', BOOL, []), vi('v_in', FLOAT, ['N', 5])],
    output: [vi('cond_out', BOOL, []), vi('v_out', FLOAT, ['N', 5])],
  };
  const graph = {
    name: 'subgraph-weights',
    node: [
      node('Conv', ['x', 'W', 'b'], ['main_c'], pads),
      node('Relu', ['main_c'], ['m']),
      ...head('main', 'm', 'main_y'),
      node('Conv', ['x', 'P'], ['main_pc'], pads),
      node('Relu', ['main_pc'], ['p']),
      node('ReduceSum', ['x'], ['s'], [aInt('keepdims', 0)]),
      node('Greater', ['s', 'zero'], ['cond']),
      node('If', ['cond'], ['if_y'], [aGraph('then_branch', thenBranch), aGraph('else_branch', elseBranch)]),
      node('Loop', ['trips', '', 'main_y'], ['loop_v'], [aGraph('body', body)]),
      node('Add', ['if_y', 'loop_v'], ['sum1']),
      node('Add', ['sum1', 'main_y'], ['y']),
    ],
    initializer: [
      floatTensor('W', [8, 4, 3, 3], weights(rng, 8 * 4 * 9, 4 * 9)),
      floatTensor('b', [8], weights(rng, 8, 50)),
      floatTensor('M', [8, 5], weights(rng, 40, 8)),
      floatTensor('P', [8, 4, 3, 3], weights(rng, 8 * 4 * 9, 4 * 9)),
      floatTensor('zero', [], Float32Array.of(0)),
      int64Tensor('trips', [], [2]),
    ],
    input: [vi('x', FLOAT, ['N', ...SUBGRAPH_INPUT_DIMS])],
    output: [vi('y', FLOAT, ['N', 5])],
  };
  return model(graph);
}
