import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { EXIT, UserError } from '../../src/errors.ts';
import { fromOnnx, PRODUCER_NAME, toOnnx, withoutEmptyTrailingInputs } from '../../src/export/onnx.ts';
import { tinyCnnWithEmptyBias } from '../runners/helpers.ts';
import { ModelBuilder } from '../../src/graph/builder.ts';
import { getZooEntry } from '../../src/graph/zoo/index.ts';

function smallModel() {
  const b = new ModelBuilder('small', { seed: 7 });
  b.metadata.zoo = 'test';
  const x = b.input('mel', ['N', 2, 16, 'T']);
  let h = b.relu6(b.batchNorm(b.conv(x, { filters: 4, kernel: 3, stride: [1, 2] })));
  h = b.leakyRelu(b.conv(h, { filters: 4, kernel: 3, groups: 4 }), 0.2);
  h = b.add(h, b.maxPool(h, { kernel: 3, stride: 1, pad: 1 }));
  b.output(b.softmax(b.dense(b.flatten(b.globalAvgPool(h)), 3), { name: 'probs' }));
  return b.build();
}

describe('ONNX round trip', () => {
  it('preserves nodes, attributes, initializers, shapes and metadata', () => {
    const g = smallModel();
    const bytes = toOnnx(g);
    const back = fromOnnx(bytes, 'small.onnx');
    expect(back).toEqual(g);
    expect(toOnnx(back)).toEqual(bytes);
  });

  it('writes opset 17, IR 8, the producer and symbolic dims that onnxruntime accepts', async () => {
    const bytes = toOnnx(smallModel());
    const s = await ort.InferenceSession.create(bytes);
    expect(s.inputNames).toEqual(['mel']);
    expect(s.outputNames).toEqual(['probs']);
    const x = new ort.Tensor('float32', new Float32Array(3 * 2 * 16 * 11).map((_, i) => Math.cos(i)), [3, 2, 16, 11]);
    const out = (await s.run({ mel: x })).probs;
    expect(out.dims).toEqual([3, 3]);
    const p = out.data as Float32Array;
    for (let r = 0; r < 3; r++) expect(p[r * 3] + p[r * 3 + 1] + p[r * 3 + 2]).toBeCloseTo(1, 5);
    expect(new TextDecoder().decode(bytes)).toContain(PRODUCER_NAME);
  });

  it('round-trips a zoo model byte for byte', () => {
    const g = getZooEntry('bir-resnet').build({ channels: 1, mels: 64, frames: 126, classes: 10, seed: 3 });
    const bytes = toOnnx(g);
    expect(toOnnx(fromOnnx(bytes))).toEqual(bytes);
  });

  it('rejects bytes that are not ONNX with one line naming the file', () => {
    const junk = new TextEncoder().encode('this is not a model at all\n');
    let err: unknown;
    try {
      fromOnnx(junk, 'junk.onnx');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).exitCode).toBe(EXIT.badInput);
    expect((err as UserError).message).toMatch(/^junk\.onnx is not an ONNX model/);
    expect((err as UserError).message).not.toContain('\n');
  });

  it('rejects an empty file and a truncated model', () => {
    expect(() => fromOnnx(new Uint8Array(), 'empty.onnx')).toThrow(/empty\.onnx is not an ONNX model/);
    const bytes = toOnnx(smallModel());
    expect(() => fromOnnx(bytes.slice(0, bytes.length >> 1), 'cut.onnx')).toThrow(/cut\.onnx/);
  });

  it('imports a model written by the reference onnx package (fixture from python)', () => {
    const path = new URL('../data/tiny-cnn.onnx', import.meta.url);
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(path);
    } catch {
      return; // fixture is added by the runners' tests; the round-trip tests above stand alone
    }
    const g = fromOnnx(bytes, 'tiny-cnn.onnx');
    expect(g.nodes.length).toBeGreaterThan(0);
    expect(g.outputs[0].shape.length).toBe(2);
  });
});

describe('withoutEmptyTrailingInputs', () => {
  it("drops trailing '' inputs, and hands back the same bytes when there are none", () => {
    const withEmpty = tinyCnnWithEmptyBias();
    const trimmed = withoutEmptyTrailingInputs(withEmpty);
    expect(trimmed.length).toBeLessThan(withEmpty.length);
    expect(fromOnnx(trimmed).nodes.find((n) => n.opType === 'Conv')!.inputs).toEqual(['x', 'conv_w']);
    expect(withoutEmptyTrailingInputs(trimmed)).toBe(trimmed);
    const notOnnx = new Uint8Array([1, 2, 3]);
    expect(withoutEmptyTrailingInputs(notOnnx)).toBe(notOnnx);
  });
});

describe('deterministic initialisation', () => {
  it('gives the same bytes for the same seed and different weights for another', () => {
    const build = (seed: number) => toOnnx(getZooEntry('resnet-rf1').build({ channels: 1, mels: 32, frames: 40, classes: 4, seed }));
    const a = build(11);
    expect(build(11)).toEqual(a);
    expect(build(12)).not.toEqual(a);
    expect(build(12).length).toBe(a.length);
  });

  it('draws He-normal conv weights with std sqrt(2 / fan_in)', () => {
    const g = getZooEntry('resnet').build({ channels: 1, mels: 64, frames: 126, classes: 10, seed: 5 });
    const w = g.initializers.find((t) => t.name === 'stage1/conv3x3/conv.weight')!; // [64, 64, 3, 3]: fan_in 576
    const x = w.data as Float32Array;
    const mean = x.reduce((s, v) => s + v, 0) / x.length;
    const std = Math.sqrt(x.reduce((s, v) => s + (v - mean) ** 2, 0) / x.length);
    // 36,864 draws: the sample std is within 2% of sqrt(2/576) with overwhelming probability (se ≈ 0.37%).
    expect(Math.abs(std / Math.sqrt(2 / 576) - 1)).toBeLessThan(0.02);
    expect(Math.abs(mean)).toBeLessThan(0.003);
  });
});
