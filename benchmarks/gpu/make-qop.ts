/**
 * Writes the QOperator int8 model of test/runners/profile-bench.test.ts (conv/pool/residual/dense,
 * static min-max calibration on seeded data) for benchmarks/gpu/run.sh: on WebGPU its integer
 * kernels fall back to the CPU provider, which the profile must show node by node.
 *
 *   npx tsx benchmarks/gpu/make-qop.ts [out.onnx]
 */
import { writeFileSync } from 'node:fs';
import { toOnnx } from '../../src/export/onnx.ts';
import { quantizeStatic } from '../../src/export/passes/quantize-static.ts';
import { ModelBuilder } from '../../src/graph/builder.ts';
import { Rng } from '../../src/rng.ts';
import { calibrationRanges, collectActivations } from '../../src/train/calibrate.ts';
const DIMS = [1, 64, 126];
const b = new ModelBuilder('qop', { seed: 3 });
const x = b.input('mel', ['N', ...DIMS]);
const h = b.maxPool(b.relu(b.conv(x, { filters: 8, kernel: 3, stride: 2, name: 'conv1' })), { kernel: 2 });
const s = b.add(h, b.relu(b.conv(h, { filters: 8, kernel: 3, name: 'conv2' })), 'skip');
b.output(b.softmax(b.dense(b.flatten(b.globalAvgPool(s)), 5, { name: 'logits' }), { name: 'probs' }));
const g = b.build();
const rng = new Rng(7);
const per = DIMS.reduce((a, d) => a * d, 1);
const stats = await collectActivations(g, Float32Array.from({ length: 8 * per }, () => rng.normal() * 10 - 40), DIMS);
writeFileSync(process.argv[2] ?? '.gpu/qop.onnx', toOnnx(quantizeStatic(g, calibrationRanges(stats, 'minmax'), { allowUntrained: true, format: 'qoperator' }).graph));
