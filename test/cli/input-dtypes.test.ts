/**
 * `bench <model.onnx> --input name=file.npy` with an .npy of every dtype an ONNX input takes:
 * a model with one input per dtype (each Cast to float32 for its output) is benched from
 * hand-written files, little- and big-endian, and each row's input_sha256 is that of the values
 * themselves. A file whose dtype differs from its input's exits 3 naming both and the fix; a bool
 * input, which no runner carries, exits 4.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.ts';
import { ONNX_ELEM_TYPE } from '../../src/graph/dtype.ts';
import type { Feeds, HostTensor } from '../../src/runners/runner.ts';
import { feedsSha256 } from '../../src/runners/feed-sha256.ts';
import { bytesOf, descrOf, npyFile, type NpyTestDType, sampleValues } from '../fixtures/npy-files.ts';
import { melbenchInProcess as melbench } from './run-in-process.ts';

const { onnx } = onnxProto;
const QUICK = ['--runtimes', 'cpu', '--no-isolate', '--samples', '2', '--warmup', '0', '--time-ms', '0', '--no-report'];
const HOST_DTYPES: Exclude<NpyTestDType, 'bool'>[] = ['float16', 'float32', 'float64', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64'];
const SHAPE = [2, 3];

const vi = (name: string, elemType: number, dims: number[]) => ({ name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });

/** One input `x_<dtype>` [2, 3] per dtype, each Cast to float32 as output `y_<dtype>`. */
function castModel(dtypes: readonly NpyTestDType[]): Uint8Array {
  const m = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'cast-inputs',
      input: dtypes.map((d) => vi(`x_${d}`, ONNX_ELEM_TYPE[d], SHAPE)),
      output: dtypes.map((d) => vi(`y_${d}`, ONNX_ELEM_TYPE.float32, SHAPE)),
      node: dtypes.map((d) => ({ opType: 'Cast', input: [`x_${d}`], output: [`y_${d}`], attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: ONNX_ELEM_TYPE.float32 }] })),
    },
  });
  return onnx.ModelProto.encode(m).finish();
}

const dir = mkdtempSync(join(tmpdir(), 'melbench-dtypes-'));
const model = join(dir, 'cast-inputs.onnx');
writeFileSync(model, castModel(HOST_DTYPES));

/** Writes x_<dtype>.npy in `order` for every dtype and returns the --input flags. */
function npyFlags(order: '<' | '>', dtypes: readonly NpyTestDType[] = HOST_DTYPES): string[] {
  return dtypes.flatMap((d) => {
    const path = join(dir, `${d}${order === '<' ? 'le' : 'be'}.npy`);
    writeFileSync(path, npyFile(descrOf(d, order), SHAPE, bytesOf({ data: sampleValues(d) })));
    return ['--input', `x_${d}=${path}`];
  });
}

const rowsOf = (csv: string): Record<string, string>[] => parse(readFileSync(csv, 'utf8'), { columns: true });

describe('bench --input name=file.npy: every dtype ONNX inputs use', () => {
  it('float16/32/64, int8/16/32/64, uint8/16/32/64 from little- and big-endian files: fed as the values themselves', async () => {
    // What the inputs must be: the sample values in their own typed arrays, in input order.
    const want: Feeds = Object.fromEntries(HOST_DTYPES.map((d) => [`x_${d}`, { type: d, data: sampleValues(d), dims: SHAPE } as HostTensor]));
    const sha = feedsSha256(want, HOST_DTYPES.map((d) => `x_${d}`));
    for (const order of ['<', '>'] as const) {
      const csv = join(dir, `dtypes-${order === '<' ? 'le' : 'be'}.csv`);
      const r = await melbench('bench', model, ...npyFlags(order), ...QUICK, '-o', csv);
      expect(r.code, r.stderr).toBe(EXIT.ok);
      for (const d of HOST_DTYPES) expect(r.stderr).toContain(`melbench: cast-inputs: input 'x_${d}' ${d} [2, 3] <- --input`);
      const [row] = rowsOf(csv);
      expect([row.status, row.error]).toEqual(['ok', '']);
      expect(row.input_sha256, `${order} files`).toBe(sha);
      expect(row.input_shape).toBe(HOST_DTYPES.map((d) => `x_${d}=[2,3]`).join(' '));
    }
  }, 60_000);

  it('a float input takes any float .npy, rounded to its type (numpy saves float64 by default)', async () => {
    const f32 = join(dir, 'f32only.onnx');
    writeFileSync(f32, castModel(['float32']));
    const path = join(dir, 'x64.npy');
    writeFileSync(path, npyFile('<f8', SHAPE, bytesOf({ data: Float64Array.of(0.1, -2, 3, 1e30, 0, 1 / 3) })));
    const csv = join(dir, 'f64-into-f32.csv');
    const r = await melbench('bench', f32, '--input', `x_float32=${path}`, ...QUICK, '-o', csv);
    expect(r.code, r.stderr).toBe(EXIT.ok);
    // One input: input_sha256 is the sha256 of its bytes, here the float32 roundings.
    const fed = { x_float32: { type: 'float32', data: Float32Array.of(0.1, -2, 3, 1e30, 0, 1 / 3), dims: SHAPE } as HostTensor };
    expect(rowsOf(csv)[0].input_sha256).toBe(feedsSha256(fed, ['x_float32']));
  }, 60_000);

  it('an .npy of another dtype than its input: exit 3 naming the input, both dtypes and the fix', async () => {
    const flags = npyFlags('<');
    const i32 = flags[flags.indexOf(`x_int32=${join(dir, 'int32le.npy')}`)];
    const swapped = flags.map((f) => (f.startsWith('x_int64=') ? `x_int64=${i32.slice('x_int32='.length)}` : f));
    const r = await melbench('bench', model, ...swapped, ...QUICK);
    expect(r.code).toBe(EXIT.badInput);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^melbench: error: .*cast-inputs\.onnx: --input x_int64=.*int32le\.npy holds int32 but input 'x_int64' is int64; save the array as int64, e\.g\. np\.save\(path, a\.astype\(np\.int64\)\)\n$/);
    // An integer file for a float input is refused the same way (no silent conversion from integers).
    const u8 = flags.map((f) => (f.startsWith('x_float32=') ? `x_float32=${join(dir, 'uint8le.npy')}` : f));
    expect((await melbench('bench', model, ...u8, ...QUICK)).stderr).toMatch(/holds uint8 but input 'x_float32' is float32; save the array as float32/);
  }, 60_000);

  it('bool: read from the file, but no runner carries a bool tensor: a bool input exits 4, a bool file for a float input exits 3', async () => {
    const boolModel = join(dir, 'bool-input.onnx');
    writeFileSync(boolModel, castModel(['bool']));
    const [flag, value] = npyFlags('<', ['bool']);
    const r = await melbench('bench', boolModel, flag, value, ...QUICK);
    expect(r.code).toBe(EXIT.badModel);
    expect(r.stderr).toMatch(/^melbench: error: .*bool-input\.onnx: input 'x_bool' is bool, which melbench cannot feed: its runners carry no bool tensors\n$/);
    const f32 = join(dir, 'f32-for-bool.onnx');
    writeFileSync(f32, castModel(['float32']));
    const wrong = await melbench('bench', f32, '--input', `x_float32=${value.slice('x_bool='.length)}`, ...QUICK);
    expect(wrong.code).toBe(EXIT.badInput);
    expect(wrong.stderr).toMatch(/holds bool but input 'x_float32' is float32; save the array as float32/);
  }, 60_000);

  it('a Fortran-order file: exit 3 with the numpy call that fixes it', async () => {
    const f32 = join(dir, 'f32-fortran.onnx');
    writeFileSync(f32, castModel(['float32']));
    const path = join(dir, 'fortran.npy');
    writeFileSync(path, npyFile('<f4', SHAPE, new Uint8Array(24), { fortran: true }));
    const r = await melbench('bench', f32, '--input', `x_float32=${path}`, ...QUICK);
    expect(r.code).toBe(EXIT.badInput);
    expect(r.stderr).toMatch(/fortran\.npy: not an \.npy array melbench reads \(Fortran order is not supported: melbench reads C-order arrays; save it with np\.save\(path, np\.ascontiguousarray\(a\)\)\)/);
  });
});
