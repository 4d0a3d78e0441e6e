/**
 * NumPy .npy v1.0 files for float32 little-endian C-order arrays.
 *
 * Layout: "\x93NUMPY" 0x01 0x00, header length HL (uint16 LE), then an ASCII dict
 *   {'descr': '<f4', 'fortran_order': False, 'shape': (d0, d1, ...), }
 * padded with spaces and ending in '\n' so that 10 + HL is a multiple of 64, then the raw data.
 * The reader also accepts v2.0/v3.0 (uint32 header length) and '<f8' (converted to float32).
 */
import { EXIT, UserError } from '../errors.ts';
import type { FeatureTensor } from './types.ts';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

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

export function decodeNpy(bytes: Uint8Array, name = 'array'): FeatureTensor {
  const bad = (why: string): never => {
    throw new UserError(`${name}: not a float32 .npy array (${why})`, EXIT.badInput);
  };
  if (bytes.length < 10 || MAGIC.some((m, i) => bytes[i] !== m)) bad('missing \\x93NUMPY magic');
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hl = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = (major === 1 ? 10 : 12) + hl;
  if (bytes.length < start) bad('header runs past the end of the file');
  let header = '';
  for (let i = start - hl; i < start; i++) header += String.fromCharCode(bytes[i]);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  if (/'fortran_order':\s*True/.test(header)) bad('Fortran order is not supported');
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (shapeText === undefined) bad('no shape in header');
  const dimTexts = shapeText!
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  // NOTE: a dim must be a plain non-negative integer: '-1', '1e9', '0x10' or 'None' would reach the
  // Float32Array constructor as a negative, fractional or absurd length.
  const badDim = dimTexts.find((s) => !/^\d{1,15}$/.test(s));
  if (badDim !== undefined) bad(`shape (${shapeText}) has the dimension '${badDim}'; dimensions are non-negative integers`);
  const dims = dimTexts.map(Number);
  const count = dims.reduce((a, b) => a * b, 1);
  const width = descr === '<f4' ? 4 : descr === '<f8' ? 8 : bad(`dtype ${descr}; expected <f4 or <f8`);
  // NOTE: checked before the allocation, so a header that declares more than the file holds costs nothing.
  if (bytes.length < start + width * count) bad(`data is truncated: shape [${dims}] is ${count} values, which need ${width * count} bytes after the header; the file has ${bytes.length - start}`);
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    data[i] = width === 4 ? view.getFloat32(start + 4 * i, true) : view.getFloat64(start + 8 * i, true);
  }
  return { data, dims };
}
