/**
 * MFCC as torchaudio.transforms.MFCC (dct_type 2, norm 'ortho', log_mels=False):
 *
 *   L[m, t]  = log-mel in dB (db.ts, top_db over the clip)
 *   c[k, t]  = sum_{m<M} D[k, m] L[m, t]
 *   D[k, m]  = s_k sqrt(2/M) cos(pi/M (m + 1/2) k),  s_0 = 1/sqrt(2), s_k = 1 otherwise   (DCT-II, orthonormal)
 */

const dcts = new Map<string, Float64Array>();

/** Cached row-major [nMfcc, nMels] orthonormal DCT-II matrix. */
export function dctMatrix(nMfcc: number, nMels: number): Float64Array {
  const key = `${nMfcc}/${nMels}`;
  const hit = dcts.get(key);
  if (hit) return hit;
  const d = new Float64Array(nMfcc * nMels);
  const scale = Math.sqrt(2 / nMels);
  for (let k = 0; k < nMfcc; k++) {
    const s = k === 0 ? scale / Math.SQRT2 : scale;
    for (let m = 0; m < nMels; m++) d[k * nMels + m] = s * Math.cos((Math.PI / nMels) * (m + 0.5) * k);
  }
  dcts.set(key, d);
  return d;
}

/** out[k*T + t] = sum_m D[k, m] logMel[m*T + t], for a [nMels, T] input. */
export function mfccFromLogMel(
  logMel: Float32Array | Float64Array,
  nMels: number,
  nFrames: number,
  nMfcc: number,
  out: Float32Array | Float64Array,
  outOffset = 0,
): void {
  const d = dctMatrix(nMfcc, nMels);
  for (let k = 0; k < nMfcc; k++) {
    const row = outOffset + k * nFrames;
    for (let t = 0; t < nFrames; t++) out[row + t] = 0;
    for (let m = 0; m < nMels; m++) {
      const w = d[k * nMels + m];
      const src = m * nFrames;
      for (let t = 0; t < nFrames; t++) out[row + t] += w * logMel[src + t];
    }
  }
}
