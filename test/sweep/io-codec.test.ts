import { describe, expect, it } from 'vitest';
import type { Graph } from '../../src/graph/ir.ts';
import { decode, encode, modelIo } from '../../src/sweep/io-codec.ts';

const graph = (inType: Graph['inputs'][0]['dtype'], outType: Graph['inputs'][0]['dtype'], metadata: Record<string, string> = {}): Graph => ({
  name: 'g',
  inputs: [{ name: 'x', dtype: inType, shape: ['N', 4] }],
  outputs: [{ name: 'y', dtype: outType, shape: ['N', 2] }],
  initializers: [],
  nodes: [],
  valueInfo: [],
  opset: 17,
  metadata,
});

describe('model I/O encodings', () => {
  it('float32 models need none; full-int models read scale and zero point from metadata', () => {
    expect(modelIo(graph('float32', 'float32'))).toEqual({});
    const io = modelIo(graph('int8', 'uint8', { input_scale: '0.05', input_zero_point: '-3', output_scale: '0.00390625', output_zero_point: '0' }));
    expect(io).toEqual({ input: { type: 'int8', scale: 0.05, zeroPoint: -3 }, output: { type: 'uint8', scale: 0.00390625, zeroPoint: 0 } });
    expect(modelIo(graph('float16', 'float16'))).toEqual({ input: { type: 'float16' }, output: { type: 'float16' } });
  });

  it('an int8 input without its scale is a clear model error', () => {
    expect(() => modelIo(graph('int8', 'float32'))).toThrow(/model input 'x' is int8 but the model has no valid 'input_scale'/);
  });

  it('quantizes like QuantizeLinear (round half to even, saturate) and dequantizes back within scale/2', () => {
    const c = { type: 'int8' as const, scale: 0.5, zeroPoint: 1 };
    const x = Float32Array.from([0.25, 0.75, -0.25, 100, -100, 1.3]);
    const q = encode({ type: 'float32', data: x, dims: [6] }, c);
    // 0.25/0.5 = 0.5 -> 0 (even), 0.75/0.5 = 1.5 -> 2, -0.5 -> -0 ; then + zero point 1; saturated at 127 / -128
    expect(Array.from(q.data as Int8Array)).toEqual([1, 3, 1, 127, -128, 4]);
    const back = decode(q, c).data as Float32Array;
    for (const i of [0, 1, 2, 5]) expect(Math.abs(back[i] - x[i])).toBeLessThanOrEqual(0.25);
  });

  it('float16 encodings round-trip to within half precision', () => {
    const x = Float32Array.from([0.1, -3.14159, 1000.5]);
    const back = decode(encode({ type: 'float32', data: x, dims: [3] }, { type: 'float16' }), { type: 'float16' }).data as Float32Array;
    x.forEach((v, i) => expect(Math.abs(back[i] - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -11));
  });
});
