/**
 * The values of `--input name=<file.npy | number | audio.wav>`, loaded once per run before any
 * model is prepared: .npy in the dtype the file holds (src/features/npy.ts: float16/32/64,
 * int8/16/32/64, uint8/16/32/64, bool), a number as a scalar of whatever type the input has,
 * WAV/FLAC decoded (src/features/decode.ts) and resampled to the preset's rate. Which input each
 * feeds, and whether its dtype and shape fit, is src/sweep/feeds.ts's business.
 */
import { readFileSync } from 'node:fs';
import { EXIT, UserError } from '../errors.ts';
import { checkAudio, readAudioFile } from '../features/decode.ts';
import { firstNonFinite } from '../features/finite.ts';
import { decodeNpyArray, type NpyArray } from '../features/npy.ts';
import { fromHalfBits } from '../export/passes/fp16-bits.ts';
import type { Preset } from '../features/presets.ts';
import { resample } from '../features/resample.ts';
import type { UserValue } from './feeds.ts';

/** `--input` as given: `name=value`, or a bare features .npy (no name). */
export interface InputFlag {
  name?: string;
  value: string;
}

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

async function loadOne(f: Required<InputFlag>, preset: Preset): Promise<UserValue> {
  const source = `${f.name}=${f.value}`;
  if (NUMBER.test(f.value)) {
    const value = Number(f.value);
    if (!Number.isFinite(value)) throw new UserError(`--input ${source}: not a finite number`);
    return { kind: 'scalar', value, source: f.value };
  }
  if (/\.npy$/i.test(f.value)) {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(f.value);
    } catch (e) {
      throw new UserError(`cannot read --input ${source}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, EXIT.badInput);
    }
    const t = decodeNpyArray(bytes, f.value);
    const bad = firstNonFiniteOf(t);
    if (bad >= 0) throw new UserError(`--input ${source} holds ${t.dtype === 'float16' ? fromHalfBits(t.data[bad] as number) : t.data[bad]} at value ${bad}; inputs must be finite`, EXIT.badInput);
    const tensor = t.dtype === 'bool' ? { type: 'bool' as const, data: t.data as Uint8Array, dims: t.dims } : { type: t.dtype, data: t.data, dims: t.dims };
    return { kind: 'tensor', tensor, source: f.value };
  }
  if (/\.(wav|flac)$/i.test(f.value)) {
    const decoded = await readAudioFile(f.value);
    checkAudio(decoded, f.value);
    return { kind: 'audio', audio: await resample(decoded, preset.sampleRate), source: f.value };
  }
  throw new UserError(`--input ${source}: expected a number, a .npy file or a .wav/.flac file`);
}

/** The index of the first NaN or ±Inf of a float array (float16 by its bits: exponent all ones); -1 for none or an integer array. */
function firstNonFiniteOf(t: NpyArray): number {
  if (t.dtype === 'float32' || t.dtype === 'float64') return firstNonFinite(t.data as Float32Array | Float64Array);
  if (t.dtype === 'float16') return (t.data as Uint16Array).findIndex((bits) => (bits & 0x7c00) === 0x7c00);
  return -1;
}

/** Loads every named `--input`; the bare one (features for the log-mel input) is read by the caller. */
export async function loadInputValues(flags: readonly InputFlag[], preset: Preset): Promise<Record<string, UserValue>> {
  const out: Record<string, UserValue> = {};
  for (const f of flags) {
    if (f.name === undefined) continue;
    if (f.name in out) throw new UserError(`--input ${f.name}=... is given twice`);
    out[f.name] = await loadOne(f as Required<InputFlag>, preset);
  }
  return out;
}
