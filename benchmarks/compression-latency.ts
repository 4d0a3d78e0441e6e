/**
 * Latency of compressed variants against their fp32 model, batch 1, measured side by side: every
 * variant's session is open at once and rounds interleave them (fp32, QDQ, QOperator, ...,
 * fp32, QDQ, ...), so drift on a shared machine hits all alike. Each ratio is the median of the
 * per-round ratios variant/fp32 (p50 of `--samples` runs each).
 *
 * Targets (issue #5): 50% channel-pruned <= 0.65x fp32; static int8 at least as fast as ONNX
 * Runtime's own Python quantize_static on the same kind of model, which gave on this machine's
 * kind (2-core AVX2, ORT 1.30 cpu, batch 1): QDQ u8s8 0.59x, QDQ s8s8 0.94x, QOperator u8s8 0.61x,
 * QOperator s8s8 3.97x, dynamic 1.28x, QDQ u8s8 in WASM 0.46x.
 *
 *   npx tsx benchmarks/compression-latency.ts [--model resnet] [--rounds 15] [--samples 20] [--threads 1]
 *
 * The base model is trained on `alerts` with `melbench train`'s defaults (or taken from the run
 * cache), the 50%-pruned one fine-tuned for 20 epochs at lr 0.05 (cached beside it), as `melbench ablate` does.
 */
import Table from 'cli-table3';
import { Command } from 'commander';
import { buildVariant, trainedBase } from '../src/ablate/build-variant.ts';
import { staticQuant, type VariantSpec } from '../src/ablate/variants.ts';
import { positiveInt } from '../src/commands/options.ts';
import { toOnnx } from '../src/export/onnx.ts';
import { getRunner, type RuntimeName, type Session } from '../src/runners/runner.ts';
import { quantile } from '../src/runners/timing.ts';
import { encode, modelIo } from '../src/sweep/io-codec.ts';
import { clipBatch } from '../src/sweep/inputs.ts';
import { loadTrainingData } from '../src/train/run.ts';

/** ORT's Python quantize_static figures quoted in issue #5, for the same rows. */
const ORT_PYTHON: Record<string, number> = {
  'qdq-u8s8-pc-minmax@cpu': 0.59,
  'qdq-u8s8-pt-minmax@cpu': 0.59,
  'qdq-s8s8-pc-minmax@cpu': 0.94,
  'qop-u8s8-pc-minmax@cpu': 0.61,
  'qop-s8s8-pc-minmax@cpu': 3.97,
  'dynamic@cpu': 1.28,
  'qdq-u8s8-pc-minmax@wasm': 0.46,
};
const PRUNED = 'channels-l1-0.5-ft20';
const PRUNED_TARGET = 0.65;

const CPU_VARIANTS: VariantSpec[] = [
  // every quantized variant starts from the BN-folded graph: this row shows what folding alone does
  { kind: 'fold-bn' },
  staticQuant({ calibration: 'minmax' }),
  // ORT's quantize_static defaults to per-tensor weights: the like-for-like row for its figures
  staticQuant({ calibration: 'minmax', perChannel: false }),
  staticQuant({ calibration: 'minmax', activations: 'int8' }),
  staticQuant({ calibration: 'minmax', format: 'qoperator' }),
  staticQuant({ calibration: 'minmax', format: 'qoperator', activations: 'int8' }),
  { kind: 'dynamic' },
  { kind: 'fp16', keepIo: true },
  { kind: 'channels', criterion: 'l1', ratio: 0.5, fineTuneEpochs: 20 },
];
const WASM_VARIANTS: VariantSpec[] = [staticQuant({ calibration: 'minmax' })];

const median = (xs: number[]) => quantile([...xs].sort((a, b) => a - b), 0.5);

interface Timed {
  label: string;
  runtime: RuntimeName;
  session: Session;
  feeds: Parameters<Session['run']>[0];
  p50s: number[];
}

async function main(): Promise<void> {
  const o = new Command('compression-latency')
    .option('--model <name>', 'zoo model', 'resnet')
    .option('--rounds <n>', 'interleaved rounds', positiveInt('--rounds'), 15)
    .option('--samples <n>', 'runs per variant per round', positiveInt('--samples'), 20)
    .option('--threads <n>', 'cpu intra-op threads', positiveInt('--threads'), 1)
    .parse()
    .opts<{ model: string; rounds: number; samples: number; threads: number }>();

  const data = await loadTrainingData({ dataset: 'alerts', preset: 'default', datasetSeed: 0 });
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const base = await trainedBase(o.model, data, { dataset: 'alerts', preset: 'default', log });
  const ctx = { calibrationClips: 256, fineTuneLr: 0.05, seed: 1, exclude: [], log };
  const clip = clipBatch(data.splits.test.x, data.splits.test.dims, 1);

  const timed: Timed[] = [];
  const open = async (v: VariantSpec, runtime: RuntimeName) => {
    const built = await buildVariant(base, v, ctx);
    const session = await getRunner(runtime).open(toOnnx(built.graph), runtime === 'cpu' ? { threads: o.threads } : {});
    timed.push({ label: built.name, runtime, session, feeds: { [session.inputNames[0]]: encode(clip, modelIo(built.graph).input) }, p50s: [] });
  };
  for (const runtime of ['cpu', 'wasm'] as const) {
    await open({ kind: 'fp32' }, runtime);
    for (const v of runtime === 'cpu' ? CPU_VARIANTS : WASM_VARIANTS) await open(v, runtime);
  }
  for (const t of timed) for (let i = 0; i < 10; i++) await t.session.run(t.feeds);

  for (let r = 0; r < o.rounds; r++) {
    for (const t of timed) {
      const ms: number[] = [];
      for (let i = 0; i < o.samples; i++) {
        const t0 = performance.now();
        await t.session.run(t.feeds);
        ms.push(performance.now() - t0);
      }
      t.p50s.push(median(ms));
    }
  }

  const table = new Table({ head: ['runtime', 'variant', 'p50 ms', '× fp32', 'ORT python', 'target'] });
  for (const t of timed) {
    const fp32 = timed.find((x) => x.runtime === t.runtime && x.label === 'fp32')!;
    const ratio = median(t.p50s.map((p, i) => p / fp32.p50s[i]));
    const key = `${t.label}@${t.runtime}`;
    const target = key in ORT_PYTHON ? `≤ ${ORT_PYTHON[key]} (ORT python)` : t.label === PRUNED ? `≤ ${PRUNED_TARGET}` : '';
    const met = key in ORT_PYTHON ? ratio <= ORT_PYTHON[key] : t.label === PRUNED ? ratio <= PRUNED_TARGET : undefined;
    table.push([t.runtime, t.label, median(t.p50s).toFixed(2), ratio.toFixed(2), ORT_PYTHON[key]?.toFixed(2) ?? '', target ? `${target} ${met ? 'met' : 'NOT met'}` : '']);
  }
  process.stdout.write(`${table.toString()}\n`);
  process.stdout.write(`${o.model}, batch 1, cpu threads ${o.threads}, wasm 1 thread; ${o.rounds} interleaved rounds x ${o.samples} runs; ratio = median over rounds of p50(variant)/p50(fp32)\n`);
  for (const t of timed) await t.session.close();
}

main().catch((e) => {
  process.stderr.write(`compression-latency: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
