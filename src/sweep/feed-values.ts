/**
 * The values of `--input name=<file.npy | number | audio.wav>`, loaded once per run before any
 * model is prepared: .npy as float32 (src/features/npy.ts), a number as a scalar of whatever
 * type the input has, WAV/FLAC decoded (src/features/decode.ts) and resampled to the preset's
 * rate. Which input each feeds, and whether it fits, is src/sweep/feeds.ts's business.
 */
import { readFileSync } from 'node:fs';
import { EXIT, UserError } from '../errors.ts';
import { checkAudio, readAudioFile } from '../features/decode.ts';
import { firstNonFinite } from '../features/finite.ts';
import { decodeNpy } from '../features/npy.ts';
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
    const t = decodeNpy(bytes, f.value);
    const bad = firstNonFinite(t.data);
    if (bad >= 0) throw new UserError(`--input ${source} holds ${t.data[bad]} at value ${bad}; inputs must be finite`, EXIT.badInput);
    return { kind: 'tensor', tensor: { type: 'float32', data: t.data, dims: t.dims }, source: f.value };
  }
  if (/\.(wav|flac)$/i.test(f.value)) {
    const decoded = await readAudioFile(f.value);
    checkAudio(decoded, f.value);
    return { kind: 'audio', audio: await resample(decoded, preset.sampleRate), source: f.value };
  }
  throw new UserError(`--input ${source}: expected a number, a .npy file or a .wav/.flac file`);
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
