/**
 * Issue 12, done-when 3: static int8 of an imported channels-last CNN keeps argmax agreement
 * >= 99% with fp32 on inputs disjoint from calibration.
 *
 * The model is a classifier trained in the test (the zoo ResNet on small synthetic features, as in
 * test/passes/quantize-static.test.ts), exported as a user would get it from a channels-last
 * framework: its input is NHWC [N, 16, 16, 1] and a Transpose (perm 0,3,1,2) feeds the NCHW
 * convolutions; BatchNormalization is left unfolded. It is written to disk and read back as a file.
 * Calibration and evaluation come from one folder of .npy samples: 300 training clips calibrate
 * ('a-*.npy'), the last quarter by name, 100 clips of another seed ('b-*.npy'), evaluates. Both
 * static formats (QDQ and QOperator) go through `compressFile`, what `melbench quantize` runs.
 */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compressFile } from '../../src/ablate/compress-file.ts';
import { staticQuant } from '../../src/ablate/variants.ts';
import { toOnnx } from '../../src/export/onnx.ts';
import { encodeNpy } from '../../src/features/npy.ts';
import { inferShapes } from '../../src/graph/infer.ts';
import type { Graph } from '../../src/graph/ir.ts';
import { getZooEntry } from '../../src/graph/zoo/index.ts';
import { getRunner } from '../../src/runners/runner.ts';
import { fineTune } from '../../src/train/finetune.ts';
import { argmaxRows } from '../../src/train/metrics.ts';
import { syntheticFeatures } from '../passes/synthetic-features.ts';

/** `g` with an NHWC input read through Transpose(perm 0,3,1,2) into its NCHW input. */
export function channelsLast(g: Graph): Graph {
  const x = g.inputs[0];
  const [n, c, h, w] = x.shape;
  const nhwc = `${x.name}_nhwc`;
  return inferShapes({
    ...g,
    inputs: [{ name: nhwc, dtype: 'float32', shape: [n, h, w, c] }],
    nodes: [{ name: 'to_nchw', opType: 'Transpose', domain: '', inputs: [nhwc], outputs: [x.name], attrs: { perm: { kind: 'ints', value: [0, 3, 1, 2] } } }, ...g.nodes],
    valueInfo: [],
    metadata: {},
  });
}

/** [1, H, W] clips as [H, W, 1]: with one channel the bytes are the same, only the shape changes. */
function writeSamples(dir: string, prefix: string, x: Float32Array, count: number): void {
  for (let i = 0; i < count; i++) writeFileSync(join(dir, `${prefix}-${String(i).padStart(3, '0')}.npy`), encodeNpy({ data: x.slice(i * 256, (i + 1) * 256), dims: [16, 16, 1] }));
}

describe('static int8 of an imported channels-last CNN (issue 12, done-when 3)', () => {
  it('keeps argmax agreement >= 99% with fp32 on 100 held-out samples, QDQ and QOperator', async () => {
    const data = syntheticFeatures(16, 4, 5);
    const untrained = getZooEntry('resnet').build({ channels: 1, mels: 16, frames: 16, classes: 4, seed: 2 });
    const trained = channelsLast((await fineTune(untrained, data, { epochs: 6, lr: 0.01, seed: 1, batch: 8 })).graph);
    expect(trained.inputs[0].shape).toEqual(['N', 16, 'T', 1]); // frames free: the samples fix them
    expect(trained.metadata).toEqual({}); // nothing says "trained": it is a file like any other

    const dir = mkdtempSync(join(tmpdir(), 'melbench-nhwc-'));
    const model = join(dir, 'nhwc-cnn.onnx');
    writeFileSync(model, toOnnx(trained));
    const samples = join(dir, 'samples');
    mkdirSync(samples);
    const cal = syntheticFeatures(75, 4, 5).splits.train; // 300 clips, the training distribution
    const held = syntheticFeatures(25, 4, 9).splits.train; // 100 clips of another seed
    writeSamples(samples, 'a', cal.x, 300);
    writeSamples(samples, 'b', held.x, 100);

    // The fp32 file has learned the task (chance 0.25): its argmax has margins to keep.
    const s = await getRunner('cpu').open(toOnnx(trained));
    const out = await s.run({ mel_nhwc: { type: 'float32', data: held.x, dims: [100, 16, 16, 1] } });
    await s.close();
    const ref = argmaxRows(out.probs.data as Float32Array, 4);
    expect(ref.filter((c, i) => c === held.y[i]).length / 100).toBeGreaterThanOrEqual(0.9);

    for (const format of ['qdq', 'qoperator'] as const) {
      const log: string[] = [];
      const r = await compressFile({
        model,
        out: join(dir, `nhwc-${format}.onnx`),
        spec: staticQuant({ calibration: 'minmax', format }),
        samples,
        needsCalibration: true,
        sampleOptions: { calibCount: 300, evalCount: 64, seed: 1, preset: 'default' },
        build: { fineTuneLr: 0, seed: 1, exclude: [], log: (l) => log.push(l) },
      });
      // Disjoint by construction: the last quarter by name is exactly the 100 'b' files.
      expect(r.samples!.calibration.n).toBe(300);
      expect(r.samples!.evaluation.n).toBe(100);
      expect(r.samples!.evaluation.x).toEqual(held.x);
      expect(r.fidelity!.inputs).toBe(100);
      expect(r.fidelity!.agreement, `${format}: ${JSON.stringify(r.fidelity)}`).toBeGreaterThanOrEqual(0.99);
      // Softmax stays float32, and the pass says so.
      expect(log).toContain(`nhwc-cnn ${r.built.name}: left alone: probs (Softmax): no quantized form`);
      expect(r.after.bytes / r.before.bytes).toBeLessThan(0.4);
    }
  }, 240_000);
});
