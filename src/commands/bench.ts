/**
 * `melbench bench`: time models on runtimes at batch sizes, print a table and write
 * reports/<run>.csv (+ <run>.samples.jsonl with the raw timing samples).
 */
import { randomBytes } from 'node:crypto';
import Table from 'cli-table3';
import { UserError } from '../errors.ts';
import { ZOO } from '../graph/zoo/index.ts';
import type { Row } from '../report/columns.ts';
import { CsvReport } from '../report/csv.ts';
import { SamplesLog } from '../report/samples.ts';
import { isRuntimeName, RUNTIMES, type RuntimeName } from '../runners/runner.ts';
import { DEFAULT_TIMING, type TimingConfig } from '../runners/timing.ts';
import { readFeaturesNpy } from '../sweep/inputs.ts';
import { type PreparedModel, prepareTrained } from '../sweep/models.ts';
import { prepareModels, runSweep, SOFTWARE_TIMING, type SweepConfig } from '../sweep/sweep.ts';
import { defaultTrainOptions, loadTrainingData, trainRun } from '../train/run.ts';
import type { RegisterCommand } from './command.ts';
import { nameList, nonNegativeInt, positiveInt, positiveIntList } from './options.ts';

interface BenchOptions {
  models: string[];
  runtimes: string[];
  batch: number[];
  preset?: string;
  input?: string;
  classes: number;
  seed: number;
  threads: number;
  warmup: number;
  samples: number;
  timeMs: number;
  timeoutS: number;
  isolate: boolean;
  suite: string;
  out?: string;
  strict?: boolean;
  dataset?: string;
  trainEpochs: number;
  evalSoftware?: boolean;
}

/** Trains (or takes from the run cache) every model on the dataset, with `melbench train`'s defaults. */
async function trainedModels(cfg: SweepConfig, o: BenchOptions): Promise<PreparedModel[]> {
  if (cfg.features) throw new UserError('--input and --dataset are exclusive: a trained model is timed on its own test clips');
  const preset = o.preset ?? 'default';
  const data = await loadTrainingData({ dataset: o.dataset!, preset, datasetSeed: 0 });
  const test = data.splits.test;
  const out: PreparedModel[] = [];
  for (const model of cfg.models) {
    if (model.endsWith('.onnx')) throw new UserError(`--dataset trains zoo models; '${model}' is a file: bench it without --dataset`);
    process.stderr.write(`melbench: ${model} on ${o.dataset}: training (or reusing the cached run), ${o.trainEpochs} epochs\n`);
    const run = await trainRun(
      { model, dataset: o.dataset!, preset, datasetSeed: 0, options: defaultTrainOptions({ epochs: o.trainEpochs, seed: o.seed }) },
      { data, onEpoch: (_s, r) => process.stderr.write(`  epoch ${r.epoch}: loss ${r.loss.toFixed(4)}, val macro-F1 ${r.valMacroF1.toFixed(4)}\n`) },
    );
    out.push(prepareTrained(model, run.onnxPath, run.dir, preset, { x: test.x, y: test.y, dims: test.dims, classes: data.classes }));
  }
  return out;
}

export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${randomBytes(2).toString('hex')}`;
}

const fmt = (v: Row[keyof Row], digits = 3) => (v === null || v === '' ? '' : typeof v === 'number' ? Number(v.toPrecision(digits)).toString() : String(v));

export function printRows(rows: Row[]): void {
  const t = new Table({ head: ['model', 'runtime', 'batch', 'status', 'p50 ms', 'p90 ms', 'rme %', 'n', 'max|Δ|', 'agree', 'F1', 'note'] });
  for (const r of rows) {
    const note = r.status === 'ok' ? (r.software_adapter === true ? 'software adapter: correctness only' : '') : String(r.error ?? '').slice(0, 70);
    t.push([r.model, r.runtime, r.batch, r.status, fmt(r.p50_ms), fmt(r.p90_ms), fmt(r.rme_pct, 2), fmt(r.samples), fmt(r.max_abs_diff, 2), fmt(r.agreement_fp32, 3), fmt(r.macro_f1, 3), note] as string[]);
  }
  process.stdout.write(`${t.toString()}\n`);
}

export const register: RegisterCommand = (program) => {
  program
    .command('bench')
    .description('time models on runtimes and batch sizes; write a CSV report')
    .option('--models <names>', 'comma-separated zoo names or .onnx paths (default: the whole zoo)', nameList)
    .option('--runtimes <names>', `comma-separated runtimes: ${RUNTIMES.join(', ')}`, nameList, [...RUNTIMES])
    .option('--batch <sizes>', 'comma-separated batch sizes', positiveIntList('--batch'), [1])
    .option('--preset <name>', "features preset for every model (default: each model's own)")
    .option('--input <file.npy>', "features [C, M, T] from 'melbench features' instead of the built-in test signal")
    .option('--classes <n>', 'classes of zoo models', positiveInt('--classes'), 10)
    .option('--seed <n>', 'weight initialisation seed', nonNegativeInt('--seed'), 1)
    .option('--threads <n>', 'intra-op threads for cpu/webgpu (0: ORT default)', nonNegativeInt('--threads'), 0)
    .option('--warmup <n>', 'warm-up runs before timing', nonNegativeInt('--warmup'), DEFAULT_TIMING.warmupIterations)
    .option('--samples <n>', 'at least this many timed runs', positiveInt('--samples'), DEFAULT_TIMING.minSamples)
    .option('--time-ms <n>', 'and at least this much timed wall time', nonNegativeInt('--time-ms'), DEFAULT_TIMING.minTimeMs)
    .option('--timeout-s <n>', 'give up on one (model, runtime) after this long: status timeout', positiveInt('--timeout-s'), 600)
    .option('--no-isolate', 'run runtimes in this process (faster start; a native crash ends the sweep)')
    .option('--suite <name>', 'suite name recorded in each row', 'adhoc')
    .option('-o, --out <file.csv>', 'report path (default: reports/<run id>.csv); rows are appended')
    .option('--strict', 'exit 1 when any row is not ok or unavailable')
    .option('--dataset <spec>', 'train each model on this dataset first (cached), time it on its test clips and score its test macro-F1 per runtime')
    .option('--train-epochs <n>', 'epochs when --dataset trains a model', positiveInt('--train-epochs'), 30)
    .option('--eval-software', 'also score trained models on software (SwiftShader) adapters: slow')
    .action(async (o: BenchOptions) => {
      const bad = o.runtimes.filter((r) => !isRuntimeName(r));
      if (bad.length) throw new UserError(`unknown runtime '${bad[0]}'; choose from: ${RUNTIMES.join(', ')}`);
      const timing: TimingConfig = { ...DEFAULT_TIMING, warmupIterations: o.warmup, minSamples: o.samples, minTimeMs: o.timeMs };
      const runId = newRunId();
      const cfg: SweepConfig = {
        runId,
        suite: o.suite,
        models: o.models ?? ZOO.map((e) => e.name),
        runtimes: o.runtimes as RuntimeName[],
        batches: o.batch,
        preset: o.preset,
        features: o.input ? readFeaturesNpy(o.input) : undefined,
        classes: o.classes,
        seed: o.seed,
        threads: o.threads,
        timing,
        softwareTiming: SOFTWARE_TIMING,
        timeoutMs: o.timeoutS * 1000,
        isolate: o.isolate,
        evalSoftware: o.evalSoftware,
      };
      const models = o.dataset ? await trainedModels(cfg, o) : prepareModels(cfg);
      const csvPath = o.out ?? `reports/${runId}.csv`;
      const csv = new CsvReport(csvPath).open();
      const samples = new SamplesLog(csvPath.replace(/\.csv$/, '') + '.samples.jsonl');
      process.stderr.write(`melbench: run ${runId}: ${models.length} model(s) x ${cfg.runtimes.length} runtime(s) x ${cfg.batches.length} batch size(s) -> ${csvPath}\n`);
      const rows = await runSweep(cfg, models, {
        csv,
        samples,
        onRow: (r) => process.stderr.write(`  ${r.model} ${r.runtime} b${r.batch}: ${r.status}${r.p50_ms !== null ? ` p50 ${fmt(r.p50_ms)} ms` : ''}${r.error ? ` (${r.error})` : ''}\n`),
      });
      printRows(rows);
      process.stdout.write(`report: ${csvPath}\nsamples: ${samples.path}\n`);
      if (o.strict && rows.some((r) => r.status !== 'ok' && r.status !== 'unavailable')) process.exitCode = 1;
    });
};
