/**
 * The ONNX bytes melbench emits for a fixed set of builds, as sha256 hashes: every zoo model as
 * exported, every compression pass applied to untrained zoo models (with synthetic, deterministic
 * quantization ranges), and the training-step graphs. Refactors must leave them byte-identical:
 * `test/export/golden-bytes.test.ts` compares them with `golden-bytes.json`, which
 * `npx tsx test/export/golden-bytes.ts --write` recorded before the seams refactor (issue 10).
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { toOnnx } from '../../src/export/onnx.ts';
import { buildFrontendGraph } from '../../src/features/onnx-frontend.ts';
import { PRESETS } from '../../src/features/presets.ts';
import { toFloat16 } from '../../src/export/passes/float16.ts';
import { foldBatchNorm } from '../../src/export/passes/fold-bn.ts';
import { pruneChannels } from '../../src/export/passes/prune-channels.ts';
import { pruneMagnitude } from '../../src/export/passes/prune-magnitude.ts';
import type { Range } from '../../src/export/passes/quant-params.ts';
import { quantizeDynamic } from '../../src/export/passes/quantize-dynamic.ts';
import { quantizeStatic } from '../../src/export/passes/quantize-static.ts';
import { inferShapes } from '../../src/graph/infer.ts';
import { type Graph, valueTypes } from '../../src/graph/ir.ts';
import { prepareModel } from '../../src/sweep/models.ts';
import { ZOO } from '../../src/graph/zoo/index.ts';
import { buildTrainingGraph } from '../../src/train/training-graph.ts';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex').slice(0, 16);

/** A range per float value, from a hash of its name: deterministic and different per value. */
export function syntheticRanges(g: Graph): Map<string, Range> {
  const m = new Map<string, Range>();
  for (const [name, t] of valueTypes(inferShapes(g))) {
    if (t.dtype !== 'float32') continue;
    const h = createHash('sha256').update(name).digest()[0];
    m.set(name, { min: -(0.5 + (h % 7) / 4), max: 1 + (h % 5) / 3 });
  }
  return m;
}

const PASS_MODELS = ['resnet', 'dws-resnet', 'bir-resnet', 'bupt-resnet', 'dcase-baseline', 'newcnn'];
const TRAIN_MODELS = ['resnet', 'dcase-baseline', 'bir-resnet'];

export function goldenHashes(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of ZOO) {
    const m = prepareModel({ spec: e.name, classes: 10, seed: 1 });
    out[`export/${e.name}`] = sha(m.bytes);
  }
  for (const name of PASS_MODELS) {
    const g = prepareModel({ spec: name, classes: 10, seed: 1 }).graph;
    const put = (k: string, r: { graph: Graph }) => (out[`pass/${name}/${k}`] = sha(toOnnx(r.graph)));
    put('fold-bn', foldBatchNorm(g));
    put('magnitude-global-0.5', pruneMagnitude(g, { sparsity: 0.5, scope: 'global' }));
    put('magnitude-layer-0.3', pruneMagnitude(g, { sparsity: 0.3, scope: 'layer' }));
    for (const criterion of ['l1', 'bn-gamma'] as const) {
      try {
        put(`channels-${criterion}-0.5`, pruneChannels(g, { ratio: 0.5, criterion }));
      } catch (e) {
        out[`pass/${name}/channels-${criterion}-0.5`] = `error: ${(e as Error).message}`;
      }
    }
    put('fp16', toFloat16(g));
    put('fp16-io16', toFloat16(g, { keepIo: false }));
    put('dynamic', quantizeDynamic(g));
    put('dynamic-pt-int8', quantizeDynamic(g, { perChannel: false, weightType: 'int8' }));
    const folded = foldBatchNorm(g).graph;
    const ranges = syntheticRanges(folded);
    const base = { allowUntrained: true };
    put('qdq-u8s8-pc', quantizeStatic(folded, ranges, base));
    put('qdq-s8s8-pt', quantizeStatic(folded, ranges, { ...base, activations: 'int8', weights: 'per-tensor' }));
    put('qdq-sym-8bit', quantizeStatic(folded, ranges, { ...base, symmetric: true, reduceRange: false }));
    put('qop-u8s8-pc', quantizeStatic(folded, ranges, { ...base, format: 'qoperator' }));
    put('qop-s8s8-pc', quantizeStatic(folded, ranges, { ...base, format: 'qoperator', activations: 'int8' }));
    put('full-int', quantizeStatic(folded, ranges, { ...base, fullInt: true }));
    put('full-int-naive', quantizeStatic(folded, ranges, { ...base, fullInt: true, naiveInputScale: true }));
  }
  const SGD = { kind: 'sgd' as const, momentum: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-4 };
  for (const name of TRAIN_MODELS) {
    const m = prepareModel({ spec: name, classes: 10, seed: 1 });
    const input = m.features.dims;
    out[`train/${name}/sgd`] = sha(toOnnx(buildTrainingGraph(m.graph, { batch: 4, input, optimizer: SGD, l1Gamma: 0 }).graph));
    out[`train/${name}/adamw-l1`] = sha(toOnnx(buildTrainingGraph(m.graph, { batch: 4, input, optimizer: { ...SGD, kind: 'adamw' }, l1Gamma: 1e-4 }).graph));
  }
  for (const p of Object.values(PRESETS)) out[`frontend/${p.name}`] = sha(toOnnx(buildFrontendGraph(p)));
  return out;
}

if (process.argv.includes('--write')) {
  const h = goldenHashes();
  writeFileSync(new URL('./golden-bytes.json', import.meta.url), `${JSON.stringify(h, null, 1)}\n`);
  console.log(`${Object.keys(h).length} hashes written`);
}
