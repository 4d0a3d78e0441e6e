/**
 * The element types melbench knows, and every fact about each in one table: its size in bytes,
 * its ONNX `TensorProto.DataType` code (also Cast's `to`), and the typed array that holds its
 * values in the IR, in ONNX raw_data and in the runners' host tensors.
 *
 * The IR's names are onnxruntime's tensor type names ('float32', 'int64', ...), so a runner
 * hands them to ORT unchanged. float16 values are their raw IEEE half bits in a Uint16Array;
 * bool is one byte per value, 0 or 1, as in ONNX.
 */

export type DType = 'float32' | 'float16' | 'int8' | 'uint8' | 'int32' | 'int64' | 'bool';

export type TypedArrayOf = Float32Array | Uint16Array | Int8Array | Uint8Array | Int32Array | BigInt64Array;

/** A typed array constructor: from a length, or a whole ArrayBuffer (little-endian, as ONNX raw_data). */
export interface TypedArrayCtor {
  new (lengthOrBuffer: number | ArrayBuffer): TypedArrayOf;
}

export interface DTypeInfo {
  bytes: number;
  /** ONNX TensorProto.DataType. */
  onnx: number;
  array: TypedArrayCtor;
}

export const DTYPES: Readonly<Record<DType, DTypeInfo>> = {
  float32: { bytes: 4, onnx: 1, array: Float32Array },
  uint8: { bytes: 1, onnx: 2, array: Uint8Array },
  int8: { bytes: 1, onnx: 3, array: Int8Array },
  int32: { bytes: 4, onnx: 6, array: Int32Array },
  int64: { bytes: 8, onnx: 7, array: BigInt64Array },
  bool: { bytes: 1, onnx: 9, array: Uint8Array },
  float16: { bytes: 2, onnx: 10, array: Uint16Array },
};

const column = (f: (d: DTypeInfo) => number) => Object.fromEntries(Object.entries(DTYPES).map(([k, v]) => [k, f(v)])) as Record<DType, number>;

/** Bytes per element. */
export const DTYPE_BYTES: Readonly<Record<DType, number>> = column((d) => d.bytes);

/** ONNX TensorProto.DataType code of each element type (Cast's `to`, TensorProto.data_type, elem_type). */
export const ONNX_ELEM_TYPE: Readonly<Record<DType, number>> = column((d) => d.onnx);

const DTYPE_OF_ONNX = new Map(Object.entries(DTYPES).map(([k, v]) => [v.onnx, k as DType]));

/** The element type of an ONNX TensorProto.DataType code; undefined for one melbench lacks. */
export function dtypeOfOnnx(code: number): DType | undefined {
  return DTYPE_OF_ONNX.get(code);
}

/** The codes melbench reads, as "code=name" for error messages, in code order. */
export function onnxElemTypesText(): string {
  return [...DTYPE_OF_ONNX.entries()]
    .sort(([a], [b]) => a - b)
    .map(([c, d]) => `${c}=${d}`)
    .join(', ');
}

/** The element types a runner's host tensor can carry: all but bool, which no model melbench runs takes or returns. */
export type HostDType = Exclude<DType, 'bool'>;

export function isHostDType(t: string): t is HostDType {
  return t !== 'bool' && t in DTYPES;
}
