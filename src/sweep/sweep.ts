/**
 * A sweep: models x runtimes x batches, one CSV row each, appended the moment it is measured.
 *
 * For each model: build (or load) it, compute the fp32 cpu reference outputs for every batch,
 * then measure each runtime in its own child process (a crash or hang becomes a `crashed` or
 * `timeout` row, never a dead sweep) and compare its outputs with the reference.
 */
import type { FeatureTensor } from '../features/types.ts';
import { type Column, type Row, makeRow } from '../report/columns.ts';
import type { ConfusionLog } from '../report/confusion-log.ts';
import type { CsvReport } from '../report/csv.ts';
import type { ProfileCsv } from '../report/profile-csv.ts';
import type { SamplesLog } from '../report/samples.ts';
import { type EnvironmentInfo, environmentInfo } from '../runners/environment.ts';
import { isFallbackNode } from '../runners/profile.ts';
import type { BrowserOptions } from '../runners/browser/run-in-browser.ts';
import type { BatchResult, MeasureJob } from '../runners/isolate.ts';
import { availableAt, type JobPlace, releaseRuntimes, runJob } from '../runners/run-job.ts';
import type { Availability, Feeds, HostTensor, RuntimeName } from '../runners/runner.ts';
import { ONE_RUN, type TimingConfig } from '../runners/timing.ts';
import { closeFraction, DEFAULT_TOLERANCE, maxAbsDiff, nonFiniteOutputs, outputAgreement, type Tolerance } from '../runners/output-diff.ts';
import { argmaxRows, confusionMatrix, metricsFrom } from '../train/metrics.ts';
import { decodeOutputs, encode, type ModelIo } from './io-codec.ts';
import { type BatchInput, batchInputs } from './model-feeds.ts';
import { type Reference, referenceRun } from './reference.ts';
import { type BenchModel, type EvalSet, type ModelRequest, firstInputName, firstOutputName } from './models.ts';
import { cellKey } from './resume.ts';
import { SessionResults, sessionOrder } from './sessions.ts';
import { testCrashFor } from './test-crash.ts';

export interface SweepConfig {
  runId: string;
  suite: string;
  models: string[];
  runtimes: RuntimeName[];
  batches: number[];
  /** Overrides each zoo model's own preset. */
  preset?: string;
  /** Features from a .npy file instead of the built-in test signal. */
  features?: FeatureTensor;
  /** --dim, --shape and named --input values (src/sweep/feeds.ts). */
  feed?: ModelRequest['feed'];
  classes: number;
  seed: number;
  /** Intra-op threads; 0 leaves ORT's default. */
  threads: number;
  /** Tolerances of close_fraction and tie-aware agreement (`--atol`, `--rtol`); absent: DEFAULT_TOLERANCE. */
  tolerance?: Tolerance;
  timing: TimingConfig;
  /** Timing for software (SwiftShader) adapters: a correctness check, so a few samples suffice. */
  softwareTiming: TimingConfig;
  timeoutMs: number;
  /** Run each (model, runtime) of a Node runtime in a child process. */
  isolate: boolean;
  /** Browser runtimes: `--browser <path>` and `--no-cross-origin-isolation`. */
  browser?: BrowserOptions;
  /** Score trained models on software (SwiftShader) adapters too: slow, a correctness check. */
  evalSoftware?: boolean;
  /** `--resume`: cells (resume.ts's cellKey) already in the run, not measured again. */
  done?: ReadonlySet<string>;
  /** Per-node profiles of every ok row, to `SweepSinks.profile`. */
  profile?: boolean;
  /** `--sessions N`: independent sessions per cell (sessions.ts); default 1. */
  sessions?: number;
  /** Test-only: the isolated reference run of the model with this name dies or hangs. */
  referenceCrashForTest?: { model: string; how: NonNullable<MeasureJob['crashForTest']> };
}

/** SwiftShader runs a 100 MMAC model in ~0.5 s: its rows check correctness, so 1 warm-up and 3 samples. */
export const SOFTWARE_TIMING: TimingConfig = { warmupIterations: 1, warmupTimeMs: 0, minSamples: 3, minTimeMs: 0 };

export interface SweepSinks {
  csv: CsvReport;
  samples: SamplesLog;
  /** Confusion matrices of trained rows, one record per (model, variant, runtime). */
  confusion?: ConfusionLog;
  /** Per-node profiles (with `SweepConfig.profile`). */
  profile?: ProfileCsv;
  onRow?(row: Row): void;
}

/** The reference run of a model, in a child when the sweep isolates, with the sweep's timeout. */
function modelReference(cfg: SweepConfig, m: BenchModel, inputs: BatchInput[]): Promise<Reference> {
  const crash = cfg.referenceCrashForTest?.model === m.name ? cfg.referenceCrashForTest.how : undefined;
  return referenceRun(m, inputs, { isolate: cfg.isolate, timeoutMs: cfg.timeoutMs, ...(crash ? { crashForTest: crash } : {}) });
}

/** A row that was not measured because its model's reference run died or hung. */
function referenceFailed(batch: number, a: Availability, failure: NonNullable<Reference['failure']>): BatchResult {
  return { batch, status: failure.status, error: failure.error, availability: a, sessionCreateMs: 0, fallbackNodes: null };
}

/**
 * Status and the columns that compare a run's outputs with the reference. Outputs with NaN or ±Inf
 * make an `ok` run `nonfinite` (the error says which output and how many values), and neither
 * `max_abs_diff` nor `agreement_fp32` is computed over non-numbers: they stay empty, as they do
 * when the reference itself is not finite.
 */
function outputColumns(cfg: Pick<SweepConfig, 'tolerance'>, m: BenchModel, r: BatchResult, raw: Record<string, HostTensor>, ref: Record<string, HostTensor> | undefined): Partial<Row> {
  const outputs = decodeOutputs(raw, firstOutputName(m), m.io.output);
  const bad = nonFiniteOutputs(outputs);
  if (bad) return r.status === 'ok' ? { status: 'nonfinite', error: bad } : {};
  if (!ref) return {};
  const badRef = nonFiniteOutputs(ref);
  if (badRef) return r.status === 'ok' ? { error: `fp32 cpu reference is not finite (${badRef}): no agreement computed` } : {};
  const tol = cfg.tolerance ?? DEFAULT_TOLERANCE;
  const a = outputAgreement(outputs, ref, tol);
  return {
    max_abs_diff: maxAbsDiff(outputs, ref),
    close_fraction: closeFraction(outputs, ref, tol),
    close_atol: tol.atol,
    close_rtol: tol.rtol,
    ...('agreement' in a ? { agreement_fp32: a.agreement } : { agreement_note: a.reason }),
  };
}

/** What was in force while the row was timed (measure.ts's `Validity`); empty where nothing ran or the runtime does not say. */
function validityColumns(r: BatchResult): Partial<Row> {
  const v = r.validity;
  return {
    threads_used: v?.threadsUsed ?? null,
    cross_origin_isolated: v?.crossOriginIsolated ?? null,
    simd: v?.simd ?? null,
    // NOTE: a browser's clock steps by a rounded 5 or 100 us read back as 4.99999989: 3 decimals say it.
    timer_resolution_us: v ? Math.round(v.timerResolutionUs * 1000) / 1000 : null,
    runs_per_sample: r.timing?.runsPerSample ?? null,
    browser: v?.browser ?? null,
  };
}

function rowFor(cfg: SweepConfig, m: BenchModel, runtime: RuntimeName, input: BatchInput, r: BatchResult, ref: Record<string, HostTensor> | undefined, env: EnvironmentInfo): Row {
  const t = r.timing;
  const values: Partial<Row> = {
    run_id: cfg.runId,
    time: new Date().toISOString(),
    suite: cfg.suite,
    model: m.name,
    variant: m.variant,
    quant_mode: m.compression?.quantMode ?? 'none',
    calibration: m.compression?.calibration ?? 'none',
    prune_method: m.compression?.pruneMethod ?? 'none',
    prune_ratio: m.compression?.pruneRatio ?? 0,
    kept_fp32: m.compression?.keptFloat.join('; ') ?? '',
    achieved: m.compression?.achieved ?? null,
    runtime,
    provider: r.availability.provider,
    fallback_nodes: r.fallbackNodes,
    threads: runtime === 'wasm' ? 1 : cfg.threads,
    batch: input.batch,
    preset: m.preset.name,
    input_shape: input.shape,
    input_sha256: input.sha256,
    params: m.cost.params,
    nonzero_params: m.cost.nonzeroParams,
    macs: m.cost.macs,
    model_bytes: m.cost.bytes,
    gzip_bytes: m.cost.gzipBytes,
    status: r.status,
    error: r.error ?? null,
    device: r.availability.device ?? null,
    software_adapter: r.availability.software ?? false,
    cpu: env.cpu,
    cores: env.cores,
    node: env.node,
    ort_version: r.availability.version,
    os: env.os,
    runtime_init_ms: r.runtimeInitMs ?? null,
    warmup_converged: t?.warmupConverged ?? null,
    cpu_flags: env.cpuFlags,
    mem_gib: env.totalMemGiB,
    ort_node_version: env.ortNode,
    ort_web_version: env.ortWeb,
    adapter_vendor: r.adapter?.vendor ?? null,
    adapter_architecture: r.adapter?.architecture ?? null,
    adapter_driver: r.adapter?.driver ?? null,
    git_commit: env.gitCommit,
    ...validityColumns(r),
  };
  if (r.status === 'ok' || r.sessionCreateMs > 0) values.session_create_ms = r.sessionCreateMs;
  if (r.outputs) Object.assign(values, outputColumns(cfg, m, r, r.outputs, ref));
  if (t) {
    const speed: Partial<Record<Column, number>> = {
      first_run_ms: t.firstRunMs,
      mean_ms: t.meanMs,
      p50_ms: t.p50Ms,
      p90_ms: t.p90Ms,
      p99_ms: t.p99Ms,
      min_ms: t.minMs,
      std_ms: t.stdMs,
      rme_pct: t.rmePct,
      samples: t.samples,
      warmup: t.warmup,
      sessions: t.sessionSizes?.length ?? 1,
      throughput_per_s: (input.batch * 1000) / t.p50Ms,
    };
    Object.assign(values, speed);
  }
  return makeRow(values);
}

const EVAL_CHUNK = 64;

interface Predictions {
  /** Argmax class of every test clip. */
  pred?: Int32Array;
  /** Sum of the timed chunk runs. */
  ms?: number;
  error?: string;
}

/** What a test-set pass runs: a model's bytes and I/O encodings. */
interface Scored {
  bytes: Uint8Array;
  io: ModelIo;
  input: string;
  output: string;
}

/**
 * Predicts the whole test split with one runtime: equal chunks of 64 clips (the last one padded
 * by repeating clips, whose predictions are dropped, so every run has one shape), each run once
 * untimed and once timed; `ms` is the sum of the timed runs.
 */
async function predictTestSet(cfg: SweepConfig, s: Scored, e: EvalSet, runtime: RuntimeName): Promise<Predictions> {
  const per = e.dims.reduce((a, d) => a * d, 1);
  const n = e.y.length;
  const chunks = Math.ceil(n / EVAL_CHUNK);
  const job: MeasureJob = {
    runtime,
    modelBytes: s.bytes,
    // NOTE: `batch` labels the chunk here (results are matched by it); the feeds carry the real shape.
    batches: Array.from({ length: chunks }, (_, k) => {
      const idx = Array.from({ length: EVAL_CHUNK }, (_, j) => Math.min(k * EVAL_CHUNK + j, n - 1));
      const x = new Float32Array(EVAL_CHUNK * per);
      idx.forEach((r, j) => x.set(e.x.subarray(r * per, (r + 1) * per), j * per));
      return { batch: k + 1, feeds: { [s.input]: encode({ type: 'float32', data: x, dims: [EVAL_CHUNK, ...e.dims] }, s.io.input) } };
    }),
    open: cfg.threads > 0 ? { threads: cfg.threads } : {},
    timing: ONE_RUN,
    timeoutMs: cfg.timeoutMs,
  };
  const results = await runJob(job, placeOf(cfg));
  const failed = results.find((r) => r.status !== 'ok' || !r.outputs);
  if (failed) return { error: `test-set scoring ${failed.status}: ${failed.error ?? 'no outputs'}` };
  const k = e.classes.length;
  const pred = new Int32Array(n);
  let ms = 0;
  results.forEach((r, c) => {
    const p = argmaxRows(decodeOutputs(r.outputs!, s.output, s.io.output)[s.output].data as Float32Array, k);
    for (let j = 0; j < EVAL_CHUNK && c * EVAL_CHUNK + j < n; j++) pred[c * EVAL_CHUNK + j] = p[j];
    ms += r.timing!.p50Ms;
  });
  return { pred, ms };
}

/** Quality columns of a trained model's row: its test-split metrics and its agreement with the fp32 model over that split. */
function qualityColumns(p: Predictions, e: EvalSet, reference: Int32Array | undefined): Partial<Row> {
  const metrics = metricsFrom(confusionMatrix(e.y, p.pred!, e.classes.length), e.scoredClasses);
  const values: Partial<Row> = { macro_f1: metrics.macroF1, accuracy: metrics.accuracy, precision: metrics.macroPrecision, recall: metrics.macroRecall, test_set_ms: p.ms! };
  if (reference) values.agreement_fp32 = p.pred!.filter((c, i) => c === reference[i]).length / reference.length;
  return values;
}

/** Resume: the inputs of `m` on `runtime` whose cell is not in the run yet (all of them in a fresh run). */
function pending<T extends { batch: number }>(cfg: SweepConfig, m: BenchModel, runtime: RuntimeName, inputs: T[]): T[] {
  const done = cfg.done;
  return done ? inputs.filter((i) => !done.has(cellKey({ model: m.name, variant: m.variant, runtime, batch: i.batch }))) : inputs;
}

/** Records the test-split confusion matrix of a scored runtime, for the report's confusion section. */
function logConfusion(sinks: SweepSinks, m: BenchModel, runtime: RuntimeName, p: Predictions): void {
  const e = m.trained!.evalSet;
  sinks.confusion?.append({ model: m.name, variant: m.variant, runtime, classes: e.classes, matrix: confusionMatrix(e.y, p.pred!, e.classes.length) });
}

const placeOf = (cfg: SweepConfig): JobPlace => ({ isolate: cfg.isolate, ...(cfg.browser ? { browser: cfg.browser } : {}) });

const scored = (m: BenchModel): Scored => ({ bytes: m.bytes, io: m.io, input: firstInputName(m), output: firstOutputName(m) });

const asked = new WeakMap<SweepConfig, Promise<Map<RuntimeName, Availability>>>();

/**
 * Each runtime's availability, asked once per config (in a child process when isolating), so an
 * ablation that sweeps variant after variant with one config asks once.
 */
function availabilities(cfg: SweepConfig): Promise<Map<RuntimeName, Availability>> {
  let a = asked.get(cfg);
  if (!a) {
    a = (async () => {
      const out = new Map<RuntimeName, Availability>();
      for (const r of cfg.runtimes) out.set(r, await availableAt(r, placeOf(cfg), cfg.timeoutMs));
      return out;
    })();
    asked.set(cfg, a);
  }
  return a;
}

/** Runs the sweep; the browsers its browser runtimes started are closed when it ends, however it ends. */
export async function runSweep(cfg: SweepConfig, models: BenchModel[], sinks: SweepSinks): Promise<Row[]> {
  try {
    return await sweepModels(cfg, models, sinks);
  } finally {
    await releaseRuntimes();
  }
}

async function sweepModels(cfg: SweepConfig, models: BenchModel[], sinks: SweepSinks): Promise<Row[]> {
  const env = await environmentInfo();
  const avail = await availabilities(cfg);
  const rows: Row[] = [];
  for (const m of models) {
    if (cfg.runtimes.every((rt) => !pending(cfg, m, rt, cfg.batches.map((batch) => ({ batch }))).length)) continue;
    const allInputs = batchInputs(m, cfg.batches);
    const reference = await modelReference(cfg, m, allInputs);
    const refs = reference.outputs;
    // The fp32 model's test-split predictions on cpu: agreement_fp32 of a trained model is over the whole split.
    const referencePred = m.trained && !reference.failure ? await predictTestSet(cfg, m.reference ? { ...scored(m), bytes: m.reference.bytes, io: {} } : scored(m), m.trained.evalSet, 'cpu') : undefined;
    // NOTE: --sessions N: every runtime of the model once per session (sessions.ts); a cell's row comes with its last session.
    const sessions = new SessionResults(cfg.sessions ?? 1);
    for (const [session, runtime] of sessionOrder(cfg.runtimes, sessions.sessions)) {
      const inputs = pending(cfg, m, runtime, allInputs);
      if (!inputs.length) continue;
      const a = avail.get(runtime)!;
      if (reference.failure && a.ok) {
        if (session < sessions.sessions - 1) continue;
        for (const input of inputs) {
          const row = rowFor(cfg, m, runtime, input, referenceFailed(input.batch, a, reference.failure), undefined, env);
          sinks.csv.append(row);
          rows.push(row);
          sinks.onRow?.(row);
        }
        continue;
      }
      const job: MeasureJob = {
        runtime,
        modelBytes: m.bytes,
        batches: inputs.map(({ batch, feeds }) => ({ batch, feeds })),
        open: { ...(cfg.threads > 0 ? { threads: cfg.threads } : {}), ...(m.externalData ? { externalData: m.externalData } : {}) },
        timing: a.software ? cfg.softwareTiming : cfg.timing,
        timeoutMs: cfg.timeoutMs,
        ...testCrashFor(runtime),
        ...(cfg.profile ? { profile: true } : {}),
      };
      // NOTE: an unavailable runtime is not started again for every model: its rows say why at once.
      const measured: BatchResult[] = !a.ok
        ? inputs.map(({ batch }) => ({ batch, status: 'unavailable', error: a.reason ?? `${runtime} unavailable`, availability: a, sessionCreateMs: 0, fallbackNodes: null }))
        : await runJob(job, placeOf(cfg));
      const results = sessions.add(runtime, session, measured);
      if (!results) continue;
      const scoring = m.trained && a.ok && (!a.software || cfg.evalSoftware) ? await predictTestSet(cfg, scored(m), m.trained.evalSet, runtime) : undefined;
      results.forEach((r, i) => {
        const row = rowFor(cfg, m, runtime, inputs[i], r, refs.get(inputs[i].batch), env);
        if (m.rowExtras && row.status === 'ok') Object.assign(row, m.rowExtras);
        if (scoring?.pred && row.status === 'ok') Object.assign(row, qualityColumns(scoring, m.trained!.evalSet, referencePred?.pred));
        else if (scoring?.error && row.status === 'ok') row.error = scoring.error;
        sinks.csv.append(row);
        if (r.timing) {
          sinks.samples.append({ run_id: cfg.runId, model: m.name, variant: m.variant, runtime, batch: inputs[i].batch, samples_ms: r.timing.samplesMs, first_sample_at: r.timing.firstSampleAt, ...(r.timing.sessionSizes ? { session_sizes: r.timing.sessionSizes } : {}) });
        }
        if (r.nodes && sinks.profile) {
          const key = { run_id: cfg.runId, model: m.name, variant: m.variant, runtime, batch: inputs[i].batch };
          sinks.profile.append(key, r.nodes, (n) => isFallbackNode(n, r.availability.provider));
        }
        rows.push(row);
        // NOTE: once per runtime, with its first batch (so a resume that redoes later batches does not log it twice).
        if (scoring?.pred && inputs[i].batch === allInputs[0].batch) logConfusion(sinks, m, runtime, scoring);
        sinks.onRow?.(row);
      });
    }
  }
  return rows;
}

