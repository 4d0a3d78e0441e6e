/**
 * Does `bench` report what a user's own loop would measure? For each model and runtime, pairs of
 * fresh processes, interleaved (harness first on even pairs, bare first on odd ones):
 * - harness: `runIsolated` with the job the sweep builds for `bench` at its defaults (timing
 *   DEFAULT_TIMING, or the sweep's software timing on a software adapter): its row's p50;
 * - bare: a child that opens the same bytes on the same runner (no profiling), runs a warm-up of
 *   at least 20 runs and 2 s, then at least 200 timed `await session.run(feeds)` calls and 1 s,
 *   and takes their median (the issue's reference loop was 20 + 200 runs; the time floors keep a
 *   0.05 ms model's reference from being a 10 ms loop that never warmed up).
 * Prints harness p50 / bare p50 per pair and their median. Target: <= 1.03 for every runtime, on a
 * zoo model (resnet) and a fast model (<= 1 ms: one strided 3x3 conv, pooling and a dense layer).
 * Both sides pay their own process start, so neither sees the other's tiered-up WebAssembly.
 *
 * `--harness-warmup N` replaces the harness's steady-state warm-up with the old fixed one (N runs
 * and 100 ms; the default before 2026-11-29 was 10): the ablation that shows the warm-up was the cause.
 *
 * `--curve` prints, instead, the warm-up curve of a bare loop in a fresh process: the median of
 * each window of 10 runs over the first `--curve-runs`, with optional V8 flags for that child
 * (`--node-flags=--no-liftoff` compiles all WebAssembly with the optimising compiler up front):
 * the evidence for what a warm-up has to wait for.
 *
 *   npx tsx benchmarks/harness-vs-bare.ts [--models resnet,fast] [--runtimes cpu,wasm] [--pairs 6]
 *   npx tsx benchmarks/harness-vs-bare.ts --curve --models resnet --runtimes wasm [--node-flags=--no-liftoff]
 */
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { errorLine, EXIT, UserError } from '../src/errors.ts';
import { toOnnx } from '../src/export/onnx.ts';
import { getPreset } from '../src/features/presets.ts';
import { ModelBuilder } from '../src/graph/builder.ts';
import { runIsolated, type MeasureJob } from '../src/runners/isolate.ts';
import { getRunner, type Feeds, type RuntimeName } from '../src/runners/runner.ts';
import { DEFAULT_TIMING, quantile, type TimingConfig } from '../src/runners/timing.ts';
import { builtinFeatures, makeBatch } from '../src/sweep/inputs.ts';
import { prepareModel } from '../src/sweep/models.ts';
import { SOFTWARE_TIMING } from '../src/sweep/sweep.ts';

const TARGET = 1.03;
const SELF = fileURLToPath(import.meta.url);
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

const median = (xs: number[]) => quantile([...xs].sort((a, b) => a - b), 0.5);

interface BareRequest {
  runtime: RuntimeName;
  bytes: Uint8Array;
  feeds: Feeds;
  warmup: number;
  warmupMs: number;
  samples: number;
  samplesMs: number;
  /** --curve: report every sample, in order. */
  curve?: boolean;
}

interface BareReply {
  p50: number;
  samples?: number[];
  createMs: number;
  error?: string;
}

/** The child side: a bare loop, as a user would write it. */
async function bareChild(r: BareRequest): Promise<BareReply> {
  const runner = getRunner(r.runtime);
  const a = await runner.available();
  if (!a.ok) return { p50: Number.NaN, createMs: 0, error: a.reason };
  const t0 = performance.now();
  const session = await runner.open(r.bytes);
  const createMs = performance.now() - t0;
  const w0 = performance.now();
  for (let i = 0; i < r.warmup || performance.now() - w0 < r.warmupMs; i++) await session.run(r.feeds);
  const xs: number[] = [];
  const s0 = performance.now();
  for (let i = 0; i < r.samples || performance.now() - s0 < r.samplesMs; i++) {
    const s = performance.now();
    await session.run(r.feeds);
    xs.push(performance.now() - s);
  }
  await session.close();
  return { p50: median(xs), createMs, ...(r.curve ? { samples: xs } : {}) };
}

function bare(request: BareRequest, nodeFlags: string[] = []): Promise<BareReply> {
  return new Promise((resolve, reject) => {
    const child = fork(SELF, ['--bare-child'], { execArgv: [...nodeFlags, '--import', TSX_LOADER], serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let reply: BareReply | undefined;
    child.on('message', (m: BareReply) => {
      reply = m;
      child.disconnect();
    });
    child.on('exit', (code) => (reply ? resolve(reply) : reject(new Error(`bare-loop child exited with code ${code}`))));
    child.send(request);
  });
}

/** The fast model: Conv 3x3/2 (1 -> 8) + ReLU, global average pool, dense 10, softmax: about 0.15 M MACs. */
function fastModel(frames: number, mels: number): Uint8Array {
  const b = new ModelBuilder('fast', { seed: 1 });
  const x = b.input('mel', ['N', 1, mels, frames]);
  const h = b.relu(b.conv(x, { filters: 8, kernel: 3, stride: 2, bias: true }));
  b.output(b.softmax(b.dense(b.flatten(b.globalAvgPool(h)), 10), { name: 'probs' }));
  return toOnnx(b.build());
}

function modelFor(name: string): { bytes: Uint8Array; feeds: Feeds } {
  const features = builtinFeatures(getPreset('default'));
  if (name === 'fast') {
    const [, mels, frames] = features.dims;
    return { bytes: fastModel(frames, mels), feeds: { mel: makeBatch(features, 1) } };
  }
  const m = prepareModel({ spec: name, classes: 10, seed: 1 });
  return { bytes: m.bytes, feeds: { [m.graph.inputs[0].name]: makeBatch(m.features, 1) } };
}

async function harness(runtime: RuntimeName, bytes: Uint8Array, feeds: Feeds, timing: TimingConfig): Promise<{ p50: number; warmup: number; converged: string; software: boolean }> {
  // As src/sweep/sweep.ts builds a job for `bench` with default options.
  const job: MeasureJob = { runtime, modelBytes: bytes, batches: [{ batch: 1, feeds }], open: {}, timing, softwareTiming: SOFTWARE_TIMING, timeoutMs: 600_000 };
  const [row] = await runIsolated(job);
  if (row.status !== 'ok' || !row.timing) throw new Error(`harness row ${row.status}: ${row.error}`);
  const t = row.timing as typeof row.timing & { warmupConverged?: boolean | null };
  return { p50: t.p50Ms, warmup: t.warmup, converged: t.warmupConverged === undefined ? '-' : String(t.warmupConverged), software: row.availability.software === true };
}

const positive = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive integer`);
  return n;
};
const list = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);

async function main(): Promise<void> {
  const o = new Command('harness-vs-bare')
    .option('--models <names>', "zoo names and/or 'fast'", list, ['resnet', 'fast'])
    .option('--runtimes <names>', 'runtimes (webgpu ones on a software adapter: correctness only)', list, ['cpu', 'wasm'])
    .option('--pairs <n>', 'interleaved harness/bare pairs per model and runtime', positive('--pairs'), 6)
    .option('--bare-warmup <n>', 'bare loop warm-up runs', positive('--bare-warmup'), 20)
    .option('--bare-warmup-ms <n>', 'and at least this long', positive('--bare-warmup-ms'), 2000)
    .option('--bare-samples <n>', 'bare loop timed runs', positive('--bare-samples'), 200)
    .option('--bare-samples-ms <n>', 'and at least this long', positive('--bare-samples-ms'), 1000)
    .option('--harness-warmup <n>', "the harness's warm-up: this many runs and 100 ms, instead of steady state", (v) => Number(v))
    .option('--curve', 'print the warm-up curve of a bare loop instead')
    .option('--curve-runs <n>', 'runs in the curve', positive('--curve-runs'), 300)
    .option('--node-flags <flags>', 'V8/Node flags for the --curve child, comma-separated (e.g. --no-liftoff)', list, [])
    .parse()
    .opts<{ models: string[]; runtimes: string[]; pairs: number; bareWarmup: number; bareWarmupMs: number; bareSamples: number; bareSamplesMs: number; harnessWarmup?: number; curve?: boolean; curveRuns: number; nodeFlags: string[] }>();

  for (const r of o.runtimes) getRunner(r);
  const { steady: _, ...fixed } = DEFAULT_TIMING;
  const timing: TimingConfig = o.harnessWarmup === undefined ? DEFAULT_TIMING : { ...fixed, warmupIterations: o.harnessWarmup, warmupTimeMs: 100 };
  if (!o.curve) console.log(`harness: runIsolated with ${o.harnessWarmup === undefined ? 'DEFAULT_TIMING, as bench' : `a fixed warm-up of ${o.harnessWarmup} runs and 100 ms`}; bare: >= ${o.bareWarmup} runs and ${o.bareWarmupMs} ms warm-up, >= ${o.bareSamples} runs and ${o.bareSamplesMs} ms timed; ${o.pairs} interleaved pairs`);
  for (const name of o.models) {
    const { bytes, feeds } = modelFor(name);
    for (const runtime of o.runtimes as RuntimeName[]) {
      if (o.curve) {
        const r = await bare({ runtime, bytes, feeds, warmup: 0, warmupMs: 0, samples: o.curveRuns, samplesMs: 0, curve: true }, o.nodeFlags);
        if (r.error) throw new UserError(`${runtime} unavailable: ${r.error}`, EXIT.usage);
        const xs = r.samples!;
        const windows: string[] = [];
        for (let i = 0; i < xs.length; i += 10) windows.push(median(xs.slice(i, i + 10)).toFixed(2));
        console.log(`${name} ${runtime}${o.nodeFlags.length ? ` (${o.nodeFlags.join(' ')})` : ''}: session ${r.createMs.toFixed(0)} ms, first run ${xs[0].toFixed(2)} ms; median per 10 runs: ${windows.join(' ')}`);
        continue;
      }
      const ratios: number[] = [];
      const hs: number[] = [];
      const bs: number[] = [];
      let note = '';
      for (let p = 0; p < o.pairs; p++) {
        const runBare = async () => {
          const r = await bare({ runtime, bytes, feeds, warmup: o.bareWarmup, warmupMs: o.bareWarmupMs, samples: o.bareSamples, samplesMs: o.bareSamplesMs });
          if (r.error) throw new UserError(`${runtime} unavailable: ${r.error}`, EXIT.usage);
          return r.p50;
        };
        let h: Awaited<ReturnType<typeof harness>>;
        let b: number;
        if (p % 2 === 0) {
          h = await harness(runtime, bytes, feeds, timing);
          b = await runBare();
        } else {
          b = await runBare();
          h = await harness(runtime, bytes, feeds, timing);
        }
        if (h.software) note = ' [software adapter: correctness only]';
        hs.push(h.p50);
        bs.push(b);
        ratios.push(h.p50 / b);
        console.log(`  ${name} ${runtime} pair ${p + 1}: harness ${h.p50.toFixed(3)} ms (warm-up ${h.warmup}, converged ${h.converged}), bare ${b.toFixed(3)} ms, ratio ${(h.p50 / b).toFixed(3)}`);
      }
      const m = median(ratios);
      console.log(
        `${name} ${runtime}${note}: harness/bare median ${m.toFixed(3)} (min ${Math.min(...ratios).toFixed(3)}, max ${Math.max(...ratios).toFixed(3)}, ${o.pairs} pairs); p50 harness ${median(hs).toFixed(3)} ms, bare ${median(bs).toFixed(3)} ms: ${m <= TARGET ? 'PASS' : 'FAIL'} (target <= ${TARGET})`,
      );
    }
  }
}

if (process.argv.includes('--bare-child')) {
  process.once('message', async (r: BareRequest) => {
    let reply: BareReply;
    try {
      reply = await bareChild(r);
    } catch (e) {
      reply = { p50: Number.NaN, createMs: 0, error: errorLine(e) };
    }
    process.send!(reply);
  });
} else {
  main().catch((e) => {
    process.stderr.write(`harness-vs-bare: ${e instanceof UserError ? '' : 'internal error: '}${errorLine(e)}\n`);
    process.exitCode = e instanceof UserError ? e.exitCode : EXIT.internal;
  });
}
