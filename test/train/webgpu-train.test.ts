/**
 * The training-step graph on the native webgpu runtime (`--train-runtime webgpu`): the same steps
 * give the same losses as on cpu, and a model with MaxPool is refused up front, because ORT's
 * WebGPU provider has no MaxPool Indices output. On SwiftShader this is a correctness check.
 */
import { describe, expect, it } from 'vitest';
import { ModelBuilder } from '../../src/graph/builder.ts';
import { Rng } from '../../src/rng.ts';
import { availableIsolated } from '../../src/runners/isolate.ts';
import type { RuntimeName } from '../../src/runners/runner.ts';
import { TrainSession } from '../../src/train/session.ts';

const INPUT = [1, 8, 10];
const BATCH = 4;
const CLASSES = 3;
const OPTIMIZER = { kind: 'sgd' as const, momentum: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-4 };

function tiny(maxPool: boolean) {
  const b = new ModelBuilder('tiny', { seed: 5 });
  let h = b.relu(b.batchNorm(b.conv(b.input('mel', ['N', ...INPUT]), { filters: 4, kernel: 3, bias: false })));
  if (maxPool) h = b.maxPool(h, { kernel: 2 });
  b.output(b.softmax(b.dense(b.flatten(b.globalAvgPool(h)), CLASSES), { name: 'probs' }));
  return b.build();
}

async function losses(runtime: RuntimeName): Promise<number[]> {
  const s = await TrainSession.create(tiny(false), { batch: BATCH, input: INPUT, optimizer: OPTIMIZER, l1Gamma: 0, runtime });
  const rng = new Rng(9);
  const x = Float32Array.from({ length: BATCH * 80 }, () => rng.normal());
  const labels = new Float32Array(BATCH * CLASSES);
  for (let i = 0; i < BATCH; i++) labels[i * CLASSES + (i % CLASSES)] = 1;
  const out: number[] = [];
  try {
    for (let step = 0; step < 3; step++) {
      out.push(await s.step(x, labels, new Float32Array(BATCH).fill(1), 0.1));
    }
  } finally {
    await s.close();
  }
  return out;
}

const webgpu = await availableIsolated('webgpu');

describe('training on webgpu', () => {
  it('refuses a model with MaxPool before any work, naming the node and the way out', async () => {
    await expect(TrainSession.create(tiny(true), { batch: BATCH, input: INPUT, optimizer: OPTIMIZER, l1Gamma: 0, runtime: 'webgpu' })).rejects.toThrow(
      /--train-runtime webgpu is unavailable for 'tiny': .*no MaxPool Indices output.*MaxPool '.+'.*train on cpu/,
    );
  });

  it.skipIf(!webgpu.ok)('takes the same steps as cpu', async () => {
    const cpu = await losses('cpu');
    const gpu = await losses('webgpu');
    expect(cpu[2]).toBeLessThan(cpu[0]);
    // fp32 on both; sums in another order: 1e-4 relative after 3 steps leaves room and catches a wrong gradient (1e-2)
    gpu.forEach((l, i) => expect(Math.abs(l - cpu[i])).toBeLessThan(1e-4 * Math.abs(cpu[i])));
  }, 300_000);
});
