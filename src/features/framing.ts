/**
 * Fixed windows over a long recording (seed 001: 2 s windows, 1.6 s stride).
 *
 *   W = round(window_s * sr), S = round(stride_s * sr), window j covers samples [j S, j S + W)
 *   'drop': j = 0 .. floor((N - W) / S)                 (only full windows; none if N < W)
 *   'pad' : j = 0 .. max(0, ceil((N - W) / S))          (the last window is zero-padded to W)
 * A recording shorter than one window gives one zero-padded window with 'pad' and none with 'drop'.
 */
import { EXIT, UserError } from '../errors.ts';
import type { Audio } from './types.ts';

export type Remainder = 'pad' | 'drop';

export interface FramingOptions {
  windowSeconds: number;
  strideSeconds: number;
  remainder: Remainder;
}

/** Seed 001's framing. */
export const SEED001_FRAMING: Readonly<FramingOptions> = { windowSeconds: 2, strideSeconds: 1.6, remainder: 'pad' };

/** Start samples of the windows over nSamples. */
export function windowStarts(nSamples: number, window: number, stride: number, remainder: Remainder): number[] {
  if (!(window >= 1 && stride >= 1)) throw new UserError(`window (${window}) and stride (${stride}) must be at least 1 sample`, EXIT.usage);
  const count =
    remainder === 'drop'
      ? nSamples < window
        ? 0
        : Math.floor((nSamples - window) / stride) + 1
      : nSamples <= window
        ? nSamples > 0
          ? 1
          : 0
        : Math.ceil((nSamples - window) / stride) + 1;
  return Array.from({ length: count }, (_, j) => j * stride);
}

/** Cuts audio into windows of equal length (copies; padded windows end in zeros). */
export function frameAudio(audio: Audio, opts: FramingOptions): Audio[] {
  const w = Math.round(opts.windowSeconds * audio.sampleRate);
  const s = Math.round(opts.strideSeconds * audio.sampleRate);
  const n = audio.channels[0]?.length ?? 0;
  return windowStarts(n, w, s, opts.remainder).map((start) => ({
    sampleRate: audio.sampleRate,
    channels: audio.channels.map((x) => {
      const out = new Float32Array(w);
      out.set(x.subarray(start, Math.min(start + w, x.length)));
      return out;
    }),
  }));
}
