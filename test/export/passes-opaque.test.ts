/**
 * Passes on imported models (issue 12): every pass runs on the fixtures of
 * test/fixtures/onnx-models.ts, which hold ops melbench does not model (If and Loop with
 * outer-scope reads, LSTM, GRU with state, Constant, a com.microsoft op), free dims, an int64
 * input and external data. A pass must never throw on them for an op it does not know, never
 * corrupt the model (the result loads and runs in onnxruntime-node with the same output names and
 * dims), and name the nodes it left alone. Passes that change no value (fold BN with no BN to fold,
 * magnitude pruning's note-only refusals) give bit-identical outputs; precision passes give close ones.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { fromOnnxFile, toOnnx } from '../../src/export/onnx.ts';
import { toFloat16 } from '../../src/export/passes/float16.ts';
import { foldBatchNorm } from '../../src/export/passes/fold-bn.ts';
import { formatNote, type PassResult } from '../../src/export/passes/pass.ts';
import { pruneChannels } from '../../src/export/passes/prune-channels.ts';
import { pruneMagnitude } from '../../src/export/passes/prune-magnitude.ts';
import { quantizeDynamic } from '../../src/export/passes/quantize-dynamic.ts';
import { quantizeStatic } from '../../src/export/passes/quantize-static.ts';
import { findOp } from '../../src/graph/ops/index.ts';
import type { Graph } from '../../src/graph/ir.ts';
import { calibrationRanges, collectActivations } from '../../src/train/calibrate.ts';
import { fixtureFeeds, onnxFixtures, type OnnxFixture, writeFixture } from '../fixtures/onnx-models.ts';

const dir = mkdtempSync(join(tmpdir(), 'melbench-passes-opaque-'));
const outcomes: string[] = [];

function feedsOf(f: OnnxFixture): Record<string, ort.Tensor> {
  return Object.fromEntries(fixtureFeeds(f).map((x) => [x.name, new ort.Tensor(x.dtype, x.data, x.dims)]));
}

async function run(model: Uint8Array | string, feeds: Record<string, ort.Tensor>): Promise<ort.InferenceSession.OnnxValueMapType> {
  // NOTE: a path for the original, so that its external data is found beside it.
  const s = await ort.InferenceSession.create(model as Uint8Array);
  try {
    return await s.run(feeds);
  } finally {
    await s.release();
  }
}

/** Names of the nodes (top level) whose op melbench does not model. */
const opaqueNodes = (g: Graph) => g.nodes.filter((n) => !findOp(n.opType, n.domain)).map((n) => n.name);

const PASSES: Record<string, (g: Graph) => PassResult> = {
  'fold-bn': (g) => foldBatchNorm(g),
  'magnitude-0.5': (g) => pruneMagnitude(g, { sparsity: 0.5, scope: 'global' }),
  'channels-l1-0.5': (g) => pruneChannels(g, { ratio: 0.5, criterion: 'l1' }),
  fp16: (g) => toFloat16(g),
  dynamic: (g) => quantizeDynamic(g),
};

describe('passes on imported models with opaque ops and unknown types', () => {
  for (const f of onnxFixtures()) {
    it(`${f.name}: every pass keeps a model that onnxruntime runs, and names what it skipped`, async () => {
      const path = writeFixture(dir, f);
      const graph = fromOnnxFile(path);
      const opaque = opaqueNodes(graph);
      const feeds = feedsOf(f);
      const ref = await run(path, feeds);
      for (const [name, pass] of Object.entries(PASSES)) {
        let r: PassResult;
        try {
          r = pass(graph);
        } catch (e) {
          // A refusal of the whole model is allowed only as a user-facing reason, never a crash on an op.
          expect((e as Error).name, `${f.name} ${name}: ${(e as Error).message}`).toBe('UserError');
          outcomes.push(`${f.name} ${name}: refused: ${(e as Error).message}`);
          continue;
        }
        const out = await run(toOnnx(r.graph), feeds);
        outcomes.push(`${f.name} ${name}: ran`);
        for (const o of f.outputs) {
          expect(out[o.name]?.dims, `${f.name} ${name}: output ${o.name}`).toEqual(o.dims);
          const a = out[o.name].data as ArrayLike<number>;
          const b = ref[o.name].data as ArrayLike<number>;
          if (name === 'fold-bn' && !r.notes.some((n) => n.kind === 'changed')) expect(Array.from(a), `${f.name} ${name}`).toEqual(Array.from(b));
          for (let i = 0; i < a.length; i++) expect(Number.isFinite(Number(a[i])) || !Number.isFinite(Number(b[i])), `${f.name} ${name}: ${o.name}[${i}]`).toBe(true);
        }
        if (name === 'fp16') {
          // Every opaque node with a float input or output is named in a note, kept in float32.
          const lines = r.notes.map(formatNote);
          for (const n of opaque) {
            const node = graph.nodes.find((x) => x.name === n)!;
            if (node.opType === 'Constant') continue;
            expect(lines.some((l) => l.startsWith(`${n} (`)), `${f.name} fp16 names ${n}: ${lines.join(' | ')}`).toBe(true);
          }
        }
      }
    }, 60_000);
  }

  it('static QDQ on the channels-last CNN calibrates around the Transpose and stays within 8-bit error of fp32', async () => {
    const f = onnxFixtures().find((x) => x.name === 'channels-last-cnn')!;
    const graph = fromOnnxFile(writeFixture(dir, f));
    const [x] = fixtureFeeds(f);
    const ranges = calibrationRanges(await collectActivations(graph, x.data as Float32Array, x.dims.slice(1)), 'minmax');
    const r = quantizeStatic(graph, ranges, { allowUntrained: true });
    const feeds = feedsOf(f);
    const [ref, out] = [await run(f.bytes, feeds), await run(toOnnx(r.graph), feeds)];
    const name = f.outputs[0].name;
    const a = out[name].data as Float32Array;
    const b = ref[name].data as Float32Array;
    const scale = Math.max(...Array.from(b, Math.abs));
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(0.1 * scale);
  }, 60_000);
});

describe('what each pass did', () => {
  it('fold BN, channel pruning and float16 run on every fixture; refusals are whole-model reasons only', () => {
    const names = onnxFixtures().map((f) => f.name);
    expect(names.length).toBeGreaterThanOrEqual(11);
    for (const f of names) for (const p of ['fold-bn', 'channels-l1-0.5', 'fp16']) expect(outcomes, `${f} ${p}`).toContain(`${f} ${p}: ran`);
    // Dynamic quantization runs wherever there is a float MatMul or Conv with a constant weight.
    for (const f of ['channels-last-cnn', 'dynamic-batch-seq', 'external-data', 'silero-like-vad']) expect(outcomes).toContain(`${f} dynamic: ran`);
    for (const line of outcomes.filter((o) => o.includes('refused'))) expect(line).toMatch(/has no (float32 Conv or Gemm weights to prune|Conv, Gemm or MatMul node to quantize dynamically)$/);
  });
});
