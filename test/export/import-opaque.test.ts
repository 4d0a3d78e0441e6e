/**
 * Import of what melbench's IR does not model, checked against onnxruntime-node: opaque ops in
 * other domains at their real opset versions, known ops in older opsets or with attributes the
 * OpDef lacks, values of unknown type, every carried element type, sparse tensors, doc strings
 * and metadata; and the exit codes of what cannot be imported.
 */
import * as ort from 'onnxruntime-node';
import type onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { EXIT, UserError } from '../../src/errors.ts';
import { fromOnnx, toOnnx, withoutEmptyTrailingInputs } from '../../src/export/onnx.ts';
import { isKnownType } from '../../src/graph/ir.ts';
import { AT, countNodes, DT, expectSameOutputs, modelBytes, node, onnx, raw, vi } from './import-helpers.ts';

const f32 = (n: number, k = 1) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * k + 0.3) * 2);

function catchUserError(f: () => unknown): UserError {
  try {
    f();
  } catch (e) {
    if (e instanceof UserError) return e;
    throw e;
  }
  throw new Error('expected a UserError');
}

describe('opaque ops and domains', () => {
  it('keeps ai.onnx.ml at version 3 and com.microsoft at 1, and runs bit-identically', async () => {
    const bytes = modelBytes(
      {
        name: 'ml',
        input: [vi('x', DT.FLOAT, ['N', 4])],
        output: [vi('y', DT.FLOAT, ['N', 4])],
        node: [node('Normalizer', ['x'], ['n'], [{ name: 'norm', type: AT.STRING, s: new TextEncoder().encode('L2') }], 'ai.onnx.ml'), node('Gelu', ['n'], ['y'], [], 'com.microsoft')],
      },
      [
        { domain: '', version: 17 },
        { domain: 'ai.onnx.ml', version: 3 },
        { domain: 'com.microsoft', version: 1 },
      ],
    );
    const g = fromOnnx(bytes, 'ml.onnx');
    expect(g.nodes.map((n) => `${n.domain}.${n.opType}`)).toEqual(['ai.onnx.ml.Normalizer', 'com.microsoft.Gelu']);
    // Neither op is modelled: their outputs are unknown unless the model declares them (y is a graph output).
    expect(isKnownType(g, 'n')).toBe(false);
    expect(g.outputs[0]).toEqual({ name: 'y', dtype: 'float32', shape: ['N', 4] });
    const back = toOnnx(g);
    expect(onnx.ModelProto.decode(back).opsetImport.map((o) => `${o.domain}:${o.version}`)).toEqual([':17', 'ai.onnx.ml:3', 'com.microsoft:1']);
    await expectSameOutputs(bytes, back, { x: new ort.Tensor('float32', f32(12), [3, 4]) });
  });

  it('carries known ops of an older opset (opset 11 Unsqueeze/ReduceSum with axes attributes) and keeps IR version 6', async () => {
    const bytes = modelBytes(
      {
        name: 'old',
        input: [vi('x', DT.FLOAT, [2, 3])],
        output: [vi('y', DT.FLOAT, [1, 3])],
        node: [node('ReduceSum', ['x'], ['s'], [{ name: 'axes', type: AT.INTS, ints: [0] }, { name: 'keepdims', type: AT.INT, i: 0 }]), node('Unsqueeze', ['s'], ['y'], [{ name: 'axes', type: AT.INTS, ints: [0] }])],
      },
      [{ domain: '', version: 11 }],
      { irVersion: 6 },
    );
    const g = fromOnnx(bytes, 'old.onnx');
    expect(g.opset).toBe(11);
    const back = toOnnx(g);
    const m = onnx.ModelProto.decode(back);
    expect(Number(m.irVersion)).toBe(6);
    expect(m.opsetImport.map((o) => Number(o.version))).toEqual([11]);
    expect(m.graph!.node!.map((n) => n.attribute!.map((a) => a.name))).toEqual([['axes', 'keepdims'], ['axes']]);
    await expectSameOutputs(bytes, back, { x: new ort.Tensor('float32', f32(6), [2, 3]) });
  });

  it('writes an IR-3 model (opset 7) back with its initializers among the inputs, as IR < 4 requires', async () => {
    const w = raw('w', DT.FLOAT, [3], new Float32Array([0.5, -1, 2]));
    const bytes = modelBytes(
      { name: 'ir3', input: [vi('x', DT.FLOAT, [2, 3]), vi('w', DT.FLOAT, [3])], output: [vi('y', DT.FLOAT, [2, 3])], initializer: [w], node: [node('Mul', ['x', 'w'], ['y'])] },
      [{ domain: 'ai.onnx', version: 7 }],
      { irVersion: 3 },
    );
    const g = fromOnnx(bytes, 'ir3.onnx');
    expect(g.inputs.map((v) => v.name)).toEqual(['x']); // w is an initializer, not a feed
    expect(g.opset).toBe(7);
    const back = toOnnx(g);
    const m = onnx.ModelProto.decode(back);
    expect([Number(m.irVersion), m.graph!.input!.map((v) => v.name)]).toEqual([3, ['x', 'w']]);
    expect(m.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 7]]);
    await expectSameOutputs(bytes, back, { x: new ort.Tensor('float32', f32(6), [2, 3]) });
  });

  it("carries a Conv whose attributes the OpDef lacks (auto_pad), and Shape/Gather whose types it cannot know", async () => {
    const w = f32(2 * 1 * 3 * 3, 0.7);
    const bytes = modelBytes({
      name: 'autopad',
      input: [vi('x', DT.FLOAT, [1, 1, 5, 'T'])],
      output: [vi('y', DT.FLOAT, [1, 2, 5, 'T']), vi('t', DT.INT64, [])],
      initializer: [raw('w', DT.FLOAT, [2, 1, 3, 3], w), raw('i3', DT.INT64, [], new BigInt64Array([3n]))],
      node: [
        node('Conv', ['x', 'w'], ['y'], [{ name: 'auto_pad', type: AT.STRING, s: new TextEncoder().encode('SAME_UPPER') }, { name: 'kernel_shape', type: AT.INTS, ints: [3, 3] }]),
        node('Shape', ['x'], ['shp']),
        node('Gather', ['shp', 'i3'], ['t']),
      ],
    });
    const g = fromOnnx(bytes, 'autopad.onnx');
    expect(isKnownType(g, 'shp')).toBe(false);
    expect(g.valueInfo.map((v) => v.name)).not.toContain('shp');
    expect(g.outputs.map((o) => [o.name, o.dtype, o.shape])).toEqual([
      ['y', 'float32', [1, 2, 5, 'T']],
      ['t', 'int64', []],
    ]);
    const back = toOnnx(g);
    expect(countNodes(back)).toBe(3);
    await expectSameOutputs(bytes, back, { x: new ort.Tensor('float32', f32(35), [1, 1, 5, 7]) });
  });
});

describe('withoutEmptyTrailingInputs in subgraphs', () => {
  it("drops a trailing '' input of a node inside an If branch", () => {
    const branch = (y: string) => ({ name: y, output: [vi(y, DT.FLOAT, [1])], node: [node('Clip', ['x', 'lo', ''], [y])] });
    const bytes = modelBytes({
      name: 'trim',
      input: [vi('x', DT.FLOAT, [1]), vi('c', DT.BOOL, [])],
      output: [vi('y', DT.FLOAT, [1])],
      initializer: [raw('lo', DT.FLOAT, [], new Float32Array([0]))],
      node: [node('If', ['c'], ['y'], [{ name: 'then_branch', type: AT.GRAPH, g: branch('t') }, { name: 'else_branch', type: AT.GRAPH, g: branch('e') }])],
    });
    const out = onnx.ModelProto.decode(withoutEmptyTrailingInputs(bytes));
    expect(out.graph!.node![0].attribute!.map((a) => a.g!.node![0].input)).toEqual([
      ['x', 'lo'],
      ['x', 'lo'],
    ]);
  });
});

describe('element types', () => {
  it('imports and exports float64, int16, uint16, uint32, uint64, int64, bool, float16 and string tensors exactly', async () => {
    const inits = [
      raw('d', DT.DOUBLE, [3], new Float64Array([1e-300, Math.PI, -2.5])),
      raw('i16', DT.INT16, [3], new Int16Array([-32768, 7, 32767])),
      raw('u16', DT.UINT16, [3], new Uint16Array([0, 1, 65535])),
      raw('u32', DT.UINT32, [3], new Uint32Array([0, 4294967295, 9])),
      { name: 'u64', dataType: DT.UINT64, dims: [3], uint64Data: [0, 1, 12345] },
      raw('b', DT.BOOL, [3], new Uint8Array([1, 0, 1])),
      raw('h', DT.FLOAT16, [3], new Uint16Array([0x3c00, 0xc000, 0x3555])),
      { name: 'i64big', dataType: DT.INT64, dims: [1], int64Data: [{ low: -1, high: 0x7fffffff, unsigned: false }] as never },
      { name: 'strs', dataType: DT.STRING, dims: [2], stringData: [new TextEncoder().encode('ünïcode'), new TextEncoder().encode('')] },
    ];
    const toD = (n: string) => node('Cast', [n], [`${n}_d`], [{ name: 'to', type: AT.INT, i: DT.DOUBLE }]);
    const bytes = modelBytes({
      name: 'dtypes',
      input: [vi('x', DT.DOUBLE, [3])],
      output: [vi('y', DT.DOUBLE, [3]), vi('s', DT.STRING, [2]), vi('big', DT.INT64, [1])],
      initializer: inits,
      node: [
        ...['i16', 'u16', 'u32', 'u64', 'b', 'h'].map(toD),
        node('Sum', ['x', 'd', 'i16_d', 'u16_d', 'u32_d', 'u64_d', 'b_d', 'h_d'], ['y']),
        node('Identity', ['strs'], ['s']),
        node('Identity', ['i64big'], ['big']),
      ],
    });
    const g = fromOnnx(bytes, 'dtypes.onnx');
    const t = new Map(g.initializers.map((x) => [x.name, x]));
    expect(t.get('d')!.data).toEqual(new Float64Array([1e-300, Math.PI, -2.5]));
    expect(t.get('u64')!.data).toEqual(new BigUint64Array([0n, 1n, 12345n]));
    expect(t.get('i64big')!.data).toEqual(new BigInt64Array([0x7fffffffffffffffn]));
    expect(t.get('strs')!.data).toEqual(['ünïcode', '']);
    expect(g.inputs[0].dtype).toBe('float64');
    const back = toOnnx(g);
    await expectSameOutputs(bytes, back, { x: new ort.Tensor('float64', new Float64Array([0.5, -1, 2]), [3]) });
  });

  it('refuses complex and 4-bit tensors with exit 4, and a made-up element type with exit 3', () => {
    const withInit = (dataType: number) =>
      modelBytes({ name: 'c', input: [vi('x', DT.FLOAT, [1])], output: [vi('x2', DT.FLOAT, [1])], initializer: [{ name: 'c', dataType, dims: [1], rawData: new Uint8Array(8) }], node: [node('Identity', ['x'], ['x2'])] });
    const complex = catchUserError(() => fromOnnx(withInit(DT.COMPLEX64), 'c.onnx'));
    expect(complex.exitCode).toBe(EXIT.badModel);
    expect(complex.message).toMatch(/^c\.onnx: tensor 'c': element type complex64 is not carried by melbench/);
    expect(catchUserError(() => fromOnnx(withInit(22), 'i4.onnx')).exitCode).toBe(EXIT.badModel);
    expect(catchUserError(() => fromOnnx(withInit(99), 'junk.onnx')).exitCode).toBe(EXIT.badInput);
  });

  it('refuses a tensor whose bytes disagree with its dims, and dims over the size limit, before allocating', () => {
    const m = (t: object) => modelBytes({ name: 'z', input: [vi('x', DT.FLOAT, [1])], output: [vi('x2', DT.FLOAT, [1])], initializer: [t], node: [node('Identity', ['x'], ['x2'])] });
    const short = catchUserError(() => fromOnnx(m({ name: 'w', dataType: DT.FLOAT, dims: [4], rawData: new Uint8Array(12) }), 'short.onnx'));
    expect(short.exitCode).toBe(EXIT.badInput);
    expect(short.message).toBe("short.onnx: tensor 'w' has 12 bytes of float32 for dims [4] (16 expected)");
    const huge = catchUserError(() => fromOnnx(m({ name: 'w', dataType: DT.FLOAT, dims: [65536, 65536], rawData: new Uint8Array(4) }), 'huge.onnx'));
    expect(huge.message).toMatch(/^huge\.onnx: tensor 'w' has dims \[65536,65536\], over melbench's limit of 2147483648 bytes per tensor$/);
    expect(catchUserError(() => fromOnnx(m({ name: 'w', dataType: DT.FLOAT, dims: [-1], floatData: [] }), 'neg.onnx')).message).toMatch(/invalid dim -1/);
  });
});

describe('sparse tensors, doc strings, metadata, functions', () => {
  it('carries a sparse initializer and a Constant with sparse_value, bit-identically', async () => {
    const sparse = { values: raw('sw', DT.FLOAT, [2], new Float32Array([1.5, -2])), indices: raw('sw_i', DT.INT64, [2], new BigInt64Array([1n, 5n])), dims: [2, 3] };
    const bytes = modelBytes({
      name: 'sparse',
      input: [vi('x', DT.FLOAT, [2, 3])],
      output: [vi('y', DT.FLOAT, [2, 3])],
      sparseInitializer: [sparse],
      node: [node('Constant', [], ['c'], [{ name: 'sparse_value', type: AT.SPARSE_TENSOR, sparseTensor: { ...sparse, values: { ...sparse.values, name: 'cv' } } }]), node('Add', ['x', 'sw'], ['a']), node('Mul', ['a', 'c'], ['y'])],
    });
    const g = fromOnnx(bytes, 'sparse.onnx');
    expect(g.sparseInitializers?.map((s) => [s.values.name, s.dims])).toEqual([['sw', [2, 3]]]);
    expect(g.nodes[0].attrs.sparse_value.kind).toBe('sparse_tensor');
    await expectSameOutputs(bytes, toOnnx(g), { x: new ort.Tensor('float32', f32(6), [2, 3]) });
  });

  it('keeps metadata_props, model/graph/node doc strings, model version and a model-local function', async () => {
    const fn: onnxProto.onnx.IFunctionProto = {
      name: 'Twice',
      domain: 'my.fns',
      input: ['a'],
      output: ['b'],
      node: [node('Add', ['a', 'a'], ['b'])],
      opsetImport: [{ domain: '', version: 17 }],
    };
    const bytes = modelBytes(
      { name: 'doc', docString: 'the graph', input: [vi('x', DT.FLOAT, [2])], output: [vi('y', DT.FLOAT, [2])], node: [{ ...node('Twice', ['x'], ['y'], [], 'my.fns'), docString: 'calls a function' }] },
      [
        { domain: '', version: 17 },
        { domain: 'my.fns', version: 1 },
      ],
      { docString: 'the model', modelVersion: 7, metadataProps: [{ key: 'author', value: 'me' }], functions: [fn] },
    );
    const back = toOnnx(fromOnnx(bytes, 'doc.onnx'));
    const m = onnx.ModelProto.decode(back);
    expect([m.docString, m.graph!.docString, m.graph!.node![0].docString, Number(m.modelVersion)]).toEqual(['the model', 'the graph', 'calls a function', 7]);
    expect(m.metadataProps.map((p) => [p.key, p.value])).toEqual([['author', 'me']]);
    expect(m.functions.map((f) => f.name)).toEqual(['Twice']);
    await expectSameOutputs(bytes, back, { x: new ort.Tensor('float32', new Float32Array([1.25, -3]), [2]) });
  });

  it('refuses a graph output that is not a tensor with exit 4, and an unknown attribute type with exit 3', () => {
    const seqOut = modelBytes({
      name: 'seq',
      input: [vi('x', DT.FLOAT, [2])],
      output: [{ name: 's', type: { sequenceType: { elemType: { tensorType: { elemType: DT.FLOAT } } } } }],
      node: [node('SequenceConstruct', ['x'], ['s'])],
    });
    const e = catchUserError(() => fromOnnx(seqOut, 'seq.onnx'));
    expect(e.exitCode).toBe(EXIT.badModel);
    expect(e.message).toBe("seq.onnx: graph input or output 's' is not a tensor (sequenceType), so this model cannot be used");
    const badAttr = modelBytes({ name: 'a', input: [vi('x', DT.FLOAT, [2])], output: [vi('y', DT.FLOAT, [2])], node: [node('Relu', ['x'], ['y'], [{ name: 'odd', type: 99 as never, i: 1 }])] });
    expect(catchUserError(() => fromOnnx(badAttr, 'a.onnx')).exitCode).toBe(EXIT.badInput);
  });
});
