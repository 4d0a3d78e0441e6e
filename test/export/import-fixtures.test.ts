/**
 * Issue #12, "Done when 1": a round trip through the IR (fromOnnx -> toOnnx) gives bit-identical
 * onnxruntime-node outputs and the same node count, for every test model of
 * test/fixtures/onnx-models.ts (If/Loop with outer-scope reads, LSTM, GRU, Constant, channels-last
 * Conv, dynamic batch and sequence, int64 scalar, recurrent state, com.microsoft, external data)
 * and every zoo model (there, byte-identical bytes).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { fromOnnx, fromOnnxFile, toOnnx } from '../../src/export/onnx.ts';
import { ZOO } from '../../src/graph/zoo/index.ts';
import { fixtureFeeds, onnxFixtures, writeFixture } from '../fixtures/onnx-models.ts';
import { countNodes, expectSameOutputs } from './import-helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'melbench-import-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('round trip of the test models', () => {
  it.each(onnxFixtures().map((f) => [f.name, f] as const))('%s: same outputs bit for bit, same node count', async (_, f) => {
    const path = writeFixture(dir, f);
    const back = toOnnx(fromOnnxFile(path));
    expect(countNodes(back)).toBe(countNodes(f.bytes));
    const feeds = Object.fromEntries(fixtureFeeds(f, 3).map((x) => [x.name, new ort.Tensor(x.dtype, x.data, x.dims)]));
    // external data: ORT resolves it from the path; the round trip has it inline.
    await expectSameOutputs(f.files ? path : f.bytes, back, feeds);
  });

  it('keeps each model a fixed point: importing the export again exports the same bytes', () => {
    for (const f of onnxFixtures()) {
      const once = toOnnx(fromOnnxFile(writeFixture(dir, f)));
      expect(toOnnx(fromOnnx(once, f.name)), f.name).toEqual(once);
    }
  });
});

describe('round trip of the zoo', () => {
  it.each(ZOO.map((e) => e.name))('%s: byte-identical', (name) => {
    const entry = ZOO.find((e) => e.name === name)!;
    // NOTE: 'cnn' (the seed-003 CNN) has a dense layer over the whole map: its natural 13x49 MFCC input keeps it small.
    const g = entry.build(name === 'cnn' ? { channels: 1, mels: 13, frames: 49, classes: 5, seed: 2 } : { channels: 1, mels: 64, frames: 126, classes: 5, seed: 2 });
    const bytes = toOnnx(g);
    const back = toOnnx(fromOnnx(bytes, name));
    // NOTE: Buffer.equals, not toEqual: vitest compares typed arrays element by element (minutes for resnet50's 94 MB).
    expect(back.length).toBe(bytes.length);
    expect(Buffer.from(back).equals(Buffer.from(bytes))).toBe(true);
  });
});
