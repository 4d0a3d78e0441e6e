/**
 * The numbers behind the HTML report (src/report/figures.ts), its sidecar readers and the
 * `report` command's errors. The page itself is checked in a real browser in html.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT, InternalError, UserError } from '../../src/errors.ts';
import { renderCompareSection } from '../../src/report/compare-section.ts';
import { ConfusionLog, readConfusion } from '../../src/report/confusion-log.ts';
import {
  confusionGroups,
  fallbackNodes,
  latencyPoints,
  perClassRecall,
  pruneCurves,
  quantF1Cells,
  quantLatencyRatioCells,
  runConstants,
  sizeF1Points,
  technique,
} from '../../src/report/figures.ts';
import { latencySpec, renderSvg } from '../../src/report/plots.ts';
import { readProfile } from '../../src/report/profile-read.ts';
import { loadReportInputs } from '../../src/report/report-inputs.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'melbench-report-'));

/** A CSV row as the reader gives it: every cell a string, the compression columns 'none' unless set. */
function row(values: Record<string, string | number | boolean>): Record<string, string> {
  const base = { run_id: 'r', model: 'm', variant: 'fp32', quant_mode: 'none', calibration: 'none', prune_method: 'none', prune_ratio: '0', runtime: 'cpu', provider: 'cpu', batch: '1', status: 'ok', software_adapter: 'false' };
  return Object.fromEntries(Object.entries({ ...base, ...values }).map(([k, v]) => [k, String(v)]));
}

describe('latency points', () => {
  it('take p10 / p50 / p90 from the raw samples, linearly interpolated, in any order', () => {
    // Samples 1..11 (shuffled): position (n - 1) q gives exactly 2, 6 and 10.
    const samples = [{ runId: 'r', model: 'm', variant: 'fp32', runtime: 'cpu', batch: 1, samplesMs: [6, 1, 11, 3, 2, 10, 4, 9, 5, 8, 7] }];
    const [p] = latencyPoints({ rows: [row({ p50_ms: 99, p90_ms: 99 })], samples });
    expect(p).toMatchObject({ p10: 2, p50: 6, p90: 10, n: 11, source: 'samples', label: 'm' });
  });

  it("fall back to the CSV's p50 and p90 without samples, and skip rows that are not ok", () => {
    const rows = [row({ p50_ms: 1.5, p90_ms: 2.5 }), row({ runtime: 'webgpu-web', status: 'unavailable' })];
    const points = latencyPoints({ rows, samples: [] });
    expect(points).toHaveLength(1);
    expect(points[0]).toMatchObject({ p10: 1.5, p50: 1.5, p90: 2.5, source: 'csv' });
  });

  it('join samples by run, model, variant, runtime and batch, and flag software adapters', () => {
    const rows = [row({ batch: 8, runtime: 'webgpu', software_adapter: true, p50_ms: 1 }), row({ batch: 1, p50_ms: 1 })];
    const samples = [{ runId: 'r', model: 'm', variant: 'fp32', runtime: 'webgpu', batch: 8, samplesMs: [300, 310, 320] }];
    const [gpu, cpu] = latencyPoints({ rows, samples });
    expect(gpu).toMatchObject({ p50: 310, source: 'samples', software: true });
    expect(cpu.source).toBe('csv');
  });
});

describe('latency chart', () => {
  it('uses a log axis, or a linear one when a 0 ms sample would make log impossible', async () => {
    const point = { model: 'm', variant: 'v', label: 'm', runtime: 'cpu', batch: 1, p50: 0.5, p90: 2, source: 'samples' as const, software: false };
    const log = await renderSvg(latencySpec([{ ...point, p10: 0.25 }]));
    const linear = await renderSvg(latencySpec([{ ...point, p10: 0 }]));
    expect(log).toContain('latency, ms (log)');
    expect(linear).not.toContain('(log)');
    for (const svg of [log, linear]) expect(svg.match(/aria-roledescription="point"/g)).toHaveLength(1);
  });
});

describe('compression figures', () => {
  const rows = [
    row({ variant: 'fp32', p50_ms: 2, macro_f1: 0.9, model_bytes: 500_000, macs: 100e6 }),
    row({ variant: 'fp32', runtime: 'wasm', p50_ms: 10, macro_f1: 0.9, model_bytes: 500_000, macs: 100e6 }),
    row({ variant: 'fold-bn', p50_ms: 1.9, macro_f1: 0.9, model_bytes: 490_000 }),
    row({ variant: 'qdq-u8s8-pc-minmax', quant_mode: 'static-qdq', calibration: 'minmax', p50_ms: 1.4, macro_f1: 0.89, model_bytes: 145_000 }),
    row({ variant: 'qdq-u8s8-pc-minmax', quant_mode: 'static-qdq', calibration: 'minmax', runtime: 'wasm', p50_ms: 5, macro_f1: 0.89 }),
    row({ variant: 'qdq-u8s8-pc-entropy', quant_mode: 'static-qdq', calibration: 'entropy', p50_ms: 1.5, macro_f1: 0.91, model_bytes: 145_000 }),
    row({ variant: 'qdq-u8s8-pc-entropy', quant_mode: 'static-qdq', calibration: 'entropy', runtime: 'webgpu', software_adapter: true, p50_ms: 400 }),
    row({ variant: 'dynamic', quant_mode: 'dynamic', p50_ms: 2.4, macro_f1: 0.9 }),
    row({ variant: 'channels-l1-0.5-ft20', prune_method: 'channels-l1+ft20', prune_ratio: 0.5, p50_ms: 0.6, macro_f1: 0.92, macs: 29e6, model_bytes: 134_000 }),
  ];

  it('name the technique from quant_mode and prune_method', () => {
    expect(rows.map(technique)).toEqual(['fp32', 'fp32', 'fold-bn', 'static-qdq', 'static-qdq', 'static-qdq', 'static-qdq', 'dynamic', 'channels-l1+ft20']);
    expect(technique(row({ variant: 'x', quant_mode: 'fp16', prune_method: 'channels-l1' }))).toBe('channels-l1 + fp16');
  });

  it('size vs F1: one point per model variant, in KB of 1000 bytes, from the cpu row', () => {
    const points = sizeF1Points(rows);
    expect(points.map((p) => p.variant)).toEqual(['fp32', 'fold-bn', 'qdq-u8s8-pc-minmax', 'qdq-u8s8-pc-entropy', 'channels-l1-0.5-ft20']);
    expect(points[0]).toMatchObject({ kb: 500, f1: 0.9, technique: 'fp32' });
  });

  it('latency ratio: p50 over the fp32 p50 of the same runtime, calibration split off the variant, software left out', () => {
    const cells = quantLatencyRatioCells(rows);
    const get = (setting: string, calibration: string, runtime: string) => cells.find((c) => c.setting === setting && c.calibration === calibration && c.runtime === runtime)?.value;
    expect(get('qdq-u8s8-pc', 'minmax', 'cpu')).toBeCloseTo(1.4 / 2, 12);
    expect(get('qdq-u8s8-pc', 'minmax', 'wasm')).toBeCloseTo(5 / 10, 12);
    expect(get('qdq-u8s8-pc', 'entropy', 'cpu')).toBeCloseTo(1.5 / 2, 12);
    expect(get('dynamic', 'none', 'cpu')).toBeCloseTo(1.2, 12);
    expect(cells.some((c) => c.runtime === 'webgpu')).toBe(false);
    expect(cells).toHaveLength(4);
  });

  it('F1 heatmap: the quantized variants plus the fp32 reference, one value each', () => {
    const cells = quantF1Cells(rows);
    expect(cells.map((c) => `${c.setting}/${c.calibration}=${c.value}`).sort()).toEqual(['dynamic/none=0.9', 'fp32/none=0.9', 'qdq-u8s8-pc/entropy=0.91', 'qdq-u8s8-pc/minmax=0.89']);
  });

  it('no heatmap for a run with fewer than two quantized variants of a model', () => {
    expect(quantF1Cells(rows.filter((r) => r.variant !== 'dynamic' && !r.variant.endsWith('entropy')))).toEqual([]);
  });

  it('pruning curves start at ratio 0 from the fp32 row', () => {
    expect(pruneCurves(rows, 'macs').map((p) => [p.ratio, p.value])).toEqual([[0, 100e6], [0.5, 29e6]]);
    const lat = pruneCurves(rows, 'p50_ms');
    expect(lat.filter((p) => p.ratio === 0).map((p) => [p.runtime, p.value])).toEqual([['cpu', 2], ['wasm', 10]]);
    expect(pruneCurves(rows.filter((r) => r.prune_method === 'none'), 'macro_f1')).toEqual([]);
  });
});

describe('environment block', () => {
  it('lists every column constant over the run, environment first, including columns newer than this version', () => {
    const header = ['run_id', 'model', 'runtime', 'status', 'error', 'device', 'software_adapter', 'cpu', 'cores', 'kept_fp32', 'git_commit'];
    const rows = [
      { run_id: 'r', model: 'a', runtime: 'cpu', status: 'ok', error: '', device: 'EPYC', software_adapter: 'false', cpu: 'EPYC', cores: '2', kept_fp32: '', git_commit: 'abc123' },
      { run_id: 'r', model: 'b', runtime: 'webgpu', status: 'ok', error: '', device: 'SwiftShader', software_adapter: 'true', cpu: 'EPYC', cores: '2', kept_fp32: '', git_commit: 'abc123' },
    ];
    const { constant, varyingEnvironment } = runConstants(header, rows);
    expect(constant.map((c) => c.column)).toEqual(['cpu', 'cores', 'git_commit', 'run_id', 'status']);
    expect(varyingEnvironment).toEqual([
      { column: 'device', values: ['EPYC', 'SwiftShader'] },
      { column: 'software_adapter', values: ['false', 'true'] },
    ]);
  });
});

describe('confusion sidecar', () => {
  it('round-trips records and groups runtimes that predicted alike', () => {
    const path = join(tmp(), 'r.confusion.jsonl');
    const log = new ConfusionLog(path);
    const classes = ['bell', 'horn'];
    log.append({ model: 'm', variant: 'fp32', runtime: 'cpu', classes, matrix: [[9, 1], [0, 10]] });
    log.append({ model: 'm', variant: 'fp32', runtime: 'wasm', classes, matrix: [[9, 1], [0, 10]] });
    log.append({ model: 'm', variant: 'fp32', runtime: 'webgpu', classes, matrix: [[8, 2], [0, 10]] });
    log.append({ model: 'm', variant: 'dynamic', runtime: 'cpu', classes, matrix: [[5, 5], [0, 10]] });
    writeFileSync(path, `${readFileSync(path, 'utf8')}{"model":"m","variant":"fp16","runtime":"cpu","classes":["bell","horn"],"matrix":[[10,0],[0,10]],"batch":1}\n`);
    const records = readConfusion(path);
    expect(records).toHaveLength(5);
    expect(records[4]).toEqual({ model: 'm', variant: 'fp16', runtime: 'cpu', classes, matrix: [[10, 0], [0, 10]] });
    const groups = confusionGroups(records);
    expect(groups.map((g) => [g.variant, g.runtimes.join('+'), g.reference])).toEqual([
      ['fp32', 'cpu+wasm', true],
      ['fp32', 'webgpu', true],
      ['dynamic', 'cpu', false],
      ['fp16', 'cpu', false],
    ]);
    expect(perClassRecall(records).filter((c) => c.variant === 'dynamic')).toEqual([
      { model: 'm', variant: 'dynamic', cls: 'bell', recall: 0.5 },
      { model: 'm', variant: 'dynamic', cls: 'horn', recall: 1 },
    ]);
  });

  it('is absent for a run without trained models, and a malformed line is a bad input naming the line', () => {
    const dir = tmp();
    expect(readConfusion(join(dir, 'none.confusion.jsonl'))).toEqual([]);
    const path = join(dir, 'bad.confusion.jsonl');
    writeFileSync(path, '{"model":"m","variant":"v","runtime":"cpu","classes":["a","b"],"matrix":[[1,0],[0,1]]}\n{"model":"m","variant":"v","runtime":"wasm","classes":["a","b"],"matrix":[[1,0]]}\n');
    const err = (() => {
      try {
        readConfusion(path);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).exitCode).toBe(EXIT.badInput);
    expect((err as Error).message).toMatch(/bad\.confusion\.jsonl:2: matrix must have 2 rows/);
  });

  it("refuses to write a record whose matrix does not match its classes (the caller's bug)", () => {
    const log = new ConfusionLog(join(tmp(), 'r.confusion.jsonl'));
    expect(() => log.append({ model: 'm', variant: 'v', runtime: 'cpu', classes: ['a', 'b'], matrix: [[1, 2, 3], [4, 5, 6]] })).toThrow(InternalError);
    expect(() => log.append({ model: 'm', variant: 'v', runtime: 'cpu', classes: ['a'], matrix: [[-1]] })).toThrow(/non-negative integers/);
  });
});

describe('profile sidecar', () => {
  it('lists the nodes the profile marks as fallbacks (memcpy is glue: the writer never marks it)', () => {
    const path = join(tmp(), 'r.profile.csv');
    writeFileSync(
      path,
      [
        'run_id,model,variant,runtime,batch,node,op_type,provider,fallback,time_us_per_run,calls,extra',
        'r,m,v,webgpu,1,conv,Conv,WebGpuExecutionProvider,false,100,3,x',
        'r,m,v,webgpu,1,add,QLinearAdd,CPUExecutionProvider,true,40,3,x',
        'r,m,v,webgpu,1,copy,MemcpyToHost,CPUExecutionProvider,false,5,3,x',
        'r,m,v,cpu,1,add,QLinearAdd,CPUExecutionProvider,false,4,3,x',
      ].join('\n'),
    );
    const profile = readProfile(path);
    expect(profile).toHaveLength(4);
    const rows = [row({ variant: 'v', runtime: 'webgpu', provider: 'webgpu' }), row({ variant: 'v', runtime: 'cpu', provider: 'cpu' })];
    expect(fallbackNodes(profile, rows).map((n) => `${n.runtime}:${n.node}`)).toEqual(['webgpu:add']);
  });

  it('without its columns is a bad input', () => {
    const path = join(tmp(), 'r.profile.csv');
    writeFileSync(path, 'model,node\nm,conv\n');
    expect(() => readProfile(path)).toThrow(/not a melbench profile: no column variant, runtime, batch, op_type, provider, fallback, time_us_per_run/);
  });
});

describe('samples sidecar', () => {
  it('skips a torn last line with a warning instead of losing the report', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'r.csv'), 'run_id,model,variant,runtime,batch,status,p50_ms\nr,m,fp32,cpu,1,ok,1.5\n');
    writeFileSync(join(dir, 'r.samples.jsonl'), '{"run_id":"r","model":"m","variant":"fp32","runtime":"cpu","batch":1,"samples_ms":[1,2,3],"first_sample_time":"t"}\n{"run_id":"r","mod');
    const inputs = loadReportInputs(join(dir, 'r.csv'));
    expect(inputs.samples).toEqual([{ runId: 'r', model: 'm', variant: 'fp32', runtime: 'cpu', batch: 1, samplesMs: [1, 2, 3] }]);
    expect(inputs.warnings).toEqual([expect.stringMatching(/r\.samples\.jsonl: 1 line\(s\) skipped/)]);
  });
});

describe('compare section', () => {
  it('renders the flagged cells as a table and the cells with samples as distributions', async () => {
    const html = await renderCompareSection({
      baseline: 'base.csv',
      current: 'cur.csv',
      regressions: [
        { cell: 'resnet fp32 cpu b1', category: 'regression', reasons: ['latency +12.0% [+9.1%, +15.2%]'], baselineP50Ms: 1.4, currentP50Ms: 1.57, ratio: 1.12, ci: [1.091, 1.152], p: 1e-4, baselineSamplesMs: [1.4, 1.41, 1.39, 1.42], currentSamplesMs: [1.57, 1.55, 1.6, 1.58] },
        { cell: 'resnet <fp16> cpu b1', category: 'regression', reasons: ['macro-F1 -0.020'], baselineSamplesMs: [], currentSamplesMs: [] },
      ],
    });
    expect(html).toContain('resnet fp32 cpu b1');
    expect(html).toContain('resnet &lt;fp16&gt; cpu b1');
    expect(html).toContain('1.12 [1.09, 1.15]');
    expect(html.match(/data-chart="compare-samples"/g)).toHaveLength(1);
    // One panel (one title) per cell with samples, and its ticks: 8 samples.
    expect(html).toContain('resnet fp32 cpu b1</text>');
    expect(html).not.toContain('fp16&gt; cpu b1</text>');
    expect(html.match(/aria-roledescription="tick"/g)).toHaveLength(8);
    expect(html.match(/aria-roledescription="box"/g)).toHaveLength(2);
  });
});

describe('melbench report: errors', () => {
  const BIN = new URL('../../bin/melbench.mjs', import.meta.url).pathname;
  const melbench = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });

  it('a missing CSV is a bad input (exit 3) in one line; an unwritable -o is exit 5', () => {
    const dir = tmp();
    const missing = melbench('report', join(dir, 'nope.csv'));
    expect(missing.status).toBe(EXIT.badInput);
    expect(missing.stderr).toMatch(/^melbench: error: cannot read .*nope\.csv: ENOENT/);
    writeFileSync(join(dir, 'r.csv'), 'run_id,model,variant,runtime,batch,status,p50_ms\nr,m,fp32,cpu,1,ok,1.5\n');
    writeFileSync(join(dir, 'file'), '');
    const unwritable = melbench('report', join(dir, 'r.csv'), '-o', join(dir, 'file'));
    expect(unwritable.status).toBe(EXIT.output);
    expect(unwritable.stderr).toMatch(/^melbench: error: cannot write the report .*file\/r\/index\.html: (ENOTDIR|EEXIST)/);
    const ok = melbench('report', join(dir, 'r.csv'));
    expect(ok.status).toBe(0);
    expect(ok.stdout.trim()).toBe(join(dir, 'r', 'index.html'));
    expect(existsSync(join(dir, 'r', 'index.html'))).toBe(true);
  });
});

describe('summary of a model file ablation', () => {
  it("shows each variant's fidelity to the file (agreement, SNR) where there is no macro-F1", async () => {
    const { renderReport } = await import('../../src/report/html.ts');
    const dir = tmp();
    const head = 'run_id,model,variant,runtime,batch,status,p50_ms,model_bytes,fidelity_agreement,snr_db';
    writeFileSync(join(dir, 'r.csv'), [head, 'r,vad,fp32,cpu,1,ok,1.5,2000,1,Infinity', 'r,vad,qdq,cpu,1,ok,1.1,600,0.984,31.23456'].join('\n') + '\n');
    const html = await renderReport(loadReportInputs(join(dir, 'r.csv')));
    expect(html).toContain('<th>SNR dB</th>');
    expect(html).toContain('<td>31.2</td>');
    expect(html).toContain('<td>Infinity</td>');
    expect(html).toContain('<td>0.984</td>');
  }, 60_000);

  it('leaves the fidelity columns out of a run that has none', async () => {
    const { renderReport } = await import('../../src/report/html.ts');
    const dir = tmp();
    writeFileSync(join(dir, 'r.csv'), 'run_id,model,variant,runtime,batch,status,p50_ms,macro_f1\nr,m,fp32,cpu,1,ok,1.5,0.9\n');
    const html = await renderReport(loadReportInputs(join(dir, 'r.csv')));
    expect(html).not.toContain('SNR dB');
  }, 60_000);
});
