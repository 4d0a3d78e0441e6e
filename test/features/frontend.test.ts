/** Analytic checks of the frontend: STFT energy, tone placement, dB floor, deltas, shapes and channels. */
import { describe, expect, it } from 'vitest';
import { powerToDb } from '../../src/features/db.ts';
import { DELTA_WIDTH, deltas } from '../../src/features/deltas.ts';
import { computeFeatures } from '../../src/features/frontend.ts';
import { hzToMel, melFilterbank, melToHz } from '../../src/features/mel.ts';
import { dctMatrix } from '../../src/features/mfcc.ts';
import { featureRows, framesFor, getPreset, outputChannels, PRESET_NAMES, type Preset } from '../../src/features/presets.ts';
import { powerFrame, powerSpectrogram, stftPlan } from '../../src/features/stft.ts';
import { testSignal } from '../../src/features/test-signal.ts';
import { UserError } from '../../src/errors.ts';
import { Rng } from '../../src/rng.ts';

function tone(freq: number, sr: number, seconds: number, amp = 0.5): Float32Array {
  const n = Math.round(sr * seconds);
  return Float32Array.from({ length: n }, (_, i) => amp * Math.sin((2 * Math.PI * freq * i) / sr));
}

describe('STFT', () => {
  it('Parseval: the one-sided power of a frame sums to n_fft * sum (w x)^2', () => {
    const plan = stftPlan(1024, 400, 256);
    const rng = new Rng(7);
    const x = Float32Array.from({ length: 8000 }, () => rng.normal());
    const p = new Float64Array(plan.nFreqs);
    for (const t of [0, 5, 17, 31]) {
      powerFrame(x, t, plan, p);
      let spec = p[0] + p[512];
      for (let k = 1; k < 512; k++) spec += 2 * p[k];
      // Time-domain energy of the same windowed frame, reflect padding included.
      let time = 0;
      const start = t * 256 - 512;
      for (let n = 0; n < 1024; n++) {
        let j = start + n;
        if (j < 0) j = -j;
        if (j >= x.length) j = 2 * (x.length - 1) - j;
        const v = plan.window[n] * x[j];
        time += v * v;
      }
      expect(Math.abs(spec - 1024 * time) / (1024 * time)).toBeLessThan(1e-12);
    }
  });

  it('energy: a sine of amplitude A has total power n_fft * (A^2/2) * sum w^2 per frame', () => {
    const plan = stftPlan(512, 512, 128);
    const x = tone(1234.5, 16000, 1, 0.8);
    const s = powerSpectrogram(x, plan);
    let sumW2 = 0;
    for (const w of plan.window) sumW2 += w * w;
    const expected = 512 * (0.8 * 0.8) / 2 * sumW2;
    for (const t of [10, 50, 100]) {
      let total = s.data[t] + s.data[256 * s.nFrames + t];
      for (let k = 1; k < 256; k++) total += 2 * s.data[k * s.nFrames + t];
      expect(Math.abs(total - expected) / expected).toBeLessThan(0.01);
    }
  });

  it('frame count follows center=true: 1 + floor(N / hop)', () => {
    const plan = stftPlan(1024, 400, 256);
    for (const n of [1, 255, 256, 257, 32000]) expect(powerSpectrogram(new Float32Array(n).fill(0.1), plan).nFrames).toBe(1 + Math.floor(n / 256));
  });
});

describe('mel filterbank', () => {
  it('hz <-> mel are inverse on both scales, and slaney is linear below 1 kHz', () => {
    for (const scale of ['htk', 'slaney'] as const) {
      for (const f of [0, 100, 999, 1000, 4000, 22050]) expect(melToHz(hzToMel(f, scale), scale)).toBeCloseTo(f, 8);
    }
    expect(hzToMel(600, 'slaney')).toBeCloseTo(9, 12);
    expect(hzToMel(1000, 'htk')).toBeCloseTo(1000, 0);
  });

  it('slaney-normalised triangles have unit area in Hz (away from the band edges)', () => {
    const bank = melFilterbank({ sampleRate: 16000, nFft: 2048, nMels: 40, fMin: 0, fMax: 8000, melScale: 'slaney', melNorm: 'slaney' });
    const df = 8000 / 1024;
    for (let m = 2; m < 38; m++) {
      let area = 0;
      for (let j = 0; j < bank.length[m]; j++) area += bank.weights[bank.offset[m] + j] * df;
      expect(area).toBeGreaterThan(0.9);
      expect(area).toBeLessThan(1.1);
    }
  });

  for (const name of ['default', 'seed003-mel128']) {
    it(`${name}: a pure tone lands in the mel band whose centre is nearest`, () => {
      const p = getPreset(name);
      const bank = melFilterbank(p);
      for (const f of [300, 1000, 2500, 5000]) {
        const out = computeFeatures({ sampleRate: p.sampleRate, channels: [tone(f, p.sampleRate, 0.5)] }, p);
        const T = out.dims[2];
        const t = Math.floor(T / 2);
        let best = 0;
        for (let m = 1; m < p.nMels; m++) if (out.data[m * T + t] > out.data[best * T + t]) best = m;
        // The peak band's centre is the nearest centre to f (on the mel axis), or its neighbour when f sits between two.
        let nearest = 0;
        const mf = hzToMel(f, p.melScale);
        for (let m = 1; m < p.nMels; m++) {
          if (Math.abs(hzToMel(bank.centers[m], p.melScale) - mf) < Math.abs(hzToMel(bank.centers[nearest], p.melScale) - mf)) nearest = m;
        }
        expect(Math.abs(best - nearest)).toBeLessThanOrEqual(p.melNorm === 'slaney' ? 1 : 0);
      }
    });
  }
});

describe('dB, MFCC and deltas', () => {
  it('top_db clamps to max - top_db and amin guards log(0)', () => {
    const db = powerToDb(Float64Array.from([1, 1e-3, 1e-12, 0]), { topDb: 80 });
    expect(Array.from(db)).toEqual([0, -30, -80, -80]);
    expect(powerToDb(Float64Array.from([0]))[0]).toBe(-100);
  });

  it('the DCT-II ortho matrix is orthonormal', () => {
    const d = dctMatrix(26, 26);
    for (let a = 0; a < 26; a++) {
      for (let b = 0; b < 26; b++) {
        let s = 0;
        for (let m = 0; m < 26; m++) s += d[a * 26 + m] * d[b * 26 + m];
        expect(s).toBeCloseTo(a === b ? 1 : 0, 12);
      }
    }
  });

  it('deltas of a linear ramp equal its slope everywhere; delta-deltas of a ramp are 0', () => {
    const T = 40;
    const ramp = Float64Array.from({ length: 2 * T }, (_, i) => (i < T ? 3 * i - 5 : -0.5 * (i - T)));
    const d = new Float64Array(2 * T);
    deltas(ramp, 2, T, d);
    for (let t = 0; t < T; t++) {
      expect(d[t]).toBeCloseTo(3, 12);
      expect(d[T + t]).toBeCloseTo(-0.5, 12);
    }
    const dd = new Float64Array(2 * T);
    deltas(d, 2, T, dd);
    for (const v of dd) expect(v).toBeCloseTo(0, 12);
  });

  it('delta-delta of a parabola a t^2 is 2a away from the edges', () => {
    const T = 50;
    const a = 0.7;
    const x = Float64Array.from({ length: T }, (_, t) => a * t * t);
    const d = new Float64Array(T);
    const dd = new Float64Array(T);
    deltas(x, 1, T, d);
    deltas(d, 1, T, dd);
    const h = (DELTA_WIDTH - 1) / 2;
    for (let t = 2 * h; t < T - 2 * h; t++) expect(dd[t]).toBeCloseTo(2 * a, 10);
  });
});

describe('computeFeatures', () => {
  for (const name of PRESET_NAMES) {
    it(`${name}: the test signal gives [C, M, T] with T = framesFor(preset)`, () => {
      const p = getPreset(name);
      const a = testSignal(p);
      const f = computeFeatures(a, p);
      expect(f.dims).toEqual([outputChannels(p, a.channels.length), featureRows(p), framesFor(p)]);
      expect(f.data.length).toBe(f.dims[0] * f.dims[1] * f.dims[2]);
      expect(f.data.every(Number.isFinite)).toBe(true);
    });
  }

  it('default is [1, 64, 126] for 2 s, lim2021 is [6, 128, 469] for 10 s (seed 000)', () => {
    expect([outputChannels(getPreset('default'), 1), 64, framesFor(getPreset('default'))]).toEqual([1, 64, 126]);
    const lim = getPreset('lim2021');
    expect([outputChannels(lim, 2), featureRows(lim), framesFor(lim)]).toEqual([6, 128, 469]);
  });

  it('rejects a sample-rate mismatch, naming both rates', () => {
    const p = getPreset('default');
    expect(() => computeFeatures({ sampleRate: 44100, channels: [new Float32Array(1000)] }, p)).toThrow(/44100 Hz.*16000 Hz/);
    expect(() => computeFeatures({ sampleRate: 44100, channels: [new Float32Array(1000)] }, p)).toThrow(UserError);
  });

  it('mono mixdown averages channels; numeric channels replicate a mono input; keep keeps', () => {
    const p = getPreset('default');
    const x = tone(440, 16000, 0.3);
    const y = tone(3000, 16000, 0.3);
    const mixed = Float32Array.from(x, (v, i) => (v + y[i]) / 2);
    expect(computeFeatures({ sampleRate: 16000, channels: [x, y] }, p).data).toEqual(computeFeatures({ sampleRate: 16000, channels: [mixed] }, p).data);
    const two: Preset = { ...p, channels: 2 };
    const f = computeFeatures({ sampleRate: 16000, channels: [x] }, two);
    const half = f.data.length / 2;
    expect(f.dims[0]).toBe(2);
    expect(f.data.subarray(0, half)).toEqual(f.data.subarray(half));
    expect(() => computeFeatures({ sampleRate: 16000, channels: [x, x, x] }, two)).toThrow(/needs 2 channel/);
    expect(computeFeatures({ sampleRate: 16000, channels: [x, y, x] }, { ...p, channels: 'keep' }).dims[0]).toBe(3);
  });

  it('stacks deltas as channels [static..., delta..., delta-delta...]', () => {
    const p: Preset = { ...getPreset('default'), deltas: 2, channels: 'keep' };
    const f = computeFeatures({ sampleRate: 16000, channels: [tone(440, 16000, 1), tone(880, 16000, 1)] }, p);
    const [C, M, T] = f.dims;
    expect(C).toBe(6);
    const want = new Float32Array(2 * M * T);
    deltas(f.data, 2 * M, T, want, 0, 0);
    expect(f.data.subarray(2 * M * T, 4 * M * T)).toEqual(want);
  });

  it('rejects empty audio and invalid presets with a UserError', () => {
    const p = getPreset('default');
    expect(() => computeFeatures({ sampleRate: 16000, channels: [new Float32Array(0)] }, p)).toThrow(UserError);
    expect(() => computeFeatures({ sampleRate: 16000, channels: [new Float32Array(100)] }, { ...p, nFft: 1000, name: 'x' })).toThrow(/power of two/);
    expect(() => getPreset('nope')).toThrow(/valid presets are default, /);
  });
});
