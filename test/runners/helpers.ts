/**
 * Shared fixtures for the runner tests: the tiny CNN (see test/data/make_tiny_cnn.py) and a
 * deterministic input for it.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { HostTensor } from '../../src/runners/runner.ts';
import { makeTensor } from '../../src/runners/tensors.ts';

export const TINY_CNN = new Uint8Array(readFileSync(fileURLToPath(new URL('../data/tiny-cnn.onnx', import.meta.url))));
export const NOT_ONNX = new Uint8Array(readFileSync(fileURLToPath(new URL('../data/not-onnx.onnx', import.meta.url))));

export function tinyInput(batch: number): HostTensor {
  return makeTensor('float32', [batch, 1, 16, 20], (i) => Math.sin(i * 0.37) * 2);
}

/** Max |a - b| over all elements, relative to max |b|. */
export function relMaxDiff(a: HostTensor, b: HostTensor): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.data.length; i++) {
    diff = Math.max(diff, Math.abs(Number(a.data[i]) - Number(b.data[i])));
    scale = Math.max(scale, Math.abs(Number(b.data[i])));
  }
  return diff / scale;
}
