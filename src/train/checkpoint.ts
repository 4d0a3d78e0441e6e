/**
 * Training runs in `.melbench-cache/train/<config hash>/`:
 *   progress.json + state.f32   after every epoch: history, step count, and every carried tensor
 *                               (current and best), so an interrupted run resumes where it stopped
 *   model.onnx + model.json     when the run ends: the best epoch's inference graph and its sidecar
 *                               (config, seed, metrics, epochs, wall time)
 * The hash covers everything that changes the result: model and its architecture, dataset and its feature cache key,
 * preset, every training option and the seed. Benchmarks reuse a finished run by the same hash.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT, UserError } from '../errors.ts';
import type { EpochRecord, TrainState } from './trainer.ts';

export const TRAIN_CACHE = join('.melbench-cache', 'train');

export function runHash(config: unknown): string {
  return createHash('sha256').update(JSON.stringify(config)).digest('hex').slice(0, 16);
}

export function runDir(hash: string, root = TRAIN_CACHE): string {
  return join(root, hash);
}

interface Progress {
  epochsDone: number;
  steps: number;
  bestEpoch: number;
  bestValF1: number;
  history: EpochRecord[];
  tensors: { name: string; which: 'state' | 'best'; length: number }[];
}

/** Writes atomically: a kill mid-write leaves the previous epoch's files intact. */
function writeAtomic(path: string, data: string | Uint8Array): void {
  writeFileSync(`${path}.tmp`, data);
  renameSync(`${path}.tmp`, path);
}

export function saveProgress(dir: string, s: TrainState): void {
  mkdirSync(dir, { recursive: true });
  const tensors: Progress['tensors'] = [];
  const chunks: Float32Array[] = [];
  for (const which of ['state', 'best'] as const) {
    for (const [name, data] of s[which]) {
      tensors.push({ name, which, length: data.length });
      chunks.push(data);
    }
  }
  const total = chunks.reduce((a, c) => a + c.length, 0);
  const flat = new Float32Array(total);
  let off = 0;
  for (const c of chunks) {
    flat.set(c, off);
    off += c.length;
  }
  writeAtomic(join(dir, 'state.f32'), new Uint8Array(flat.buffer));
  const progress: Progress = { epochsDone: s.epochsDone, steps: s.steps, bestEpoch: s.bestEpoch, bestValF1: s.bestValF1, history: s.history, tensors };
  writeAtomic(join(dir, 'progress.json'), JSON.stringify(progress));
}

export function loadProgress(dir: string): TrainState | undefined {
  const pj = join(dir, 'progress.json');
  if (!existsSync(pj)) return undefined;
  try {
    const p = JSON.parse(readFileSync(pj, 'utf8')) as Progress;
    const raw = readFileSync(join(dir, 'state.f32'));
    const flat = new Float32Array(new Uint8Array(raw).buffer);
    const state = new Map<string, Float32Array>();
    const best = new Map<string, Float32Array>();
    let off = 0;
    for (const t of p.tensors) {
      (t.which === 'state' ? state : best).set(t.name, flat.slice(off, off + t.length));
      off += t.length;
    }
    if (off !== flat.length) throw new Error(`state.f32 holds ${flat.length} values, progress.json lists ${off}`);
    return { epochsDone: p.epochsDone, steps: p.steps, bestEpoch: p.bestEpoch, bestValF1: p.bestValF1, history: p.history, state, best };
  } catch (e) {
    throw new UserError(`cannot resume the training run in ${dir}: ${(e as Error).message}; delete that folder to start over`, EXIT.badInput);
  }
}

export function saveModel(dir: string, onnx: Uint8Array, sidecar: object): void {
  mkdirSync(dir, { recursive: true });
  writeAtomic(join(dir, 'model.onnx'), onnx);
  writeAtomic(join(dir, 'model.json'), JSON.stringify(sidecar, null, 2));
}

export function finishedModel(dir: string): { onnx: Uint8Array; sidecar: Record<string, unknown> } | undefined {
  const p = join(dir, 'model.onnx');
  if (!existsSync(p) || !existsSync(join(dir, 'model.json'))) return undefined;
  return { onnx: readFileSync(p), sidecar: JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) };
}
