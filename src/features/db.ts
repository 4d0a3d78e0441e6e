/**
 * Power to decibels, as torchaudio.transforms.AmplitudeToDB(stype='power') / librosa.power_to_db.
 *
 *   dB = 10 log10(max(S, amin)) - 10 log10(max(ref, amin))
 *   with top_db: dB = max(dB, max_clip(dB) - top_db)
 *
 * The maximum is taken over the whole clip (all channels, mels and frames), like torchaudio on a
 * [C, M, T] tensor, so the relative level of the channels is kept.
 */

export interface DbOptions {
  amin?: number;
  ref?: number;
  topDb?: number | null;
}

export const DEFAULT_AMIN = 1e-10;

/** In place over `data`; returns the clip maximum in dB before clamping. */
export function powerToDbInPlace(data: Float32Array | Float64Array, opts: DbOptions = {}): number {
  const amin = opts.amin ?? DEFAULT_AMIN;
  const offset = 10 * Math.log10(Math.max(opts.ref ?? 1, amin));
  let max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = 10 * Math.log10(data[i] > amin ? data[i] : amin) - offset;
    data[i] = v;
    if (v > max) max = v;
  }
  const topDb = opts.topDb ?? null;
  if (topDb !== null) {
    const floor = max - topDb;
    for (let i = 0; i < data.length; i++) if (data[i] < floor) data[i] = floor;
  }
  return max;
}

export function powerToDb(data: Float32Array | Float64Array, opts: DbOptions = {}): Float64Array {
  const out = Float64Array.from(data);
  powerToDbInPlace(out, opts);
  return out;
}
