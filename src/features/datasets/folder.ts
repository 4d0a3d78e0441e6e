/**
 * `folder:<path>`: the user's own recordings, in one of two layouts.
 *
 * - A directory with one sub-folder per class (Speech Commands): classes are the sub-folder names,
 *   sorted; `_background_noise_` and hidden folders are not classes. If the directory holds
 *   Speech Commands' `validation_list.txt` / `testing_list.txt`, they fix the val and test splits.
 * - A CSV manifest `filename,label[,fold]` (ESC-50 / UrbanSound8K style), given as the .csv path or
 *   as a directory holding `manifest.csv`. With a header row, columns are found by name (filename |
 *   file | path | slice_file_name; label | category | class; fold; source | src_file | fsid);
 *   without one, by position. Files are looked up relative to the manifest, then in `audio/`,
 *   `../audio/` and `../audio/fold<k>/` beside it (the ESC-50 and UrbanSound8K trees). Classes are
 *   `--classes` if given, else `classes.txt` beside the manifest (one per line), else the sorted labels.
 *
 * Splits come from folds when every row has one (test = the highest fold, val = the next one when
 * there are 3 or more folds, else a seeded stratified 15 % of the train folds), otherwise from the
 * seeded stratified split grouped by source (split.ts). The source of a file is the manifest's
 * source column, else the speaker in Speech Commands names (`<speaker>_nohash_<n>.wav`), else the
 * file itself. Each file is decoded, checked, resampled to the preset's rate (counted) or rejected
 * under --strict-rate, and cut into clip windows (framing.ts; stride 0.8 x clip, seed 001's
 * 1.6 s / 2 s), so a long recording gives several clips of one source.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { EXIT, UserError } from '../../errors.ts';
import { checkAudio, readAudioFile } from '../decode.ts';
import { frameAudio, type Remainder } from '../framing.ts';
import type { Preset } from '../presets.ts';
import { resampleForDataset } from './rate.ts';
import type { Audio } from '../types.ts';
import type { BadFiles } from './bad-files.ts';
import { SPLITS, type Clip, type Counters, type Dataset, type SplitName } from './dataset.ts';
import { DEFAULT_FRACTIONS, splitByFold, splitBySource, type SplitFractions } from './split.ts';

/** Extensions listed as audio in class folders; the decoder names the unsupported ones. */
export const AUDIO_EXTENSIONS = ['.wav', '.wave', '.flac', '.mp3', '.ogg', '.oga', '.opus', '.m4a', '.aac', '.aif', '.aiff', '.wma', '.webm'];
const NOT_CLASSES = new Set(['_background_noise_']);

export interface FolderParams {
  /** Class list; labels outside it are bad rows. */
  classes?: string[];
  fractions: SplitFractions;
  /** Window stride as a fraction of the clip length (seed 001: 1.6 s / 2 s). */
  strideRatio: number;
  remainder: Remainder;
  testFold?: number;
  valFold?: number;
}

export const DEFAULT_FOLDER: FolderParams = { fractions: DEFAULT_FRACTIONS, strideRatio: 0.8, remainder: 'pad' };

export interface FolderOptions {
  path: string;
  seed: number;
  sampleRate: number;
  clipSeconds: number;
  preset: Preset;
  bad: BadFiles;
  strictRate: boolean;
  params?: Partial<FolderParams>;
}

interface Entry {
  /** Absolute path. */
  file: string;
  /** Path as shown to the user. */
  shown: string;
  label: number;
  source: string;
  fold?: number;
  split?: SplitName;
}

/**
 * Decodes `file`, checks it, and brings it to `preset.sampleRate` (counting `resampled`), or
 * throws the AudioError / UserError that says what is wrong with it.
 */
export async function readClipAudio(file: string, preset: Preset, strictRate: boolean, counters: Counters): Promise<Audio> {
  let audio = await readAudioFile(file);
  checkAudio(audio, file);
  if (audio.sampleRate !== preset.sampleRate) {
    if (strictRate) {
      throw new UserError(`${file}: sample rate ${audio.sampleRate} Hz, preset '${preset.name}' needs ${preset.sampleRate} Hz (--strict-rate)`, EXIT.badInput);
    }
    audio = await resampleForDataset(audio, preset.sampleRate);
    counters.resampled = (counters.resampled ?? 0) + 1;
  }
  return fitChannels(audio, preset);
}

/** Mixes down to mono when the file's channel count is neither 1 nor the preset's fixed count. */
export function fitChannels(audio: Audio, preset: Preset): Audio {
  const k = audio.channels.length;
  if (typeof preset.channels !== 'number' || k === 1 || k === preset.channels) return audio;
  const n = audio.channels[0].length;
  const mono = new Float32Array(n);
  for (const ch of audio.channels) for (let i = 0; i < n; i++) mono[i] += ch[i] / k;
  return { sampleRate: audio.sampleRate, channels: [mono] };
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function speaker(name: string): string | undefined {
  const m = /^(.+?)_nohash_/.exec(basename(name));
  return m ? m[1] : undefined;
}

function listClassFolders(root: string, bad: BadFiles, notes: string[], counters: Counters): { classes: string[]; entries: Entry[] } {
  const dirs = readdirSync(root)
    .filter((d) => !d.startsWith('.') && isDir(join(root, d)))
    .sort();
  const skippedDirs = dirs.filter((d) => NOT_CLASSES.has(d));
  if (skippedDirs.length) notes.push(`folder: ${skippedDirs.join(', ')} is not a class and was left out`);
  const classes: string[] = [];
  const entries: Entry[] = [];
  for (const d of dirs.filter((x) => !NOT_CLASSES.has(x))) {
    const files = readdirSync(join(root, d))
      .filter((f) => !f.startsWith('.') && !isDir(join(root, d, f)))
      .sort();
    const audio = files.filter((f) => AUDIO_EXTENSIONS.includes(extname(f).toLowerCase()));
    if (files.length > audio.length) counters.ignoredNonAudio = (counters.ignoredNonAudio ?? 0) + files.length - audio.length;
    if (audio.length === 0) {
      bad.report(join(root, d) + '/', `class folder '${d}' has no audio files`);
      continue;
    }
    const label = classes.push(d) - 1;
    for (const f of audio) {
      const rel = `${d}/${f}`;
      entries.push({ file: resolve(root, d, f), shown: join(root, d, f), label, source: speaker(f) ? `${d}/${speaker(f)}` : rel });
    }
  }
  // NOTE: Speech Commands' official lists name files as '<class>/<file>'.
  const lists: [SplitName, string][] = [
    ['val', 'validation_list.txt'],
    ['test', 'testing_list.txt'],
  ];
  const listed = lists.filter(([, f]) => existsSync(join(root, f)));
  if (listed.length) {
    const splitOf = new Map<string, SplitName>();
    for (const [split, f] of listed) {
      for (const line of readFileSync(join(root, f), 'utf8').split(/\r?\n/)) if (line.trim()) splitOf.set(line.trim(), split);
    }
    for (const e of entries) e.split = splitOf.get(relative(root, e.file).split('\\').join('/')) ?? 'train';
    notes.push(`folder: splits from ${listed.map(([, f]) => f).join(' and ')}`);
  }
  return { classes, entries };
}

const COLS = {
  file: ['filename', 'file', 'path', 'slice_file_name', 'file_name'],
  label: ['label', 'category', 'class', 'classname', 'class_name'],
  fold: ['fold'],
  source: ['source', 'src_file', 'fsid', 'group', 'speaker'],
};

function readManifest(csvPath: string, params: FolderParams, bad: BadFiles, notes: string[]): { classes: string[]; entries: Entry[] } {
  const dir = dirname(csvPath);
  let rows: string[][];
  try {
    rows = parse(readFileSync(csvPath, 'utf8'), { relax_column_count: true, skip_empty_lines: true, trim: true, bom: true }) as string[][];
  } catch (e) {
    const err = e as { message: string; code?: string; lines?: number };
    if (err.code === 'ENOENT') throw new UserError(`${csvPath}: no such manifest`, EXIT.badInput);
    // NOTE: a manifest that cannot be parsed at all is fatal under either policy: nothing in it can be trusted.
    throw new UserError(`${csvPath}: malformed CSV${err.lines ? ` at line ${err.lines}` : ''}: ${err.message.split('\n')[0]}`, EXIT.badInput);
  }
  if (rows.length === 0) throw new UserError(`${csvPath}: the manifest is empty`, EXIT.badInput);
  const head = rows[0].map((c) => c.toLowerCase());
  const find = (names: string[]) => head.findIndex((c) => names.includes(c));
  const hasHeader = find(COLS.file) >= 0;
  const col = hasHeader
    ? { file: find(COLS.file), label: find(COLS.label), fold: find(COLS.fold), source: find(COLS.source) }
    : { file: 0, label: 1, fold: 2, source: -1 };
  if (hasHeader && col.label < 0) {
    throw new UserError(`${csvPath}: header has no label column (one of ${COLS.label.join(', ')}); columns are ${rows[0].join(', ')}`, EXIT.badInput);
  }
  const width = hasHeader ? rows[0].length : undefined;
  const body = rows.slice(hasHeader ? 1 : 0);
  const first = hasHeader ? 2 : 1;
  const classesTxt = join(dir, 'classes.txt');
  const given =
    params.classes ??
    (existsSync(classesTxt)
      ? readFileSync(classesTxt, 'utf8')
          .split(/\r?\n/)
          .map((l) => l.trim())
          .filter(Boolean)
      : undefined);
  if (given && !params.classes) notes.push(`folder: classes from ${classesTxt}`);
  const rowsOk: { line: number; file: string; label: string; fold?: number; source?: string }[] = [];
  body.forEach((r, i) => {
    const line = first + i;
    const where = `${csvPath} row ${line}`;
    if (width !== undefined ? r.length !== width : r.length < 2 || r.length > 3) {
      bad.report(where, `expected ${width ?? '2 or 3'} columns (filename,label[,fold]), got ${r.length}`);
      return;
    }
    const file = r[col.file];
    const label = r[col.label];
    if (!file) return bad.report(where, `column ${hasHeader ? `'${rows[0][col.file]}'` : 1} (filename) is empty`);
    if (!label) return bad.report(where, `column ${hasHeader ? `'${rows[0][col.label]}'` : 2} (label) is empty`);
    let fold: number | undefined;
    if (col.fold >= 0 && r[col.fold] !== undefined && r[col.fold] !== '') {
      fold = Number(r[col.fold]);
      if (!Number.isInteger(fold)) return bad.report(where, `column ${hasHeader ? `'${rows[0][col.fold]}'` : 3} (fold) is '${r[col.fold]}', not an integer`);
    }
    rowsOk.push({ line, file, label, fold, source: col.source >= 0 ? r[col.source] : undefined });
  });
  const classes = given ?? [...new Set(rowsOk.map((r) => r.label))].sort();
  const index = new Map(classes.map((c, i) => [c, i]));
  const entries: Entry[] = [];
  for (const r of rowsOk) {
    const where = `${csvPath} row ${r.line}`;
    const label = index.get(r.label);
    if (label === undefined) {
      const list = classes.length > 8 ? `${classes.slice(0, 8).join(', ')}, ...` : classes.join(', ');
      bad.report(where, `label '${r.label}' is not one of the ${classes.length} classes (${list})`);
      continue;
    }
    const candidates = [join(dir, r.file), join(dir, 'audio', r.file), join(dir, '..', 'audio', r.file)];
    if (r.fold !== undefined) candidates.push(join(dir, '..', 'audio', `fold${r.fold}`, r.file));
    const found = candidates.find((c) => existsSync(c) && !isDir(c));
    if (!found) {
      bad.report(where, `file '${r.file}' not found (looked in ${[dir, join(dir, 'audio'), join(dir, '..', 'audio')].join(', ')})`);
      continue;
    }
    const source = r.source ? `${r.label}/${r.source}` : speaker(r.file) ?? r.file;
    entries.push({ file: resolve(found), shown: found, label, source, fold: r.fold });
  }
  return { classes, entries };
}

/** The split of every entry (mutates `entries`). */
function assignSplits(entries: Entry[], seed: number, p: FolderParams, notes: string[]): void {
  if (entries.length === 0 || entries.every((e) => e.split)) return;
  const folds = [...new Set(entries.map((e) => e.fold))];
  if (folds.every((f) => f !== undefined) && folds.length >= 2) {
    const sorted = (folds as number[]).sort((a, b) => a - b);
    const testFold = p.testFold ?? sorted[sorted.length - 1];
    const valFold = p.valFold ?? (sorted.length >= 3 ? sorted[sorted.length - 2] : undefined);
    for (const e of entries) e.split = splitByFold(e.fold!, testFold, valFold);
    if (valFold === undefined) {
      const train = entries.filter((e) => e.split === 'train');
      const bySource = splitBySource(train, seed, { val: p.fractions.val / (1 - p.fractions.test), test: 0 });
      for (const e of train) e.split = bySource.get(e.source)!;
    }
    notes.push(`folder: test = fold ${testFold}, val = ${valFold !== undefined ? `fold ${valFold}` : 'a stratified share of the train folds'}`);
    return;
  }
  const bySource = splitBySource(entries, seed, p.fractions);
  for (const e of entries) e.split = bySource.get(e.source)!;
}

export async function folderDataset(o: FolderOptions): Promise<Dataset> {
  const p: FolderParams = { ...DEFAULT_FOLDER, ...o.params };
  if (!existsSync(o.path)) throw new UserError(`folder:${o.path}: no such file or directory`, EXIT.badInput);
  const notes: string[] = [];
  const counters: Counters = {};
  let csv: string | undefined;
  if (!isDir(o.path)) {
    if (extname(o.path).toLowerCase() !== '.csv') throw new UserError(`folder:${o.path}: expected a directory or a .csv manifest`, EXIT.usage);
    csv = o.path;
  } else if (existsSync(join(o.path, 'manifest.csv'))) csv = join(o.path, 'manifest.csv');
  const { classes, entries } = csv ? readManifest(csv, p, o.bad, notes) : listClassFolders(o.path, o.bad, notes, counters);
  if (classes.length < 2) {
    throw new UserError(`folder:${o.path}: found ${classes.length} class${classes.length === 1 ? '' : 'es'} with audio; a classifier needs at least 2`, EXIT.badInput);
  }
  assignSplits(entries, o.seed, p, notes);
  const bySplit = Object.fromEntries(SPLITS.map((s) => [s, entries.filter((e) => e.split === s)])) as Record<SplitName, Entry[]>;
  const framing = { windowSeconds: o.clipSeconds, strideSeconds: o.clipSeconds * p.strideRatio, remainder: p.remainder };
  return {
    name: `folder:${o.path}`,
    classes,
    spec: {
      kind: 'folder',
      params: {
        ...p,
        classes,
        // NOTE: size and mtime stand in for content: a changed file gives a new cache key.
        files: entries.map((e) => {
          const st = statSync(e.file);
          return [relative(o.path, e.file), e.label, e.split, st.size, st.mtimeMs];
        }),
        sampleRate: o.sampleRate,
        clipSeconds: o.clipSeconds,
      },
    },
    expected: (split) => bySplit[split].length,
    async *clips(split: SplitName): AsyncGenerator<Clip> {
      for (const e of bySplit[split]) {
        let audio: Audio;
        try {
          audio = await readClipAudio(e.shown, o.preset, o.strictRate, counters);
        } catch (err) {
          o.bad.error(e.shown, err);
          continue;
        }
        for (const w of frameAudio(audio, framing)) yield { audio: w, label: e.label, source: e.source, fold: e.fold };
      }
    },
    skipped: o.bad.skipped,
    counters,
    notes,
  };
}
