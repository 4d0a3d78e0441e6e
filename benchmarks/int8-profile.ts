/**
 * Where the time of a quantized model goes: ORT's per-node profile of the trained model's fp32
 * graph and of its static int8 variants on cpu, batch 1, summed by op type (mean µs per run),
 * then per convolution. It shows which Q/DQ pairs ORT fused (QLinearConv, QLinearAdd,
 * NhwcMaxPool...) and how long each integer kernel takes against its float counterpart: on AVX2
 * the 1-input-channel stem is the one convolution that int8 makes slower. Profiling adds its own
 * cost: read the split between ops, and take ratios from benchmarks/compression-latency.ts.
 *
 *   npx tsx benchmarks/int8-profile.ts [--model resnet] [--threads 1] [--runs 30]
 */
import { Command } from 'commander';
import { buildVariant, trainedBase } from '../src/ablate/build-variant.ts';
import { staticQuant, type VariantSpec } from '../src/ablate/variants.ts';
import { positiveInt } from '../src/commands/options.ts';
import { toOnnx } from '../src/export/onnx.ts';
import { getRunner } from '../src/runners/runner.ts';
import { clipBatch } from '../src/sweep/inputs.ts';
import { encode, modelIo } from '../src/sweep/io-codec.ts';
import { loadTrainingData } from '../src/train/run.ts';

const VARIANTS: VariantSpec[] = [
  { kind: 'fold-bn' },
  staticQuant({ calibration: 'minmax' }),
  staticQuant({ calibration: 'minmax', format: 'qoperator' }),
  staticQuant({ calibration: 'minmax', activations: 'int8' }),
];

async function main(): Promise<void> {
  const o = new Command('int8-profile')
    .option('--model <name>', 'zoo model', 'resnet')
    .option('--threads <n>', 'cpu intra-op threads', positiveInt('--threads'), 1)
    .option('--runs <n>', 'profiled runs per variant', positiveInt('--runs'), 30)
    .parse()
    .opts<{ model: string; threads: number; runs: number }>();

  const data = await loadTrainingData({ dataset: 'alerts', preset: 'default', datasetSeed: 0 });
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const base = await trainedBase(o.model, data, { dataset: 'alerts', preset: 'default', log });
  const clip = clipBatch(data.splits.test.x, data.splits.test.dims, 1);

  for (const v of VARIANTS) {
    const built = await buildVariant(base, v, { calibrationClips: 256, fineTuneLr: 0.05, seed: 1, exclude: [], log });
    const session = await getRunner('cpu').open(toOnnx(built.graph), { threads: o.threads, profile: true });
    const feeds = { [session.inputNames[0]]: encode(clip, modelIo(built.graph).input) };
    for (let i = 0; i < o.runs; i++) await session.run(feeds);
    const nodes = await session.profile();
    await session.close();
    const byOp = new Map<string, number>();
    for (const n of nodes) byOp.set(n.opType, (byOp.get(n.opType) ?? 0) + n.meanUs);
    const total = [...byOp.values()].reduce((a, b) => a + b, 0);
    const parts = [...byOp].sort((a, b) => b[1] - a[1]).map(([op, us]) => `${op} ${us.toFixed(0)}`);
    process.stdout.write(`${built.name.padEnd(22)} total ${total.toFixed(0)} µs: ${parts.join(', ')}\n`);
    // Per convolution, in graph order: ORT renames fused nodes (stem/relu_nchwc, stem/conv_token_1), but the scope stays.
    const convs = nodes.filter((n) => /Conv/.test(n.opType)).map((n) => `${n.name} ${n.meanUs.toFixed(0)}`);
    process.stdout.write(`${''.padEnd(22)} convolutions: ${convs.join(', ')}\n`);
  }
}

main().catch((e) => {
  process.stderr.write(`int8-profile: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
