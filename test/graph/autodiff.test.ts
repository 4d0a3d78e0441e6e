import { describe, expect, it } from 'vitest';
import { InternalError } from '../../src/errors.ts';
import { gradients } from '../../src/graph/autodiff.ts';
import { ModelBuilder, type Value } from '../../src/graph/builder.ts';
import type { AttrValues } from '../../src/graph/ops/attrs.ts';
import { unary } from '../../src/graph/ops/elementwise-row.ts';
import { registerOp } from '../../src/graph/ops/index.ts';
import type { Rng } from '../../src/rng.ts';
import { checkGradient, type GradCase } from './grad-check.ts';


/** Values in ±[0.2, 1]: far from Relu's kink relative to eps = 1e-2 times a unit-normal direction. */
const awayFromZero = (rng: Rng) => (rng.next() < 0.5 ? -1 : 1) * rng.uniform(0.2, 1);
/** Positive and >= 1: keeps Log's third derivative (2/x^3) small, so O(eps^2) truncation stays ~1e-5. */
const positive = (rng: Rng) => rng.uniform(1, 3);

function unaryCase(op: string, attrs: AttrValues = {}, sample = awayFromZero, extra?: (b: ModelBuilder) => Value[]): GradCase {
  return {
    build: (b) => {
      const x = b.input('x', [2, 3, 4]);
      return { inputs: [x], y: b.apply(op, [x, ...(extra?.(b) ?? [])], attrs) };
    },
    sample: (rng) => sample(rng),
  };
}

function conv(opts: { cin: number; cout: number; k: number; stride: number; pad: number; dilation?: number; group?: number; bias?: boolean }): GradCase {
  return {
    build: (b) => {
      const x = b.input('x', [2, opts.cin, 9, 11]);
      const w = b.input('w', [opts.cout, opts.cin / (opts.group ?? 1), opts.k, opts.k]);
      const bias = opts.bias ? b.input('bias', [opts.cout]) : undefined;
      const y = b.apply('Conv', [x, w, bias], {
        strides: [opts.stride, opts.stride],
        pads: [opts.pad, opts.pad, opts.pad, opts.pad],
        dilations: [opts.dilation ?? 1, opts.dilation ?? 1],
        group: opts.group ?? 1,
      });
      return { inputs: bias ? [x, w, bias] : [x, w], y };
    },
  };
}

/**
 * Tolerance: float32 evaluation of L (hundreds of terms of size ~1) carries a rounding error of
 * about 1e-6 absolute; divided by 2 eps = 0.02 that is ~5e-5, and the O(eps^2) truncation of a
 * smooth op is ~1e-4 relative. 2e-3 relative leaves 10x margin while still catching a wrong
 * factor, sign, transpose or missing term (which give errors of order 1).
 */
const TOL = 2e-3;

const CASES: Record<string, GradCase> = {
  'Conv 3x3 stride 1 pad 1 + bias': conv({ cin: 3, cout: 4, k: 3, stride: 1, pad: 1, bias: true }),
  'Conv 3x3 stride 2 pad 1 (odd input: output_padding)': conv({ cin: 2, cout: 3, k: 3, stride: 2, pad: 1 }),
  'Conv 5x5 stride 2 pad 2': conv({ cin: 2, cout: 2, k: 5, stride: 2, pad: 2, bias: true }),
  'Conv 3x3 dilation 2': conv({ cin: 2, cout: 2, k: 3, stride: 1, pad: 2, dilation: 2 }),
  'Conv 1x1': conv({ cin: 4, cout: 3, k: 1, stride: 1, pad: 0 }),
  'depthwise Conv 3x3 stride 1': conv({ cin: 4, cout: 4, k: 3, stride: 1, pad: 1, group: 4, bias: true }),
  'depthwise Conv 3x3 stride 2': conv({ cin: 3, cout: 3, k: 3, stride: 2, pad: 1, group: 3 }),
  Relu: unaryCase('Relu'),
  LeakyRelu: unaryCase('LeakyRelu', { alpha: 0.1 }),
  'Clip (ReLU6)': {
    build: (b) => {
      const x = b.input('x', [2, 3, 4]);
      return { inputs: [x], y: b.relu6(x) };
    },
    // Both sides of each bound, away from 0 and 6.
    sample: (rng) => [rng.uniform(-2, -0.2), rng.uniform(0.2, 5.8), rng.uniform(6.2, 8)][rng.int(3)],
  },
  Sigmoid: unaryCase('Sigmoid'),
  Tanh: unaryCase('Tanh'),
  Exp: unaryCase('Exp'),
  Log: unaryCase('Log', {}, positive),
  Sqrt: unaryCase('Sqrt', {}, positive),
  Neg: unaryCase('Neg'),
  Abs: unaryCase('Abs'),
  Softmax: unaryCase('Softmax', { axis: -1 }),
  'LogSoftmax axis 1': unaryCase('LogSoftmax', { axis: 1 }),
  'Add with broadcasting': {
    build: (b) => {
      const x = b.input('x', [2, 3, 4, 5]);
      const y = b.input('y', [3, 1, 1]);
      return { inputs: [x, y], y: b.apply('Add', [x, y]) };
    },
  },
  'Sub, Mul, Div with broadcasting': {
    build: (b) => {
      const x = b.input('x', [2, 3, 4]);
      const y = b.input('y', [1, 3, 1]);
      const z = b.input('z', [4]);
      const q = b.apply('Div', [b.apply('Mul', [b.apply('Sub', [x, y]), z]), b.apply('Add', [y, b.scalar(3)])]);
      return { inputs: [x, y, z], y: q };
    },
  },
  'a value used twice (gradients sum)': {
    build: (b) => {
      const x = b.input('x', [3, 4]);
      return { inputs: [x], y: b.apply('Mul', [b.apply('Tanh', [x]), x]) };
    },
  },
  'MaxPool 2x2': {
    build: (b) => {
      const x = b.input('x', [2, 3, 6, 7]);
      return { inputs: [x], y: b.maxPool(x, { kernel: 2 }) };
    },
    // Distinct values spaced far apart relative to eps: no ties, no winner changes.
    sample: (rng) => rng.int(1000) * 0.1,
  },
  'MaxPool 3x3 stride 1 pad 1': {
    build: (b) => {
      const x = b.input('x', [2, 2, 5, 5]);
      return { inputs: [x], y: b.maxPool(x, { kernel: 3, stride: 1, pad: 1 }) };
    },
    sample: (rng) => rng.int(1000) * 0.1,
  },
  'AveragePool 2x2': {
    build: (b) => {
      const x = b.input('x', [2, 3, 6, 7]);
      return { inputs: [x], y: b.avgPool(x, { kernel: 2 }) };
    },
  },
  GlobalAveragePool: {
    build: (b) => {
      const x = b.input('x', [2, 3, 5, 4]);
      return { inputs: [x], y: b.globalAvgPool(x) };
    },
  },
  'Gemm transB with bias (dense)': {
    build: (b) => {
      const x = b.input('x', [4, 6]);
      const w = b.input('w', [5, 6]);
      const c = b.input('c', [5]);
      return { inputs: [x, w, c], y: b.apply('Gemm', [x, w, c], { transB: 1 }) };
    },
  },
  'Gemm without transB': {
    build: (b) => {
      const x = b.input('x', [4, 6]);
      const w = b.input('w', [6, 3]);
      return { inputs: [x, w], y: b.apply('Gemm', [x, w]) };
    },
  },
  MatMul: {
    build: (b) => {
      const x = b.input('x', [4, 6]);
      const w = b.input('w', [6, 3]);
      return { inputs: [x, w], y: b.apply('MatMul', [x, w]) };
    },
  },
  'Flatten, Reshape, Transpose': {
    build: (b) => {
      const x = b.input('x', [2, 3, 4]);
      const t = b.apply('Transpose', [x], { perm: [2, 0, 1] });
      return { inputs: [x], y: b.reshape(b.flatten(t), [6, 4]) };
    },
  },
  Concat: {
    build: (b) => {
      const x = b.input('x', [2, 3, 4]);
      const y = b.input('y', [2, 2, 4]);
      return { inputs: [x, y], y: b.apply('Tanh', [b.concat([x, y], 1)]) };
    },
  },
  'ReduceMean (BN statistics) and ReduceSum': {
    build: (b) => {
      const x = b.input('x', [2, 3, 4, 5]);
      const m = b.apply('ReduceMean', [x], { axes: [0, 2, 3], keepdims: 1 });
      const centred = b.apply('Sub', [x, m]);
      const s = b.apply('ReduceSum', [b.apply('Mul', [centred, centred]), b.int64s([1])], { keepdims: 0 });
      return { inputs: [x], y: s };
    },
  },
  'Unsqueeze, Expand, Where': {
    build: (b) => {
      const x = b.input('x', [3, 4]);
      const u = b.apply('Unsqueeze', [x, b.int64s([0])]);
      const e = b.apply('Expand', [u, b.int64s([2, 3, 4])]);
      return { inputs: [x], y: b.apply('Where', [b.apply('Greater', [e, b.scalar(0)]), e, b.apply('Neg', [e])]) };
    },
    sample: (rng) => awayFromZero(rng),
  },
};

describe('gradient rules vs central finite differences in onnxruntime-node', () => {
  it.each(Object.entries(CASES))('%s', async (_name, c) => {
    const r = await checkGradient(c);
    expect(r.relError, `analytic ${r.analytic} vs numeric ${r.numeric}`).toBeLessThan(TOL);
  });
});

describe('autodiff engine', () => {
  it('fails loudly, naming the op, when a rule is missing', () => {
    const b = new ModelBuilder('t');
    const x = b.input('x', [2, 3]);
    const y = b.apply('ReduceMax', [x], { keepdims: 0 });
    expect(() => gradients(b, y, ['x'])).toThrow(/no gradient rule for ReduceMax 'reducemax'/);
  });

  it('rejects a non-scalar loss and a parameter that does not reach the loss', () => {
    const b = new ModelBuilder('t');
    const x = b.input('x', [2, 3]);
    b.input('z', [2, 3]);
    expect(() => gradients(b, b.relu(x), ['x'])).toThrow(InternalError);
    expect(() => gradients(b, b.relu(x), ['x'])).toThrow(/must be a scalar/);
    const loss = b.apply('ReduceSum', [b.relu(x)], { keepdims: 0 });
    expect(() => gradients(b, loss, ['x', 'z'])).toThrow(/'z' does not affect the loss/);
  });

  it('reports a rule that returns the wrong number of gradients as an internal error, naming the node', () => {
    registerOp(unary('Softplus', 1, { grad: () => [] }));
    const b = new ModelBuilder('t');
    const x = b.input('x', [2, 3]);
    const loss = b.apply('ReduceSum', [b.apply('Softplus', [x], {}, 'sp')], { keepdims: 0 });
    expect(() => gradients(b, loss, ['x'])).toThrow(new InternalError("autodiff: the gradient rule of Softplus 'sp' returned 0 gradients for 1 inputs"));
  });

  it('visits only the nodes between the parameters and the loss', () => {
    const b = new ModelBuilder('t');
    const x = b.input('x', [2, 3]);
    const w = b.input('w', [3, 3]);
    const side = b.apply('Exp', [x]); // depends on x only: no gradient wanted through it
    const loss = b.apply('ReduceSum', [b.apply('MatMul', [side, w])], { keepdims: 0 });
    const before = b.graphNodes.length;
    gradients(b, loss, ['w']);
    const added = b.graphNodes.slice(before).map((n) => n.opType);
    expect(added).not.toContain('Exp'); // no dX of Exp was built
    expect(added.filter((t) => t === 'MatMul')).toHaveLength(1); // only dW = X^T dY
  });
});
