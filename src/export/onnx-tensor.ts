/**
 * Tensors between the IR and ONNX TensorProto / SparseTensorProto.
 *
 * Export writes every numeric tensor as little-endian raw_data and string tensors as string_data
 * (UTF-8). Import reads raw_data or the typed fields ONNX allows for each type (float_data,
 * double_data, int64_data, uint64_data, int32_data for the narrow types and the raw bits of
 * float16, bfloat16 and float8), checking the element count against the dims before it
 * allocates. Tensors whose data lives in external files are resolved before this module sees them
 * (external-data.ts); one that still points outside the bytes is an error here.
 */
import onnxProto from 'onnx-proto';
import { EXIT, UserError } from '../errors.ts';
import { DTYPES, dtypeOfOnnx, isNumericDType, ONNX_ELEM_TYPE, UNCARRIED_ONNX_TYPES } from '../graph/dtype.ts';
import type { DType, SparseTensor, Tensor, TensorData } from '../graph/ir.ts';

const { onnx } = onnxProto;
export type Long = { toNumber(): number; toString(): string };

export const toNum = (v: number | Long): number => (typeof v === 'number' ? v : v.toNumber());
const toBig = (v: number | Long): bigint => (typeof v === 'number' ? BigInt(v) : BigInt(v.toString()));

/**
 * The largest tensor melbench reads: 2^31 bytes (2 GiB, protobuf's own limit on a whole model).
 * Dims whose product exceeds it are rejected before any allocation or external read.
 */
export const MAX_TENSOR_BYTES = 2 ** 31;

const utf8 = new TextDecoder();
const utf8Enc = new TextEncoder();

export function tensorToProto(t: Tensor): onnxProto.onnx.ITensorProto {
  const base = { name: t.name, dataType: ONNX_ELEM_TYPE[t.dtype], dims: t.dims, ...(t.docString ? { docString: t.docString } : {}) };
  if (t.dtype === 'string') return { ...base, stringData: (t.data as string[]).map((s) => utf8Enc.encode(s)) };
  const d = t.data as Exclude<TensorData, string[]>;
  const bytes = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  // NOTE: copy, because protobufjs keeps a reference and the typed array may be a view on a larger buffer.
  return { ...base, rawData: bytes.slice() };
}

/**
 * The IR dtype of an ONNX element type code. Types ORT knows that melbench does not carry are
 * exit 4 (a valid model melbench cannot use); any other code is a corrupt file (exit 3).
 */
export function dtypeFrom(code: number | null | undefined, where: string): DType {
  const d = dtypeOfOnnx(code ?? 0);
  if (d) return d;
  const uncarried = UNCARRIED_ONNX_TYPES.get(code ?? 0);
  if (uncarried) throw new UserError(`${where}: element type ${uncarried} is not carried by melbench (its elements are not whole bytes), so this model cannot be used`, EXIT.badModel);
  throw new UserError(`${where}: tensor element type ${code} is not an ONNX type`, EXIT.badInput);
}

/** The element count of `dims`, checked: non-negative integers, within MAX_TENSOR_BYTES at `bytesPer` bytes each. */
export function checkedNumel(dims: readonly number[], bytesPer: number, what: string): number {
  let n = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw new UserError(`${what} has an invalid dim ${d}`, EXIT.badInput);
    n *= d;
    if (n * Math.max(bytesPer, 1) > MAX_TENSOR_BYTES) throw new UserError(`${what} has dims [${dims}], over melbench's limit of ${MAX_TENSOR_BYTES} bytes per tensor`, EXIT.badInput);
  }
  return n;
}

export function tensorFromProto(t: onnxProto.onnx.ITensorProto, where: string): Tensor {
  const what = `${where}: tensor '${t.name ?? ''}'`;
  const dtype = dtypeFrom(t.dataType, what);
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
    const loc = (t.externalData ?? []).find((e) => e.key === 'location')?.value ?? '?';
    throw new UserError(`${what} keeps its data in the external file '${loc}': open the model from its file so melbench can read it beside the model`, EXIT.badInput);
  }
  if ((t.segment ?? null) !== null) throw new UserError(`${what} is segmented, which ONNX no longer supports`, EXIT.badModel);
  const dims = (t.dims ?? []).map(toNum);
  const bytesPer = isNumericDType(dtype) ? DTYPES[dtype].bytes : 0;
  const n = checkedNumel(dims, bytesPer, what);
  const tail = t.docString ? { docString: t.docString } : {};
  if (dtype === 'string') {
    const strs = t.stringData ?? [];
    if (strs.length !== n) throw new UserError(`${what} has ${strs.length} strings for dims [${dims}]`, EXIT.badInput);
    return { name: t.name ?? '', dtype, dims, data: strs.map((s) => utf8.decode(s)), ...tail };
  }
  const info = DTYPES[dtype];
  let data: TensorData;
  if (t.rawData && t.rawData.length) {
    if (t.rawData.length !== n * info.bytes) throw new UserError(`${what} has ${t.rawData.length} bytes of ${dtype} for dims [${dims}] (${n * info.bytes} expected)`, EXIT.badInput);
    // NOTE: copy into a fresh buffer: decoded bytes are a Buffer view (unaligned, shared pool).
    data = new info.array(new Uint8Array(t.rawData).buffer);
  } else {
    const src: (number | Long)[] =
      dtype === 'float32' ? (t.floatData ?? []) : dtype === 'float64' ? (t.doubleData ?? []) : dtype === 'int64' ? (t.int64Data ?? []) : dtype === 'uint32' || dtype === 'uint64' ? (t.uint64Data ?? []) : (t.int32Data ?? []);
    if (src.length !== n) throw new UserError(`${what} has ${src.length} values for dims [${dims}]`, EXIT.badInput);
    const arr = new info.array(n);
    // int32_data holds the narrow types, and float16/bfloat16/float8 as their raw bits (ONNX's TensorProto).
    if (arr instanceof BigInt64Array || arr instanceof BigUint64Array) src.forEach((v, i) => (arr[i] = toBig(v)));
    else src.forEach((v, i) => (arr[i] = toNum(v)));
    data = arr;
  }
  return { name: t.name ?? '', dtype, dims, data, ...tail };
}

export function sparseToProto(s: SparseTensor): onnxProto.onnx.ISparseTensorProto {
  return { values: tensorToProto(s.values), indices: tensorToProto(s.indices), dims: s.dims };
}

export function sparseFromProto(s: onnxProto.onnx.ISparseTensorProto, where: string): SparseTensor {
  const dims = (s.dims ?? []).map(toNum);
  checkedNumel(dims, 0, `${where}: sparse tensor '${s.values?.name ?? ''}'`);
  return { values: tensorFromProto(s.values ?? {}, where), indices: tensorFromProto(s.indices ?? {}, where), dims };
}
