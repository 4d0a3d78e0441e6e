import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SPLITS, type SplitName } from '../../../src/features/datasets/dataset.ts';
import { classifySamples, samplesDir, SONICPI_CLASSES, sonicPiDataset } from '../../../src/features/datasets/sonicpi.ts';

describe('sonicpi', () => {
  const files = readdirSync(samplesDir()).sort();

  it('maps every file to one of at least 8 classes of at least 7 files, or drops it with a reason', () => {
    expect(files.length).toBeGreaterThanOrEqual(200);
    const mapped = classifySamples(files);
    expect(SONICPI_CLASSES.length).toBeGreaterThanOrEqual(8);
    for (const c of SONICPI_CLASSES) expect(mapped.filter((m) => m.cls === c).length).toBeGreaterThanOrEqual(7);
    for (const m of mapped.filter((x) => x.cls === null)) expect(m.why).toBeTruthy();
    expect(mapped.filter((m) => m.cls === null).length).toBeLessThan(20);
    expect(mapped.find((m) => m.file === 'bd_haus.flac')?.cls).toBe('kick');
    expect(mapped.find((m) => m.file === 'elec_hi_snare.flac')?.cls).toBe('snare');
    expect(mapped.find((m) => m.file === 'loop_tabla.flac')?.cls).toBe('loop');
  });

  it('splits by source file: no recording has crops in two splits, every split has every class', async () => {
    const ds = sonicPiDataset({ seed: 0, sampleRate: 16000, clipSeconds: 0.5, params: { perClass: { train: 2, val: 1, test: 1 } } });
    const sourcesOf = {} as Record<SplitName, Set<string>>;
    for (const split of SPLITS) {
      sourcesOf[split] = new Set();
      const labels = new Set<number>();
      for await (const clip of ds.clips(split)) {
        expect(clip.audio.channels[0].length).toBe(8000);
        sourcesOf[split].add(clip.source);
        labels.add(clip.label);
      }
      expect(labels.size).toBe(SONICPI_CLASSES.length);
    }
    for (const a of SPLITS) for (const b of SPLITS) if (a < b) for (const s of sourcesOf[a]) expect(sourcesOf[b].has(s)).toBe(false);
    expect(ds.notes.join('\n')).toMatch(/dropped \d+ files: .*guitar/);
  });
});
