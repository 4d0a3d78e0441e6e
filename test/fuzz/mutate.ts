/**
 * Seeded byte-level mutations for the fuzz tests. Each returns the mutated bytes and a one-line
 * description, so a failing case can be named with its seed and replayed exactly.
 */
import { Rng } from '../../src/rng.ts';

export interface Mutant {
  bytes: Uint8Array;
  /** e.g. "bit flips at 12, 40" */
  what: string;
}

/** Values that break length and count fields: zero, one, sign bits, all ones, off by one. */
const EXTREMES = [0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff];

/** A copy: NOTE: `Buffer#slice` is a view, not a copy, and would mutate the source in place. */
const copy = (b: Uint8Array): Uint8Array => new Uint8Array(b);

export function truncate(src: Uint8Array, rng: Rng): Mutant {
  const n = rng.int(src.length);
  return { bytes: copy(src.subarray(0, n)), what: `truncated to ${n} of ${src.length} bytes` };
}

/** 1 to 8 bit flips; half the time within the first `header` bytes, where the fields are. */
export function bitFlips(src: Uint8Array, rng: Rng, header: number): Mutant {
  const b = copy(src);
  const at: number[] = [];
  for (let k = 1 + rng.int(8); k > 0; k--) {
    const i = rng.next() < 0.5 ? rng.int(Math.min(header, b.length)) : rng.int(b.length);
    b[i] ^= 1 << rng.int(8);
    at.push(i);
  }
  return { bytes: b, what: `bit flips at ${at.join(', ')}` };
}

/** Swaps two `width`-byte fields within the first `header` bytes. */
export function fieldSwap(src: Uint8Array, rng: Rng, header: number): Mutant {
  const b = copy(src);
  const width = [1, 2, 4][rng.int(3)];
  const i = rng.int(Math.max(1, Math.min(header, b.length) - width));
  const j = rng.int(Math.max(1, Math.min(header, b.length) - width));
  for (let k = 0; k < width; k++) [b[i + k], b[j + k]] = [b[j + k], b[i + k]];
  return { bytes: b, what: `swapped ${width}-byte fields at ${i} and ${j}` };
}

/** Writes an extreme or random value into the field at `offset` (little- or big-endian). */
export function setField(src: Uint8Array, rng: Rng, offset: number, width: 1 | 2 | 4, littleEndian: boolean, label: string): Mutant {
  const b = copy(src);
  const v = (rng.next() < 0.7 ? EXTREMES[rng.int(EXTREMES.length)] : Math.floor(rng.next() * 2 ** 32)) % 2 ** (8 * width);
  if (offset + width <= b.length) {
    const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    if (width === 1) view.setUint8(offset, v);
    else if (width === 2) view.setUint16(offset, v, littleEndian);
    else view.setUint32(offset, v >>> 0, littleEndian);
  }
  return { bytes: b, what: `${label} (${width} bytes at ${offset}) = ${v}` };
}
