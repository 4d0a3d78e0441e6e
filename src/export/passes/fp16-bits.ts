/**
 * IEEE 754 binary16 <-> binary32 conversion on raw bits (Node 20 has no Float16Array or
 * Math.f16round, and no dependency of ours offers one).
 *
 * binary16: 1 sign bit, 5 exponent bits (bias 15), 10 mantissa bits.
 *   normal     (-1)^s * 2^(e-15) * (1 + m/1024),  e in 1..30   (max finite 65504)
 *   subnormal  (-1)^s * 2^-24 * m,                e = 0         (min positive 2^-24 ~ 5.96e-8)
 *   e = 31: infinity (m = 0) or NaN (m != 0)
 *
 * float32 -> float16 rounds to nearest, ties to even, like a hardware conversion. A binary32
 * with exponent E and 24-bit significand M (implicit bit included) has half exponent h = E - 112.
 *   h >= 31:  overflow to infinity
 *   h in 1..30: keep the top 10 mantissa bits, round on the 13 dropped ones; a carry out of the
 *            mantissa lands in the exponent, which is the correctly rounded result (up to inf)
 *   h <= 0:  subnormal half m = M * 2^(E-126) = M >> (14 - h), rounded on the dropped bits;
 *            rounding up to 1024 gives exactly the smallest normal's bits
 * NaN stays NaN (quiet, sign and top payload bits kept).
 */

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/** The float16 bits nearest to v (ties to even). */
export function toHalfBits(v: number): number {
  F32[0] = v;
  const x = U32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return mant ? sign | 0x7e00 | (mant >>> 13) : sign | 0x7c00;
  const h = exp - 112;
  if (h >= 31) return sign | 0x7c00;
  if (h >= 1) {
    const bits = (h << 10) | (mant >>> 13);
    const rest = mant & 0x1fff;
    const up = rest > 0x1000 || (rest === 0x1000 && (bits & 1) === 1);
    return sign | (bits + (up ? 1 : 0));
  }
  const shift = 14 - h;
  if (shift > 24) return sign;
  const full = mant | 0x800000;
  const q = full >>> shift;
  const rest = full & ((1 << shift) - 1);
  const halfway = 1 << (shift - 1);
  const up = rest > halfway || (rest === halfway && (q & 1) === 1);
  return sign | (q + (up ? 1 : 0));
}

/** The number that float16 bits encode. */
export function fromHalfBits(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const e = (bits >>> 10) & 0x1f;
  const m = bits & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 31) return m ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

/** float32 values to float16 bits, elementwise. */
export function toHalfArray(src: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = toHalfBits(src[i]);
  return out;
}

/** float16 bits to float32 values, elementwise (exact: every half is a float32). */
export function fromHalfArray(bits: ArrayLike<number>): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = fromHalfBits(bits[i]);
  return out;
}

/** The largest finite float16, 65504. */
export const HALF_MAX = 65504;
