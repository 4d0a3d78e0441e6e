import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import wavefile from 'wavefile';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset, type LoadedFeatures } from '../../../src/features/datasets/index.ts';
import { UserError } from '../../../src/errors.ts';

const { WaveFile } = wavefile;

function tone(path: string, hz: number, seconds: number, rate = 16000): void {
  const n = Math.round(seconds * rate);
  const x = Int16Array.from({ length: n }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * hz * i) / rate)));
  const w = new WaveFile();
  w.fromScratch(1, rate, '16', x);
  writeFileSync(path, w.toBuffer());
}

function floats(path: string, x: Float32Array): void {
  const w = new WaveFile();
  w.fromScratch(1, 16000, '32f', x);
  writeFileSync(path, w.toBuffer());
}

let root: string;
const opts = { preset: 'default', seed: 0, cache: false, progress: false } as const;

/** alarm/ and bell/: 4 good tones each, one long 44.1 kHz file, and one bad file of every kind. */
function classFolders(dir: string, withBad: boolean, withEmpty: boolean): void {
  for (const [cls, hz] of [['alarm', 1000], ['bell', 600]] as const) {
    mkdirSync(join(dir, cls), { recursive: true });
    for (let i = 0; i < 4; i++) tone(join(dir, cls, `${cls}${i}.wav`), hz + 50 * i, 0.5);
  }
  tone(join(dir, 'alarm', 'long.wav'), 900, 5, 44100);
  writeFileSync(join(dir, 'alarm', 'readme.txt'), 'not audio');
  if (withEmpty) mkdirSync(join(dir, 'empty'));
  if (!withBad) return;
  writeFileSync(join(dir, 'alarm', 'corrupt.wav'), Buffer.from('this is a text file renamed to .wav'));
  const good = readFileSync(join(dir, 'alarm', 'alarm0.wav'));
  writeFileSync(join(dir, 'alarm', 'truncated.wav'), good.subarray(0, good.length / 2));
  floats(join(dir, 'bell', 'nan.wav'), Float32Array.from({ length: 8000 }, (_, i) => (i === 100 ? NaN : 0.1 * Math.sin(i / 5))));
  floats(join(dir, 'bell', 'silent.wav'), new Float32Array(8000));
  writeFileSync(join(dir, 'bell', 'empty.wav'), new Uint8Array(0));
  writeFileSync(join(dir, 'bell', 'x.ogg'), Buffer.concat([Buffer.from('OggS'), Buffer.alloc(60)]));
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'melbench-folder-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const sizes = (f: LoadedFeatures) => [f.splits.train.y.length, f.splits.val.y.length, f.splits.test.y.length];

describe('folder: one sub-folder per class', () => {
  it('skips every bad file with one reason each, drops the empty class, resamples and frames the rest', async () => {
    const dir = join(root, 'layout');
    classFolders(dir, true, true);
    const f = await loadDataset(`folder:${dir}`, { ...opts, onBadFile: 'skip' });
    expect(f.classes).toEqual(['alarm', 'bell']);
    const why = (name: string) => f.skipped.find((s) => s.file.endsWith(name))?.reason ?? 'not skipped';
    expect(why('empty/')).toMatch(/class folder 'empty' has no audio files/);
    expect(why('corrupt.wav')).toMatch(/not a WAV or FLAC file/);
    expect(why('truncated.wav')).toMatch(/truncated/);
    expect(why('nan.wav')).toMatch(/NaN/);
    expect(why('silent.wav')).toMatch(/silent/);
    expect(why('bell/empty.wav')).toMatch(/empty/);
    expect(why('x.ogg')).toMatch(/not supported/);
    expect(f.skipped).toHaveLength(7);
    expect(f.counters).toEqual({ resampled: 1, ignoredNonAudio: 1 });
    // 8 short tones + 3 windows (2 s, stride 1.6 s) of the 5 s file.
    expect(sizes(f).reduce((a, b) => a + b, 0)).toBe(11);
    const all = Object.values(f.splits).flatMap((s) => s.sources);
    expect(all.filter((s) => s.endsWith('long.wav'))).toHaveLength(3);
    const splitOfLong = Object.entries(f.splits).filter(([, s]) => s.sources.some((x) => x.endsWith('long.wav')));
    expect(splitOfLong).toHaveLength(1);
    expect(f.splits.train.dims).toEqual([1, 64, 126]);
  });

  it('stops at the first bad file with one line naming it, under onBadFile fail', async () => {
    const dir = join(root, 'one-bad');
    classFolders(dir, false, false);
    writeFileSync(join(dir, 'alarm', 'corrupt.wav'), Buffer.from('this is a text file renamed to .wav'));
    const run = loadDataset(`folder:${dir}`, { ...opts, onBadFile: 'fail' });
    await expect(run).rejects.toThrow(UserError);
    await expect(run).rejects.toThrow(/alarm\/corrupt\.wav: not a WAV or FLAC file/);
    await expect(loadDataset(`folder:${join(root, 'layout')}`, { ...opts, onBadFile: 'fail' })).rejects.toThrow(
      /empty\/: class folder 'empty' has no audio files; use --on-bad-file skip/,
    );
  });

  it('rejects files at another rate under strictRate', async () => {
    const dir = join(root, 'one-bad');
    const f = await loadDataset(`folder:${dir}`, { ...opts, onBadFile: 'skip', strictRate: true });
    expect(f.skipped.find((s) => s.file.endsWith('long.wav'))?.reason).toMatch(/sample rate 44100 Hz, preset 'default' needs 16000 Hz/);
    expect(f.counters.resampled).toBeUndefined();
  });
});

describe('folder: CSV manifest', () => {
  function manifestDir(name: string, csv: string, classes?: string): string {
    const dir = join(root, name);
    mkdirSync(dir, { recursive: true });
    for (let i = 0; i < 6; i++) {
      tone(join(dir, `dog${i}.wav`), 300 + 20 * i, 0.5);
      tone(join(dir, `cat${i}.wav`), 1500 + 20 * i, 0.5);
    }
    writeFileSync(join(dir, 'manifest.csv'), csv);
    if (classes) writeFileSync(join(dir, 'classes.txt'), classes);
    return dir;
  }
  const rows = Array.from({ length: 6 }, (_, i) => `dog${i}.wav,dog,${(i % 3) + 1}\ncat${i}.wav,cat,${(i % 3) + 1}`).join('\n');

  it('splits by fold and names each bad row (missing file, unknown label, wrong column count)', async () => {
    const csv = `filename,label,fold\n${rows}\nmissing.wav,dog,1\ndog0.wav,cow,2\ndog1.wav,dog,1,extra\n`;
    const dir = manifestDir('manifest', csv, 'dog\ncat\n');
    const f = await loadDataset(`folder:${dir}`, { ...opts, onBadFile: 'skip' });
    expect(f.classes).toEqual(['dog', 'cat']);
    expect(sizes(f)).toEqual([4, 4, 4]);
    expect(f.splits.test.sources.sort()).toEqual(['cat2.wav', 'cat5.wav', 'dog2.wav', 'dog5.wav']);
    const csvPath = join(dir, 'manifest.csv');
    expect(f.skipped).toEqual([
      { file: `${csvPath} row 16`, reason: 'expected 3 columns (filename,label[,fold]), got 4' },
      { file: `${csvPath} row 14`, reason: expect.stringMatching(/^file 'missing.wav' not found/) },
      { file: `${csvPath} row 15`, reason: "label 'cow' is not one of the 2 classes (dog, cat)" },
    ]);
    await expect(loadDataset(`folder:${dir}`, { ...opts, onBadFile: 'fail' })).rejects.toThrow(`${csvPath} row 16: expected 3 columns`);
  });

  it('uses a seeded stratified split without folds, and refuses a malformed CSV under either policy', async () => {
    const noFolds = rows.replace(/,\d$/gm, '');
    const dir = manifestDir('manifest-nofold', noFolds + '\n');
    const f = await loadDataset(`folder:${join(dir, 'manifest.csv')}`, { ...opts, onBadFile: 'fail' });
    expect(f.classes).toEqual(['cat', 'dog']);
    expect(sizes(f)).toEqual([8, 2, 2]);
    const bad = manifestDir('manifest-bad', 'filename,label\n"dog0.wav,dog\ncat0.wav,cat\n');
    await expect(loadDataset(`folder:${bad}`, { ...opts, onBadFile: 'skip' })).rejects.toThrow(/manifest\.csv: malformed CSV/);
  });
});

describe('dataset names', () => {
  it('lists the valid datasets for an unknown name', async () => {
    await expect(loadDataset('esc50', { ...opts })).rejects.toThrow("unknown dataset 'esc50': valid datasets are alerts, sonicpi, folder:<path>");
    await expect(loadDataset(`folder:${join(root, 'nope')}`, { ...opts })).rejects.toThrow(/no such file or directory/);
  });
});
