import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAblation } from '../../src/ablate/run-ablation.ts';
import { MISSION_RECIPE, MISSION_TRAINING } from '../../src/ablate/suites.ts';
import { writeReport } from '../../src/report/write-report.ts';
import { loadDataset } from '../../src/features/datasets/index.ts';
import { CsvReport, readReport } from '../../src/report/csv.ts';
import { SamplesLog } from '../../src/report/samples.ts';
import { SOFTWARE_TIMING } from '../../src/sweep/sweep.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'melbench-mission-'));

describe('the mission suite end to end (tiny alerts, 1 epoch)', () => {
  it('every variant row is ok and scored, and the HTML report is written', async () => {
    const dir = tmp();
    const csvPath = join(dir, 'm.csv');
    // 12 classes x (4 train, 2 val, 2 test) synthetic clips: the recipe's shape on a tiny dataset.
    const data = await loadDataset('alerts', { preset: 'default', seed: 0, cacheDir: tmp(), alerts: { perClass: { train: 4, val: 2, test: 2 } } });
    const rows = await runAblation(
      {
        suite: 'mission',
        suiteOptions: { calibration: MISSION_RECIPE.calibration, calibrations: [], ratios: MISSION_RECIPE.ratios, fineTuneEpochs: 1 },
        dataset: 'alerts',
        preset: 'default',
        trainEpochs: 1,
        trainRecipe: MISSION_TRAINING,
        build: { calibrationClips: 16, fineTuneLr: 0.01, seed: 1, exclude: [], log: () => {} },
        sweep: {
          runId: 'm',
          suite: 'mission',
          models: MISSION_RECIPE.models,
          runtimes: ['cpu'],
          batches: [1],
          classes: 0,
          seed: 1,
          threads: 1,
          timing: { warmupIterations: 1, warmupTimeMs: 0, minSamples: 3, minTimeMs: 0 },
          softwareTiming: SOFTWARE_TIMING,
          timeoutMs: 60_000,
          isolate: false,
        },
        data,
        trainCacheRoot: tmp(),
      },
      { csv: new CsvReport(csvPath).open(), samples: new SamplesLog(join(dir, 'm.samples.jsonl')) },
    );
    expect(rows.map((r) => r.variant)).toEqual(['fp32', 'fold-bn', 'channels-l1-0.5-ft1', 'fp16', 'qdq-u8s8-pc-minmax']);
    for (const r of rows) {
      expect(r.status, `${r.variant}: ${r.error}`).toBe('ok');
      for (const col of ['model_bytes', 'params', 'macs', 'macro_f1', 'agreement_fp32', 'p50_ms'] as const) expect(typeof r[col], `${r.variant} ${col}`).toBe('number');
    }
    expect(readReport(csvPath)).toHaveLength(rows.length);
    const page = await writeReport(csvPath);
    expect(existsSync(page)).toBe(true);
    expect(readFileSync(page, 'utf8')).toContain('<svg');
  }, 120_000);
});
