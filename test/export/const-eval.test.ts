/**
 * src/export/const-eval.ts against onnxruntime: each case is a small model whose nodes read only
 * initializers (and, for Shape/Size, one input of known shape); the nodes are evaluated in order by
 * `evalConstant`, as lift-constants.ts and cost.ts do, and every graph output must equal what
 * onnxruntime-node computes for it, element for element. The refusals (a float Slice of a weight,
 * a ConstantOfShape over the element limit) are checked to stay nodes.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { evalConstant, MAX_CREATED } from '../../src/export/const-eval.ts';
import { fromOnnx } from '../../src/export/onnx.ts';
import type { Tensor } from '../../src/graph/ir.ts';
import { aInt, aInts, aTensor, BOOL, FLOAT, floatTensor, INT64, int64Tensor, model, node, vi } from '../fixtures/onnx-models.ts';
import type { onnx } from 'onnx-proto';

const MAX = '9223372036854775807';
const MIN = '-9223372036854775808';

/** An int64 initializer from decimal strings (so the int64 extremes survive). */
function int64Big(name: string, dims: number[], values: string[]): onnx.ITensorProto {
  const b = BigInt64Array.from(values.map((v) => BigInt(v)));
  return { name, dataType: INT64, dims, rawData: new Uint8Array(b.buffer) };
}

interface Case {
  name: string;
  nodes: onnx.INodeProto[];
  inits: onnx.ITensorProto[];
  outputs: [string, number][];
  /** A graph input of this shape (float32) for Shape/Size. */
  x?: number[];
}

const CASES: Case[] = [
  {
    name: 'Concat int64 along 0, and a 2-D one along -1',
    nodes: [node('Concat', ['a', 'b'], ['y'], [aInt('axis', 0)]), node('Concat', ['m', 'm'], ['z'], [aInt('axis', -1)])],
    inits: [int64Tensor('a', [2], [3, -1]), int64Tensor('b', [3], [7, 8, 9]), int64Tensor('m', [2, 2], [1, 2, 3, 4])],
    outputs: [['y', INT64], ['z', INT64]],
  },
  {
    name: 'Slice: negative step from INT64_MAX, clamped starts, a 2-D axis with step 2, end INT64_MIN',
    nodes: [
      node('Slice', ['v', 's1', 'e1', 'a0', 'st1'], ['y1']),
      node('Slice', ['v', 's2', 'e2'], ['y2']),
      node('Slice', ['m', 's3', 'e3', 'a1', 'st3'], ['y3']),
      node('Slice', ['v', 's4', 'e4', 'a0', 'st4'], ['y4']),
    ],
    inits: [
      int64Tensor('v', [10], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
      int64Tensor('m', [2, 5], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
      int64Tensor('a0', [1], [0]),
      int64Tensor('a1', [1], [1]),
      int64Big('s1', [1], [MAX]),
      int64Tensor('e1', [1], [-8]),
      int64Tensor('st1', [1], [-3]),
      int64Tensor('s2', [1], [-100]),
      int64Tensor('e2', [1], [100]),
      int64Tensor('s3', [1], [1]),
      int64Big('e3', [1], [MAX]),
      int64Tensor('st3', [1], [2]),
      int64Tensor('s4', [1], [-1]),
      int64Big('e4', [1], [MIN]),
      int64Tensor('st4', [1], [-1]),
    ],
    outputs: [['y1', INT64], ['y2', INT64], ['y3', INT64], ['y4', INT64]],
  },
  {
    name: 'Gather: a negative scalar index, and 2-D indices along axis 1',
    nodes: [node('Gather', ['v', 'i'], ['y']), node('Gather', ['m', 'j'], ['z'], [aInt('axis', 1)])],
    inits: [int64Tensor('v', [4], [10, 20, 30, 40]), int64Tensor('i', [], [-1]), int64Tensor('m', [2, 3], [1, 2, 3, 4, 5, 6]), int64Tensor('j', [2, 2], [0, 2, 2, 1])],
    outputs: [['y', INT64], ['z', INT64]],
  },
  {
    name: 'ConstantOfShape int64 7 -> Concat -> Reshape -> Slice -> Transpose -> Cast (silero-style pads)',
    nodes: [
      node('ConstantOfShape', ['n'], ['zeros'], [aTensor('value', int64Tensor('', [1], [7]))]),
      node('Concat', ['head', 'zeros'], ['flat'], [aInt('axis', 0)]),
      node('Reshape', ['flat', 'shape'], ['pairs']),
      node('Slice', ['pairs', 'rs', 're', 'ra', 'rst'], ['rev']),
      node('Transpose', ['rev'], ['tr'], [aInts('perm', [1, 0])]),
      node('Reshape', ['tr', 'flatShape'], ['pads']),
      node('Cast', ['pads'], ['padsF'], [aInt('to', FLOAT)]),
    ],
    inits: [
      int64Tensor('n', [1], [2]),
      int64Tensor('head', [2], [64, 64]),
      int64Tensor('shape', [2], [-1, 2]),
      int64Tensor('rs', [1], [-1]),
      int64Big('re', [1], [MIN]),
      int64Tensor('ra', [1], [0]),
      int64Tensor('rst', [1], [-1]),
      int64Tensor('flatShape', [1], [-1]),
    ],
    outputs: [['pads', INT64], ['padsF', FLOAT]],
  },
  {
    name: 'Shape (start 1) and Size of a shaped input, Equal to a scalar, Not, Cast to bool and back',
    x: [2, 3, 4],
    nodes: [
      node('Shape', ['x'], ['sh'], [aInt('start', 1)]),
      node('Size', ['x'], ['sz']),
      node('Equal', ['sh', 'three'], ['eq']),
      node('Not', ['eq'], ['ne']),
      node('Cast', ['sz'], ['szb'], [aInt('to', BOOL)]),
      node('Cast', ['ne'], ['nei'], [aInt('to', INT64)]),
    ],
    inits: [int64Tensor('three', [], [3])],
    outputs: [['sh', INT64], ['sz', INT64], ['eq', BOOL], ['ne', BOOL], ['szb', BOOL], ['nei', INT64]],
  },
];

function build(c: Case): Uint8Array {
  return model({
    name: 'const-eval',
    node: c.nodes,
    initializer: c.inits,
    input: c.x ? [vi('x', FLOAT, c.x)] : [],
    // NOTE: outputs of unknown shape: onnxruntime infers them (a declared [] would be merged with a warning).
    output: c.outputs.map(([n, elemType]) => ({ name: n, type: { tensorType: { elemType } } })),
  });
}

/** Every node evaluated in graph order, each result a constant for the next. */
function evaluate(bytes: Uint8Array, x?: number[]): Map<string, Tensor> {
  const g = fromOnnx(bytes, 'const-eval.onnx');
  const consts = new Map(g.initializers.map((t) => [t.name, t]));
  for (const n of g.nodes) {
    const t = evalConstant(n, consts, (name) => (name === 'x' && x ? { dtype: 'float32', shape: x } : undefined));
    if (typeof t === 'string') throw new Error(`${n.opType} '${n.name}': ${t}`);
    consts.set(n.outputs[0], t);
  }
  return consts;
}

const values = (d: ArrayLike<unknown>) => Array.from(d, (v) => String(typeof v === 'boolean' ? Number(v) : v));

describe('evalConstant equals onnxruntime', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const bytes = build(c);
      const mine = evaluate(bytes, c.x);
      const s = await ort.InferenceSession.create(bytes);
      const feeds: Record<string, ort.Tensor> = c.x ? { x: new ort.Tensor('float32', new Float32Array(c.x.reduce((a, b) => a * b, 1)), c.x) } : {};
      const ref = await s.run(feeds);
      for (const [name] of c.outputs) {
        const t = mine.get(name)!;
        expect(t.dims, name).toEqual([...ref[name].dims]);
        expect(values(t.data as ArrayLike<unknown>), name).toEqual(values(ref[name].data as ArrayLike<unknown>));
      }
    });
  }
});

describe('what stays a node', () => {
  const consts = (ts: onnx.ITensorProto[]) => new Map(fromOnnx(model({ name: 'c', node: [node('Identity', [ts[0].name!], ['o'])], initializer: ts, input: [], output: [vi('o', FLOAT, [])] }), 'c.onnx').initializers.map((t) => [t.name, t]));

  it('a float Slice or Concat of a weight (a weight two readers share is never copied)', () => {
    const c = consts([floatTensor('w', [4, 2], new Float32Array(8).fill(0.5)), int64Tensor('s', [1], [0]), int64Tensor('e', [1], [2])]);
    const slice = { name: 'sl', opType: 'Slice', domain: '', inputs: ['w', 's', 'e'], outputs: ['y'], attrs: {} };
    expect(evalConstant(slice, c)).toMatch(/a float32 Slice stays a node \(only integer shape arithmetic is folded\)/);
    const cat = { name: 'cat', opType: 'Concat', domain: '', inputs: ['w', 'w'], outputs: ['y'], attrs: { axis: { kind: 'int' as const, value: 0 } } };
    expect(evalConstant(cat, c)).toMatch(/a float32 Concat stays a node/);
  });

  it(`a ConstantOfShape over ${MAX_CREATED} elements, and Shape of a value of unknown shape`, () => {
    const c = consts([int64Tensor('n', [2], [128, 128])]);
    const big = { name: 'cos', opType: 'ConstantOfShape', domain: '', inputs: ['n'], outputs: ['y'], attrs: { value: { kind: 'tensor' as const, value: { name: '', dtype: 'int64' as const, dims: [1], data: BigInt64Array.of(0n) } } } };
    expect(evalConstant(big, c)).toMatch(/it would create 16384 elements, over 4096: it stays a node/);
    const shape = { name: 'sh', opType: 'Shape', domain: '', inputs: ['x'], outputs: ['y'], attrs: {} };
    expect(evalConstant(shape, c, () => ({ dtype: 'float32', shape: ['N', 3] }))).toBe('the shape of its input is not known');
  });
});
