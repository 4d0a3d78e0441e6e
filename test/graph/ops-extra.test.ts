/**
 * Shape rules of Pad, Max/Min, ReduceMax/ReduceMean/ReduceSum and Unsqueeze, on symbolic dims and on
 * the error cases, each naming the node. The ONNX frontend (test/features/onnx-frontend.test.ts)
 * checks their numbers in onnxruntime.
 */
import { describe, expect, it } from 'vitest';
import { ShapeError } from '../../src/errors.ts';
import { ModelBuilder, type Value } from '../../src/graph/builder.ts';
import { inferShapes } from '../../src/graph/infer.ts';
import { fromOnnx, toOnnx } from '../../src/export/onnx.ts';

const i64 = (b: ModelBuilder, name: string, v: number[]): Value => b.constant(name, 'int64', [v.length], BigInt64Array.from(v.map(BigInt)));
const mode = (value: string) => ({ mode: value });

describe('Pad', () => {
  it('adds begin + end pads to each axis, symbolic ones included', () => {
    const b = new ModelBuilder('t');
    const x = b.input('x', ['N', 2, 'S']);
    expect(b.op('Pad', [x, i64(b, 'p', [0, 0, 512, 0, 0, 200])], mode('reflect'))[0].shape).toEqual(['N', 2, 'S+712']);
    expect(b.op('Pad', [x, i64(b, 'p', [0, 1, 0, 0, 1, 0])], mode('edge'))[0].shape).toEqual(['N', 4, 'S']);
    expect(b.op('Pad', [x, i64(b, 'p', [0, 0, -2, 0, 0, 2])])[0].shape).toEqual(['N', 2, 'S']);
    const y = b.input('y', ['N', 3, 'S-4']);
    expect(b.op('Pad', [y, i64(b, 'p', [0, 0, 2, 0, 0, 2])], mode('edge'))[0].shape).toEqual(['N', 3, 'S']);
    const v = b.constant('v', 'float32', [], new Float32Array([-1]));
    expect(b.op('Pad', [b.input('z', [4, 5]), i64(b, 'p', [1, 0, 1, -3]), v])[0].shape).toEqual([6, 2]);
  });

  it('rejects wrong pad counts, reflect pads as long as the axis, crops outside constant mode and unknown modes', () => {
    const b = new ModelBuilder('t');
    const x = b.input('x', ['N', 1, 100]);
    expect(() => b.op('Pad', [x, i64(b, 'p', [0, 5])], {}, { name: 'short' })).toThrow(/Pad 'short': input of rank 3 needs 6 pads, got 2/);
    expect(() => b.op('Pad', [x, i64(b, 'p', [0, 0, 100, 0, 0, 0])], mode('reflect'), { name: 'r' })).toThrow(
      /Pad 'r': reflect pads 100\/0 on axis 2 need an input longer than 100, got 100/,
    );
    expect(() => b.op('Pad', [x, i64(b, 'p', [0, 0, -1, 0, 0, 0])], mode('edge'), { name: 'e' })).toThrow(/Pad 'e': negative pads .* only supported in mode 'constant'/);
    expect(() => b.op('Pad', [x, i64(b, 'p', [0, 0, -60, 0, 0, -60])], {}, { name: 'c' })).toThrow(/Pad 'c': pads -60\/-60 crop axis 2 of size 100 below zero/);
    expect(() => b.op('Pad', [x, i64(b, 'p', [0, 0, 0, 0, 0, 0])], mode('wrap'), { name: 'w' })).toThrow(/Pad 'w': mode 'wrap' is not one of constant, reflect, edge/);
    const dynamic = b.input('pads', [6], 'int64');
    expect(() => b.op('Pad', [x, dynamic], {}, { name: 'd' })).toThrow(ShapeError);
  });
});

describe('Max and Min', () => {
  it('broadcast any number of inputs', () => {
    const b = new ModelBuilder('t');
    const s = b.input('s', ['N', 1, 64, 'T']);
    const floor = b.input('f', ['N', 1, 1, 1]);
    const amin = b.constant('amin', 'float32', [], new Float32Array([1e-10]));
    expect(b.op('Max', [s, floor])[0].shape).toEqual(['N', 1, 64, 'T']);
    expect(b.op('Min', [s, amin, floor])[0].shape).toEqual(['N', 1, 64, 'T']);
    expect(b.op('Max', [amin])[0].shape).toEqual([]);
  });

  it('reject shapes that do not broadcast and mixed types, naming the node', () => {
    const b = new ModelBuilder('t');
    const x = b.input('x', ['N', 3, 'T']);
    expect(() => b.op('Max', [x, b.input('y', [4, 1])], {}, { name: 'm' })).toThrow(/Max 'm': shapes .* do not broadcast/);
    expect(() => b.op('Min', [x, b.input('i', [1], 'int64')], {}, { name: 'n' })).toThrow(/Min 'n': input types differ/);
    expect(() => b.op('Max', [], {}, { name: 'none' })).toThrow(/Max 'none': needs at least one input/);
  });
});

describe('ReduceMax, ReduceMean, ReduceSum', () => {
  it('reduce attribute axes (Max, Mean) with and without keepdims', () => {
    const b = new ModelBuilder('t');
    const x = b.input('x', ['N', 2, 64, 'T']);
    expect(b.op('ReduceMax', [x], { axes: [1, 2, 3] })[0].shape).toEqual(['N', 1, 1, 1]);
    expect(b.op('ReduceMean', [x], { axes: [-1], keepdims: 0 })[0].shape).toEqual(['N', 2, 64]);
    expect(b.op('ReduceMax', [x], { keepdims: 0 })[0].shape).toEqual([]);
  });

  it('reduce input axes (Sum), and treat empty axes as all or as the identity', () => {
    const b = new ModelBuilder('t');
    const x = b.input('x', ['N', 2, 64, 'T']);
    expect(b.op('ReduceSum', [x, i64(b, 'a', [0, 3])])[0].shape).toEqual([1, 2, 64, 1]);
    expect(b.op('ReduceSum', [x])[0].shape).toEqual([1, 1, 1, 1]);
    expect(b.op('ReduceSum', [x, i64(b, 'a', [])], { noop_with_empty_axes: 1 })[0].shape).toEqual(['N', 2, 64, 'T']);
  });

  it('reject axes out of range, repeated axes, ReduceSum axes as an attribute and non-constant axes', () => {
    const b = new ModelBuilder('t');
    const x = b.input('x', ['N', 2, 'T']);
    expect(() => b.op('ReduceMax', [x], { axes: [3] }, { name: 'r' })).toThrow(/ReduceMax 'r': axis 3 is out of range for rank 3/);
    expect(() => b.op('ReduceMean', [x], { axes: [1, -2] }, { name: 'm' })).toThrow(/ReduceMean 'm': axes \[1, -2\] repeat an axis/);
    expect(() => b.op('ReduceSum', [x], { axes: [1] }, { name: 's' })).toThrow(/ReduceSum 's': unsupported attribute 'axes'/);
    expect(() => b.op('ReduceSum', [x, b.input('axes', [1], 'int64')], {}, { name: 'd' })).toThrow(/ReduceSum 'd': axes must be a constant initializer/);
  });
});

describe('Unsqueeze', () => {
  it('inserts size-1 axes at positions of the output rank', () => {
    const b = new ModelBuilder('t');
    const x = b.input('x', ['N', 'S']);
    expect(b.op('Unsqueeze', [x, i64(b, 'a', [1])])[0].shape).toEqual(['N', 1, 'S']);
    expect(b.op('Unsqueeze', [x, i64(b, 'a', [-1, 0])])[0].shape).toEqual([1, 'N', 'S', 1]);
  });

  it('rejects out-of-range and repeated axes, naming the node', () => {
    const b = new ModelBuilder('t');
    const x = b.input('x', ['N', 'S']);
    expect(() => b.op('Unsqueeze', [x, i64(b, 'a', [3])], {}, { name: 'u' })).toThrow(/Unsqueeze 'u': axis 3 is out of range for rank 3/);
    expect(() => b.op('Unsqueeze', [x, i64(b, 'a', [1, -3])], {}, { name: 'v' })).toThrow(/Unsqueeze 'v': axes \[1, -3\] repeat an axis/);
    expect(() => b.op('Unsqueeze', [x], {}, { name: 'w' })).toThrow(/Unsqueeze 'w': needs data and axes/);
  });
});

describe('the new ops in a graph', () => {
  it('re-infer after an ONNX round trip to the same shapes', () => {
    const b = new ModelBuilder('t');
    const x = b.input('x', ['N', 'S']);
    const u = b.op('Unsqueeze', [x, i64(b, 'a', [1])])[0];
    const p = b.op('Pad', [u, i64(b, 'p', [0, 0, 3, 0, 0, 3])], mode('reflect'))[0];
    const m = b.op('ReduceMax', [p], { axes: [1, 2] })[0];
    const s = b.op('ReduceSum', [b.op('Max', [p, m])[0], i64(b, 'ax', [2])], { keepdims: 0 })[0];
    b.output(b.op('Min', [s, b.op('ReduceMean', [p], { axes: [2], keepdims: 0 })[0]])[0]);
    const g = b.build();
    expect(g.outputs[0].shape).toEqual(['N', 1]);
    const back = inferShapes(fromOnnx(toOnnx(g)));
    expect(back.outputs[0].shape).toEqual(['N', 1]);
    expect(back.valueInfo.map((v) => v.shape)).toEqual(g.valueInfo.map((v) => v.shape));
  });
});
