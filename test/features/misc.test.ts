/** npy, framing, augmentations and the built-in test signal. */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { addNoise, mixup, oneHot, randomGain, specAugment, timeShift } from '../../src/features/augment.ts';
import { frameAudio, SEED001_FRAMING, windowStarts } from '../../src/features/framing.ts';
import { decodeNpy, encodeNpy } from '../../src/features/npy.ts';
import { getPreset, PRESET_NAMES, samplesFor } from '../../src/features/presets.ts';
import { testSignal } from '../../src/features/test-signal.ts';
import { Rng } from '../../src/rng.ts';

const sha = (chs: Float32Array[]) => {
  const h = createHash('sha256');
  for (const c of chs) h.update(new Uint8Array(c.buffer, c.byteOffset, c.byteLength));
  return h.digest('hex');
};

describe('npy', () => {
  it('round-trips float32 [C, M, T] with a 64-byte aligned v1.0 header', () => {
    const t = { data: Float32Array.from({ length: 24 }, (_, i) => i / 7 - 1), dims: [2, 3, 4] };
    const bytes = encodeNpy(t);
    const hl = bytes[8] | (bytes[9] << 8);
    expect((10 + hl) % 64).toBe(0);
    expect(new TextDecoder().decode(bytes.subarray(10, 10 + hl))).toContain("'shape': (2, 3, 4)");
    expect(decodeNpy(bytes)).toEqual(t);
    expect(() => decodeNpy(new Uint8Array(20), 'x.npy')).toThrow(/x.npy: not a float32 .npy/);
  });
});

describe('framing', () => {
  it('seed 001: 2 s windows with a 1.6 s stride; the remainder padded or dropped', () => {
    const sr = 1000;
    const audio = { sampleRate: sr, channels: [Float32Array.from({ length: 5000 }, (_, i) => i + 1)] };
    const pad = frameAudio(audio, SEED001_FRAMING);
    expect(pad.map((w) => w.channels[0][0])).toEqual([1, 1601, 3201]);
    expect(pad.every((w) => w.channels[0].length === 2000)).toBe(true);
    expect(pad[2].channels[0][1799]).toBe(5000);
    expect(pad[2].channels[0][1800]).toBe(0);
    expect(frameAudio(audio, { ...SEED001_FRAMING, remainder: 'drop' })).toHaveLength(2);
    expect(windowStarts(1500, 2000, 1600, 'pad')).toEqual([0]);
    expect(windowStarts(1500, 2000, 1600, 'drop')).toEqual([]);
    expect(windowStarts(3600, 2000, 1600, 'pad')).toEqual([0, 1600]);
  });
});

describe('augmentations', () => {
  const x = { data: Float32Array.from({ length: 2 * 16 * 20 }, (_, i) => i % 13), dims: [2, 16, 20] };

  it('are deterministic for a seed and leave their input alone', () => {
    const before = Float32Array.from(x.data);
    expect(specAugment(x, new Rng(3)).data).toEqual(specAugment(x, new Rng(3)).data);
    expect(x.data).toEqual(before);
  });

  it('SpecAugment masks whole rows / columns with the same mask on every channel', () => {
    const y = specAugment(x, new Rng(11), { freqMasks: 1, freqWidth: 4, timeMasks: 0, fill: -100 });
    const rows = new Set<number>();
    for (let c = 0; c < 2; c++) for (let m = 0; m < 16; m++) if (y.data[c * 320 + m * 20] === -100) rows.add(c * 100 + m);
    const c0 = [...rows].filter((r) => r < 100);
    expect(c0.length).toBeLessThanOrEqual(4);
    expect([...rows].filter((r) => r >= 100).map((r) => r - 100)).toEqual(c0);
  });

  it('mixup mixes inputs and soft labels with the same lambda ~ Beta(a, a)', () => {
    const a = { data: new Float32Array(4).fill(1), dims: [1, 2, 2] };
    const b = { data: new Float32Array(4).fill(0), dims: [1, 2, 2] };
    const rng = new Rng(5);
    let mean = 0;
    for (let i = 0; i < 2000; i++) {
      const m = mixup(a, oneHot(0, 3), b, oneHot(2, 3), rng, 0.4);
      expect(m.x.data[0]).toBeCloseTo(m.lambda, 6);
      expect(m.y[0] + m.y[2]).toBeCloseTo(1, 6);
      expect(m.y[1]).toBe(0);
      mean += m.lambda / 2000;
    }
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.03);
  });

  it('noise is added at the requested SNR; gain and shift keep length', () => {
    const rng = new Rng(9);
    const sig = { sampleRate: 8000, channels: [Float32Array.from({ length: 8000 }, (_, i) => Math.sin(i / 5))] };
    const noise = { sampleRate: 8000, channels: [Float32Array.from({ length: 3000 }, () => rng.normal())] };
    const y = addNoise(sig, noise, 10, rng);
    let ps = 0;
    let pn = 0;
    for (let i = 0; i < 8000; i++) {
      ps += sig.channels[0][i] ** 2;
      pn += (y.channels[0][i] - sig.channels[0][i]) ** 2;
    }
    expect(10 * Math.log10(ps / pn)).toBeCloseTo(10, 3);
    const g = randomGain(sig, new Rng(1), -6, 6);
    const ratio = g.channels[0][10] / sig.channels[0][10];
    expect(Math.abs(20 * Math.log10(ratio))).toBeLessThanOrEqual(6);
    const s = timeShift(sig, new Rng(2), 0.1);
    expect(s.channels[0].length).toBe(8000);
  });
});

describe('testSignal', () => {
  it('gives the same bytes every time, at the preset rate and clip length', () => {
    for (const name of PRESET_NAMES) {
      const p = getPreset(name);
      const a = testSignal(p);
      expect(a.sampleRate).toBe(p.sampleRate);
      expect(a.channels[0].length).toBe(samplesFor(p, p.clipSeconds));
      expect(a.channels).toHaveLength(typeof p.channels === 'number' ? p.channels : 1);
      expect(sha(a.channels)).toBe(sha(testSignal(p).channels));
    }
  });

  it('is pinned: a change to the built-in input is deliberate (it changes every row\'s input_sha256)', () => {
    expect(sha(testSignal(getPreset('default')).channels)).toBe(PINNED_DEFAULT_SHA256);
  });
});

const PINNED_DEFAULT_SHA256 = '45d6f2eb706e9a52a25ddf9f467820988ae2d7e1b0d71f44bd72fdb281b3a00a';
