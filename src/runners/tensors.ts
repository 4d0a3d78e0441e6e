/**
 * Conversions between `HostTensor` (plain typed arrays, the harness's currency) and the
 * `Tensor` class of whichever ORT package a runner loaded. Both ORT packages share
 * onnxruntime-common's Tensor shape, so one pair of functions serves all runtimes.
 *
 * Inputs are wrapped without copying, and the wrapper is cached per HostTensor so a timing loop
 * that reuses prebuilt feeds pays nothing per iteration. Outputs are copied out, because ORT-web
 * may hand back views on its WASM heap that the next run overwrites.
 */
import { DTYPES, isHostDType } from '../graph/dtype.ts';
import type { Feeds, HostTensor, TensorType } from './contract.ts';

/** The subset of onnxruntime-common's Tensor the runners use. */
export interface OrtTensorLike {
  readonly type: string;
  readonly data: unknown;
  readonly dims: readonly number[];
  dispose?(): void;
}

export type OrtTensorCtor = new (type: TensorType, data: HostTensor['data'], dims: readonly number[]) => OrtTensorLike;

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** Builds a host tensor of `type` and `dims` filled by `fill(i)`; for test inputs and benchmarks. */
export function makeTensor(type: TensorType, dims: number[], fill: (i: number) => number = () => 0): HostTensor {
  const n = elementCount(dims);
  const data = new DTYPES[type].array(n);
  for (let i = 0; i < n; i++) {
    const v = fill(i);
    (data as unknown as (number | bigint)[])[i] = type === 'int64' ? BigInt(Math.trunc(v)) : v;
  }
  return { type, data, dims };
}

export function toOrtFeeds(ctor: OrtTensorCtor, feeds: Feeds, cache: WeakMap<HostTensor, OrtTensorLike>): Record<string, OrtTensorLike> {
  const out: Record<string, OrtTensorLike> = {};
  for (const [name, t] of Object.entries(feeds)) {
    let ort = cache.get(t);
    if (!ort) {
      ort = new ctor(t.type, t.data, t.dims);
      cache.set(t, ort);
    }
    out[name] = ort;
  }
  return out;
}

export function fromOrtTensor(name: string, t: OrtTensorLike): HostTensor {
  if (!isHostDType(t.type)) throw new Error(`output "${name}" has type ${t.type}, which melbench does not handle`);
  const src = t.data as HostTensor['data'] | { buffer: ArrayBufferLike; byteOffset: number; length: number };
  const copy = new DTYPES[t.type].array(elementCount(t.dims));
  // NOTE: float16 may come back as a Float16Array where the runtime has one; copy its bits, not its values.
  const bits = t.type === 'float16' && !(src instanceof Uint16Array) ? new Uint16Array(src.buffer, src.byteOffset, src.length) : src;
  (copy as { set(a: ArrayLike<number | bigint>): void }).set(bits as ArrayLike<number | bigint>);
  return { type: t.type, data: copy, dims: [...t.dims] };
}

export function fromOrtOutputs(outputs: Record<string, OrtTensorLike>): Record<string, HostTensor> {
  const out: Record<string, HostTensor> = {};
  for (const [name, t] of Object.entries(outputs)) {
    out[name] = fromOrtTensor(name, t);
    t.dispose?.();
  }
  return out;
}
