/**
 * The built-in input: a deterministic test signal that every runner receives when the user gives none.
 *
 *   x_c(t) = 0.3 sin(2 pi (f0 t + (f1 - f0) t^2 / (2 D)))          linear chirp f0 -> f1 over D seconds
 *          + 0.2 sin(2 pi 440 t) + 0.1 sin(2 pi 2500 t + c pi/4)    two tones (phase differs per channel)
 *          + 0.02 n_c(t),  n_c ~ N(0, 1) from Rng(TEST_SIGNAL_SEED + c) (src/rng.ts)
 *   f0 = 100 Hz, f1 = 0.45 sr, t = i / sr
 *
 * Channels: 1 for 'mono'/'keep' presets, n for a preset that needs n channels.
 * NOTE: computed in float64 with V8's fdlibm-derived Math.sin/cos/log, which give the same results on
 * every platform Node runs on, then rounded once to float32: the same preset gives the same bytes.
 */
import { Rng } from '../rng.ts';
import { samplesFor, type Preset } from './presets.ts';
import type { Audio } from './types.ts';

export const TEST_SIGNAL_SEED = 0x5eed;

export function testSignal(preset: Preset, seconds: number = preset.clipSeconds): Audio {
  const sr = preset.sampleRate;
  const n = samplesFor(preset, seconds);
  const nCh = typeof preset.channels === 'number' ? preset.channels : 1;
  const f0 = 100;
  const f1 = 0.45 * sr;
  const dur = Math.max(seconds, 1 / sr);
  const channels: Float32Array[] = [];
  for (let c = 0; c < nCh; c++) {
    const rng = new Rng(TEST_SIGNAL_SEED + c);
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const t = i / sr;
      const chirp = 0.3 * Math.sin(2 * Math.PI * (f0 * t + ((f1 - f0) * t * t) / (2 * dur)));
      const tones = 0.2 * Math.sin(2 * Math.PI * 440 * t) + 0.1 * Math.sin(2 * Math.PI * 2500 * t + (c * Math.PI) / 4);
      x[i] = chirp + tones + 0.02 * rng.normal();
    }
    channels.push(x);
  }
  return { sampleRate: sr, channels };
}
