import { describe, expect, it } from 'vitest';
import { ShapeError } from '../../src/errors.ts';
import { ModelBuilder } from '../../src/graph/builder.ts';
import { broadcastShapes, windowOutDim } from '../../src/graph/dims.ts';
import { inferShapes } from '../../src/graph/infer.ts';

describe('window arithmetic', () => {
  it('matches floor((in + pads - dil*(k-1) - 1)/stride) + 1 on known sizes', () => {
    expect(windowOutDim(64, 3, 1, 2, 1, false, 'x')).toBe(64);
    expect(windowOutDim(64, 3, 2, 2, 1, false, 'x')).toBe(32);
    expect(windowOutDim(63, 2, 2, 0, 1, false, 'x')).toBe(31);
    expect(windowOutDim(63, 2, 2, 0, 1, true, 'x')).toBe(32);
    expect(windowOutDim(10, 3, 1, 0, 2, false, 'x')).toBe(6);
  });

  it('keeps a symbol through size-preserving windows and builds an expression otherwise', () => {
    expect(windowOutDim('T', 3, 1, 2, 1, false, 'x')).toBe('T');
    expect(windowOutDim('T', 2, 2, 0, 1, false, 'x')).toBe('floor((T-2)/2)+1');
    expect(windowOutDim('T', 1, 1, 0, 1, false, 'x')).toBe('T');
  });

  it('rejects a kernel larger than its padded input, naming where', () => {
    expect(() => windowOutDim(4, 7, 1, 0, 1, false, "Conv 'c1'")).toThrow(/Conv 'c1': kernel 7 is larger than its input of size 4/);
  });
});

describe('broadcasting', () => {
  it('follows numpy rules with symbolic dims', () => {
    expect(broadcastShapes(['N', 64, 1, 1], [64, 'T', 5], 'add')).toEqual(['N', 64, 'T', 5]);
    expect(broadcastShapes(['N', 3], ['N', 3], 'add')).toEqual(['N', 3]);
    expect(() => broadcastShapes([2, 3], [4, 3], 'add')).toThrow(ShapeError);
  });
});

describe('builder shape inference', () => {
  it('infers symbolic batch and frame dims through conv, pool and dense', () => {
    const b = new ModelBuilder('t', { seed: 1 });
    const x = b.input('mel', ['N', 1, 64, 'T']);
    const c = b.conv(x, { filters: 8, kernel: 3 });
    expect(c.shape).toEqual(['N', 8, 64, 'T']);
    const p = b.maxPool(c, { kernel: 2 });
    expect(p.shape).toEqual(['N', 8, 32, 'floor((T-2)/2)+1']);
    const s = b.conv(p, { filters: 16, kernel: 3, stride: 2 });
    expect(s.shape).toEqual(['N', 16, 16, 'floor(floor((T-2)/2)/2)+1']);
    const d = b.dense(b.flatten(b.globalAvgPool(s)), 5);
    expect(d.shape).toEqual(['N', 5]);
  });

  it('infers depthwise conv, concat and flatten of known dims', () => {
    const b = new ModelBuilder('t');
    const x = b.input('x', ['N', 6, 16, 20]);
    const dw = b.conv(x, { filters: 6, kernel: 3, groups: 6 });
    expect(dw.shape).toEqual(['N', 6, 16, 20]);
    const cat = b.concat([dw, x], 1);
    expect(cat.shape).toEqual(['N', 12, 16, 20]);
    expect(b.flatten(cat).shape).toEqual(['N', 12 * 16 * 20]);
  });

  it('fails at the line that builds an impossible shape', () => {
    const b = new ModelBuilder('t');
    const x = b.input('x', ['N', 1, 13, 5]);
    expect(() => b.conv(x, { filters: 4, kernel: 7, pad: 'valid', name: 'big' })).toThrow(/Conv 'big'.*kernel 7 is larger than its input of size 5/);
    expect(() => b.conv(x, { filters: 4, kernel: 3, groups: 2 })).toThrow(/do not divide into 2 groups/);
    const y = b.input('y', ['N', 3, 13, 4]);
    expect(() => b.add(x, y)).toThrow(/do not broadcast/);
    expect(() => b.dense(x, 3)).toThrow(/flatten first/);
    const g = b.flatten(b.globalAvgPool(b.input('z', ['N', 4, 'F', 'T'])));
    expect(g.shape).toEqual(['N', 4]);
  });

  it('rejects a dense layer over a symbolic feature count', () => {
    const b = new ModelBuilder('t');
    const x = b.input('x', ['N', 1, 8, 'T']);
    expect(() => b.dense(b.flatten(x), 3)).toThrow(/features must be known.*pool globally first/);
  });

  it('re-infers a whole graph and catches an undefined input', () => {
    const b = new ModelBuilder('t');
    const x = b.input('x', ['N', 2, 8, 8]);
    b.output(b.relu(b.conv(x, { filters: 4, kernel: 3 })));
    const g = b.build();
    expect(inferShapes(g).outputs[0].shape).toEqual(['N', 4, 8, 8]);
    const broken = { ...g, nodes: [{ ...g.nodes[1], inputs: ['nope'] }] };
    expect(() => inferShapes(broken)).toThrow(/input 'nope' is not defined/);
  });

  it('checks reshape targets, including -1 and 0', () => {
    const b = new ModelBuilder('t');
    const x = b.input('x', ['N', 4, 6]);
    expect(b.reshape(x, [0, -1]).shape).toEqual(['N', 24]);
    expect(b.reshape(x, [0, 2, 12]).shape).toEqual(['N', 2, 12]);
    const k = b.input('k', [2, 4, 6]);
    expect(() => b.reshape(k, [5, -1])).toThrow(/cannot reshape/);
  });
});

describe('Slice', () => {
  it('follows ONNX clamping for positive, strided and reversing steps', () => {
    const b = new ModelBuilder('t');
    const x = b.input('x', ['N', 3, 10, 7]);
    const slice = (starts: number[], ends: number[], axes: number[], steps?: number[]) =>
      b.apply('Slice', [x, b.int64s(starts), b.int64s(ends), b.int64s(axes), ...(steps ? [b.int64s(steps)] : [])]).shape;
    expect(slice([1], [100], [2])).toEqual(['N', 3, 9, 7]);
    expect(slice([0, 1], [10, 7], [2, 3], [3, 2])).toEqual(['N', 3, 4, 3]);
    expect(slice([-1], [-11], [2], [-1])).toEqual(['N', 3, 10, 7]);
    expect(slice([-2], [0], [3], [-1])).toEqual(['N', 3, 10, 5]);
    expect(() => slice([0], [1], [0])).toThrow(/cannot slice symbolic axis 0/);
  });
});
