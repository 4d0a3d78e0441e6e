/**
 * `sonicpi`: real recordings, the CC0 sample library of Sonic Pi from the npm package
 * `supersonic-scsynth-samples` (206 FLAC files, 44.1-192 kHz, 0.02-15 s), mapped to 10 classes
 * by file-name rules (SONICPI_RULES, first match wins; unmatched files are dropped and noted).
 *
 * Splits are by source file (split.ts: seeded, stratified, 15 % val / 15 % test files per class),
 * never by crop, so test clips come from recordings the model never heard. Each split then draws
 * a fixed number of examples per class, dealing them round-robin over that split's files of the
 * class (so a class with few files still gets its count, and each file contributes equally).
 * An example is a random crop of clipSeconds (the louder of up to 4 candidate offsets; a file
 * shorter than the clip is placed at a random offset in silence), then a random gain of
 * +-6 dB and pink noise at 10-30 dB SNR (augment.ts). Files are mixed down to mono.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT, UserError } from '../../errors.ts';
import { addNoise, randomGain } from '../augment.ts';
import { checkAudio, readAudioFile } from '../decode.ts';
import { resampleForDataset } from './rate.ts';
import type { Audio } from '../types.ts';
import { SPLITS, type Clip, type Dataset, type SplitName } from './dataset.ts';
import { DataRng } from './data-rng.ts';
import { DEFAULT_FRACTIONS, splitBySource, type SplitFractions } from './split.ts';
import { normalizePower, pink } from './synth.ts';

/** File-name rule -> class, or null with the reason it is dropped. First match wins. */
export const SONICPI_RULES: readonly { match: RegExp; cls: string | null; why?: string }[] = [
  { match: /\.aiff$/, cls: null, why: 'bd_haus.aiff duplicates bd_haus.flac (and AIFF is not decoded)' },
  { match: /^loop_|^arovane_beat_|^tbd_fxbed_loop/, cls: 'loop' },
  { match: /^bd_|^drum_bass_|^drum_heavy_kick|^elec_(hollow|soft)_kick/, cls: 'kick' },
  { match: /^sn_|^drum_snare_|^elec_.*snare/, cls: 'snare' },
  { match: /^hat_|^ride_|^drum_cymbal_|^drum_splash_|^elec_cymbal|^tbd_perc_hat/, cls: 'hat_cymbal' },
  { match: /^tabla_/, cls: 'tabla' },
  { match: /^bass_|^glitch_bass_/, cls: 'bass' },
  { match: /^ambi_|^tbd_pad_/, cls: 'ambient' },
  { match: /^glitch_|^mehackit_robot/, cls: 'robot_glitch' },
  { match: /^elec_|^mehackit_phone|^tbd_perc_blip/, cls: 'electronic' },
  { match: /^perc_|^drum_(tom_|cowbell|roll)|^tbd_perc_tap/, cls: 'perc' },
  { match: /^guit_/, cls: null, why: 'guitar: 4 files, too few for train/val/test' },
  { match: /^vinyl_/, cls: null, why: 'vinyl: 4 files, too few for train/val/test' },
  { match: /^misc_/, cls: null, why: 'misc: 3 unrelated sounds (burp, crow, cineboom)' },
  { match: /^tbd_(highkey|voctone)/, cls: null, why: 'tbd tones: no clear class' },
];

/** Class order of the dataset (labels are indices into it). */
export const SONICPI_CLASSES = ['kick', 'snare', 'hat_cymbal', 'tabla', 'bass', 'ambient', 'electronic', 'robot_glitch', 'loop', 'perc'];

export interface SonicPiParams {
  /** Examples per class in each split. */
  perClass: Record<SplitName, number>;
  fractions: SplitFractions;
  gainDb: [number, number];
  snrDb: [number, number];
}

export const DEFAULT_SONICPI: SonicPiParams = {
  perClass: { train: 48, val: 16, test: 16 },
  fractions: DEFAULT_FRACTIONS,
  gainDb: [-6, 6],
  snrDb: [10, 30],
};

export function samplesDir(): string {
  return join(dirname(fileURLToPath(import.meta.resolve('supersonic-scsynth-samples'))), 'samples');
}

/** Every file of the package with its class (null: dropped) and why. */
export function classifySamples(files: readonly string[]): { file: string; cls: string | null; why?: string }[] {
  return files.map((file) => {
    const rule = SONICPI_RULES.find((r) => r.match.test(file));
    return rule ? { file, cls: rule.cls, why: rule.why } : { file, cls: null, why: 'no rule matches' };
  });
}

function mono(a: Audio): Audio {
  if (a.channels.length === 1) return a;
  const n = a.channels[0].length;
  const x = new Float32Array(n);
  for (const ch of a.channels) for (let i = 0; i < n; i++) x[i] += ch[i] / a.channels.length;
  return { sampleRate: a.sampleRate, channels: [x] };
}

function energy(x: Float32Array, from: number, n: number): number {
  let s = 0;
  for (let i = from; i < from + n; i++) s += x[i] * x[i];
  return s;
}

/** A clip of n samples from `x`: the louder of up to 4 random crops, or `x` at a random offset in silence. */
function crop(x: Float32Array, n: number, rng: DataRng): Float32Array {
  const out = new Float32Array(n);
  if (x.length <= n) {
    out.set(x, rng.int(n - x.length + 1));
    return out;
  }
  let best = -1;
  let at = 0;
  const total = energy(x, 0, x.length);
  for (let k = 0; k < 4; k++) {
    const o = rng.int(x.length - n + 1);
    const e = energy(x, o, n);
    if (e > best) [best, at] = [e, o];
    // NOTE: a crop holding its fair share of the file's energy is good enough; stop drawing.
    if (e >= (0.5 * total * n) / x.length) break;
  }
  out.set(x.subarray(at, at + n));
  return out;
}

export interface SonicPiOptions {
  seed: number;
  sampleRate: number;
  clipSeconds: number;
  params?: Partial<SonicPiParams>;
}

export function sonicPiDataset(o: SonicPiOptions): Dataset {
  const p: SonicPiParams = { ...DEFAULT_SONICPI, ...o.params };
  let dir: string;
  let names: string[];
  try {
    dir = samplesDir();
    names = readdirSync(dir).sort();
  } catch (e) {
    throw new UserError(`sonicpi: cannot find the samples of the npm package supersonic-scsynth-samples (${(e as Error).message}); run npm install`, EXIT.badInput);
  }
  const mapped = classifySamples(names);
  const used = mapped.filter((m) => m.cls !== null).map((m) => ({ file: m.file, label: SONICPI_CLASSES.indexOf(m.cls!), source: m.file }));
  const dropped = mapped.filter((m) => m.cls === null);
  const splitOf = splitBySource(used, o.seed, p.fractions);
  const files = (split: SplitName, label: number) => used.filter((u) => u.label === label && splitOf.get(u.source) === split).map((u) => u.file);
  const counts = SONICPI_CLASSES.map((c, l) => `${c} ${SPLITS.map((s) => files(s, l).length).join('/')}`);
  const notes = [
    `sonicpi: ${used.length} files in ${SONICPI_CLASSES.length} classes (train/val/test files: ${counts.join(', ')})`,
    `sonicpi: dropped ${dropped.length} files: ${[...new Set(dropped.map((d) => d.why))].join('; ')}`,
  ];
  const n = Math.round(o.clipSeconds * o.sampleRate);
  const decoded = new Map<string, Float32Array>();
  const load = async (file: string): Promise<Float32Array> => {
    let x = decoded.get(file);
    if (!x) {
      const path = join(dir, file);
      const a = await readAudioFile(path);
      checkAudio(a, path);
      // NOTE: mix down first: resampling is the costly step, and most long files are stereo.
      x = (await resampleForDataset(mono(a), o.sampleRate)).channels[0];
      decoded.set(file, x);
    }
    return x;
  };
  const counters = {};
  return {
    name: 'sonicpi',
    classes: [...SONICPI_CLASSES],
    spec: { kind: 'sonicpi', params: { seed: o.seed, sampleRate: o.sampleRate, clipSeconds: o.clipSeconds, ...p, files: used.map((u) => u.file) } },
    expected: (split) => p.perClass[split] * SONICPI_CLASSES.length,
    async *clips(split: SplitName): AsyncGenerator<Clip> {
      for (let label = 0; label < SONICPI_CLASSES.length; label++) {
        const pool = files(split, label);
        if (pool.length === 0) continue;
        const start = DataRng.derive(o.seed, 'sonicpi', split, label).int(pool.length);
        for (let j = 0; j < p.perClass[split]; j++) {
          const file = pool[(start + j) % pool.length];
          const rng = DataRng.derive(o.seed, 'sonicpi', split, label, j);
          const x = crop(await load(file), n, rng);
          let audio: Audio = randomGain({ sampleRate: o.sampleRate, channels: [x] }, rng, p.gainDb[0], p.gainDb[1]);
          const noise = { sampleRate: o.sampleRate, channels: [Float32Array.from(normalizePower(pink(rng, n), 1))] };
          audio = addNoise(audio, noise, rng.uniform(p.snrDb[0], p.snrDb[1]), rng);
          yield { audio, label, source: `sonicpi/${file}` };
        }
      }
      // NOTE: a split's decoded files are not needed by the next split (files belong to one split).
      decoded.clear();
    },
    skipped: [],
    counters,
    notes,
  };
}
