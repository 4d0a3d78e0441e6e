import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAblation, type AblationConfig } from '../../src/ablate/run-ablation.ts';
import { loadDataset } from '../../src/features/datasets/index.ts';
import { getZooEntry } from '../../src/graph/zoo/index.ts';
import type { Row } from '../../src/report/columns.ts';
import { CsvReport, readReport } from '../../src/report/csv.ts';
import { SamplesLog } from '../../src/report/samples.ts';
import { SOFTWARE_TIMING } from '../../src/sweep/sweep.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'melbench-ablate-'));
const dataRoot = tmp();
const trainRoot = tmp();
// 12 classes x (4 train, 2 val, 2 test) synthetic clips: enough to train a step and score.
const data = () => loadDataset('alerts', { preset: 'default', seed: 0, cacheDir: dataRoot, alerts: { perClass: { train: 4, val: 2, test: 2 } } });

const QUICK = { warmupIterations: 1, warmupTimeMs: 0, minSamples: 3, minTimeMs: 0 };

async function ablate(suite: AblationConfig['suite'], ratios: number[] = [0.5], exclude: string[] = []) {
  const dir = tmp();
  const csvPath = join(dir, 'r.csv');
  const cfg: AblationConfig = {
    suite,
    suiteOptions: { calibration: 'minmax', calibrations: ['minmax', 'entropy'], ratios, fineTuneEpochs: 1 },
    dataset: 'alerts',
    preset: 'default',
    trainEpochs: 1,
    build: { calibrationClips: 16, fineTuneLr: 0.01, seed: 1, exclude, log: () => {} },
    sweep: { runId: 't', suite, models: ['dws-resnet'], runtimes: ['cpu'], batches: [1], classes: 0, seed: 1, threads: 1, timing: QUICK, softwareTiming: SOFTWARE_TIMING, timeoutMs: 60_000, isolate: false },
    data: await data(),
    trainCacheRoot: trainRoot,
  };
  const rows = await runAblation(cfg, { csv: new CsvReport(csvPath).open(), samples: new SamplesLog(join(dir, 'r.samples.jsonl')) });
  return { rows, csvPath };
}

const byVariant = (rows: Row[]) => new Map(rows.map((r) => [r.variant as string, r]));

describe('melbench ablate', () => {
  it("seed001: every mode of seed 001's table runs and is scored, int8 is a quarter-ish of fp32, naive full-int is shown", async () => {
    const firstConv = getZooEntry('dws-resnet').build({ channels: 1, mels: 64, frames: 126, classes: 12 }).nodes.find((n) => n.opType === 'Conv')!.name;
    const { rows, csvPath } = await ablate('seed001', [0.5], [firstConv]);
    const v = byVariant(rows);
    expect([...v.keys()]).toEqual(['fp32', 'qdq-u8s8-pc-minmax', 'full-int-u8s8-pc-minmax', 'full-int-naive-u8s8', 'fp16', 'dynamic']);
    for (const r of rows) {
      expect(r.status, `${r.variant}: ${r.error}`).toBe('ok');
      expect(r.macro_f1).toBeGreaterThanOrEqual(0);
      expect(r.agreement_fp32).toBeGreaterThanOrEqual(0);
      expect(r.agreement_fp32).toBeLessThanOrEqual(1);
    }
    expect(v.get('fp32')!.agreement_fp32).toBe(1);
    expect(v.get('qdq-u8s8-pc-minmax')!.quant_mode).toBe('static-qdq');
    expect(v.get('full-int-u8s8-pc-minmax')!.quant_mode).toBe('full-int');
    expect(v.get('dynamic')!.quant_mode).toBe('dynamic');
    // int8 weights are a quarter of fp32's, but a 16k-parameter model's graph (names, Q/DQ nodes,
    // scales) weighs as much as its weights: the ResNet's ratio is 0.28, this one's about half.
    expect(v.get('qdq-u8s8-pc-minmax')!.model_bytes as number).toBeLessThan(0.6 * (v.get('fp32')!.model_bytes as number));
    expect(v.get('fp16')!.model_bytes as number).toBeLessThan(0.6 * (v.get('fp32')!.model_bytes as number));
    // What a pass left in float is listed on the row: the Softmax (no quantized form) and the excluded first conv.
    expect(String(v.get('qdq-u8s8-pc-minmax')!.kept_fp32)).toMatch(/Softmax/);
    expect(String(v.get('qdq-u8s8-pc-minmax')!.kept_fp32)).toContain(firstConv);
    expect(String(v.get('dynamic')!.kept_fp32)).toContain(firstConv);
    // Every row reached the CSV.
    expect(readReport(csvPath).map((r) => r.variant)).toEqual(rows.map((r) => r.variant));
  }, 240_000);

  it('prune: channel pruning removes MACs, magnitude pruning zeros weights, fine-tuning keeps the pruned shape', async () => {
    const { rows } = await ablate('prune');
    const v = byVariant(rows);
    const fp32 = v.get('fp32')!;
    expect(rows.every((r) => r.status === 'ok')).toBe(true);
    expect(v.get('fold-bn')!.macro_f1).toBeCloseTo(fp32.macro_f1 as number, 2);
    const mag = v.get('magnitude-global-0.5')!;
    expect(mag.nonzero_params as number).toBeLessThan(0.75 * (fp32.nonzero_params as number));
    expect(mag.macs).toBe(fp32.macs);
    for (const name of ['channels-l1-0.5', 'channels-l1-0.5-ft1', 'channels-bn-gamma-0.5', 'channels-bn-gamma-0.5-ft1']) {
      expect(v.get(name)!.macs as number, name).toBeLessThan(0.6 * (fp32.macs as number));
      expect(v.get(name)!.prune_ratio).toBe(0.5);
    }
    expect(v.get('channels-l1-0.5-ft1')!.prune_method).toBe('channels-l1+ft1');
  }, 240_000);

  it('a variant its pass refuses becomes an error row naming the layer, and the ablation goes on', async () => {
    const { rows } = await ablate('prune', [0.999]);
    const refused = rows.filter((r) => String(r.variant).startsWith('channels-'));
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) expect(r.status).toBe('error');
    expect(String(refused[0].error)).toMatch(/building the variant failed: pruning 0.999 of the \d+ channels of '.+' would remove all of them/);
    expect(rows.find((r) => r.variant === 'magnitude-global-0.999')!.status).toBe('ok');
  }, 240_000);
});
