/**
 * A synthetic but realistic run for the report's benchmark and browser test: the CSV (through
 * CsvReport and columns.ts, so it has the real header), raw samples, confusion matrices and a
 * per-node profile, all deterministic (seeded). Models × variants × runtimes × batches rows; a
 * webgpu runtime runs on a software adapter, and `unavailable` adds one row that is not ok.
 *
 * The numbers follow the shapes of real runs (quantized variants smaller and a little faster,
 * pruned ones cut MACs by about 1 − (1 − r)², F1 near the fp32 model's), not real measurements.
 */
import { PROFILE_COLUMNS } from '../src/report/profile-csv.ts';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../src/rng.ts';
import { makeRow } from '../src/report/columns.ts';
import { ConfusionLog } from '../src/report/confusion-log.ts';
import { CsvReport } from '../src/report/csv.ts';
import { SamplesLog } from '../src/report/samples.ts';

export interface SyntheticRunOptions {
  models: string[];
  /** Prune ratios of the channel-pruned variants. */
  ratios: number[];
  calibrations: string[];
  runtimes: string[];
  batches: number[];
  samples: number;
  classes: string[];
  /** Add a webgpu-web row with status 'unavailable'. */
  unavailable: boolean;
  /** Write `<run>.profile.csv` for the cpu and webgpu rows of the first model. */
  profile: boolean;
}

export const DEFAULT_SYNTHETIC: SyntheticRunOptions = {
  models: ['resnet', 'dws-resnet'],
  ratios: [0.3, 0.5],
  calibrations: ['minmax', 'entropy'],
  runtimes: ['cpu', 'wasm', 'webgpu'],
  batches: [1],
  samples: 60,
  classes: ['alarm', 'bell', 'horn', 'siren', 'whistle'],
  unavailable: true,
  profile: true,
};

interface Variant {
  variant: string;
  quant_mode: string;
  calibration: string;
  prune_method: string;
  prune_ratio: number;
  /** × the fp32 model: bytes, MACs, latency; F1 offset. */
  bytes: number;
  macs: number;
  speed: number;
  dF1: number;
}

function variants(o: SyntheticRunOptions): Variant[] {
  const v = (variant: string, rest: Partial<Variant>): Variant => ({ variant, quant_mode: 'none', calibration: 'none', prune_method: 'none', prune_ratio: 0, bytes: 1, macs: 1, speed: 1, dF1: 0, ...rest });
  const out = [v('fp32', {}), v('fold-bn', { bytes: 0.985, speed: 0.97 }), v('fp16', { quant_mode: 'fp16', bytes: 0.5, speed: 1.01 }), v('dynamic', { quant_mode: 'dynamic', bytes: 0.28, speed: 1.2, dF1: 0.004 })];
  o.calibrations.forEach((c, i) => {
    out.push(v(`qdq-u8s8-pc-${c}`, { quant_mode: 'static-qdq', calibration: c, bytes: 0.29, speed: 0.68, dF1: -0.004 + 0.003 * i }));
    out.push(v(`qdq-s8s8-pc-${c}`, { quant_mode: 'static-qdq', calibration: c, bytes: 0.29, speed: 1.1, dF1: -0.006 + 0.003 * i }));
    out.push(v(`qop-u8s8-pc-${c}`, { quant_mode: 'static-qoperator', calibration: c, bytes: 0.27, speed: 0.71, dF1: -0.005 + 0.003 * i }));
  });
  for (const r of o.ratios) {
    const keep = (1 - r) ** 2;
    out.push(v(`channels-l1-${r}-ft20`, { prune_method: 'channels-l1+ft20', prune_ratio: r, bytes: keep, macs: keep, speed: 0.15 + 0.85 * keep, dF1: 0.01 - 0.04 * r }));
    out.push(v(`magnitude-global-${r}`, { prune_method: 'magnitude-global', prune_ratio: r, dF1: -0.08 * r * r }));
    out.push(v(`channels-bn-gamma-${r}-ft20`, { prune_method: 'channels-bn-gamma+ft20', prune_ratio: r, bytes: keep, macs: keep, speed: 0.15 + 0.85 * keep, dF1: -0.005 - 0.05 * r }));
  }
  return out;
}

const PROVIDERS: Record<string, string> = { cpu: 'cpu', wasm: 'wasm', webgpu: 'webgpu', 'webgpu-web': 'webgpu' };
const RUNTIME_SPEED: Record<string, number> = { cpu: 1, wasm: 7, webgpu: 300, 'webgpu-web': 600 };

/** Writes `<dir>/<runId>.csv` and its sidecars; returns the CSV's path and its row count. */
export function writeSyntheticRun(dir: string, runId: string, opts: Partial<SyntheticRunOptions> = {}): { csvPath: string; rows: number } {
  const o = { ...DEFAULT_SYNTHETIC, ...opts };
  const rng = new Rng(7);
  const rand = () => rng.next();
  const csvPath = join(dir, `${runId}.csv`);
  const base = csvPath.replace(/\.csv$/, '');
  const csv = new CsvReport(csvPath).open();
  const samples = new SamplesLog(`${base}.samples.jsonl`);
  const confusion = new ConfusionLog(`${base}.confusion.jsonl`);
  const profileLines = [PROFILE_COLUMNS.join(',')];
  const env = { cpu: 'AMD EPYC 7B13', cores: 2, node: 'v20.20.2', ort_version: '1.30.0', os: 'linux 6.1.0' };
  let rows = 0;
  o.models.forEach((model, mi) => {
    const params = 125132 >> mi;
    const macs = 112_500_000 >> mi;
    const f1 = 0.93 - 0.03 * mi;
    const ms = 1.4 * (1 + mi * 0.6);
    for (const v of variants(o)) {
      const modelF1 = Math.min(1, f1 + v.dF1);
      const k = o.classes.length;
      const variantMatrix = o.classes.map((_, t) => {
        const row = new Array<number>(k).fill(0);
        const right = Math.round(48 * modelF1);
        row[t] = right;
        for (let j = 0; j < 48 - right; j++) row[(t + 1 + Math.floor(rand() * (k - 1))) % k]++;
        return row;
      });
      for (const runtime of o.runtimes) {
        const software = runtime.startsWith('webgpu');
        // The variant's confusion matrix (48 clips per class, about its F1); a software GPU moves one clip.
        const matrix = variantMatrix.map((row) => [...row]);
        if (software && k > 1) {
          matrix[0][0]--;
          matrix[0][1]++;
        }
        confusion.append({ model, variant: v.variant, runtime, classes: o.classes, matrix });
        for (const batch of o.batches) {
          const p50 = ms * v.speed * RUNTIME_SPEED[runtime] * batch ** 0.8;
          const xs = Array.from({ length: o.samples }, () => p50 * (0.93 + 0.1 * rand() + (rand() < 0.05 ? 0.5 * rand() : 0)));
          const sorted = [...xs].sort((a, b) => a - b);
          const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.round(p * (sorted.length - 1)))];
          samples.append({ run_id: runId, model, variant: v.variant, runtime, batch, samples_ms: xs });
          csv.append(
            makeRow({
              run_id: runId, time: new Date(Date.UTC(2026, 10, 29, 20, 0, rows)).toISOString(), suite: 'synthetic', model, variant: v.variant,
              quant_mode: v.quant_mode, calibration: v.calibration, prune_method: v.prune_method, prune_ratio: v.prune_ratio, runtime,
              provider: PROVIDERS[runtime], fallback_nodes: runtime === 'webgpu' ? 1 : 0, threads: 0, batch, preset: 'default',
              input_shape: `${batch}x1x64x126`, input_sha256: 'e3b0c44298fc1c149afbf4c8996fb924', params: Math.round(params * v.bytes),
              nonzero_params: Math.round(params * v.bytes), macs: Math.round(macs * v.macs), model_bytes: Math.round(params * 4 * v.bytes) + 1800,
              gzip_bytes: Math.round(params * 3.7 * v.bytes), macro_f1: modelF1, accuracy: modelF1 + 0.01, precision: modelF1, recall: modelF1,
              agreement_fp32: 1 - Math.abs(v.dF1), max_abs_diff: 1e-6, session_create_ms: 12, first_run_ms: p50 * 3, mean_ms: p50 * 1.02,
              p50_ms: q(0.5), p90_ms: q(0.9), p99_ms: q(0.99), min_ms: sorted[0], std_ms: p50 * 0.03, rme_pct: 0.8, samples: o.samples,
              warmup: 10, throughput_per_s: batch / q(0.5) * 1000, test_set_ms: p50 * 4, status: 'ok', error: null,
              device: software ? 'Google SwiftShader (software)' : env.cpu, software_adapter: software, ...env,
            }),
          );
          rows++;
        }
        if (o.profile && mi === 0 && v.variant === 'qop-u8s8-pc-minmax' && (runtime === 'cpu' || runtime === 'webgpu')) {
          const ep = runtime === 'cpu' ? 'CPUExecutionProvider' : 'WebGpuExecutionProvider';
          const nodes: [string, string, string, number][] = [
            ['stem/conv', 'QLinearConv', ep, 210], ['block1/conv1', 'QLinearConv', ep, 180], ['block1/conv2', 'QLinearConv', ep, 175],
            ['block1/add', 'QLinearAdd', runtime === 'webgpu' ? 'CPUExecutionProvider' : ep, 40], ['pool', 'GlobalAveragePool', ep, 12],
            ['head/gemm', 'Gemm', ep, 9], ['probs', 'Softmax', ep, 3], ['input_q', 'QuantizeLinear', ep, 6],
          ];
          for (const [node, op, provider, us] of nodes) profileLines.push([runId, model, v.variant, runtime, 1, node, op, provider, provider !== ep, us * (runtime === 'webgpu' ? 40 : 1), 10].join(','));
        }
      }
    }
  });
  if (o.unavailable) {
    csv.append(makeRow({ run_id: runId, time: new Date(Date.UTC(2026, 10, 29, 21, 0, 0)).toISOString(), suite: 'synthetic', model: o.models[0], variant: 'fp32', quant_mode: 'none', calibration: 'none', prune_method: 'none', prune_ratio: 0, runtime: 'webgpu-web', provider: 'webgpu', batch: 1, status: 'unavailable', error: 'no WebGPU adapter (No supported adapters)', ...env }));
    rows++;
  }
  if (o.profile) {
    // Written like the profile sidecar of `bench --profile`.
    writeFileSync(`${base}.profile.csv`, `${profileLines.join('\n')}\n`);
  }
  return { csvPath, rows };
}
