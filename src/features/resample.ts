/**
 * Sample-rate conversion with libsamplerate's best sinc converter (SRC_SINC_BEST_QUALITY,
 * about 97 dB stop-band attenuation and a 97% pass band), through @alexanderolsen/libsamplerate-js.
 *
 *   y[j] = sum_i x[i] h((j / r_out - i / r_in) * min(r_in, r_out)),  h = windowed sinc low-pass
 *
 * For downsampling the low-pass sits below the new Nyquist, so content above it is removed rather
 * than aliased. Output length is round(N * r_out / r_in). Each channel is converted independently.
 * A long input (more than about 1M samples) loses its last few output samples (zeros; see resampleChannel).
 */
// NOTE: the package is CommonJS (UMD); Node's ESM loader exposes it only as a default export.
import { EXIT, UserError } from '../errors.ts';
import type { Audio } from './types.ts';

export async function resample(audio: Audio, targetRate: number): Promise<Audio> {
  if (!(Number.isFinite(targetRate) && targetRate > 0)) {
    throw new UserError(`cannot resample to ${targetRate} Hz: the rate must be a positive number`, EXIT.usage);
  }
  if (audio.sampleRate === targetRate) return audio;
  const ratio = targetRate / audio.sampleRate;
  // NOTE: libsamplerate accepts ratios in [1/256, 256].
  if (ratio < 1 / 256 || ratio > 256) {
    throw new UserError(`cannot resample ${audio.sampleRate} Hz to ${targetRate} Hz: ratio outside [1/256, 256]`, EXIT.usage);
  }
  const rates = converterRates(audio.sampleRate, targetRate);
  if (!rates) {
    throw new UserError(`cannot resample ${audio.sampleRate} Hz to ${targetRate} Hz: the converter takes rates up to ${MAX_CONVERTER_RATE} Hz and this ratio cannot be scaled below it`, EXIT.badInput);
  }
  const want = Math.round(audio.channels[0]?.length * ratio) || 0;
  const channels: Float32Array[] = [];
  for (const x of audio.channels) channels.push(await resampleChannel(x, rates[0], rates[1], want));
  return { sampleRate: targetRate, channels };
}

/** libsamplerate-js refuses rates outside [1, 192000] Hz. */
const MAX_CONVERTER_RATE = 192_000;

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * The rates handed to the converter. Its output depends only on the ratio r_out / r_in, so a pair
 * above 192 kHz (a 384 kHz recording, allowed by the decoder's limits) is reduced by its gcd and
 * scaled back up as far as 192 kHz allows: 384000 -> 16000 becomes 192000 -> 8000, the same ratio.
 * NOTE: the pair is kept as large as possible because libsamplerate-js chunks long inputs by
 * r_in / 10 samples. Undefined when no integer pair within the range has that ratio.
 */
function converterRates(from: number, to: number): [number, number] | undefined {
  if (from <= MAX_CONVERTER_RATE && to <= MAX_CONVERTER_RATE) return [from, to];
  if (!Number.isInteger(from) || !Number.isInteger(to)) return undefined;
  const g = gcd(from, to);
  const m = Math.floor(MAX_CONVERTER_RATE / Math.max(from / g, to / g));
  return m >= 1 ? [(from / g) * m, (to / g) * m] : undefined;
}

/**
 * NOTE: a fresh converter per channel: inputs over about 1M samples go through libsamplerate's
 * stateful `full` API in chunks (without an end-of-input flush, so the last few samples of such long
 * inputs come back as zeros), and that state must not leak from one channel into the next.
 */
async function resampleChannel(x: Float32Array, fromRate: number, toRate: number, want: number): Promise<Float32Array> {
  if (x.length === 0) return new Float32Array(0);
  // NOTE: imported on first use: loading it costs every other command ~0.05 s of start-up.
  const { default: libsamplerate } = await import('@alexanderolsen/libsamplerate-js');
  const src = await libsamplerate.create(1, fromRate, toRate, {
    converterType: libsamplerate.ConverterType.SRC_SINC_BEST_QUALITY,
  });
  try {
    const y = src.simple(x);
    // NOTE: the converter may return a sample more or less than N*ratio; cut or zero-pad to the exact length.
    const out = new Float32Array(want);
    out.set(y.subarray(0, Math.min(want, y.length)));
    return out;
  } finally {
    src.destroy();
  }
}
