/**
 * `melbench ablate --suite quant|prune|seed001|mission`: train each model (or reuse the cached run),
 * build the suite's compressed variants, and sweep them over runtimes into one CSV, then print
 * a summary with each variant's latency as a multiple of its fp32 model's on the same runtime.
 * `mission` (the main job, `npm start`) takes its defaults from MISSION_RECIPE and ends with the
 * HTML report.
 */
import Table from 'cli-table3';
import { UserError } from '../errors.ts';
import { fitTable, PLAIN_STYLE, type TableColumn } from '../report/terminal-table.ts';
import { probeMissionRuntimes } from '../ablate/mission-runtimes.ts';
import { runAblation } from '../ablate/run-ablation.ts';
import { getZooEntry } from '../graph/zoo/index.ts';
import { applyRecipe, MISSION_RECIPE, MISSION_TIMING, MISSION_TRAINING, parseSuite, SUITES } from '../ablate/suites.ts';
import { readModelFile } from '../ablate/file-model.ts';
import { checkSampleFeeds } from '../ablate/sample-source.ts';
import { readSignature } from '../export/signature.ts';
import { parseCalibration } from '../ablate/variants.ts';
import type { Row } from '../report/columns.ts';
import { openRun, planRun, reportAtEnd, type RunFileOptions, runExitCode, runFilesText } from '../sweep/run-lifecycle.ts';
import { SOFTWARE_TIMING, type SweepConfig } from '../sweep/sweep.ts';
import { CALIBRATION_METHODS } from '../train/calibrate.ts';
import { checkLabelsFitOutput, readLabelsFile } from '../train/labels-file.ts';
import { defaultTrainOptions, loadTrainingData } from '../train/run.ts';
import { checkTakesClips, clipsText, labelledEvalSet } from '../sweep/trained-models.ts';
import type { Command } from 'commander';
import type { RegisterCommand } from './command.ts';
import { addFeedOptions, type FeedFlagOptions, hasFeedFlags, resolveNamedFeedFlags } from './feed-flags.ts';
import { addMeasureOptions, browserOf, addSessionsOption, checkedRuntimes, fractionList, type MeasureOptions, nameList, nonNegativeInt, nonNegativeNumber, positiveInt, softwareTimingOf, timingOf, toleranceOf } from './options.ts';

interface AblateOptions extends MeasureOptions, RunFileOptions, FeedFlagOptions {
  suite: string;
  models: string[];
  dataset: string;
  preset: string;
  trainEpochs: number;
  calibration: string;
  calibrations: string[];
  calibrationClips: number;
  ratios: number[];
  fineTuneEpochs: number;
  fineTuneLr: number;
  exclude: string[];
  calib: string;
  evalCount: number;
  labels?: string;
}

const num = (v: Row[keyof Row], digits = 3) => (typeof v === 'number' ? Number(v.toPrecision(digits)).toString() : '');
const kib = (v: Row[keyof Row]) => (typeof v === 'number' ? (v / 1024).toFixed(1) : '');

/** One line per (model, variant, runtime, batch), with p50 relative to the fp32 row of the same runtime and batch. */
export function printAblation(rows: Row[]): void {
  const fp32 = new Map(rows.filter((r) => r.variant === 'fp32' && r.status === 'ok').map((r) => [`${r.model}|${r.runtime}|${r.batch}`, r.p50_ms as number]));
  // Model files have fidelity instead of F1: their agreement is over the fidelity samples, with its SNR.
  const snr = rows.some((r) => r.snr_db !== null && r.snr_db !== undefined);
  const cells = rows.map((r) => {
    const base = fp32.get(`${r.model}|${r.runtime}|${r.batch}`);
    const ratio = typeof r.p50_ms === 'number' && base ? (r.p50_ms / base).toFixed(2) : '';
    const note = r.status === 'ok' ? (r.software_adapter === true ? 'software adapter: correctness only' : '') : String(r.error ?? '');
    const agree = num(r.fidelity_agreement ?? r.agreement_fp32);
    return [r.model, r.variant, r.runtime, String(r.batch ?? ''), r.status, kib(r.model_bytes), kib(r.gzip_bytes), String(r.nonzero_params ?? ''), typeof r.macs === 'number' ? (r.macs / 1e6).toFixed(1) : '', num(r.macro_f1), agree, ...(snr ? [num(r.snr_db)] : []), num(r.p50_ms), ratio, note].map(String);
  });
  const columns = snr ? [...ABLATION_COLUMNS.slice(0, 11), { head: 'SNR dB', drop: 2 }, ...ABLATION_COLUMNS.slice(11)] : ABLATION_COLUMNS;
  // NOTE: one model (the mission's case): named above the table, so 80 columns hold the rest.
  const models = [...new Set(rows.map((r) => r.model))];
  if (models.length !== 1) return void process.stdout.write(fitTable(columns, cells));
  process.stdout.write(`model: ${models[0]}\n${fitTable(columns.slice(1), cells.map((c) => c.slice(1)))}`);
}

/** The ablation table's columns: what goes first when the terminal is narrow (terminal-table.ts). */
const ABLATION_COLUMNS: TableColumn[] = [
  { head: 'model', wrap: true },
  { head: 'variant' },
  { head: 'runtime' },
  { head: 'b', drop: 4 },
  { head: 'status' },
  { head: 'KiB', drop: 1 },
  { head: 'gzip KiB', drop: 6 },
  { head: 'nonzero', drop: 5 },
  { head: 'MMACs', drop: 3 },
  { head: 'F1' },
  { head: 'agree', drop: 2 },
  { head: 'p50 ms' },
  { head: '× fp32' },
  { head: 'note', note: true },
];

/** Seed 001's Table 2 rows, by quant_mode (its naming on the left, what is quantized on the right). */
const SEED001_ROWS: Record<string, [string, string]> = {
  none: ['Basic (fp32)', 'nothing'],
  'static-qdq': ['Int quantized', 'weights and activations; float32 input and output'],
  'full-int': ['Full int quantized', 'weights, activations, input and output'],
  fp16: ['Float16 quantized', 'weights and compute (float16)'],
  dynamic: ['Dynamic range quantized', 'weights; activations at run time'],
};

/** Seed 001's Table 2 on our data: format, quantized, size, inference time (cpu, batch 1), F1. */
export function printSeed001Table(rows: Row[]): void {
  const t = new Table({ head: ['model', 'format', 'variant', 'quantized', 'size KB', 'inference ms (cpu p50)', 'macro-F1'], style: PLAIN_STYLE });
  for (const r of rows.filter((x) => x.runtime === 'cpu' && x.batch === 1 && x.status === 'ok')) {
    const [format, what] = SEED001_ROWS[String(r.quant_mode)] ?? [String(r.quant_mode), ''];
    t.push([r.model, format, r.variant, what, kib(r.model_bytes), num(r.p50_ms), num(r.macro_f1, 4)] as string[]);
  }
  process.stdout.write(`${t.toString()}\n`);
}

export const register: RegisterCommand = (program) => {
  const ablate = program
    .command('ablate')
    .description('compress trained models (quantization, pruning) and compare size, F1 and latency across runtimes')
    .requiredOption('--suite <name>', SUITES.join(' | '))
    .option('--models <names>', 'comma-separated zoo names or .onnx files (a file is the fp32 variant; no training; fidelity, and F1 with --labels)', nameList, ['resnet'])
    .option('--calib <source>', "model files only: calibration and evaluation samples, a dataset (alerts, sonicpi, folder:<path>), a folder of .npy samples, or 'random' (a smoke test; with --labels the default is --dataset)", 'random')
    .option('--eval-count <n>', 'model files only: evaluation samples from a dataset or random (a folder evaluates on its last quarter)', positiveInt('--eval-count'), 64)
    .option('--dataset <spec>', 'dataset the models are trained (cached), calibrated and scored on (model files: with --labels)', 'alerts')
    .option('--labels <file>', "model files only: one class name per line, line k = the class of output index k; scores every variant's macro-F1 on --dataset's test split")
    .option('--preset <name>', 'features preset', 'default')
    .option('--train-epochs <n>', 'epochs of the base training', positiveInt('--train-epochs'), defaultTrainOptions().epochs)
    .option('--calibration <method>', `calibration of the static variants: ${CALIBRATION_METHODS.join(' | ')}`, 'minmax')
    .option('--calibrations <methods>', 'calibrations the quant suite compares on QDQ u8s8 per-channel', nameList, [...CALIBRATION_METHODS])
    .option('--calibration-clips <n>', 'training clips that calibrate static quantization', positiveInt('--calibration-clips'), 256)
    .option('--ratios <list>', 'prune ratios in (0, 1)', fractionList('--ratios'), [0.3, 0.5, 0.7])
    .option('--fine-tune-epochs <n>', 'epochs of fine-tuning after channel pruning (0: none)', nonNegativeInt('--fine-tune-epochs'), 20)
    .option('--exclude <nodes>', 'node names the quantizers keep in float32, e.g. the first conv and the classifier (see `melbench export`)', nameList, [])
    .option('--fine-tune-lr <x>', 'peak learning rate of fine-tuning', nonNegativeNumber('--fine-tune-lr'), 0.05)
    .option('--resume <run.csv>', 'finish an interrupted ablation: skip its cells already done (settings from the run)')
    .option('--retry-failed', 'with --resume: measure crashed, timeout and error cells again (and rebuild failed variants)')
    .option('--no-report', 'do not write the HTML report at the end')
    // NOTE: before addMeasureOptions' --no-isolate, so that neither flag leaves `isolate` unset (each suite's default below).
    .option('--isolate', 'with --suite mission: measure each (model, runtime) in its own child process, as the other suites do');
  addFeedOptions(ablate);
  addSessionsOption(addMeasureOptions(ablate, ['cpu', 'wasm'])).action(async (given: AblateOptions, cmd: Command) => {
    const plan = planRun('ablate', given, cmd);
    const { runId, options: o } = plan;
    const suite = parseSuite(o.suite);
    const mission = suite === 'mission';
    // NOTE: a resumed run's options are its saved ones, the recipe and runtimes already applied.
    const fresh = !plan.resume;
    if (mission && fresh) applyRecipe(o, MISSION_RECIPE, (key) => ablate.getOptionValueSource(key) === 'default');
    // The mission measures in this process unless asked (see MISSION_RECIPE's isolate note in suites.ts),
    // every other suite in child processes. `isolate` is not a saved setting: a resume decides it again.
    o.isolate ??= !mission;
    o.models.filter((m) => !m.endsWith('.onnx')).forEach((m) => getZooEntry(m));
    // NOTE: zoo models are fed their own features; the flags describe a file's inputs, and every file's.
    if (hasFeedFlags(o) && !o.models.some((m) => m.endsWith('.onnx'))) throw new UserError('--input, --dim and --shape describe the inputs of model files (--models x.onnx); zoo models are fed their own features');
    const files = o.models.filter((x) => x.endsWith('.onnx'));
    if (o.labels && !files.length) throw new UserError("--labels names the classes of a model file's outputs (--models x.onnx); zoo models are trained on the dataset's own classes");
    if (fresh && !o.labels && files.length === o.models.length && ablate.getOptionValueSource('dataset') === 'cli') {
      throw new UserError(`--dataset scores '${files[0]}' only with --labels <labels.txt>: one class name per line, line k = the class of output index k (or drop --dataset: a file gets fidelity from --calib)`);
    }
    const labels = o.labels ? readLabelsFile(o.labels) : undefined;
    // A labelled dataset is there: calibrate and measure fidelity on it too, unless --calib says otherwise.
    if (labels && fresh && ablate.getOptionValueSource('calib') === 'default') o.calib = o.dataset;
    // NOTE: with --labels the dataset is loaded here (and handed to the ablation), so a class the labels lack or clips the file cannot take fail before the run's files exist.
    const data = labels ? await loadTrainingData({ dataset: o.dataset, preset: o.preset, datasetSeed: 0 }) : undefined;
    const clips = data && labels ? labelledEvalSet(data, labels, o.dataset) : undefined;
    const feed = await resolveNamedFeedFlags(o, '--calib', o.preset);
    // A model file that is missing or not ONNX (exit 3), or that the flags do not fit, fails here, before the run's files exist.
    for (const m of o.models.filter((x) => x.endsWith('.onnx'))) {
      const file = readModelFile(m);
      const signature = readSignature(file.bytes, m);
      if (labels && clips) {
        checkTakesClips(signature, m, clips.dims, clipsText(o.dataset, o.preset, clips.dims));
        checkLabelsFitOutput(labels, { model: m, name: signature.outputs[0].name, dims: signature.outputs[0].dims });
      }
      checkSampleFeeds(o.calib, signature, { calibCount: 1, evalCount: 1, seed: o.seed, preset: o.preset, ...(feed ? { feed } : {}) }, m);
    }
    if (mission && fresh && ablate.getOptionValueSource('runtimes') === 'default') {
      const chosen = await probeMissionRuntimes(o.timeoutS * 1000);
      o.runtimes = chosen.runtimes;
      if (chosen.note) process.stderr.write(`melbench: ${chosen.note}\n`);
    }
    const suiteOptions = { calibration: parseCalibration(o.calibration), calibrations: o.calibrations.map(parseCalibration), ratios: o.ratios, fineTuneEpochs: o.fineTuneEpochs };
    const sweep: SweepConfig = {
      runId,
      suite,
      models: o.models,
      runtimes: checkedRuntimes(o.runtimes),
      batches: o.batch,
      classes: 0,
      seed: o.seed,
      threads: o.threads,
      timing: mission && o.warmup === undefined && o.samples === undefined && o.timeMs === undefined ? MISSION_TIMING : timingOf(o),
      softwareTiming: softwareTimingOf(o, SOFTWARE_TIMING),
      tolerance: toleranceOf(o),
      timeoutMs: o.timeoutS * 1000,
      isolate: o.isolate,
      browser: browserOf(o),
      sessions: o.sessions,
    };
    const { sinks, done, keptStatuses } = openRun('ablate', plan, (line) => process.stderr.write(`${line}\n`));
    sweep.done = done;
    process.stderr.write(`melbench: ablation ${suite}, run ${runId}: ${o.models.join(', ')} x ${sweep.runtimes.join(', ')} -> ${sinks.csv.path}\n`);
    const rows = await runAblation(
      {
        suite,
        suiteOptions,
        dataset: o.dataset,
        preset: o.preset,
        ...(data ? { data } : {}),
        trainEpochs: o.trainEpochs,
        ...(mission ? { trainRecipe: MISSION_TRAINING } : {}),
        build: { calibrationClips: o.calibrationClips, fineTuneLr: o.fineTuneLr, seed: o.seed, exclude: o.exclude, log: (line) => process.stderr.write(`melbench: ${line}\n`) },
        sweep,
        files: { samples: o.calib, evalCount: o.evalCount, ...(feed ? { feed } : {}), ...(labels ? { labels } : {}) },
      },
      sinks,
    );
    printAblation(rows);
    if (suite === 'seed001') printSeed001Table(rows);
    process.stdout.write(runFilesText(sinks));
    await reportAtEnd(sinks.csv.path, o);
    process.exitCode = runExitCode([...keptStatuses.map((status) => ({ status })), ...rows], o.strict);
  });
};
