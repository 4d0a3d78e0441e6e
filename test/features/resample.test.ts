import { describe, expect, it } from 'vitest';
import FFT from 'fft.js';
import { resample } from '../../src/features/resample.ts';

function tone(freq: number, sr: number, seconds: number, amp: number): Float32Array {
  return Float32Array.from({ length: Math.round(sr * seconds) }, (_, i) => amp * Math.sin((2 * Math.PI * freq * i) / sr));
}

function rms(x: Float32Array, from: number, to: number): number {
  let s = 0;
  for (let i = from; i < to; i++) s += x[i] * x[i];
  return Math.sqrt(s / (to - from));
}

/** Frequency of the largest FFT bin of a Hann-windowed excerpt, refined by parabolic interpolation. */
function peakHz(x: Float32Array, sr: number, n = 8192): number {
  const fft = new FFT(n);
  const frame = new Float64Array(n);
  const off = Math.floor((x.length - n) / 2);
  for (let i = 0; i < n; i++) frame[i] = x[off + i] * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n));
  const out = fft.createComplexArray() as number[];
  fft.realTransform(out, frame);
  const mag = (k: number) => Math.log(Math.hypot(out[2 * k], out[2 * k + 1]) + 1e-30);
  let best = 1;
  for (let k = 1; k < n / 2; k++) if (mag(k) > mag(best)) best = k;
  const [a, b, c] = [mag(best - 1), mag(best), mag(best + 1)];
  return ((best + (0.5 * (a - c)) / (a - 2 * b + c)) * sr) / n;
}

describe('resample (libsamplerate best sinc)', () => {
  it('44.1 kHz -> 16 kHz keeps a 1 kHz tone\'s frequency and amplitude, and the exact length', async () => {
    const y = await resample({ sampleRate: 44100, channels: [tone(1000, 44100, 1, 0.5)] }, 16000);
    expect(y.sampleRate).toBe(16000);
    expect(y.channels[0].length).toBe(16000);
    expect(Math.abs(peakHz(y.channels[0], 16000) - 1000)).toBeLessThan(0.5);
    // Amplitude within 0.05 dB, away from the filter's start-up at the edges.
    expect(Math.abs(20 * Math.log10(rms(y.channels[0], 2000, 14000) / (0.5 / Math.SQRT2)))).toBeLessThan(0.05);
  });

  it('a tone above the new Nyquist is attenuated by at least 40 dB (no aliasing)', async () => {
    const y = await resample({ sampleRate: 44100, channels: [tone(10000, 44100, 1, 0.5)] }, 16000);
    const atten = 20 * Math.log10(rms(y.channels[0], 2000, 14000) / (0.5 / Math.SQRT2));
    expect(atten).toBeLessThan(-40);
  });

  it('keeps channels separate and returns the input unchanged at the same rate', async () => {
    const a = { sampleRate: 48000, channels: [tone(500, 48000, 0.5, 0.3), new Float32Array(24000)] };
    const y = await resample(a, 16000);
    expect(y.channels).toHaveLength(2);
    expect(rms(y.channels[1], 0, 8000)).toBe(0);
    expect(await resample(a, 48000)).toBe(a);
    await expect(resample(a, 0)).rejects.toThrow(/positive/);
  });
});
