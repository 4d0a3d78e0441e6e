import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { modelCost } from '../../src/export/cost.ts';
import { toOnnx } from '../../src/export/onnx.ts';
import { getZooEntry, ZOO } from '../../src/graph/zoo/index.ts';

/** Input of each entry's default preset (see src/features/presets.ts). */
const INPUT: Record<string, [number, number, number]> = { default: [1, 64, 126], 'seed003-mfcc': [1, 13, 51] };

describe.each(ZOO.map((e) => [e.name, e] as const))('zoo %s', (_name, entry) => {
  it('loads and runs in onnxruntime-node with the inferred output shape', async () => {
    const [c, m, t] = INPUT[entry.preset];
    const g = entry.build({ channels: c, mels: m, frames: t, classes: 7, seed: 1 });
    expect(g.inputs[0].shape).toEqual(['N', c, m, entry.anyLength ? 'T' : t]);
    expect(g.outputs[0].shape).toEqual(['N', 7]);
    const s = await ort.InferenceSession.create(toOnnx(g));
    const x = Float32Array.from({ length: 2 * c * m * t }, (_, i) => Math.sin(i * 0.37));
    const out = (await s.run({ mel: new ort.Tensor('float32', x, [2, c, m, t]) }))[s.outputNames[0]];
    expect(out.dims).toEqual([2, 7]);
    const p = out.data as Float32Array;
    for (let r = 0; r < 2; r++) expect(p.slice(r * 7, r * 7 + 7).reduce((a, v) => a + v, 0)).toBeCloseTo(1, 5);
    await s.release();
  });
});

describe('zoo cost', () => {
  it('counts ResNet-18 and ResNet-50 parameters exactly as torchvision does', () => {
    // torchvision: resnet18 11,689,512 and resnet50 25,557,032 params for 3-channel input and 1000 classes.
    // Re-derived for 1 channel and 10 classes: - conv1 (64*3*49) + (64*1*49) - fc(512|2048 * 1000 + 1000) + fc(... * 10 + 10).
    const at = (name: string) => {
      const g = getZooEntry(name).build({ channels: 1, mels: 64, frames: 126, classes: 10 });
      return modelCost(g, toOnnx(g), [1, 1, 64, 126]);
    };
    expect(at('resnet18').params).toBe(11_689_512 - 9408 + 3136 - 513_000 + 5130);
    expect(at('resnet50').params).toBe(25_557_032 - 9408 + 3136 - 2_049_000 + 20_490);
  });

  it('counts ResNet-18 MACs at 3x224x224 within 1% of the published 1.82 GMAC', () => {
    const g = getZooEntry('resnet18').build({ channels: 3, mels: 224, frames: 224, classes: 1000 });
    const macs = modelCost(g, toOnnx(g), [1, 3, 224, 224]).macs;
    expect(Math.abs(macs / 1.8186e9 - 1)).toBeLessThan(0.01);
  });

  it("reproduces seed 003's CNN parameter table on its 13x49 MFCC input", () => {
    // seed 003 lists Conv 160, BN 32, Conv 4,640, BN 64, Linear 6,636,032, Linear 32,832, Linear 910 (14 classes).
    const g = getZooEntry('cnn').build({ channels: 1, mels: 13, frames: 49, classes: 14 });
    expect(modelCost(g, toOnnx(g), [1, 1, 13, 49]).params).toBe(160 + 32 + 4640 + 64 + 6_636_032 + 32_832 + 910);
  });

  it('gives seed 000 model sizes of the paper: ResNet within 2%, RF-1 within 3%, DWS within 25%', () => {
    // Table 2 (KB of the fp32 Keras file): ResNet 503, RF-1 375, DWS-ResNet 78.51, DWS-RF-1 92.01.
    const kb = (name: string) => {
      const g = getZooEntry(name).build({ channels: 1, mels: 64, frames: 126, classes: 3 });
      return (modelCost(g, toOnnx(g), [1, 1, 64, 126]).params * 4) / 1000;
    };
    // ResNet's residual Block is 1x1 then 3x3 (the text): 124.5k params here, 3 classes.
    expect(Math.abs(kb('resnet') / 503 - 1)).toBeLessThan(0.02);
    expect(Math.abs(kb('resnet-rf1') / 375 - 1)).toBeLessThan(0.03);
    expect(kb('dws-resnet') / 78.51).toBeGreaterThan(0.75);
    expect(kb('dws-resnet') / 78.51).toBeLessThan(1.1);
  });

  it('rejects a model whose kernels do not fit its input', () => {
    expect(() => getZooEntry('dcase-baseline').build({ channels: 1, mels: 8, frames: 126, classes: 3 })).toThrow(/larger than its input/);
  });

  it('rejects an unknown model name with the list of names', () => {
    expect(() => getZooEntry('resnet-9000')).toThrow(/unknown model 'resnet-9000'; choose from: .*resnet18/);
  });
});

const PY = '/usr/bin/python3';
const hasOnnxPy = existsSync(PY) && (() => {
  try {
    execFileSync(PY, ['-c', 'import onnx'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!hasOnnxPy)('independent validity (python onnx.checker, full_check)', () => {
  it('accepts every zoo model', () => {
    const dir = mkdtempSync(join(tmpdir(), 'melbench-zoo-'));
    const paths = ZOO.filter((e) => e.name !== 'resnet50' && e.name !== 'cnn').map((e) => {
      const [c, m, t] = INPUT[e.preset];
      const p = join(dir, `${e.name}.onnx`);
      writeFileSync(p, toOnnx(e.build({ channels: c, mels: m, frames: t, classes: 5 })));
      return p;
    });
    const out = execFileSync(PY, ['-c', 'import onnx,sys\nfor p in sys.argv[1:]:\n  onnx.checker.check_model(onnx.load(p), full_check=True)\nprint("ok", len(sys.argv)-1)', ...paths]);
    expect(out.toString().trim()).toBe(`ok ${paths.length}`);
  });
});
