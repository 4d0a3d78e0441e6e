/**
 * NumPy .npy files: the float32 features `melbench features` writes and reads back, and an array
 * of any dtype an ONNX input takes, for `--input name=file.npy`.
 *
 * Layout: "\x93NUMPY", major, minor, header length HL (uint16 LE for v1.0, uint32 LE for v2.0 and
 * v3.0), then an ASCII dict
 *   {'descr': '<f4', 'fortran_order': False, 'shape': (d0, d1, ...), }
 * padded with spaces and ending in '\n' so that the data starts at a multiple of 64, then the raw
 * values, d0 x d1 x ... of them in C order (the last index varies fastest).
 *
 * `descr` is a byte order and a type code: '<' little-endian, '>' big-endian, '|' not applicable
 * (one byte per value), then kind and width: f2/f4/f8 (IEEE half, single, double), i1/i2/i4/i8,
 * u1/u2/u4/u8 (two's complement and unsigned integers), b1 (bool, one byte 0 or 1). numpy writes
 * '<' on little-endian machines and '>' for an array made with e.g. dtype('>i4').
 *
 * `decodeNpy` is the features path: '<f4' and '<f8' (converted) as float32. `decodeNpyArray`
 * reads every dtype above into the typed array of melbench's dtype (src/graph/dtype.ts): float16
 * as its raw half bits in a Uint16Array, bool as bytes in a Uint8Array, int64 as a BigInt64Array;
 * big-endian values are byte-swapped. Fortran-order arrays are refused rather than transposed.
 */
import { EXIT, UserError } from '../errors.ts';
import { type DType, DTYPES, type TypedArrayOf } from '../graph/dtype.ts';
import type { FeatureTensor } from './types.ts';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

/** The dtypes an .npy array may hold here, by numpy type code (kind + width). */
const NPY_CODES: Readonly<Record<string, NpyDType>> = {
  f2: 'float16',
  f4: 'float32',
  f8: 'float64',
  i1: 'int8',
  i2: 'int16',
  i4: 'int32',
  i8: 'int64',
  u1: 'uint8',
  u2: 'uint16',
  u4: 'uint32',
  u8: 'uint64',
  b1: 'bool',
};

export type NpyDType = Extract<DType, 'float16' | 'float32' | 'float64' | 'int8' | 'int16' | 'int32' | 'int64' | 'uint8' | 'uint16' | 'uint32' | 'uint64' | 'bool'>;

/** An .npy array: its values in melbench's typed array for `dtype`, and `descr` as the file gave it (e.g. '>i4'). */
export interface NpyArray {
  dtype: NpyDType;
  descr: string;
  data: TypedArrayOf;
  dims: number[];
}

export function encodeNpy(t: FeatureTensor): Uint8Array {
  const count = t.dims.reduce((a, b) => a * b, 1);
  if (count !== t.data.length) throw new RangeError(`dims [${t.dims}] hold ${count} values but data has ${t.data.length}`);
  const shape = t.dims.length === 1 ? `(${t.dims[0]},)` : `(${t.dims.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + 4 * count);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const view = new DataView(out.buffer, 10 + header.length);
  for (let i = 0; i < count; i++) view.setFloat32(4 * i, t.data[i], true);
  return out;
}

interface NpyHeader {
  descr: string;
  dims: number[];
  count: number;
  /** Byte offset of the first value. */
  start: number;
}

/** The header of an .npy file; `bad` throws the caller's message for what is wrong. */
function readHeader(bytes: Uint8Array, bad: (why: string) => never): NpyHeader {
  if (bytes.length < 10 || MAGIC.some((m, i) => bytes[i] !== m)) bad('missing \\x93NUMPY magic');
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (major !== 1 && bytes.length < 12) bad('header runs past the end of the file');
  const hl = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = (major === 1 ? 10 : 12) + hl;
  if (bytes.length < start) bad('header runs past the end of the file');
  let header = '';
  for (let i = start - hl; i < start; i++) header += String.fromCharCode(bytes[i]);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  if (descr === undefined) bad('no descr in header');
  if (/'fortran_order':\s*True/.test(header)) bad('Fortran order is not supported: melbench reads C-order arrays; save it with np.save(path, np.ascontiguousarray(a))');
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (shapeText === undefined) bad('no shape in header');
  const dimTexts = shapeText!
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  // NOTE: a dim must be a plain non-negative integer: '-1', '1e9', '0x10' or 'None' would reach a
  // typed array constructor as a negative, fractional or absurd length.
  const badDim = dimTexts.find((s) => !/^\d{1,15}$/.test(s));
  if (badDim !== undefined) bad(`shape (${shapeText}) has the dimension '${badDim}'; dimensions are non-negative integers`);
  const dims = dimTexts.map(Number);
  return { descr: descr!, dims, count: dims.reduce((a, b) => a * b, 1), start };
}

/** Checked before any allocation, so a header that declares more than the file holds costs nothing. */
function checkLength(bytes: Uint8Array, h: NpyHeader, width: number, bad: (why: string) => never): void {
  if (bytes.length < h.start + width * h.count) {
    bad(`data is truncated: shape [${h.dims}] is ${h.count} values, which need ${width * h.count} bytes after the header; the file has ${bytes.length - h.start}`);
  }
}

/** The features path: a '<f4' or '<f8' array as float32. */
export function decodeNpy(bytes: Uint8Array, name = 'array'): FeatureTensor {
  const bad = (why: string): never => {
    throw new UserError(`${name}: not a float32 .npy array (${why})`, EXIT.badInput);
  };
  const h = readHeader(bytes, bad);
  const width = h.descr === '<f4' ? 4 : h.descr === '<f8' ? 8 : bad(`dtype ${h.descr}; expected <f4 or <f8`);
  checkLength(bytes, h, width, bad);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const data = new Float32Array(h.count);
  for (let i = 0; i < h.count; i++) {
    data[i] = width === 4 ? view.getFloat32(h.start + 4 * i, true) : view.getFloat64(h.start + 8 * i, true);
  }
  return { data, dims: h.dims };
}

/** The dtypes `decodeNpyArray` reads, as numpy names them, for messages. */
export const NPY_DTYPES_TEXT = 'float16, float32, float64, int8, int16, int32, int64, uint8, uint16, uint32, uint64 and bool';

/** Any array of a dtype in NPY_CODES, little- or big-endian, C order. */
export function decodeNpyArray(bytes: Uint8Array, name = 'array'): NpyArray {
  const bad = (why: string): never => {
    throw new UserError(`${name}: not an .npy array melbench reads (${why})`, EXIT.badInput);
  };
  const h = readHeader(bytes, bad);
  const order = h.descr[0];
  const dtype = NPY_CODES[h.descr.slice(1)];
  if (!dtype || !'<>|='.includes(order)) bad(`dtype '${h.descr}'; it reads ${NPY_DTYPES_TEXT}`);
  const width = DTYPES[dtype].bytes;
  if (order === '|' && width > 1) bad(`dtype '${h.descr}' gives no byte order for a ${width}-byte type`);
  checkLength(bytes, h, width, bad);
  // NOTE: a copy into a fresh buffer: the values may sit at an offset that is no multiple of their
  // width, and a Node Buffer's slice() is a view on a shared pool, not a copy.
  const raw = new Uint8Array(width * h.count);
  raw.set(bytes.subarray(h.start, h.start + raw.length));
  // NOTE: typed arrays use the host's order, little-endian on every platform Node runs melbench on.
  if (order === '>' && width > 1) {
    for (let i = 0; i < raw.length; i += width) raw.subarray(i, i + width).reverse();
  }
  return { dtype, descr: h.descr, data: new DTYPES[dtype].array(raw.buffer), dims: h.dims };
}
