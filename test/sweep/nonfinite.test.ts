/**
 * Non-finite outputs are never ok: a model whose outputs hold NaN or ±Inf gives `nonfinite` rows
 * naming the output and the count, with agreement_fp32 and max_abs_diff left empty.
 */
import { describe, expect, it } from 'vitest';
import { nonFiniteOutputs } from '../../src/runners/output-diff.ts';
import { runExitCode } from '../../src/sweep/run-lifecycle.ts';
import { prepareModels } from '../../src/sweep/models.ts';
import { runSweep } from '../../src/sweep/sweep.ts';
import { EXIT } from '../../src/errors.ts';
import { editedTinyCnn, fillInitializer, sweepConfig, tempSinks } from './sweep-fixtures.ts';

describe('non-finite outputs', () => {
  it('nonFiniteOutputs counts NaN, +Inf and -Inf per output and ignores finite and integer outputs', () => {
    const f = (...v: number[]) => ({ type: 'float32' as const, data: new Float32Array(v), dims: [v.length] });
    expect(nonFiniteOutputs({ y: f(1, 2, 3), i: { type: 'int32', data: new Int32Array([1]), dims: [1] } })).toBeUndefined();
    expect(nonFiniteOutputs({ y: f(Number.NaN, 1, Number.NaN, Number.POSITIVE_INFINITY), z: f(Number.NEGATIVE_INFINITY, 0) })).toBe(
      "output 'y': 2 NaN, 1 +Inf of 4 values; output 'z': 1 -Inf of 2 values",
    );
    // float16 raw bits: 0x7c00 is +Inf, 0x7e00 NaN, 0x3c00 is 1.
    expect(nonFiniteOutputs({ h: { type: 'float16', data: new Uint16Array([0x3c00, 0x7c00, 0x7e00]), dims: [3] } })).toBe("output 'h': 1 NaN, 1 +Inf of 3 values");
  });

  it('a model with NaN weights and one whose logits overflow to +Inf give nonfinite rows, never ok, and fail --strict', async () => {
    const sinks = tempSinks();
    const nan = editedTinyCnn(sinks.dir, 'nan-weights', (m) => fillInitializer(m, 'conv_w', Number.NaN));
    // fc_b = 3e38 and fc_w = 3e38: Gemm's sum passes float32's max (3.4e38); Softmax removed so the output is the Inf itself.
    const inf = editedTinyCnn(sinks.dir, 'inf-logits', (m) => {
      fillInitializer(m, 'fc_w', 3e38);
      fillInitializer(m, 'fc_b', 3e38);
      const g = m.graph!;
      const softmax = g.node!.findIndex((n) => n.opType === 'Softmax');
      const gemm = g.node!.find((n) => n.opType === 'Gemm')!;
      gemm.output = [g.output![0].name!];
      g.node!.splice(softmax, 1);
    });
    const cfg = sweepConfig([nan, inf]);
    const rows = await runSweep(cfg, prepareModels(cfg), sinks);
    expect(rows).toHaveLength(4);
    for (const r of rows) {
      expect(r.status, `${r.model} b${r.batch}: ${r.error}`).toBe('nonfinite');
      expect(r.agreement_fp32).toBeNull();
      expect(r.max_abs_diff).toBeNull();
    }
    // tiny-cnn has 4 classes: batch 1 gives 4 values, batch 2 gives 8.
    expect(rows.filter((r) => r.model === 'nan-weights').map((r) => r.error)).toEqual(["output 'probs': 4 NaN of 4 values", "output 'probs': 8 NaN of 8 values"]);
    expect(rows.filter((r) => r.model === 'inf-logits').map((r) => r.error)).toEqual(["output 'probs': 4 +Inf of 4 values", "output 'probs': 8 +Inf of 8 values"]);
    expect(runExitCode(rows, true, () => undefined)).toBe(EXIT.rowsFailed);
  });

  it('the unpoisoned model still gives ok rows with agreement 1 and a zero diff', async () => {
    const sinks = tempSinks();
    const cfg = sweepConfig([new URL('../data/tiny-cnn.onnx', import.meta.url).pathname]);
    const rows = await runSweep(cfg, prepareModels(cfg), sinks);
    expect(rows.map((r) => [r.status, r.agreement_fp32, r.max_abs_diff])).toEqual([
      ['ok', 1, 0],
      ['ok', 1, 0],
    ]);
  });
});
