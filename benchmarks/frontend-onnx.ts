/**
 * Latency of the ONNX frontend (src/features/onnx-frontend.ts) on every runtime, next to the
 * TypeScript frontend on the same clips, as a real-time factor (RTF = seconds of audio per second
 * of compute).
 *
 *   npx tsx benchmarks/frontend-onnx.ts [--preset default] [--batches 1,8] [--threads 1]
 *
 * Clips: batch b holds b consecutive clips of the preset's test signal (testSignal over b clip
 * lengths, cut), so no two clips in a batch are equal. Every runtime runs in a child process
 * (runIsolated), so one that crashes or hangs gives a 'crashed'/'timeout' row with its reason.
 * Timing: DEFAULT_TIMING (tinybench, mean of >= 50 runs after warm-up); software WebGPU adapters
 * (SwiftShader) get SOFTWARE_TIMING and are flagged "software adapter: correctness only".
 * --threads sets ORT's intra-op threads for cpu (default 1, like the one-thread TS frontend);
 * wasm is single-threaded in Node. The TS row times computeFeatures clip by clip, one thread.
 * `max |err| dB` is each runtime's first output against computeFeatures.
 */
import { toOnnx } from '../src/export/onnx.ts';
import { computeFeatures } from '../src/features/frontend.ts';
import { buildFrontendGraph, frontendInput, FRONTEND_INPUT, FRONTEND_OUTPUT } from '../src/features/onnx-frontend.ts';
import { getPreset, samplesFor } from '../src/features/presets.ts';
import { testSignal } from '../src/features/test-signal.ts';
import type { Audio, FeatureTensor } from '../src/features/types.ts';
import { runIsolated, type BatchResult } from '../src/runners/isolate.ts';
import { RUNTIMES, type HostTensor } from '../src/runners/runner.ts';
import { DEFAULT_TIMING, SOFTWARE_TIMING } from '../src/runners/timing.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const preset = getPreset(arg('preset', 'default'));
const batches = arg('batches', '1,8').split(',').map(Number);
const threads = Number(arg('threads', '1'));
const clipSamples = samplesFor(preset, preset.clipSeconds);

function clipsFor(batch: number): Audio[] {
  const long = testSignal(preset, batch * preset.clipSeconds);
  return Array.from({ length: batch }, (_, i) => ({
    sampleRate: long.sampleRate,
    channels: long.channels.map((x) => x.slice(i * clipSamples, (i + 1) * clipSamples)),
  }));
}

const inputs = batches.map((batch) => {
  const clips = clipsFor(batch);
  return { batch, clips, feed: { type: 'float32', ...frontendInput(clips, preset) } as HostTensor, expected: clips.map((c) => computeFeatures(c, preset)) };
});

function tsMs(clips: Audio[]): number {
  for (let i = 0; i < 5; i++) for (const c of clips) computeFeatures(c, preset);
  const times: number[] = [];
  const end = performance.now() + 1000;
  while (performance.now() < end || times.length < 20) {
    const t0 = performance.now();
    for (const c of clips) computeFeatures(c, preset);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

function maxErrDb(out: HostTensor | undefined, expected: FeatureTensor[]): string {
  if (!out) return '';
  const block = expected[0].data.length;
  let err = 0;
  expected.forEach((e, i) => {
    for (let j = 0; j < block; j++) err = Math.max(err, Math.abs((out.data[i * block + j] as number) - e.data[j]));
  });
  return err.toExponential(1);
}

interface Line {
  runtime: string;
  batch: number;
  status: string;
  ms: string;
  rtf: string;
  err: string;
  note: string;
}

const audioSeconds = (batch: number) => batch * preset.clipSeconds;
const rtf = (batch: number, ms: number) => `${Math.round((audioSeconds(batch) * 1000) / ms)}x`;

const lines: Line[] = inputs.map(({ batch, clips }) => {
  const ms = tsMs(clips);
  return { runtime: 'typescript', batch, status: 'ok', ms: ms.toFixed(2), rtf: rtf(batch, ms), err: '0', note: 'computeFeatures, float64 FFT, 1 thread' };
});

const bytes = toOnnx(buildFrontendGraph(preset, { samples: clipSamples }));
for (const runtime of RUNTIMES) {
  process.stderr.write(`measuring ${runtime}...\n`);
  const rows: BatchResult[] = await runIsolated({
    runtime,
    modelBytes: bytes,
    batches: inputs.map(({ batch, feed }) => ({ batch, feeds: { [FRONTEND_INPUT]: feed } })),
    open: runtime === 'cpu' ? { threads } : {},
    timing: DEFAULT_TIMING,
    softwareTiming: SOFTWARE_TIMING,
    timeoutMs: 300_000,
  });
  for (const [i, row] of rows.entries()) {
    const a = row.availability;
    const software = a.software ? 'software adapter: correctness only' : '';
    const where = [software, a.device, runtime === 'cpu' ? `${threads} thread(s)` : ''].filter(Boolean).join('; ');
    lines.push({
      runtime,
      batch: row.batch,
      status: row.status,
      ms: row.timing ? row.timing.meanMs.toFixed(2) : '',
      rtf: row.timing ? rtf(row.batch, row.timing.meanMs) : '',
      err: maxErrDb(row.outputs?.[FRONTEND_OUTPUT], inputs[i].expected),
      note: row.status === 'ok' ? where : `${row.error ?? ''}${where ? ` (${where})` : ''}`,
    });
  }
}

const head: Line = { runtime: 'runtime', batch: 0, status: 'status', ms: 'ms/batch', rtf: 'RTF', err: 'max|err| dB', note: 'note' };
const cols: (keyof Line)[] = ['runtime', 'batch', 'status', 'ms', 'rtf', 'err'];
const widths = cols.map((k) => Math.max(...[head, ...lines].map((l) => String(k === 'batch' && l === head ? 'batch' : l[k]).length)) + 2);
const fmt = (l: Line) => cols.map((k, i) => String(k === 'batch' && l === head ? 'batch' : l[k]).padEnd(widths[i])).join('') + l.note;
console.log(`ONNX frontend, preset '${preset.name}' (${preset.clipSeconds} s clips at ${preset.sampleRate} Hz -> [${buildFrontendGraph(preset).outputs[0].shape.slice(1).join(', ')}])`);
console.log(fmt(head));
for (const l of lines) console.log(fmt(l));
