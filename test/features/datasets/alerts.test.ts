import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ALERT_CLASSES, alertsDataset, synthesizeAlert } from '../../../src/features/datasets/alerts.ts';
import { SPLITS } from '../../../src/features/datasets/dataset.ts';
import { DataRng } from '../../../src/features/datasets/data-rng.ts';

/** sha256 of every clip of a small alerts set (seed 0, 16 kHz, 2 s, 2/1/1 clips per class, default SNR); change it only with the generator. */
const GOLDEN_SHA256 = 'c8737402130d661333e777d23619c403c4797e64b393795d1392d08a5dbfef42';

async function hashSet(seed: number): Promise<{ sha: string; sources: Record<string, string[]> }> {
  const ds = alertsDataset({ seed, sampleRate: 16000, clipSeconds: 2, params: { perClass: { train: 2, val: 1, test: 1 } } });
  const h = createHash('sha256');
  const sources: Record<string, string[]> = {};
  for (const split of SPLITS) {
    sources[split] = [];
    for await (const clip of ds.clips(split)) {
      const x = clip.audio.channels[0];
      h.update(new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
      h.update(String(clip.label));
      sources[split].push(clip.source);
    }
  }
  return { sha: h.digest('hex'), sources };
}

describe('alerts', () => {
  it('has at least 10 classes, background among them', () => {
    expect(ALERT_CLASSES.length).toBeGreaterThanOrEqual(10);
    expect(ALERT_CLASSES).toContain('background');
  });

  it('gives the same bytes for the same seed (committed hash) and other bytes for another seed', async () => {
    const a = await hashSet(0);
    expect(a.sha).toBe(GOLDEN_SHA256);
    expect((await hashSet(0)).sha).toBe(a.sha);
    expect((await hashSet(1)).sha).not.toBe(a.sha);
  });

  it('gives every clip its own source, none shared between splits', async () => {
    const { sources } = await hashSet(0);
    const all = SPLITS.flatMap((s) => sources[s]);
    expect(new Set(all).size).toBe(all.length);
    expect(sources.train.length).toBe(2 * ALERT_CLASSES.length);
  });

  it('makes finite clips of the asked length, peak below 1, at any rate', () => {
    for (const sampleRate of [12000, 44100]) {
      for (const cls of ALERT_CLASSES) {
        const x = synthesizeAlert(cls, { sampleRate, clipSeconds: 0.25, snrDb: [-12, 12] }, DataRng.derive(3, cls));
        expect(x.length).toBe(Math.round(0.25 * sampleRate));
        let peak = 0;
        for (const v of x) {
          expect(Number.isFinite(v)).toBe(true);
          peak = Math.max(peak, Math.abs(v));
        }
        expect(peak).toBeGreaterThan(1e-4);
        expect(peak).toBeLessThanOrEqual(0.99);
      }
    }
  });

  it('sets the event-to-background ratio from snrDb', () => {
    // NOTE: the same seed draws the same event and noise; only their mix changes with the SNR.
    const o = (snr: number) => ({ sampleRate: 16000, clipSeconds: 1, snrDb: [snr, snr] as [number, number] });
    const clean = synthesizeAlert('car_horn', o(40), DataRng.derive(5, 'snr'));
    const noisy = synthesizeAlert('car_horn', o(-20), DataRng.derive(5, 'snr'));
    const bg = synthesizeAlert('background', o(0), DataRng.derive(5, 'snr'));
    const corr = (a: Float32Array, b: Float32Array) => {
      let ab = 0, aa = 0, bb = 0;
      for (let i = 0; i < a.length; i++) [ab, aa, bb] = [ab + a[i] * b[i], aa + a[i] * a[i], bb + b[i] * b[i]];
      return ab / Math.sqrt(aa * bb);
    };
    expect(Math.abs(corr(clean, bg))).toBeLessThan(0.1);
    expect(corr(noisy, bg)).toBeGreaterThan(0.9);
  });

  it('rejects an inverted SNR range', () => {
    expect(() => alertsDataset({ seed: 0, sampleRate: 16000, clipSeconds: 2, params: { snrDb: [10, -10] } })).toThrow(/snrDb/);
  });
});
