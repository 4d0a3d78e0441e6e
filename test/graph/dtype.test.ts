import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { DTYPES, DTYPE_BYTES, dtypeOfOnnx, isHostDType, ONNX_ELEM_TYPE, type DType } from '../../src/graph/dtype.ts';

const { DataType } = onnxProto.onnx.TensorProto;
// onnx-proto 8 predates the float8 types: their codes are from onnx.proto (FLOAT8E4M3FN = 17 ... FLOAT8E5M2FNUZ = 20).
const ONNX_CODE: Record<DType, number> = {
  float32: DataType.FLOAT,
  float16: DataType.FLOAT16,
  int8: DataType.INT8,
  uint8: DataType.UINT8,
  int32: DataType.INT32,
  int64: DataType.INT64,
  bool: DataType.BOOL,
  float64: DataType.DOUBLE,
  int16: DataType.INT16,
  uint16: DataType.UINT16,
  uint32: DataType.UINT32,
  uint64: DataType.UINT64,
  bfloat16: DataType.BFLOAT16,
  string: DataType.STRING,
  float8e4m3fn: 17,
  float8e4m3fnuz: 18,
  float8e5m2: 19,
  float8e5m2fnuz: 20,
};

describe('the dtype table', () => {
  it.each(Object.keys(DTYPES) as Exclude<DType, 'string'>[])('%s: ONNX code from onnx.proto, typed array of the stated width', (d) => {
    expect(ONNX_ELEM_TYPE[d]).toBe(ONNX_CODE[d]);
    expect(dtypeOfOnnx(ONNX_ELEM_TYPE[d])).toBe(d);
    expect(new DTYPES[d].array(3).BYTES_PER_ELEMENT).toBe(DTYPE_BYTES[d]);
  });

  it('maps string to code 8 without a typed array, and knows no complex or 4-bit code', () => {
    expect(ONNX_ELEM_TYPE.string).toBe(DataType.STRING);
    expect(dtypeOfOnnx(DataType.STRING)).toBe('string');
    expect('string' in DTYPES).toBe(false);
    for (const code of [DataType.COMPLEX64, DataType.COMPLEX128, 21, 22, 23]) expect(dtypeOfOnnx(code)).toBeUndefined();
  });

  it('a host tensor carries the types ORT-JS takes as typed arrays: not bool, string, bfloat16 or float8', () => {
    expect((Object.keys(DTYPES) as DType[]).filter(isHostDType)).toEqual(['float32', 'uint8', 'int8', 'int32', 'int64', 'float16', 'uint16', 'int16', 'float64', 'uint32', 'uint64']);
    for (const t of ['bool', 'string', 'bfloat16', 'float8e4m3fn']) expect(isHostDType(t)).toBe(false);
  });
});
