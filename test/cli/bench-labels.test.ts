/**
 * A model file with a labels file is scored like a trained zoo model: `bench file.onnx --dataset
 * alerts --labels labels.txt` on the exported dws-resnet (1 epoch, the run cache `bench --dataset`
 * uses) gives the zoo model's own macro-F1 row for row; a shuffled labels file moves the classes
 * (and the F1 with them, exactly as metrics.ts says of the permuted confusion matrix); bad labels
 * files fail in one line. `ablate --labels` scores every variant of the file the same way.
 */
import { copyFileSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.ts';
import { readConfusion } from '../../src/report/confusion-log.ts';
import { readReport } from '../../src/report/csv.ts';
import { metricsFrom } from '../../src/train/metrics.ts';
import { loadTrainingData } from '../../src/train/run.ts';
import { trainedModel } from '../../src/train/trained-model.ts';
import { melbenchInProcess as melbench } from './run-in-process.ts';

// NOTE: the CSV keeps 6 significant digits (src/report/csv.ts), so a value is compared as the CSV writes it.
const asCsv = (v: number) => String(Number(v.toPrecision(6)));
const TINY = new URL('../data/tiny-cnn.onnx', import.meta.url).pathname;
const FAST = ['--runtimes', 'cpu', '--no-isolate', '--warmup', '0', '--samples', '2', '--time-ms', '0', '--no-report'];
// NOTE: --train-epochs 1 and the default --seed 1 are the run trained below, so bench reuses it from the cache.
const TRAINED = ['--dataset', 'alerts', '--train-epochs', '1'];

let dir = '';
let model = '';
let classes: string[] = [];
const labelsFile = (name: string, names: string[]) => {
  const path = join(dir, name);
  writeFileSync(path, `${names.join('\n')}\n\n`);
  return path;
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'melbench-labels-'));
  const data = await loadTrainingData({ dataset: 'alerts', preset: 'default', datasetSeed: 0 });
  const run = await trainedModel({ model: 'dws-resnet', dataset: 'alerts', preset: 'default', epochs: 1, seed: 1 }, data);
  classes = data.classes;
  model = join(dir, 'alerts-net.onnx');
  copyFileSync(run.onnxPath, model);
}, 240_000);

describe('bench file.onnx --dataset --labels', () => {
  it("scores the file like the trained zoo model it was exported from; shuffled labels move the classes", async () => {
    const out = join(dir, 'run.csv');
    const r = await melbench('bench', 'dws-resnet', model, ...TRAINED, '--labels', labelsFile('labels.txt', classes), ...FAST, '-o', out);
    expect(r.code, r.stderr).toBe(0);
    const [zoo, file] = readReport(out);
    expect([zoo.model, zoo.variant, file.model, file.variant, file.status]).toEqual(['dws-resnet', 'trained-fp32', 'alerts-net', 'fp32', 'ok']);
    expect(file.macro_f1).toMatch(/^\d/);
    for (const col of ['macro_f1', 'accuracy', 'precision', 'recall'] as const) expect(file[col]).toBe(zoo[col]);
    expect(Number(file.test_set_ms)).toBeGreaterThan(0);
    const confusion = readConfusion(join(dir, 'run.confusion.jsonl')).find((c) => c.model === 'alerts-net')!;
    expect(confusion.classes).toEqual(classes);
    expect(asCsv(metricsFrom(confusion.matrix).macroF1)).toBe(file.macro_f1);

    // Output index k now names class k+1: the clip of dataset class d has output index d-1 as its truth.
    const k = classes.length;
    const rotated = classes.map((_, i) => classes[(i + 1) % k]);
    const outShuffled = join(dir, 'shuffled.csv');
    const s = await melbench('bench', model, ...TRAINED, '--labels', labelsFile('rotated.txt', rotated), ...FAST, '-o', outShuffled);
    expect(s.code, s.stderr).toBe(0);
    const [shuffled] = readReport(outShuffled);
    const permuted = confusion.matrix.map((_, t) => confusion.matrix[(t + 1) % k]);
    expect(shuffled.macro_f1).toBe(asCsv(metricsFrom(permuted).macroF1));
    expect(shuffled.macro_f1).not.toBe(file.macro_f1);
  }, 120_000);

  it('bad labels: wrong count, unknown class, missing file, no --labels, --labels without --dataset', async () => {
    const run = (...args: string[]) => melbench('bench', model, ...args, ...FAST, '-o', join(dir, 'bad.csv'));
    const oneLine = (r: { stderr: string }) => expect(r.stderr.trim().split('\n')).toHaveLength(1);

    const more = await run(...TRAINED, '--labels', labelsFile('more.txt', [...classes, 'extra']));
    expect(more.code).toBe(EXIT.badInput);
    expect(more.stderr).toMatch(/more\.txt has 13 class names but .*alerts-net\.onnx's output '\w+' is \[\w+, 12\] \(12 classes\); give one name per output index/);
    oneLine(more);

    const typo = await run(...TRAINED, '--labels', labelsFile('typo.txt', classes.map((c) => (c === 'doorbell' ? 'door_bell' : c))));
    expect(typo.code).toBe(EXIT.badInput);
    expect(typo.stderr).toMatch(/typo\.txt lacks the class\(es\) 'doorbell' of dataset alerts/);
    oneLine(typo);

    const missing = await run(...TRAINED, '--labels', join(dir, 'nope.txt'));
    expect(missing.code).toBe(EXIT.badInput);
    expect(missing.stderr).toMatch(/--labels: cannot read .*nope\.txt: ENOENT/);
    oneLine(missing);

    const none = await run(...TRAINED);
    expect(none.code).toBe(EXIT.usage);
    expect(none.stderr).toMatch(/--dataset scores '.*alerts-net\.onnx' only with --labels/);

    const noDataset = await run('--labels', labelsFile('labels.txt', classes));
    expect(noDataset.code).toBe(EXIT.usage);
    expect(noDataset.stderr).toMatch(/--labels .* give --dataset/);

    // tiny-cnn takes [N, 1, 16, 20] patches, not alerts' default clips: refused before its output is looked at.
    const tiny = await melbench('bench', TINY, ...TRAINED, '--labels', join(dir, 'labels.txt'), ...FAST, '-o', join(dir, 'bad.csv'));
    expect(tiny.code).toBe(EXIT.badModel);
    expect(tiny.stderr).toMatch(/tiny-cnn\.onnx: input 'x' is float32\[N, 1, 16, 20\] but the test clips of alerts \(preset default\) are \[N, 1, \d+, \d+\]; choose the --preset/);
    oneLine(tiny);
  }, 60_000);
});

describe('ablate --models file.onnx --dataset --labels', () => {
  it('every variant of the file gets macro-F1 on the test split; the fp32 variant is the file', async () => {
    const bench = join(dir, 'ablate-base.csv');
    expect((await melbench('bench', model, ...TRAINED, '--labels', labelsFile('labels.txt', classes), ...FAST, '-o', bench)).code).toBe(0);
    const [benched] = readReport(bench);
    const out = join(dir, 'ablate.csv');
    const r = await melbench('ablate', '--suite', 'seed001', '--models', model, '--dataset', 'alerts', '--labels', join(dir, 'labels.txt'), '--eval-count', '16', '--calibration-clips', '16', ...FAST, '-o', out);
    expect(r.code, r.stderr).toBe(0);
    // With --labels, --calib defaults to the dataset.
    expect(r.stderr).toContain('alerts-net: calibration: 16 clips of the training split of alerts');
    const rows = readReport(out);
    expect(rows.map((x) => x.variant)).toEqual(['fp32', 'qdq-u8s8-pc-minmax', 'full-int-u8s8-pc-minmax', 'full-int-naive-u8s8', 'fp16', 'dynamic']);
    for (const row of rows) {
      expect(row.status, row.error ?? '').toBe('ok');
      expect(row.macro_f1, row.variant).toMatch(/^\d/);
      expect(Number(row.test_set_ms)).toBeGreaterThan(0);
      expect(row.fidelity_inputs).toBe('16');
    }
    expect(rows[0].variant).toBe('fp32');
    expect(rows[0].macro_f1).toBe(benched.macro_f1);
    expect(rows[0].agreement_fp32).toBe('1');
  }, 120_000);

  it('refused before the run starts: --dataset on files without --labels, --labels without a file, a count the output does not have', async () => {
    const out = join(dir, 'ablate-bad.csv');
    const none = await melbench('ablate', '--suite', 'seed001', '--models', model, '--dataset', 'alerts', ...FAST, '-o', out);
    expect(none.code).toBe(EXIT.usage);
    expect(none.stderr).toMatch(/--dataset scores '.*alerts-net\.onnx' only with --labels/);
    const zoo = await melbench('ablate', '--suite', 'seed001', '--models', 'dws-resnet', '--labels', join(dir, 'labels.txt'), ...FAST, '-o', out);
    expect(zoo.code).toBe(EXIT.usage);
    expect(zoo.stderr).toMatch(/--labels names the classes of a model file's outputs/);
    const more = await melbench('ablate', '--suite', 'seed001', '--models', model, '--dataset', 'alerts', '--labels', labelsFile('more.txt', [...classes, 'extra']), ...FAST, '-o', out);
    expect(more.code).toBe(EXIT.badInput);
    expect(more.stderr).toMatch(/more\.txt has 13 class names but .*alerts-net\.onnx's output '\w+' is \[\w+, 12\] \(12 classes\)/);
    expect(existsSync(out)).toBe(false);
  }, 60_000);
});
