import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { DTYPES, DTYPE_BYTES, dtypeOfOnnx, isHostDType, ONNX_ELEM_TYPE, type DType } from '../../src/graph/dtype.ts';

const { DataType } = onnxProto.onnx.TensorProto;
const ONNX_NAME: Record<DType, keyof typeof DataType> = { float32: 'FLOAT', float16: 'FLOAT16', int8: 'INT8', uint8: 'UINT8', int32: 'INT32', int64: 'INT64', bool: 'BOOL' };

describe('the dtype table', () => {
  it.each(Object.keys(DTYPES) as DType[])('%s: ONNX code from onnx.proto, typed array of the stated width', (d) => {
    expect(ONNX_ELEM_TYPE[d]).toBe(DataType[ONNX_NAME[d]]);
    expect(dtypeOfOnnx(ONNX_ELEM_TYPE[d])).toBe(d);
    expect(new DTYPES[d].array(3).BYTES_PER_ELEMENT).toBe(DTYPE_BYTES[d]);
  });

  it('knows no other ONNX code, and a host tensor carries every type but bool', () => {
    expect(dtypeOfOnnx(DataType.DOUBLE)).toBeUndefined();
    expect(dtypeOfOnnx(DataType.STRING)).toBeUndefined();
    expect((Object.keys(DTYPES) as DType[]).filter(isHostDType)).toEqual(['float32', 'uint8', 'int8', 'int32', 'int64', 'float16']);
    expect(isHostDType('bool')).toBe(false);
  });
});
