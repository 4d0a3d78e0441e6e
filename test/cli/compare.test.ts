import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.ts';
import { encodeNpy } from '../../src/features/npy.ts';
import { DEFAULT_GATE } from '../../src/report/compare.ts';
import { compareInterleaved } from '../../src/sweep/interleave.ts';
import { prepareModel } from '../../src/sweep/models.ts';
import { writeRun } from '../fixtures/fake-run.ts';
import { melbenchInProcess } from './run-in-process.ts';

/** Runs the CLI in-process; `compare` without its HTML page (test/cli/report-at-end.test.ts checks that). */
async function melbench(...args: string[]) {
  if (args[0] === 'compare') args = [...args, '--no-report'];
  return melbenchInProcess(...args);
}

async function expectInputError(args: string[], pattern: RegExp) {
  const r = await melbench(...args);
  expect(r.code).toBe(EXIT.usage);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^melbench: error: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.stdout).toBe('');
}

const tmp = () => mkdtempSync(join(tmpdir(), 'melbench-compare-'));

afterEach(() => {
  delete process.env.GITHUB_STEP_SUMMARY;
});

describe('melbench compare <baseline.csv> <current.csv>', () => {
  it('exit 0 with no regression, 1 with one; the Markdown also goes to $GITHUB_STEP_SUMMARY', async () => {
    const dir = tmp();
    const base = writeRun(dir, 'base', [{ runtime: 'cpu' }, { runtime: 'wasm', median: 5 }], 1);
    const same = writeRun(dir, 'same', [{ runtime: 'cpu' }, { runtime: 'wasm', median: 5 }], 2);
    const slow = writeRun(dir, 'slow', [{ runtime: 'cpu', median: 1.2 }, { runtime: 'wasm', median: 5 }, { runtime: 'webgpu' }], 3);
    const ok = await melbench('compare', base, same);
    expect(ok.code).toBe(EXIT.ok);
    expect(ok.stdout).toMatch(/^0 regression\(s\), 0 missing, 0 incomparable, 0 improvement\(s\), 2 unchanged, 0 new\.$/m);

    process.env.GITHUB_STEP_SUMMARY = join(dir, 'summary.md');
    const bad = await melbench('compare', base, slow);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/### Regressions\n\n.*\n.*\n\| resnet fp32 cpu b1 t0 default \| ok \| [\d.]+ → [\d.]+ \| 1\.[12]\d+ \[/);
    expect(bad.stdout).toMatch(/### New\n\n.*\n.*\n\| resnet fp32 webgpu/);
    expect(readFileSync(process.env.GITHUB_STEP_SUMMARY, 'utf8')).toBe(bad.stdout);
  });

  it('gates F1, size and status from the CSV columns', async () => {
    const dir = tmp();
    const base = writeRun(dir, 'base', [{ runtime: 'cpu', f1: 0.9, bytes: 5000 }, { runtime: 'wasm' }], 1);
    const cur = writeRun(dir, 'cur', [{ runtime: 'cpu', f1: 0.85, bytes: 6000 }, { runtime: 'wasm', status: 'crashed' }], 2);
    const r = await melbench('compare', base, cur, '--json');
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout);
    expect(json.summary).toEqual({ regression: 2, missing: 0, incomparable: 0, improvement: 0, unchanged: 0, new: 0 });
    expect(json.cells[0].reasons).toEqual(['macro-F1 0.9000 -> 0.8500', 'model_bytes 5000 -> 6000 (+20.0%)']);
    expect(json.cells[1].reasons).toEqual(['status ok -> crashed']);
  });

  it('warns about a different environment, naming the fields', async () => {
    const dir = tmp();
    const base = writeRun(dir, 'base', [{ runtime: 'cpu' }], 1);
    const cur = writeRun(dir, 'cur', [{ runtime: 'cpu', cpu: 'Intel Xeon' }], 2);
    const r = await melbench('compare', base, cur);
    expect(r.code).toBe(EXIT.ok);
    expect(r.stderr).toMatch(/warning: environments differ in cpu: 'AMD EPYC' \(baseline\) vs 'Intel Xeon' \(current\)/);
    expect(r.stderr).not.toMatch(/differ in (cores|node|ort_version|os)/);
  });

  it('writes --json to a file and the BMF / github-action-benchmark exports, never over an input', async () => {
    const dir = tmp();
    const base = writeRun(dir, 'base', [{ runtime: 'cpu' }], 1);
    const cur = writeRun(dir, 'cur', [{ runtime: 'cpu' }], 2);
    const r = await melbench('compare', base, cur, '--json', join(dir, 'r.json'), '--export-bmf', join(dir, 'bmf.json'), '--export-gab', join(dir, 'gab.json'));
    expect(r.code).toBe(EXIT.ok);
    expect(JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')).summary.unchanged).toBe(1);
    expect(JSON.parse(readFileSync(join(dir, 'bmf.json'), 'utf8'))['resnet/fp32/cpu/b1/t0/default'].latency.value).toBeGreaterThan(0);
    expect(JSON.parse(readFileSync(join(dir, 'gab.json'), 'utf8'))[0]).toMatchObject({ name: 'resnet/fp32/cpu/b1/t0/default p50', unit: 'ms' });
    const before = readFileSync(cur, 'utf8');
    const clash = await melbench('compare', base, cur, '--export-bmf', cur);
    expect(clash.code).toBe(EXIT.usage);
    expect(clash.stderr).toMatch(/is one of the compared files/);
    expect(readFileSync(cur, 'utf8')).toBe(before);
  });
});

describe('melbench compare: bad input, one line and exit 2', () => {
  it('usage', async () => {
    const dir = tmp();
    const base = writeRun(dir, 'base', [{ runtime: 'cpu' }], 1);
    await expectInputError(['compare', base], /needs a baseline and a current report \(got 1 file/);
    await expectInputError(['compare', base, base, '--models', 'a', 'b'], /either two reports or --models/);
    expect((await melbench('compare', base, base, '--confidence', '2')).code).toBe(EXIT.usage);
  });

  it('missing, empty, not a CSV, another schema', async () => {
    const dir = tmp();
    const base = writeRun(dir, 'base', [{ runtime: 'cpu' }], 1);
    await expectInputError(['compare', join(dir, 'nope.csv'), base], /no such report: .*nope\.csv/);
    writeFileSync(join(dir, 'empty.csv'), '');
    await expectInputError(['compare', base, join(dir, 'empty.csv')], /empty\.csv is empty/);
    writeFileSync(join(dir, 'torn.csv'), 'model,runtime\n"resnet,cpu\n');
    await expectInputError(['compare', base, join(dir, 'torn.csv')], /torn\.csv is not a valid CSV/);
    writeFileSync(join(dir, 'other.csv'), 'name,value\nx,1\n');
    await expectInputError(['compare', base, join(dir, 'other.csv')], /other\.csv:1: not a melbench report of a known schema: no column schema, run_id, model/);
  });

  it('duplicate cells, an ok cell without samples, samples that belong to another CSV', async () => {
    const dir = tmp();
    const base = writeRun(dir, 'base', [{ runtime: 'cpu' }], 1);
    const dup = writeRun(dir, 'dup', [{ runtime: 'cpu' }, { runtime: 'wasm' }], 2);
    const lines = readFileSync(dup, 'utf8').split('\n');
    appendFileSync(dup, `${lines[1]}\n`);
    await expectInputError(['compare', base, dup], /dup\.csv:4: duplicate cell resnet fp32 cpu b1 t0 default \(first at line 2\)/);

    const nos = writeRun(dir, 'nos', [{ runtime: 'cpu' }], 3);
    writeFileSync(join(dir, 'nos.samples.jsonl'), '');
    await expectInputError(['compare', base, nos], /nos\.csv:2: ok cell resnet fp32 cpu b1 t0 default has no record in .*nos\.samples\.jsonl/);

    const empty = writeRun(dir, 'emp', [{ runtime: 'cpu' }], 4);
    writeFileSync(join(dir, 'emp.samples.jsonl'), `${JSON.stringify({ run_id: 'emp', model: 'resnet', variant: 'fp32', runtime: 'cpu', batch: 1, samples_ms: [] })}\n`);
    await expectInputError(['compare', base, empty], /emp\.samples\.jsonl:1: .*(no samples|says 100)/);

    const other = writeRun(dir, 'oth', [{ runtime: 'cpu' }], 5);
    writeFileSync(join(dir, 'oth.samples.jsonl'), readFileSync(join(dir, 'base.samples.jsonl')));
    await expectInputError(['compare', base, other], /oth\.csv:2: ok cell .* has no record in/);

    const extra = writeRun(dir, 'ext', [{ runtime: 'cpu' }], 6);
    appendFileSync(join(dir, 'ext.samples.jsonl'), `${JSON.stringify({ run_id: 'ext', model: 'resnet', variant: 'fp32', runtime: 'wasm', batch: 1, samples_ms: [1, 2] })}\n`);
    await expectInputError(['compare', base, extra], /ext\.samples\.jsonl:2: record ext resnet fp32 wasm 1 matches no ok row of .*ext\.csv/);

    const torn = writeRun(dir, 'tor', [{ runtime: 'cpu' }], 7);
    appendFileSync(join(dir, 'tor.samples.jsonl'), '{"run_id": "tor", "mod');
    await expectInputError(['compare', base, torn], /tor\.samples\.jsonl:2: not a JSON record \(a torn last line\?\)/);

    const gone = writeRun(dir, 'gone', [{ runtime: 'cpu' }], 8);
    await expectInputError(['compare', base, gone.replace('gone.csv', 'gone2.csv')], /no such report/);
  });

  it('reads session-less sample files (older melbench, one session) and says the test cannot see session bias', async () => {
    const dir = tmp();
    const base = writeRun(dir, 'base', [{ runtime: 'cpu' }], 1);
    const cur = writeRun(dir, 'cur', [{ runtime: 'cpu' }], 2);
    expect(readFileSync(join(dir, 'cur.samples.jsonl'), 'utf8')).not.toMatch(/session/);
    const r = await melbench('compare', base, cur, '--json');
    expect(r.code).toBe(EXIT.ok);
    const c = JSON.parse(r.stdout).cells[0];
    expect([c.latency.unit, c.latency.sessionsBase, c.latency.sessionsCur]).toEqual(['blocks', 1, 1]);
    expect(c.note).toMatch(/one session per side/);
    expect(r.stderr).toMatch(/warning: 1 cell\(s\) have one session per side: the latency test cannot see a session's own bias; measure with `bench --sessions 5`/);
    const md = await melbench('compare', base, cur);
    expect(md.stdout).toMatch(/⚠️ 1 cell\(s\) compared with one session per side/);
  });

  it('session_sizes that do not add up to the samples: one line, exit 2', async () => {
    const dir = tmp();
    const base = writeRun(dir, 'base', [{ runtime: 'cpu' }], 1);
    const cur = writeRun(dir, 'cur', [{ runtime: 'cpu' }], 2);
    const p = join(dir, 'cur.samples.jsonl');
    const rec = JSON.parse(readFileSync(p, 'utf8'));
    writeFileSync(p, `${JSON.stringify({ ...rec, session_sizes: [50, 49] })}\n`);
    await expectInputError(['compare', base, cur], /cur\.samples\.jsonl:1: session_sizes add up to 99, but the record has 100 samples/);
    writeFileSync(p, `${JSON.stringify({ ...rec, session_sizes: [50, '50'] })}\n`);
    await expectInputError(['compare', base, cur], /cur\.samples\.jsonl:1: session_sizes must be a list of positive integers/);
  });

  it('bench --sessions 3, twice, then compare: rows and samples record the sessions, the test counts them', async () => {
    const dir = tmp();
    const data = new Float32Array(320).map((_, i) => Math.sin(i * 0.37));
    writeFileSync(join(dir, 'x.npy'), encodeNpy({ data, dims: [1, 16, 20] }));
    const model = new URL('../data/tiny-cnn.onnx', import.meta.url).pathname;
    const bench = (name: string) =>
      melbench('bench', '--models', model, '--input', join(dir, 'x.npy'), '--runtimes', 'cpu', '--threads', '1', '--sessions', '3', '--warmup', '2', '--samples', '20', '--no-isolate', '--no-report', '-o', join(dir, `${name}.csv`));
    for (const name of ['a', 'b']) {
      const r = await bench(name);
      expect(r.code, r.stderr).toBe(EXIT.ok);
      const [header, row] = readFileSync(join(dir, `${name}.csv`), 'utf8').trim().split('\n').map((l) => l.split(','));
      const col = (c: string) => row[header.indexOf(c)];
      expect([col('status'), col('sessions'), col('samples'), col('warmup')]).toEqual(['ok', '3', '60', '2']);
      const rec = JSON.parse(readFileSync(join(dir, `${name}.samples.jsonl`), 'utf8'));
      expect(rec.session_sizes).toEqual([20, 20, 20]);
      expect(rec.samples_ms).toHaveLength(60);
    }
    const r = await melbench('compare', join(dir, 'a.csv'), join(dir, 'b.csv'), '--json');
    expect(r.code, r.stderr).not.toBe(EXIT.usage);
    const c = JSON.parse(r.stdout).cells[0];
    expect([c.latency.unit, c.latency.sessionsBase, c.latency.sessionsCur, c.latency.nBase]).toEqual(['sessions', 3, 3, 60]);
    expect(c.note).toBeUndefined();
    expect(r.stderr).not.toMatch(/one session per side/);
  });

  it('tolerates unknown fields in samples records', async () => {
    const dir = tmp();
    const base = writeRun(dir, 'base', [{ runtime: 'cpu' }], 1);
    const cur = writeRun(dir, 'cur', [{ runtime: 'cpu' }], 2);
    const p = join(dir, 'cur.samples.jsonl');
    const rec = JSON.parse(readFileSync(p, 'utf8'));
    writeFileSync(p, `${JSON.stringify({ ...rec, first_sample_time: '2026-11-29T20:00:00Z', something_new: [1] })}\n`);
    expect((await melbench('compare', base, cur)).code).toBe(EXIT.ok);
  });
});

describe('melbench compare --models (interleaved A/B, end to end)', () => {
  it('the tiny CNN against itself on cpu: no regression', () => {
    const dir = tmp();
    const data = new Float32Array(320).map((_, i) => Math.sin(i * 0.37));
    writeFileSync(join(dir, 'x.npy'), encodeNpy({ data, dims: [1, 16, 20] }));
    const model = new URL('../data/tiny-cnn.onnx', import.meta.url).pathname;
    const bin = new URL('../../bin/melbench.mjs', import.meta.url).pathname;
    const run = (...extra: string[]) =>
      spawnSync(process.execPath, [bin, 'compare', '--models', model, model, '--input', join(dir, 'x.npy'), '--runtimes', 'cpu', '--threads', '1', '--rounds', '4', '--runs-per-round', '50', '--json', ...extra], {
        encoding: 'utf8',
        timeout: 120_000,
      });
    const same = run();
    expect(same.status, same.stderr).toBe(0);
    const cell = JSON.parse(same.stdout).cells[0];
    expect(cell.cell).toBe('tiny-cnn fp32 cpu b1 t1 default');
    expect(cell.latency.nBase).toBe(200);
    expect(cell.latency.nCur).toBe(200);
    expect(cell.category).not.toBe('regression');
  });

  it('a planted 2x slowdown of B (test-only spin in the worker) is flagged, with the rounds kept for the paired bootstrap', async () => {
    const data = new Float32Array(320).map((_, i) => Math.sin(i * 0.37));
    const spec = new URL('../data/tiny-cnn.onnx', import.meta.url).pathname;
    const m = prepareModel({ spec, features: { data, dims: [1, 16, 20] }, classes: 10, seed: 1 });
    const cells = await compareInterleaved(
      m,
      m,
      { runtimes: ['cpu'], batches: [1], threads: 1, rounds: 16, runsPerRound: 50, warmup: 10, timeoutMs: 60_000, slowdownForTest: 1 },
      DEFAULT_GATE,
    );
    expect(cells[0].order).toBe('ABBA'.repeat(8));
    expect(cells[0].result.category).toBe('regression');
    expect(cells[0].result.latency!.ratio).toBeGreaterThan(1.5);
    expect(cells[0].result.latency!.lo).toBeGreaterThan(1.05);
    expect(cells[0].base.roundSize).toBe(50);
  });

  it('a child that aborts or hangs costs its runtime only: crashed and timeout, the other runtime compared', async () => {
    const data = new Float32Array(320).map((_, i) => Math.sin(i * 0.37));
    const spec = new URL('../data/tiny-cnn.onnx', import.meta.url).pathname;
    const m = prepareModel({ spec, features: { data, dims: [1, 16, 20] }, classes: 10, seed: 1 });
    const plan = { batches: [1], threads: 1, rounds: 2, runsPerRound: 10, warmup: 2, timeoutMs: 20_000 };
    const aborted = await compareInterleaved(m, m, { ...plan, runtimes: ['wasm', 'cpu'], crashForTest: { runtime: 'wasm', how: 'abort' } }, DEFAULT_GATE);
    expect(aborted[0].result.category).toBe('regression');
    expect(aborted[0].result.reasons[0]).toMatch(/^status ok -> crashed \(worker killed by SIGABRT/);
    expect(aborted[1].cur.status).toBe('ok');
    expect(aborted[1].result.latency?.nCur).toBe(20);
    const hung = await compareInterleaved(m, m, { ...plan, runtimes: ['cpu'], timeoutMs: 4_000, crashForTest: { runtime: 'cpu', how: 'hang' } }, DEFAULT_GATE);
    expect(hung[0].cur.status).toBe('timeout');
    expect(hung[0].result.category).toBe('regression');
  });
});
