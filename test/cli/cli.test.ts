import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.ts';

const BIN = new URL('../../bin/melbench.mjs', import.meta.url).pathname;

function melbench(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A user error: the documented exit code and exactly one line on stderr, no stack trace. */
function expectUserError(r: ReturnType<typeof melbench>, code: number, pattern: RegExp) {
  expect(r.code).toBe(code);
  const lines = r.stderr.trim().split('\n');
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe('melbench CLI: bad input', () => {
  it('unknown model', () => {
    expectUserError(melbench('bench', '--models', 'resnet,nope'), EXIT.usage, /^melbench: error: unknown model 'nope'; choose from: .*resnet/);
  });

  it('unknown runtime', () => {
    expectUserError(melbench('bench', '--models', 'resnet', '--runtimes', 'cpu,tpu'), EXIT.usage, /unknown runtime 'tpu'; choose from: cpu, wasm, webgpu, webgpu-web/);
  });

  it('unknown option and bad batch list', () => {
    expect(melbench('bench', '--frobnicate').code).toBe(EXIT.usage);
    expectUserError(melbench('bench', '--batch', '1,zero'), EXIT.usage, /--batch must be a comma-separated list of positive integers/);
  });

  it('impossible shape: a kernel larger than its input', () => {
    expectUserError(
      melbench('export', 'dcase-baseline', '--preset', 'seed003-mfcc', '-o', join(tmpdir(), 'x.onnx')),
      EXIT.badModel,
      /MaxPool 'block2\/maxpool'.*kernel 4 is larger than its input of size 2/,
    );
  });

  it('unwritable report path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'melbench-cli-'));
    writeFileSync(join(dir, 'file'), 'x');
    expectUserError(melbench('bench', '--models', 'dws-resnet', '--runtimes', 'cpu', '-o', join(dir, 'file', 'r.csv')), EXIT.output, /cannot write the report/);
  });

  it('a file that is not ONNX', () => {
    const dir = mkdtempSync(join(tmpdir(), 'melbench-cli-'));
    const p = join(dir, 'fake.onnx');
    writeFileSync(p, 'definitely not protobuf\n');
    expectUserError(melbench('bench', '--models', p, '--runtimes', 'cpu'), EXIT.badInput, /fake\.onnx is not an ONNX model/);
    expectUserError(melbench('bench', '--models', join(dir, 'missing.onnx')), EXIT.badInput, /cannot read model .*missing\.onnx: ENOENT/);
  });
});

describe('melbench CLI: train refuses impossible configurations before any work', () => {
  it('unknown optimizer, zero epochs, unknown schedule and training runtime', () => {
    expectUserError(melbench('train', '--model', 'resnet', '--optimizer', 'rmsprop'), EXIT.usage, /unknown --optimizer 'rmsprop'; choose from: sgd, adam, adamw/);
    expectUserError(melbench('train', '--model', 'resnet', '--epochs', '0'), EXIT.usage, /--epochs must be a positive integer, got '0'/);
    expectUserError(melbench('train', '--model', 'resnet', '--schedule', 'warmup'), EXIT.usage, /unknown --schedule 'warmup'/);
    expectUserError(melbench('train', '--model', 'resnet', '--train-runtime', 'wasm'), EXIT.usage, /--train-runtime must be cpu or webgpu/);
    expectUserError(melbench('train', '--model', 'nope'), EXIT.usage, /unknown model 'nope'/);
  });
});

describe('melbench CLI: ablate refuses bad options before any work', () => {
  it('unknown suite, model or calibration; a prune ratio outside (0, 1)', () => {
    expectUserError(melbench('ablate', '--suite', 'distill'), EXIT.usage, /unknown --suite 'distill'; choose from: quant, prune, seed001/);
    expectUserError(melbench('ablate', '--suite', 'quant', '--models', 'resnet,nope'), EXIT.usage, /unknown model 'nope'/);
    expectUserError(melbench('ablate', '--suite', 'quant', '--calibration', 'kl'), EXIT.usage, /unknown calibration 'kl'; choose from: minmax, percentile, entropy, mse/);
    expectUserError(melbench('ablate', '--suite', 'prune', '--ratios', '0.5,1.2'), EXIT.usage, /--ratios must be a comma-separated list of numbers in \(0, 1\), got '0.5,1.2'/);
  });
});

describe('melbench CLI: end to end', () => {
  it('export writes a model that bench then times from the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'melbench-cli-'));
    const onnx = join(dir, 'dws.onnx');
    const e = melbench('export', 'dws-resnet', '-o', onnx, '--classes', '5');
    expect(e.code).toBe(0);
    expect(e.stdout).toMatch(/input mel \[N, 1, 64, T\], [\d,]+ params/);
    const csvPath = join(dir, 'r.csv');
    const b = melbench('bench', '--models', `${onnx},dws-resnet`, '--runtimes', 'cpu,wasm', '--batch', '1,3', '--samples', '3', '--time-ms', '0', '--warmup', '1', '--classes', '5', '-o', csvPath);
    expect(b.code).toBe(0);
    const rows = parse(readFileSync(csvPath, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => `${r.model}/${r.runtime}/${r.batch}/${r.status}`)).toEqual([
      'dws/cpu/1/ok', 'dws/cpu/3/ok', 'dws/wasm/1/ok', 'dws/wasm/3/ok',
      'dws-resnet/cpu/1/ok', 'dws-resnet/cpu/3/ok', 'dws-resnet/wasm/1/ok', 'dws-resnet/wasm/3/ok',
    ]);
    // Same input bytes for every runtime at a batch size; the file and the zoo build are the same model.
    expect(new Set(rows.filter((r) => r.batch === '3').map((r) => r.input_sha256)).size).toBe(1);
    for (const r of rows) {
      expect(Number(r.samples)).toBeGreaterThanOrEqual(3);
      expect(Number(r.max_abs_diff)).toBeLessThan(1e-4);
      expect(Number(r.agreement_fp32)).toBe(1);
      expect(r.params).toBe(rows[0].params);
    }
    const jsonl = readFileSync(csvPath.replace(/\.csv$/, '.samples.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(jsonl).toHaveLength(8);
    expect(jsonl[0].samples_ms.length).toBe(Number(rows[0].samples));
  });

  it('bench --dataset trains a model, then scores its test macro-F1 on each runtime', () => {
    const dir = mkdtempSync(join(tmpdir(), 'melbench-cli-'));
    const csvPath = join(dir, 'trained.csv');
    const b = melbench('bench', '--dataset', 'alerts', '--models', 'dws-resnet', '--runtimes', 'cpu,wasm', '--train-epochs', '1', '--samples', '2', '--time-ms', '0', '--warmup', '0', '-o', csvPath);
    expect(b.code, b.stderr).toBe(0);
    const rows = parse(readFileSync(csvPath, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => `${r.runtime}/${r.variant}/${r.status}`)).toEqual(['cpu/trained-fp32/ok', 'wasm/trained-fp32/ok']);
    for (const r of rows) {
      // NOTE: Number('') is 0, which the range check alone would pass: the cell must hold a number.
      expect(r.macro_f1).toMatch(/^\d+(\.\d+)?(e-\d+)?$/);
      const f1 = Number(r.macro_f1);
      expect(f1).toBeGreaterThanOrEqual(0);
      expect(f1).toBeLessThanOrEqual(1);
      expect(Number(r.test_set_ms)).toBeGreaterThan(0);
      expect(r.accuracy).not.toBe('');
    }
    // Both runtimes compute the same fp32 model (outputs within ~1e-7): an argmax flip would need two
    // class scores closer than that on one of 240 clips, so their predictions, hence F1, agree.
    expect(rows[0].macro_f1).toBe(rows[1].macro_f1);
  }, 300_000);
});
