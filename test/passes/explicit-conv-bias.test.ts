/**
 * The zero-bias rewrite changes nothing but summation order, and it is what lets onnxruntime-node's native WebGPU EP run a
 * bias-less Conv (without it, session.run segfaults on ORT 1.30 + SwiftShader).
 */
import { describe, expect, it } from 'vitest';
import { toOnnx } from '../../src/export/onnx.ts';
import { withExplicitConvBias } from '../../src/export/passes/explicit-conv-bias.ts';
import { formatNote } from '../../src/export/passes/pass.ts';
import { ModelBuilder } from '../../src/graph/builder.ts';
import { availableIsolated, runIsolated } from '../../src/runners/isolate.ts';
import { getRunner } from '../../src/runners/runner.ts';
import { makeTensor } from '../../src/runners/tensors.ts';
import { QUICK_TIMING } from '../../src/runners/timing.ts';

function biasLessConv() {
  const b = new ModelBuilder('conv', { seed: 2 });
  const x = b.input('x', ['N', 3, 8, 8]);
  b.output(b.conv(x, { filters: 4, kernel: 3, bias: false, name: 'c' }));
  return b.build();
}

const webgpu = await availableIsolated('webgpu');
const feeds = { x: makeTensor('float32', [2, 3, 8, 8], (i) => Math.sin(i * 0.37)) };

describe('explicit zero biases', () => {
  it('adds one zero bias of the output-channel count to each bias-less Conv, and nothing else', () => {
    const g = biasLessConv();
    const { graph: fixed, notes } = withExplicitConvBias(g);
    expect(notes.map(formatNote)).toEqual([`c (Conv): gets the all-zero bias '${fixed.nodes.find((n) => n.opType === 'Conv')!.inputs[2]}'`]);
    const conv = fixed.nodes.find((n) => n.opType === 'Conv')!;
    expect(conv.inputs).toHaveLength(3);
    const bias = fixed.initializers.find((t) => t.name === conv.inputs[2])!;
    expect(bias.dims).toEqual([4]);
    expect([...bias.data]).toEqual([0, 0, 0, 0]);
    expect(g.nodes.find((n) => n.opType === 'Conv')!.inputs[2] ?? '').toBe(''); // the input graph is untouched
    expect(withExplicitConvBias(fixed)).toEqual({ graph: fixed, notes: [] }); // nothing left to do
    expect(withExplicitConvBias(fixed).graph).toBe(fixed);
  });

  it('leaves a Conv whose output-channel count is symbolic alone, with a note', () => {
    const b = new ModelBuilder('symbolic', { seed: 2 });
    const x = b.input('x', ['N', 3, 8, 8]);
    b.output(b.apply('Conv', [x, b.input('w', ['M', 3, 3, 3])], {}));
    const g = b.build();
    const r = withExplicitConvBias(g);
    expect(r.graph).toBe(g);
    expect(r.notes).toEqual([{ node: g.nodes[0].name, op: 'Conv', kind: 'kept', why: 'its output-channel count is not known, so no bias of that length can be added' }]);
  });

  it('changes outputs on the cpu runtime by a few ulps at most', async () => {
    const run = async (bytes: Uint8Array) => {
      const s = await getRunner('cpu').open(bytes);
      const y = Object.values(await s.run(feeds))[0].data;
      await s.close();
      return y;
    };
    // + 0 is exact, but MLAS's bias path accumulates the 27-term sums in another order
    const a = (await run(toOnnx(withExplicitConvBias(biasLessConv()).graph))) as Float32Array;
    const b = (await run(toOnnx(biasLessConv()))) as Float32Array;
    a.forEach((v, i) => expect(Math.abs(v - b[i])).toBeLessThan(1e-5));
  });

  it.skipIf(!webgpu.ok)('lets the native webgpu runtime run a bias-less Conv (it crashed without)', async () => {
    const [r] = await runIsolated({ runtime: 'webgpu', modelBytes: toOnnx(biasLessConv()), batches: [{ batch: 2, feeds }], open: {}, timing: QUICK_TIMING, timeoutMs: 120_000 });
    expect(r.status, r.error).toBe('ok');
    const s = await getRunner('cpu').open(toOnnx(biasLessConv()));
    const ref = Object.values(await s.run(feeds))[0].data as Float32Array;
    await s.close();
    const y = Object.values(r.outputs!)[0].data as Float32Array;
    // fp32 on a GPU: 27-term dot products, so a few ulps
    y.forEach((v, i) => expect(Math.abs(v - ref[i])).toBeLessThan(1e-5));
  }, 180_000);
});
