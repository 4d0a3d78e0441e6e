/**
 * Found by the audio fuzz (seed 14, case 1173: a bit flip made a WAV declare 409600 Hz): the
 * decoder accepts rates up to 768 kHz but libsamplerate-js throws a bare string above 192 kHz,
 * which melbench reported as an internal error (exit 70). Such rates are now converted with the
 * same ratio at rates the converter takes, and a ratio that cannot be scaled is bad input.
 */
import { describe, expect, it } from 'vitest';
import { EXIT, UserError } from '../../src/errors.ts';
import { resample } from '../../src/features/resample.ts';

const tone = (rate: number, hz: number, seconds: number) => Float32Array.from({ length: rate * seconds }, (_, i) => Math.sin((2 * Math.PI * hz * i) / rate));

describe('resampling from rates above 192 kHz', () => {
  it('384 kHz to 16 kHz gives the same 1 kHz tone as 192 kHz to 16 kHz', async () => {
    const hi = await resample({ sampleRate: 384_000, channels: [tone(384_000, 1000, 0.25)] }, 16_000);
    const lo = await resample({ sampleRate: 192_000, channels: [tone(192_000, 1000, 0.25)] }, 16_000);
    expect(hi.sampleRate).toBe(16_000);
    expect(hi.channels[0].length).toBe(4000);
    // Away from the filter's edge transients, both match the ideal tone to the converter's precision.
    const want = tone(16_000, 1000, 0.25);
    let err = 0;
    for (let i = 200; i < 3800; i++) err = Math.max(err, Math.abs(hi.channels[0][i] - want[i]), Math.abs(hi.channels[0][i] - lo.channels[0][i]));
    expect(err).toBeLessThan(1e-3);
  });

  it('a rate pair that cannot be scaled into the converter range is bad input (exit 3), not a bug', async () => {
    const e = await resample({ sampleRate: 384_001, channels: [new Float32Array(100).fill(0.5)] }, 16_000).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UserError);
    expect((e as UserError).exitCode).toBe(EXIT.badInput);
    expect((e as UserError).message).toContain('cannot resample 384001 Hz to 16000 Hz');
  });
});
