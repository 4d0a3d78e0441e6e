/**
 * `ablate --resume`: variants whose cells are all in the run, or whose build failed there, are
 * neither built nor measured again; the others are.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type AblationConfig, runAblation } from '../../src/ablate/run-ablation.ts';
import { suiteVariants } from '../../src/ablate/suites.ts';
import { variantName } from '../../src/ablate/variants.ts';
import { loadDataset } from '../../src/features/datasets/index.ts';
import { CsvReport, readReport } from '../../src/report/csv.ts';
import { SamplesLog } from '../../src/report/samples.ts';
import { cellKey } from '../../src/sweep/resume.ts';
import { SOFTWARE_TIMING } from '../../src/sweep/sweep.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'melbench-ablate-resume-'));

describe('ablate --resume', () => {
  it('builds and measures only the variants not done', async () => {
    const suiteOptions: AblationConfig['suiteOptions'] = { calibration: 'minmax', calibrations: ['minmax'], ratios: [0.5], fineTuneEpochs: 1 };
    const names = suiteVariants('seed001', suiteOptions).map(variantName);
    expect(names).toContain('fp16');
    expect(names).toContain('dynamic');
    // Every cell done but fp16's, and dynamic's build failed in the run (a row with no runtime).
    const done = new Set(names.filter((n) => n !== 'fp16' && n !== 'dynamic').flatMap((v) => [1, 2].map((batch) => cellKey({ model: 'dws-resnet', variant: v, runtime: 'cpu', batch }))));
    done.add(cellKey({ model: 'dws-resnet', variant: 'dynamic', runtime: '', batch: '' }));
    const dir = tmp();
    const csvPath = join(dir, 'r.csv');
    const cfg: AblationConfig = {
      suite: 'seed001',
      suiteOptions,
      dataset: 'alerts',
      preset: 'default',
      trainEpochs: 1,
      build: { calibrationClips: 16, fineTuneLr: 0.01, seed: 1, exclude: [], log: () => {} },
      sweep: { runId: 't', suite: 'seed001', models: ['dws-resnet'], runtimes: ['cpu'], batches: [1, 2], classes: 0, seed: 1, threads: 1, timing: { warmupIterations: 1, warmupTimeMs: 0, minSamples: 3, minTimeMs: 0 }, softwareTiming: SOFTWARE_TIMING, timeoutMs: 60_000, isolate: false, done },
      data: await loadDataset('alerts', { preset: 'default', seed: 0, cacheDir: tmp(), alerts: { perClass: { train: 4, val: 2, test: 2 } } }),
      trainCacheRoot: tmp(),
    };
    const rows = await runAblation(cfg, { csv: new CsvReport(csvPath).open(), samples: new SamplesLog(join(dir, 'r.samples.jsonl')) });
    expect(rows.map((r) => `${r.variant} b${r.batch}`)).toEqual(['fp16 b1', 'fp16 b2']);
    expect(readReport(csvPath).map((r) => r.variant)).toEqual(['fp16', 'fp16']);
  }, 240_000);
});
