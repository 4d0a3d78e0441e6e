/**
 * Agreement that means what it says (src/runners/output-diff.ts): top-1 agreement is tie-aware and
 * only for class scores; close_fraction is numpy.allclose element by element, for every output.
 * On real onnxruntime outputs: a saturated sigmoid map on cpu and wasm agrees (no false flags), and
 * a planted disagreement (one perturbed weight) makes both figures drop.
 */
import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { toOnnx } from '../../src/export/onnx.ts';
import type { Graph, Tensor } from '../../src/graph/ir.ts';
import { closeFraction, DEFAULT_TOLERANCE, notClassScores, outputAgreement, topOneAgreement } from '../../src/runners/output-diff.ts';
import { getRunner, type HostTensor } from '../../src/runners/runner.ts';
import { Rng } from '../../src/rng.ts';
import { melbenchInProcess as melbench } from '../cli/run-in-process.ts';

const f32 = (dims: number[], xs: number[]): HostTensor => ({ type: 'float32', data: Float32Array.from(xs), dims });

describe('tie-aware top-1 agreement and close_fraction', () => {
  it('a flip between scores tied within tolerance agrees; a real flip does not', () => {
    const ref = f32([2, 3], [0.5, 0.5000001, 0.1, 0.9, 0.05, 0.05]);
    const tiedFlip = f32([2, 3], [0.5000002, 0.5, 0.1, 0.9, 0.05, 0.05]);
    const realFlip = f32([2, 3], [0.5, 0.5000001, 0.1, 0.2, 0.7, 0.1]);
    expect(topOneAgreement(tiedFlip, ref)).toBe(1);
    expect(topOneAgreement(realFlip, ref)).toBe(0.5);
    // with no tolerance, the tied flip is a disagreement again
    expect(topOneAgreement(tiedFlip, ref, { atol: 0, rtol: 0 })).toBe(0.5);
  });

  it('agreement is empty for maps, a last dim of 1 and integer outputs, with the reason', () => {
    const map = f32([1, 1, 2, 2], [0, 1, 1, 0]);
    expect(outputAgreement({ y: map }, { y: map })).toEqual({ reason: 'its first output [1, 1, 2, 2] is a map (rank > 2), not class scores' });
    expect(notClassScores(f32([4, 1], [1, 2, 3, 4]))).toBe('its first output [4, 1] has no class axis of 2 or more');
    expect(notClassScores({ type: 'int64', data: new BigInt64Array(4), dims: [2, 2] })).toBe('its first output is int64, not class scores');
    expect(outputAgreement({ y: f32([1, 2], [0, 1]) }, { y: f32([1, 2], [0, 1]) })).toEqual({ agreement: 1 });
  });

  it('close_fraction is numpy.allclose per element, over every output', () => {
    const ref = { a: f32([4], [1, 2, 3, 1000]), b: f32([2], [0, 0]) };
    // |d| <= 1e-4 + 1e-3 |ref|: 1 allows 0.0011 (0.0012 is out), 1000 allows 1.0001, 0 allows 1e-4 (2e-4 is out)
    const out = { a: f32([4], [1.0012, 2.001, 3, 1000.9]), b: f32([2], [5e-5, 2e-4]) };
    expect(closeFraction(out, ref, DEFAULT_TOLERANCE)).toBeCloseTo(4 / 6, 10);
    expect(closeFraction({ a: f32([4], [Number.NaN, 2, 3, 1000]), b: ref.b }, ref)).toBeCloseTo(5 / 6, 10);
  });
});

/** x [1, 1, 16, 16] -> Conv 3x3 (4 filters) -> Relu -> Conv 1x1 (1 filter, large weights) -> Sigmoid: a saturated map [1, 1, 16, 16]. */
function sigmoidMap(perturb = false): Graph {
  const rng = new Rng(11);
  const t = (name: string, dims: number[], scale: number): Tensor => ({ name, dtype: 'float32', dims, data: Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => rng.normal(0, scale)) });
  const w2 = t('w2', [1, 4, 1, 1], 20);
  if (perturb) (w2.data as Float32Array)[0] *= -1;
  return {
    name: 'sigmoid-map',
    inputs: [{ name: 'x', dtype: 'float32', shape: [1, 1, 16, 16] }],
    outputs: [{ name: 'map', dtype: 'float32', shape: [1, 1, 16, 16] }],
    initializers: [t('w1', [4, 1, 3, 3], 1), t('b1', [4], 0.1), w2],
    nodes: [
      { name: 'conv1', opType: 'Conv', domain: '', inputs: ['x', 'w1', 'b1'], outputs: ['h'], attrs: { pads: { kind: 'ints', value: [1, 1, 1, 1] } } },
      { name: 'relu', opType: 'Relu', domain: '', inputs: ['h'], outputs: ['r'], attrs: {} },
      { name: 'conv2', opType: 'Conv', domain: '', inputs: ['r', 'w2'], outputs: ['z'], attrs: {} },
      { name: 'sigmoid', opType: 'Sigmoid', domain: '', inputs: ['z'], outputs: ['map'], attrs: {} },
    ],
    valueInfo: [],
    opset: 17,
    metadata: {},
  };
}

describe('on onnxruntime outputs', () => {
  it('a saturated sigmoid map on cpu and wasm: agreement empty with its reason, close_fraction >= 0.99', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'melbench-agreement-'));
    const model = join(dir, 'sigmoid-map.onnx');
    writeFileSync(model, toOnnx(sigmoidMap()));
    const out = join(dir, 'run.csv');
    const r = await melbench('bench', model, '--runtimes', 'cpu,wasm', '--samples', '5', '--warmup', '1', '--time-ms', '0', '--no-isolate', '--no-report', '-o', out);
    expect(r.code, r.stderr).toBe(0);
    const rows = parse(readFileSync(out, 'utf8'), { columns: true }) as Record<string, string>[];
    const wasm = rows.find((x) => x.runtime === 'wasm')!;
    expect(Number(wasm.max_abs_diff)).toBeLessThan(1e-4);
    expect(wasm.agreement_fp32).toBe('');
    expect(wasm.agreement_note).toMatch(/map \(rank > 2\)/);
    expect(Number(wasm.close_fraction)).toBeGreaterThanOrEqual(0.99);
    expect([wasm.close_atol, wasm.close_rtol]).toEqual(['0.0001', '0.001']);
    expect(r.stdout).toMatch(/~1(\.0+)?\b/);
  }, 60_000);

  it('one perturbed weight: close_fraction and agreement both drop', async () => {
    const cpu = getRunner('cpu');
    const rng = new Rng(3);
    const x: HostTensor = { type: 'float32', data: Float32Array.from({ length: 256 }, () => rng.normal(0, 1)), dims: [1, 1, 16, 16] };
    const run = async (g: Graph) => {
      const s = await cpu.open(toOnnx(g));
      try {
        return await s.run({ x });
      } finally {
        await s.close();
      }
    };
    const ref = await run(sigmoidMap());
    const bad = await run(sigmoidMap(true));
    expect(closeFraction(ref, ref)).toBe(1);
    const close = closeFraction(bad, ref);
    expect(close).toBeLessThan(0.9);
    // the same map read as 16 rows of 16 "classes": agreement drops too
    const rows = (t: HostTensor): HostTensor => ({ ...t, dims: [16, 16] });
    expect(topOneAgreement(rows(ref.map), rows(ref.map))).toBe(1);
    expect(topOneAgreement(rows(bad.map), rows(ref.map))).toBeLessThan(0.9);
  });
});
