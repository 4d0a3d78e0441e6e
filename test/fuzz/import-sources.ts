/**
 * The valid models the import fuzz mutates: every bring-your-own-model fixture
 * (test/fixtures/onnx-models.ts), test/data/tiny-cnn.onnx, four zoo architectures exported at a
 * small input (1 x 32 x 32, 4 classes, so they stay small and the fuzz fast), the compression
 * passes' outputs on one of them (fp16, dynamic int8, static QDQ and QOperator: Cast,
 * DynamicQuantizeLinear, MatMulInteger, QuantizeLinear, QLinearConv...), and the ONNX frontend (its smallest preset, MFCC).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { toOnnx } from '../../src/export/onnx.ts';
import { toFloat16 } from '../../src/export/passes/float16.ts';
import { foldBatchNorm } from '../../src/export/passes/fold-bn.ts';
import { quantizeDynamic } from '../../src/export/passes/quantize-dynamic.ts';
import { quantizeStatic } from '../../src/export/passes/quantize-static.ts';
import { buildFrontendGraph } from '../../src/features/onnx-frontend.ts';
import { PRESETS } from '../../src/features/presets.ts';
import { getZooEntry } from '../../src/graph/zoo/index.ts';
import { syntheticRanges } from '../export/golden-bytes.ts';
import { onnxFixtures } from '../fixtures/onnx-models.ts';

const ZOO_MODELS = ['dcase-baseline', 'dws-resnet', 'bir-resnet', 'newcnn'];

/** All sources, or with `fixturesOnly` just the fixtures (fast to build: for testing the fuzz harness). */
export function importFuzzSources(fixturesOnly = false): { name: string; bytes: Uint8Array }[] {
  const out = onnxFixtures().map((f) => ({ name: f.name, bytes: f.bytes }));
  if (fixturesOnly) return out;
  out.push({ name: 'tiny-cnn', bytes: new Uint8Array(readFileSync(fileURLToPath(new URL('../data/tiny-cnn.onnx', import.meta.url)))) });
  const zoo = new Map(ZOO_MODELS.map((name) => [name, getZooEntry(name).build({ channels: 1, mels: 32, frames: 32, classes: 4, seed: 1 })]));
  for (const [name, g] of zoo) out.push({ name, bytes: toOnnx(g) });
  const g = zoo.get('dws-resnet')!;
  const folded = foldBatchNorm(g).graph;
  const ranges = syntheticRanges(folded);
  out.push(
    { name: 'dws-resnet/fp16', bytes: toOnnx(toFloat16(g).graph) },
    { name: 'dws-resnet/dynamic', bytes: toOnnx(quantizeDynamic(g).graph) },
    { name: 'dws-resnet/qdq', bytes: toOnnx(quantizeStatic(folded, ranges, { allowUntrained: true }).graph) },
    { name: 'dws-resnet/qoperator', bytes: toOnnx(quantizeStatic(folded, ranges, { allowUntrained: true, format: 'qoperator' }).graph) },
    { name: 'frontend-mfcc', bytes: toOnnx(buildFrontendGraph(PRESETS['seed003-mfcc'])) },
  );
  return out;
}
