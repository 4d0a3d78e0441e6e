/**
 * Issue 12, done-when 3: static int8 of an imported channels-last CNN keeps argmax agreement
 * >= 99% with fp32 on inputs disjoint from calibration.
 *
 * The model is a classifier trained in the test and written as a user's channels-last file
 * (channels-last-fixture.ts: NHWC input, Transpose into NCHW convolutions, BN unfolded, no
 * metadata). One folder of .npy samples feeds both sides: 300 'a' files calibrate, and the last
 * quarter by name, exactly the 100 'b' files of another seed, evaluates. Both static formats (QDQ
 * and QOperator) go through `compressFile`, what `melbench quantize` runs.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compressFile } from '../../src/ablate/compress-file.ts';
import { staticQuant } from '../../src/ablate/variants.ts';
import { toOnnx } from '../../src/export/onnx.ts';
import { getRunner } from '../../src/runners/runner.ts';
import { argmaxRows } from '../../src/train/metrics.ts';
import { makeChannelsLastCnn } from './channels-last-fixture.ts';

describe('static int8 of an imported channels-last CNN (issue 12, done-when 3)', () => {
  it('keeps argmax agreement >= 99% with fp32 on 100 held-out samples, QDQ and QOperator', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'melbench-nhwc-'));
    const { graph: trained, model, samples, held } = await makeChannelsLastCnn(dir);
    expect(trained.inputs[0].shape).toEqual(['N', 16, 'T', 1]); // frames free: the samples fix them
    expect(trained.metadata).toEqual({}); // nothing says "trained": it is a file like any other

    // The fp32 file has learned the task (chance 0.25): its argmax has margins to keep.
    const s = await getRunner('cpu').open(toOnnx(trained));
    const out = await s.run({ mel_nhwc: { type: 'float32', data: held.x, dims: [100, 16, 16, 1] } });
    await s.close();
    const ref = argmaxRows(out.probs.data as Float32Array, 4);
    expect(ref.filter((c, i) => c === held.y[i]).length / 100).toBeGreaterThanOrEqual(0.9);

    for (const format of ['qdq', 'qoperator'] as const) {
      const log: string[] = [];
      const r = await compressFile({ command: 'quantize',
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
