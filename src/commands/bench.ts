/**
 * `melbench bench`: time models on runtimes at batch sizes, print a table and write
 * reports/<run>.csv (+ <run>.samples.jsonl with the raw timing samples).
 */
import { UserError } from '../errors.ts';
import { ZOO } from '../graph/zoo/index.ts';
import { ProfileCsv, profilePathFor } from '../report/profile-csv.ts';
import { checkRowExports, type RowExports, writeRowExports } from '../report/row-export.ts';
import { rowTable } from '../report/row-table.ts';
import { NODE_RUNTIMES } from '../runners/runner.ts';
import { describePlan } from '../sweep/feeds.ts';
import { reportAtEnd, type RunFileOptions, runExitCode, runFilesText, openRun, planRun } from '../sweep/run-lifecycle.ts';
import { type BenchModel, prepareModels } from '../sweep/models.ts';
import { runSweep, SOFTWARE_TIMING, type SweepConfig } from '../sweep/sweep.ts';
import { prepareLabelledFiles, prepareTrainedModels } from '../sweep/trained-models.ts';
import { readLabelsFile } from '../train/labels-file.ts';
import { defaultTrainOptions } from '../train/run.ts';
import type { Command } from 'commander';
import type { RegisterCommand } from './command.ts';
import { addFeedOptions, type FeedFlagOptions, resolveFeedFlags } from './feed-flags.ts';
import { addMeasureOptions, browserOf, addSessionsOption, checkedRuntimes, freeText, type MeasureOptions, nameList, positiveInt, softwareTimingOf, timingOf, toleranceOf } from './options.ts';

interface BenchOptions extends MeasureOptions, RunFileOptions, RowExports, FeedFlagOptions {
  models: string[];
  preset?: string;
  classes: number;
  suite: string;
  dataset?: string;
  labels?: string;
  trainEpochs: number;
  evalSoftware?: boolean;
  profile?: boolean;
}

const progress = (line: string) => process.stderr.write(`${line}\n`);

/**
 * `--dataset`: each zoo model trained with `melbench train`'s defaults (or its cached run), timed on its test clips;
 * a model file (with `--labels`, which maps its output indices to class names) timed and scored on the same clips.
 */
async function trainedModels(cfg: SweepConfig, dataset: string, o: BenchOptions): Promise<BenchModel[]> {
  if (cfg.features || cfg.feed) throw new UserError('--input, --dim and --shape do not apply with --dataset: a trained model is timed on its own test clips');
  const files = cfg.models.filter((m) => m.endsWith('.onnx'));
  if (files.length && !o.labels) throw new UserError(`--dataset scores '${files[0]}' only with --labels <labels.txt>: one class name per line, line k = the class of output index k (or bench the file without --dataset)`);
  if (!files.length && o.labels) throw new UserError('--labels names the classes of a model file\'s outputs; give a .onnx file (zoo models are trained on the dataset\'s own classes)');
  const preset = o.preset ?? 'default';
  const labels = o.labels ? readLabelsFile(o.labels) : undefined;
  const zoo = cfg.models.filter((m) => !m.endsWith('.onnx'));
  const scoredFiles = labels ? await prepareLabelledFiles(files, { dataset, preset, labels, seed: o.seed }) : [];
  const trained = zoo.length ? await prepareTrainedModels(zoo, { dataset, preset, epochs: o.trainEpochs, seed: o.seed, log: (line) => progress(`melbench: ${line}`) }) : [];
  // NOTE: rows keep the order the models were given in.
  const byName = new Map<string, BenchModel>([...files.map((f, i) => [f, scoredFiles[i]] as const), ...zoo.map((z, i) => [z, trained[i]] as const)]);
  return cfg.models.map((m) => byName.get(m)!);
}

export const register: RegisterCommand = (program) => {
  const bench = program
    .command('bench')
    .description('time models on runtimes and batch sizes; write a CSV report')
    .argument('[models...]', 'zoo names or .onnx paths (same as --models)')
    .option('--models <names>', 'comma-separated zoo names or .onnx paths (default: the whole zoo)', nameList)
    .option('--preset <name>', "features preset for every model (default: each model's own)")
    .option('--classes <n>', 'classes of zoo models', positiveInt('--classes'), 10)
    .option('--suite <name>', 'suite name recorded in each row (1 to 128 characters)', freeText('--suite'), 'adhoc')
    .option('--dataset <spec>', 'train each model on this dataset first (cached), time it on its test clips and score its test macro-F1 per runtime')
    .option('--labels <file>', 'with --dataset, for model files: one class name per line, line k = the class of output index k (matched to the dataset\'s classes by name)')
    .option('--train-epochs <n>', 'epochs when --dataset trains a model', positiveInt('--train-epochs'), defaultTrainOptions().epochs)
    .option('--eval-software', 'also score trained models on software (SwiftShader) adapters: slow')
    .option('--profile', 'also write <run>.profile.csv: every node, its provider and its time per run, from ORT\'s profiler (a separate profiled session per row)')
    .option('--resume <run.csv>', 'finish an interrupted run: skip its cells already done, append the rest to the same files (settings from the run)')
    .option('--retry-failed', 'with --resume: measure crashed, timeout and error cells again')
    .option('--no-report', 'do not write the HTML report at the end')
    .option('--export-json <file>', "also write the run's rows as a JSON array of row objects")
    .option('--export-markdown <file>', "also write the run's main columns as a Markdown table");
  addFeedOptions(bench);
  addSessionsOption(addMeasureOptions(bench, NODE_RUNTIMES)).action(async (positional: string[], given: BenchOptions, cmd: Command) => {
    if (positional.length) given.models = [...positional, ...(given.models ?? [])];
    const plan = planRun('bench', given, cmd);
    const { runId, options: o } = plan;
    const timing = timingOf(o);
    checkRowExports(o);
    const { feed, features } = await resolveFeedFlags(o, o.preset);
    const cfg: SweepConfig = {
      runId,
      suite: o.suite,
      models: o.models ?? ZOO.map((e) => e.name),
      runtimes: checkedRuntimes(o.runtimes),
      batches: o.batch,
      preset: o.preset,
      features,
      ...(feed ? { feed } : {}),
      classes: o.classes,
      seed: o.seed,
      threads: o.threads,
      timing,
      softwareTiming: softwareTimingOf(o, SOFTWARE_TIMING),
      tolerance: toleranceOf(o),
      timeoutMs: o.timeoutS * 1000,
      isolate: o.isolate,
      browser: browserOf(o),
      evalSoftware: o.evalSoftware,
      profile: o.profile,
      sessions: o.sessions,
    };
    if (o.labels && !o.dataset) throw new UserError('--labels scores a model file on a labelled dataset: give --dataset <spec> too (alerts, sonicpi, folder:<path>)');
    const models: BenchModel[] = o.dataset ? await trainedModels(cfg, o.dataset, o) : prepareModels(cfg);
    for (const m of models) {
      if (m.plan?.inputs.some((p) => p.source !== 'features')) for (const line of describePlan(m.plan)) progress(`melbench: ${m.name}: ${line}`);
      if (m.costNote) progress(`melbench: ${m.name}: ${m.costNote}`);
    }
    const { sinks, done, keptStatuses } = openRun('bench', plan, progress);
    cfg.done = done;
    if (o.profile) sinks.profile = new ProfileCsv(profilePathFor(sinks.csv.path)).open();
    process.stderr.write(`melbench: run ${runId}: ${models.length} model(s) x ${cfg.runtimes.length} runtime(s) x ${cfg.batches.length} batch size(s) -> ${sinks.csv.path}\n`);
    const rows = await runSweep(cfg, models, sinks);
    process.stdout.write(done && !rows.length ? `every cell of run ${runId} was already done\n` : rowTable(rows));
    process.stdout.write(runFilesText(sinks) + writeRowExports(rows, o));
    await reportAtEnd(sinks.csv.path, o);
    process.exitCode = runExitCode([...keptStatuses.map((status) => ({ status })), ...rows], o.strict);
  });
};
