/**
 * Bad audio is refused with exit 3 before it costs memory or reaches a model: absurd headers
 * (channels, rate, length) from the header alone, and features that are not finite (float samples
 * near 1e30 overflow the power spectrum to +Inf) at feature time, or skipped under 'skip'.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import wavefile from 'wavefile';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.ts';
import { loadDataset } from '../../src/features/datasets/index.ts';
import { AudioError, decodeAudio, LIMITS } from '../../src/features/decode.ts';
import { checkFiniteFeatures, firstNonFinite, positionOf } from '../../src/features/finite.ts';

const BIN = new URL('../../bin/melbench.mjs', import.meta.url).pathname;

function melbench(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A PCM WAV written by hand, so that its header can say anything. */
function rawWav(o: { channels: number; rate: number; bits: number; dataBytes: number }): Uint8Array {
  const out = new Uint8Array(44 + o.dataBytes);
  const v = new DataView(out.buffer);
  const tag = (at: number, s: string) => [...s].forEach((c, i) => (out[at + i] = c.charCodeAt(0)));
  tag(0, 'RIFF');
  v.setUint32(4, 36 + o.dataBytes, true);
  tag(8, 'WAVE');
  tag(12, 'fmt ');
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true);
  v.setUint16(22, o.channels, true);
  v.setUint32(24, o.rate, true);
  v.setUint32(28, (o.rate * o.channels * o.bits) / 8 >>> 0, true);
  v.setUint16(32, (o.channels * o.bits) / 8 & 0xffff, true);
  v.setUint16(34, o.bits, true);
  tag(36, 'data');
  v.setUint32(40, o.dataBytes, true);
  for (let i = 44; i < out.length; i++) out[i] = (i * 37) & 0xff;
  return out;
}

/** 'fLaC' + a STREAMINFO block declaring `total` samples, and nothing else. */
function flacHeader(rate: number, channels: number, total: number): Uint8Array {
  const b = new Uint8Array(4 + 4 + 34);
  b.set([0x66, 0x4c, 0x61, 0x43, 0x80, 0, 0, 34]);
  const s = 8;
  b.set([0x10, 0x00, 0x10, 0x00], s); // block sizes 4096
  b[s + 10] = (rate >> 12) & 0xff;
  b[s + 11] = (rate >> 4) & 0xff;
  b[s + 12] = ((rate & 0xf) << 4) | ((channels - 1) << 1) | 0; // bps-1 = 15: high bit 0
  b[s + 13] = (15 << 4) | (Math.floor(total / 2 ** 32) & 0xf);
  new DataView(b.buffer).setUint32(s + 14, total >>> 0);
  return b;
}

async function audioError(p: Promise<unknown>): Promise<AudioError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(AudioError);
    return e as AudioError;
  }
  throw new Error('expected an AudioError');
}

describe('absurd headers are refused before allocation, with the limit in the message', () => {
  it('a WAV declaring 65,535 channels is refused at once', async () => {
    const t0 = performance.now();
    const e = await audioError(decodeAudio(rawWav({ channels: 65535, rate: 16000, bits: 16, dataBytes: 65535 * 2 * 8 }), 'many.wav'));
    expect(performance.now() - t0).toBeLessThan(500);
    expect(e.kind).toBe('limits');
    expect(e.exitCode).toBe(EXIT.badInput);
    expect(e.message).toMatch(/^many\.wav: its header declares 65535 channels; the limit is 1 to 64;/);
  });

  it('sample rates of 1 Hz and 1e9 Hz are bad input, not usage', async () => {
    for (const rate of [1, 999, 1_000_000_000]) {
      const e = await audioError(decodeAudio(rawWav({ channels: 1, rate, bits: 16, dataBytes: 3200 }), 'rate.wav'));
      expect(e.kind).toBe('limits');
      expect(e.message).toContain(`sample rate of ${rate} Hz; supported rates are ${LIMITS.minSampleRate} to ${LIMITS.maxSampleRate} Hz`);
    }
    for (const rate of [LIMITS.minSampleRate, LIMITS.maxSampleRate]) {
      const a = await decodeAudio(rawWav({ channels: 1, rate, bits: 16, dataBytes: 3200 }), 'ok.wav');
      expect(a.sampleRate).toBe(rate);
      expect(a.channels[0].length).toBe(1600);
    }
  });

  it('a FLAC whose STREAMINFO declares 2^30 samples is refused before decoding', async () => {
    const e = await audioError(decodeAudio(flacHeader(16000, 2, 2 ** 30), 'long.flac'));
    expect(e.kind).toBe('limits');
    expect(e.message).toContain(`1073741824 samples x 2 channels`);
    expect(e.message).toContain(`the limit is ${LIMITS.maxSamples} samples over all channels`);
    const r = await audioError(decodeAudio(flacHeader(1, 1, 1000), 'slow.flac'));
    expect(r.message).toContain('sample rate of 1 Hz');
  });

  it('melbench features: a 1 Hz WAV exits 3 and a 65,535-channel WAV exits 3 at once', () => {
    const dir = mkdtempSync(join(tmpdir(), 'melbench-limits-'));
    writeFileSync(join(dir, 'one-hz.wav'), rawWav({ channels: 1, rate: 1, bits: 16, dataBytes: 3200 }));
    const r = melbench('features', join(dir, 'one-hz.wav'));
    expect(r.code).toBe(EXIT.badInput);
    expect(r.stderr).toMatch(/one-hz\.wav: its header declares a sample rate of 1 Hz/);
    writeFileSync(join(dir, 'many.wav'), rawWav({ channels: 65535, rate: 16000, bits: 16, dataBytes: 65535 * 2 * 100 }));
    const m = melbench('features', join(dir, 'many.wav'));
    expect(m.code).toBe(EXIT.badInput);
    expect(m.stderr).toMatch(/many\.wav: its header declares 65535 channels; the limit is 1 to 64/);
  });
});

function floatWav(x: Float32Array): Uint8Array {
  const w = new wavefile.WaveFile();
  w.fromScratch(1, 16000, '32f', x);
  return w.toBuffer();
}

/** 1 s of a tone whose samples are near 1e30: finite, but its power spectrum overflows float32. */
const huge = () => Float32Array.from({ length: 16000 }, (_, i) => 1e30 * Math.sin(i / 3));

describe('non-finite features are never ok', () => {
  it('firstNonFinite and positionOf', () => {
    expect(firstNonFinite([0, 1e30, -3])).toBe(-1);
    expect(firstNonFinite([0, 1, Number.NaN, Number.POSITIVE_INFINITY])).toBe(2);
    expect(firstNonFinite(Float32Array.of(1, Number.NEGATIVE_INFINITY))).toBe(1);
    expect(positionOf(23, [2, 3, 4])).toBe('[1, 2, 3]');
    expect(() => checkFiniteFeatures({ data: Float32Array.of(0, 0, Number.POSITIVE_INFINITY, 0), dims: [1, 2, 2] }, 'f.wav')).toThrow(
      /^f\.wav: its features hold Infinity at value 2 of 4 \(position \[0, 1, 0\] of shape \[1, 2, 2\]\)/,
    );
  });

  it('melbench features on a WAV of 1e30 samples exits 3 naming the file and the first bad value', () => {
    const dir = mkdtempSync(join(tmpdir(), 'melbench-limits-'));
    const p = join(dir, 'huge.wav');
    writeFileSync(p, floatWav(huge()));
    const r = melbench('features', p, '-o', join(dir, 'huge.npy'));
    expect(r.code).toBe(EXIT.badInput);
    expect(r.stderr.split('\n')[0]).toMatch(/huge\.wav: its features hold Infinity at value \d+ of \d+ \(position \[0, \d+, \d+\] of shape \[1, 64, 63\]\)/);
    expect(r.stdout).not.toMatch(/wrote/);
  });

  it("data: a 1e30 file stops 'fail' and is skipped with its reason under 'skip'; no Inf reaches the features", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'melbench-limits-'));
    for (const cls of ['a', 'b']) {
      mkdirSync(join(dir, cls));
      for (let i = 0; i < 4; i++) writeFileSync(join(dir, cls, `${i}.wav`), floatWav(Float32Array.from({ length: 8000 }, (_, k) => 0.3 * Math.sin((k * (i + 2)) / (cls === 'a' ? 7 : 3)))));
    }
    writeFileSync(join(dir, 'a', 'huge.wav'), floatWav(huge()));
    const opts = { preset: 'default', seed: 0, cache: false, progress: false } as const;
    await expect(loadDataset(`folder:${dir}`, { ...opts, onBadFile: 'fail' })).rejects.toThrow(/huge\.wav: its features hold Infinity/);
    const f = await loadDataset(`folder:${dir}`, { ...opts, onBadFile: 'skip' });
    const skipped = f.skipped.find((s) => s.file.endsWith('huge.wav'));
    expect(skipped?.reason).toMatch(/^its features hold Infinity at value \d+/);
    for (const s of ['train', 'val', 'test'] as const) expect(firstNonFinite(f.splits[s].x)).toBe(-1);
    expect(f.splits.train.y.length + f.splits.val.y.length + f.splits.test.y.length).toBeGreaterThan(0);
  });
});
