/**
 * Shared fixtures for the sweep tests: a sweep config that times little, sinks that write to a
 * temporary folder, and tiny-cnn variants with poisoned weights.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { CsvReport } from '../../src/report/csv.ts';
import { SamplesLog } from '../../src/report/samples.ts';
import type { SweepConfig, SweepSinks } from '../../src/sweep/sweep.ts';
import { TINY_CNN } from '../runners/helpers.ts';

/** [C, M, T] features that fit tiny-cnn's [N, 1, 16, 20] input. */
export const TINY_FEATURES = { data: Float32Array.from({ length: 16 * 20 }, (_, i) => Math.sin(i * 0.37) * 2), dims: [1, 16, 20] };

const FEW = { warmupIterations: 0, warmupTimeMs: 0, minSamples: 2, minTimeMs: 0 };

export function sweepConfig(models: string[], extra: Partial<SweepConfig> = {}): SweepConfig {
  return {
    runId: 'test',
    suite: 'test',
    models,
    runtimes: ['cpu'],
    batches: [1, 2],
    classes: 4,
    seed: 1,
    threads: 1,
    timing: FEW,
    softwareTiming: FEW,
    timeoutMs: 60_000,
    isolate: false,
    features: TINY_FEATURES,
    ...extra,
  };
}

export function tempSinks(): SweepSinks & { dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'melbench-sweep-'));
  const csv = new CsvReport(join(dir, 'run.csv')).open();
  return { dir, csv, samples: new SamplesLog(join(dir, 'run.samples.jsonl')) };
}

type ModelProto = ReturnType<typeof onnxProto.onnx.ModelProto.decode>;

/** Writes tiny-cnn, changed by `edit`, as `<dir>/<name>.onnx` and returns its path. */
export function editedTinyCnn(dir: string, name: string, edit: (m: ModelProto) => void): string {
  const m = onnxProto.onnx.ModelProto.decode(TINY_CNN);
  edit(m);
  const path = join(dir, `${name}.onnx`);
  writeFileSync(path, onnxProto.onnx.ModelProto.encode(m).finish());
  return path;
}

/** Sets every value of initializer `name` (stored as float_data) to `v`. */
export function fillInitializer(m: ModelProto, name: string, v: number): void {
  const t = m.graph!.initializer!.find((i) => i.name === name)!;
  t.floatData = t.floatData!.map(() => v);
}
