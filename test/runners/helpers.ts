/**
 * Shared fixtures for the runner tests: the tiny CNN (see test/data/make_tiny_cnn.py) and a
 * deterministic input for it.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import onnxProto from 'onnx-proto';
import type { HostTensor } from '../../src/runners/runner.ts';
import { makeTensor } from '../../src/runners/tensors.ts';

export const TINY_CNN = new Uint8Array(readFileSync(fileURLToPath(new URL('../data/tiny-cnn.onnx', import.meta.url))));
export const NOT_ONNX = new Uint8Array(readFileSync(fileURLToPath(new URL('../data/not-onnx.onnx', import.meta.url))));

/**
 * The tiny CNN with its Conv bias named '' (absent, as older exporters write it): a model that
 * ORT-web 1.30's WebGPU Conv fails on unless the runner drops the empty name.
 */
export function tinyCnnWithEmptyBias(): Uint8Array {
  const { onnx } = onnxProto;
  const m = onnx.ModelProto.decode(TINY_CNN);
  const conv = m.graph!.node!.find((n) => n.opType === 'Conv')!;
  conv.input = [conv.input![0], conv.input![1], ''];
  return onnx.ModelProto.encode(m).finish();
}

export function tinyInput(batch: number): HostTensor {
  return makeTensor('float32', [batch, 1, 16, 20], (i) => Math.sin(i * 0.37) * 2);
}

/** Max |a - b| over all elements, relative to max |b|. */
type Values = HostTensor | ArrayLike<number>;
const valuesOf = (t: Values): ArrayLike<number | bigint> => ('data' in t ? t.data : t);

/** max |a - b| / max |b|, over tensors or plain arrays. */
export function relMaxDiff(a: Values, b: Values): number {
  const x = valuesOf(a);
  const y = valuesOf(b);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < y.length; i++) {
    diff = Math.max(diff, Math.abs(Number(x[i]) - Number(y[i])));
    scale = Math.max(scale, Math.abs(Number(y[i])));
  }
  return diff / scale;
}
