/**
 * The one input every runner receives. A run computes its log-mel tensors once per preset —
 * from the built-in deterministic test signal, or from a user's .npy — and hands every runtime
 * the same bytes; rows record their sha256.
 *
 * A batch of N holds N distinct clips: element k is the clip rolled along time by k*floor(T/N)
 * frames, so argmax agreement across runtimes compares N different inputs, not N copies.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { EXIT, UserError } from '../errors.ts';
import { firstNonFinite, positionOf } from '../features/finite.ts';
import { decodeNpy } from '../features/npy.ts';
import { computeFeatures } from '../features/frontend.ts';
import type { Preset } from '../features/presets.ts';
import { testSignal } from '../features/test-signal.ts';
import type { FeatureTensor } from '../features/types.ts';
import type { ModelInput } from '../graph/zoo/index.ts';
import type { HostTensor } from '../runners/runner.ts';

const builtin = new Map<string, FeatureTensor>();

/** Features of the built-in test signal for a preset, [C, M, T], computed once per process. */
export function builtinFeatures(preset: Preset): FeatureTensor {
  let f = builtin.get(preset.name);
  if (!f) {
    f = computeFeatures(testSignal(preset), preset);
    builtin.set(preset.name, f);
  }
  return f;
}

export function inputOf(f: FeatureTensor): ModelInput {
  const [channels, mels, frames] = f.dims;
  return { channels, mels, frames };
}

/** The model input shape a preset produces for the built-in signal. */
export function defaultInput(preset: Preset): ModelInput {
  return inputOf(builtinFeatures(preset));
}

/** Reads a [C, M, T] (or [M, T]) float32 .npy written by `melbench features`. */
export function readFeaturesNpy(path: string): FeatureTensor {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new UserError(`cannot read --input ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, EXIT.badInput);
  }
  const t = decodeNpy(bytes, path);
  if (t.dims.length !== 2 && t.dims.length !== 3) {
    throw new UserError(`--input ${path} has shape [${t.dims}]; expected [channels, mels, frames] as 'melbench features' writes`, EXIT.badInput);
  }
  const dims = t.dims.length === 2 ? [1, ...t.dims] : t.dims;
  if (dims.some((d) => d < 1) || t.data.length > MAX_CLIP_VALUES) {
    throw new UserError(`--input ${path} has shape [${t.dims}]; every dimension must be at least 1 and a clip at most ${MAX_CLIP_VALUES} values`, EXIT.badInput);
  }
  const i = firstNonFinite(t.data);
  if (i >= 0) {
    throw new UserError(`--input ${path} holds ${t.data[i]} at value ${i} (position ${positionOf(i, dims)} of shape [${dims.join(', ')}]); features must be finite`, EXIT.badInput);
  }
  return { data: t.data, dims };
}

/**
 * Largest clip (C*M*T values) and batch (N*C*M*T) that are allocated: 2^22 values is 4 MiB of
 * float32 per clip (e.g. 128 mels x 32768 frames), 2^28 is 1 GiB per batch. Beyond, V8 refuses
 * the typed array or the runtimes run out of memory.
 */
export const MAX_CLIP_VALUES = 2 ** 22;
export const MAX_BATCH_VALUES = 2 ** 28;

/** N clips [N, C, M, T]: clip k is the features rolled by k*floor(T/N) frames. */
export function makeBatch(f: FeatureTensor, batch: number): HostTensor {
  const [c, m, t] = f.dims;
  const per = c * m * t;
  if (batch * per > MAX_BATCH_VALUES) {
    throw new UserError(`batch ${batch} of clips [${f.dims.join(', ')}] is ${batch * per} values, over the limit of ${MAX_BATCH_VALUES}; use a smaller --batch`, EXIT.usage);
  }
  const out = new Float32Array(batch * per);
  const step = Math.floor(t / batch);
  for (let k = 0; k < batch; k++) {
    const shift = k * step;
    for (let row = 0; row < c * m; row++) {
      const src = row * t;
      const dst = k * per + row * t;
      for (let j = 0; j < t; j++) out[dst + j] = f.data[src + ((j + shift) % t)];
    }
  }
  return { type: 'float32', data: out, dims: [batch, c, m, t] };
}

export function sha256(t: HostTensor): string {
  return createHash('sha256').update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)).digest('hex');
}

/** N real clips [N, C, M, T]: the first N rows of a split, cycling when it has fewer. */
export function clipBatch(x: Float32Array, dims: number[], batch: number): HostTensor {
  const per = dims.reduce((a, d) => a * d, 1);
  const n = x.length / per;
  const out = new Float32Array(batch * per);
  for (let k = 0; k < batch; k++) out.set(x.subarray((k % n) * per, ((k % n) + 1) * per), k * per);
  return { type: 'float32', data: out, dims: [batch, ...dims] };
}
