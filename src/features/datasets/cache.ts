/**
 * The feature cache: `<root>/features/<key>.f32` holds the train, val and test blocks of float32
 * features back to back (little-endian), `<key>.json` the rest (classes, dims, labels, sources,
 * skipped files, counters). key = sha256 of the canonical JSON (object keys sorted) of
 * { dataset spec, preset, extraction parameters, code version }, where the code version is a
 * sha256 over the frontend and dataset sources, so editing either invalidates old entries.
 * Writes go to temporary names and are renamed into place, so a crash never leaves half an entry.
 */
import { packageRoot } from '../../package-root.ts';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { SPLITS, type Counters, type SkippedFile, type SplitFeatures, type SplitName } from './dataset.ts';

export const CACHE_FORMAT = 1;
export const DEFAULT_CACHE_DIR = '.melbench-cache';

/** JSON with object keys sorted at every level, so equal values give equal strings. */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => {
    if (x && typeof x === 'object' && !Array.isArray(x) && !ArrayBuffer.isView(x)) {
      const o = x as Record<string, unknown>;
      return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
    }
    return x;
  });
}

export function sha256(s: string | Uint8Array): string {
  return createHash('sha256').update(s).digest('hex');
}

let version: string | undefined;

/**
 * sha256 over the source files of src/features (this folder included) and src/rng.ts.
 * `onnx-frontend.ts` is left out: it builds the ONNX version of the frontend, which no cached
 * feature is computed with, so editing it must not invalidate the feature cache (and with it
 * every trained run, whose hash includes the features' path).
 */
export function codeVersion(): string {
  if (version) return version;
  const features = join(packageRoot(), 'src', 'features');
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(ts|js|mjs)$/.test(name) && name !== 'onnx-frontend.ts') files.push(p);
    }
  };
  walk(features);
  files.push(join(features, '..', 'rng.ts'));
  const h = createHash('sha256');
  for (const f of files) {
    let text: Buffer;
    try {
      text = readFileSync(f);
    } catch {
      continue;
    }
    h.update(relative(features, f)).update('\0').update(text).update('\0');
  }
  return (version = h.digest('hex'));
}

export function cacheKey(parts: Record<string, unknown>): string {
  return sha256(canonicalJson({ format: CACHE_FORMAT, code: codeVersion(), ...parts }));
}

export interface CacheEntry {
  dataset: string;
  preset: string;
  classes: string[];
  splits: Record<SplitName, SplitFeatures>;
  skipped: SkippedFile[];
  counters: Counters;
  notes: string[];
}

interface Sidecar extends Omit<CacheEntry, 'splits'> {
  format: number;
  key: string;
  splits: Record<SplitName, { n: number; dims: number[]; y: number[]; sources: string[] }>;
}

export function cachePath(root: string, key: string): string {
  return join(root, 'features', key);
}

/** The entry at `path` (without extension), or null when absent, stale or unreadable. */
export async function readCache(path: string): Promise<CacheEntry | null> {
  let side: Sidecar;
  let bin: Buffer;
  try {
    side = JSON.parse(await readFile(`${path}.json`, 'utf8')) as Sidecar;
    bin = await readFile(`${path}.f32`);
  } catch {
    return null;
  }
  if (side.format !== CACHE_FORMAT) return null;
  const sizes = SPLITS.map((s) => side.splits[s].n * side.splits[s].dims.reduce((a, b) => a * b, 1));
  if (bin.byteLength !== 4 * sizes.reduce((a, b) => a + b, 0)) return null;
  // NOTE: copy into a fresh, aligned buffer; Buffer slices may start at any byte offset.
  const all = new Float32Array(bin.byteLength / 4);
  new Uint8Array(all.buffer).set(bin);
  let off = 0;
  const splits = {} as Record<SplitName, SplitFeatures>;
  SPLITS.forEach((s, i) => {
    const m = side.splits[s];
    splits[s] = { x: all.subarray(off, off + sizes[i]), y: Int32Array.from(m.y), dims: m.dims, sources: m.sources };
    off += sizes[i];
  });
  return { dataset: side.dataset, preset: side.preset, classes: side.classes, splits, skipped: side.skipped, counters: side.counters, notes: side.notes };
}

export async function writeCache(path: string, key: string, e: CacheEntry): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const side: Sidecar = {
    format: CACHE_FORMAT,
    key,
    dataset: e.dataset,
    preset: e.preset,
    classes: e.classes,
    skipped: e.skipped,
    counters: e.counters,
    notes: e.notes,
    splits: Object.fromEntries(
      SPLITS.map((s) => [s, { n: e.splits[s].y.length, dims: e.splits[s].dims, y: Array.from(e.splits[s].y), sources: e.splits[s].sources }]),
    ) as Sidecar['splits'],
  };
  const total = SPLITS.reduce((a, s) => a + e.splits[s].x.length, 0);
  const bin = new Float32Array(total);
  let off = 0;
  for (const s of SPLITS) {
    bin.set(e.splits[s].x, off);
    off += e.splits[s].x.length;
  }
  const tmp = `.tmp-${process.pid}-${Date.now()}`;
  // NOTE: the data first, the sidecar last: a reader sees the entry only once both are complete.
  await writeFile(`${path}.f32${tmp}`, new Uint8Array(bin.buffer, bin.byteOffset, bin.byteLength));
  await rename(`${path}.f32${tmp}`, `${path}.f32`);
  await writeFile(`${path}.json${tmp}`, JSON.stringify(side));
  await rename(`${path}.json${tmp}`, `${path}.json`);
}
