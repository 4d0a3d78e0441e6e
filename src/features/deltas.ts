/**
 * Deltas along time, librosa.feature.delta style (Savitzky-Golay, polyorder 1, width 9, mode 'interp'):
 *
 *   d[t] = sum_{n=-h}^{h} n x[t+n] / sum_{n=-h}^{h} n^2,   h = (width - 1)/2 = 4, denominator 60
 *
 * i.e. the slope of the least-squares line through the 9 frames around t. Mode 'interp' fits that
 * line to the first (last) `width` frames for the h edge frames on each side, so d[t] = d[h] for
 * t < h and d[t] = d[T-1-h] for t > T-1-h. A linear ramp therefore has a constant delta everywhere.
 *
 * Delta-delta is the delta of the delta (as the seed 000 system, McDonnell & Gao), not librosa's
 * order=2 (a quadratic Savitzky-Golay fit); both are second differences smoothed over the window.
 * When T < width the width shrinks to the largest odd number <= T (>= 3); with T < 3 deltas are 0.
 */

export const DELTA_WIDTH = 9;

/** Delta of each row of a row-major [rows, T] block from `src` (at srcOffset) into `dst` (at dstOffset). */
export function deltas(
  src: Float32Array | Float64Array,
  rows: number,
  nFrames: number,
  dst: Float32Array | Float64Array,
  srcOffset = 0,
  dstOffset = 0,
  width: number = DELTA_WIDTH,
): void {
  let w = Math.min(width, nFrames % 2 === 1 ? nFrames : nFrames - 1);
  if (w < 3) {
    for (let i = 0; i < rows * nFrames; i++) dst[dstOffset + i] = 0;
    return;
  }
  w |= 1;
  const h = (w - 1) >> 1;
  let denom = 0;
  for (let n = 1; n <= h; n++) denom += 2 * n * n;
  for (let r = 0; r < rows; r++) {
    const s = srcOffset + r * nFrames;
    const d = dstOffset + r * nFrames;
    for (let t = h; t < nFrames - h; t++) {
      let acc = 0;
      for (let n = 1; n <= h; n++) acc += n * (src[s + t + n] - src[s + t - n]);
      dst[d + t] = acc / denom;
    }
    const first = dst[d + h];
    const last = dst[d + nFrames - 1 - h];
    for (let t = 0; t < h; t++) {
      dst[d + t] = first;
      dst[d + nFrames - 1 - t] = last;
    }
  }
}
