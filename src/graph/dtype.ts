/**
 * The element types melbench knows, and every fact about each in one table: its size in bytes,
 * its ONNX `TensorProto.DataType` code (also Cast's `to`), and the typed array that holds its
 * values in the IR, in ONNX raw_data and in the runners' host tensors.
 *
 * The IR's names are onnxruntime's tensor type names ('float32', 'int64', 'float64', ...), so a
 * runner hands them to ORT unchanged. float16 values are their raw IEEE half bits in a
 * Uint16Array; bfloat16 likewise its raw bits, and the float8 types their raw byte; bool is one
 * byte per value, 0 or 1, as in ONNX. 'string' tensors hold a JS string per element (UTF-8 in
 * ONNX's string_data) and have no typed array: `array` is absent for it alone.
 *
 * Carried but not computed on: bfloat16 and float8 (melbench reads no values of theirs; an
 * imported model keeps their bytes). Not carried: complex64/128 and the packed 4-bit types
 * (int4, uint4, float4), whose elements are not whole bytes: importing a model that uses them is
 * "a model melbench cannot use" (exit 4).
 */

export type DType =
  | 'float32'
  | 'float16'
  | 'int8'
  | 'uint8'
  | 'int32'
  | 'int64'
  | 'bool'
  | 'float64'
  | 'int16'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'bfloat16'
  | 'float8e4m3fn'
  | 'float8e4m3fnuz'
  | 'float8e5m2'
  | 'float8e5m2fnuz'
  | 'string';

/** The dtypes whose values live in a typed array (all but 'string'). */
export type NumericDType = Exclude<DType, 'string'>;

export type TypedArrayOf = Float32Array | Float64Array | Uint16Array | Int16Array | Int8Array | Uint8Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array;

/** A typed array constructor: from a length, or a whole ArrayBuffer (little-endian, as ONNX raw_data). */
export interface TypedArrayCtor {
  new (lengthOrBuffer: number | ArrayBuffer): TypedArrayOf;
}

export interface DTypeInfo {
  /** Bytes per element (for 'string': 0, elements have no fixed size). */
  bytes: number;
  /** ONNX TensorProto.DataType. */
  onnx: number;
  array: TypedArrayCtor;
}

const STRING_INFO = { bytes: 0, onnx: 8 } as const;

export const DTYPES: Readonly<Record<NumericDType, DTypeInfo>> = {
  float32: { bytes: 4, onnx: 1, array: Float32Array },
  uint8: { bytes: 1, onnx: 2, array: Uint8Array },
  int8: { bytes: 1, onnx: 3, array: Int8Array },
  int32: { bytes: 4, onnx: 6, array: Int32Array },
  int64: { bytes: 8, onnx: 7, array: BigInt64Array },
  bool: { bytes: 1, onnx: 9, array: Uint8Array },
  float16: { bytes: 2, onnx: 10, array: Uint16Array },
  uint16: { bytes: 2, onnx: 4, array: Uint16Array },
  int16: { bytes: 2, onnx: 5, array: Int16Array },
  float64: { bytes: 8, onnx: 11, array: Float64Array },
  uint32: { bytes: 4, onnx: 12, array: Uint32Array },
  uint64: { bytes: 8, onnx: 13, array: BigUint64Array },
  bfloat16: { bytes: 2, onnx: 16, array: Uint16Array },
  float8e4m3fn: { bytes: 1, onnx: 17, array: Uint8Array },
  float8e4m3fnuz: { bytes: 1, onnx: 18, array: Uint8Array },
  float8e5m2: { bytes: 1, onnx: 19, array: Uint8Array },
  float8e5m2fnuz: { bytes: 1, onnx: 20, array: Uint8Array },
};

const ALL_INFO: Readonly<Record<DType, Pick<DTypeInfo, 'bytes' | 'onnx'>>> = { ...DTYPES, string: STRING_INFO };

const column = (f: (d: Pick<DTypeInfo, 'bytes' | 'onnx'>) => number) => Object.fromEntries(Object.entries(ALL_INFO).map(([k, v]) => [k, f(v)])) as Record<DType, number>;

/** Bytes per element (0 for 'string'). */
export const DTYPE_BYTES: Readonly<Record<DType, number>> = column((d) => d.bytes);

/** ONNX TensorProto.DataType code of each element type (Cast's `to`, TensorProto.data_type, elem_type). */
export const ONNX_ELEM_TYPE: Readonly<Record<DType, number>> = column((d) => d.onnx);

const DTYPE_OF_ONNX = new Map(Object.entries(ALL_INFO).map(([k, v]) => [v.onnx, k as DType]));

/**
 * ONNX element types that onnxruntime knows but melbench does not carry (their elements are not
 * whole bytes or are pairs): a model using them is valid, melbench just cannot use it (exit 4).
 */
export const UNCARRIED_ONNX_TYPES: ReadonlyMap<number, string> = new Map([
  [14, 'complex64'],
  [15, 'complex128'],
  [21, 'uint4'],
  [22, 'int4'],
  [23, 'float4e2m1'],
]);

/** The element type of an ONNX TensorProto.DataType code; undefined for one melbench lacks. */
export function dtypeOfOnnx(code: number): DType | undefined {
  return DTYPE_OF_ONNX.get(code);
}

/** Whether the dtype's values live in a typed array (every dtype but 'string'). */
export function isNumericDType(d: DType): d is NumericDType {
  return d !== 'string';
}

/** Whether the dtype holds integers or bools (the values shape arithmetic and an If's condition are made of). */
export function isIntegerDType(d: DType): boolean {
  return d === 'int8' || d === 'uint8' || d === 'int16' || d === 'uint16' || d === 'int32' || d === 'uint32' || d === 'int64' || d === 'uint64' || d === 'bool';
}

/** The codes melbench reads, as "code=name" for error messages, in code order. */
export function onnxElemTypesText(): string {
  return [...DTYPE_OF_ONNX.entries()]
    .sort(([a], [b]) => a - b)
    .map(([c, d]) => `${c}=${d}`)
    .join(', ');
}

/**
 * The element types a runner's host tensor can carry: those onnxruntime's JS Tensor takes as a
 * typed array. Not bool (no model melbench runs took or returned one so far), string, bfloat16 or
 * float8 (ORT's JS API has no tensor type for them).
 */
export type HostDType = 'float32' | 'uint8' | 'int8' | 'int32' | 'int64' | 'float16' | 'uint16' | 'int16' | 'float64' | 'uint32' | 'uint64';

const HOST: ReadonlySet<string> = new Set<HostDType>(['float32', 'uint8', 'int8', 'int32', 'int64', 'float16', 'uint16', 'int16', 'float64', 'uint32', 'uint64']);

export function isHostDType(t: string): t is HostDType {
  return HOST.has(t);
}
