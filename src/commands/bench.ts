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
import { ProfileCsv, profilePathFor } from '../report/profile-csv.ts';
import { SamplesLog } from '../report/samples.ts';
import { RUNTIMES } from '../runners/runner.ts';
import { readFeaturesNpy } from '../sweep/inputs.ts';
import { type PreparedModel, prepareTrained } from '../sweep/models.ts';
import { prepareModels, runSweep, SOFTWARE_TIMING, type SweepConfig, type SweepSinks } from '../sweep/sweep.ts';
import { defaultTrainOptions, loadTrainingData, trainRun } from '../train/run.ts';
import type { RegisterCommand } from './command.ts';
import { addMeasureOptions, checkedRuntimes, type MeasureOptions, nameList, positiveInt, softwareTimingOf, timingOf } from './options.ts';

interface BenchOptions extends MeasureOptions {
  models: string[];
  preset?: string;
  input?: string;
  classes: number;
  suite: string;
  dataset?: string;
  trainEpochs: number;
  evalSoftware?: boolean;
  profile?: boolean;
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

/** The CSV and samples files of a run, with a progress line on stderr per row. */
export function openSinks(runId: string, out: string | undefined): SweepSinks {
  const csvPath = out ?? `reports/${runId}.csv`;
  return {
    csv: new CsvReport(csvPath).open(),
    samples: new SamplesLog(`${csvPath.replace(/\.csv$/, '')}.samples.jsonl`),
    onRow: (r) => process.stderr.write(`  ${r.model}${r.variant === 'fp32' || r.variant === 'trained-fp32' ? '' : ` ${r.variant}`} ${r.runtime} b${r.batch}: ${r.status}${r.p50_ms !== null ? ` p50 ${fmt(r.p50_ms)} ms` : ''}${r.error ? ` (${r.error})` : ''}\n`),
  };
}

/** Prints where the files are; with --strict, a row that is neither ok nor unavailable makes the exit code 1. */
export function finishRun(rows: Row[], sinks: SweepSinks, strict: boolean | undefined): void {
  process.stdout.write(`report: ${sinks.csv.path}\nsamples: ${sinks.samples.path}\n${sinks.profile ? `profile: ${sinks.profile.path}\n` : ''}`);
  if (strict && rows.some((r) => r.status !== 'ok' && r.status !== 'unavailable')) process.exitCode = 1;
}

export const register: RegisterCommand = (program) => {
  const bench = program
    .command('bench')
    .description('time models on runtimes and batch sizes; write a CSV report')
    .option('--models <names>', 'comma-separated zoo names or .onnx paths (default: the whole zoo)', nameList)
    .option('--preset <name>', "features preset for every model (default: each model's own)")
    .option('--input <file.npy>', "features [C, M, T] from 'melbench features' instead of the built-in test signal")
    .option('--classes <n>', 'classes of zoo models', positiveInt('--classes'), 10)
    .option('--suite <name>', 'suite name recorded in each row', 'adhoc')
    .option('--dataset <spec>', 'train each model on this dataset first (cached), time it on its test clips and score its test macro-F1 per runtime')
    .option('--train-epochs <n>', 'epochs when --dataset trains a model', positiveInt('--train-epochs'), defaultTrainOptions().epochs)
    .option('--eval-software', 'also score trained models on software (SwiftShader) adapters: slow')
    .option('--profile', 'also write <run>.profile.csv: every node, its provider and its time per run, from ORT\'s profiler (a separate profiled session per row)');
  addMeasureOptions(bench, RUNTIMES).action(async (o: BenchOptions) => {
    const timing = timingOf(o);
    const runId = newRunId();
    const cfg: SweepConfig = {
      runId,
      suite: o.suite,
      models: o.models ?? ZOO.map((e) => e.name),
      runtimes: checkedRuntimes(o.runtimes),
      batches: o.batch,
      preset: o.preset,
      features: o.input ? readFeaturesNpy(o.input) : undefined,
      classes: o.classes,
      seed: o.seed,
      threads: o.threads,
      timing,
      softwareTiming: softwareTimingOf(o, SOFTWARE_TIMING),
      timeoutMs: o.timeoutS * 1000,
      isolate: o.isolate,
      evalSoftware: o.evalSoftware,
      profile: o.profile,
    };
    const models = o.dataset ? await trainedModels(cfg, o) : prepareModels(cfg);
    const sinks = openSinks(runId, o.out);
    if (o.profile) sinks.profile = new ProfileCsv(profilePathFor(sinks.csv.path)).open();
    process.stderr.write(`melbench: run ${runId}: ${models.length} model(s) x ${cfg.runtimes.length} runtime(s) x ${cfg.batches.length} batch size(s) -> ${sinks.csv.path}\n`);
    const rows = await runSweep(cfg, models, sinks);
    printRows(rows);
    finishRun(rows, sinks, o.strict);
  });
};
