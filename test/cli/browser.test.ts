/**
 * The browser runtimes end to end, from the CLI, in Debian's headless Chromium: a zoo model and a
 * multi-input user model give the fp32 cpu reference's outputs on browser-wasm and browser-webgpu
 * (SwiftShader: correctness only) from the very input bytes the Node rows had; rows say what was in
 * force (threads, isolation, clock); a page served without COOP/COEP runs one thread, and `compare`
 * refuses to read the two runs' latencies as a change; WebNN says why it is unavailable; an
 * interrupted browser run leaves no server listening and no browser running.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { connectResult, portPrinted } from '../fixtures/connect-result.ts';
import { alive, childrenOf } from '../fixtures/processes.ts';
import { DEFAULT_TOLERANCE } from '../../src/runners/output-diff.ts';
import { onnxFixture, writeFixture } from '../fixtures/onnx-models.ts';

const BIN = new URL('../../bin/melbench.mjs', import.meta.url).pathname;
const QUICK = ['--samples', '5', '--warmup', '2', '--time-ms', '0'];
const dir = mkdtempSync(join(tmpdir(), 'melbench-browser-'));

function melbench(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 600_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

type CsvRow = Record<string, string>;
const rowsOf = (csv: string): CsvRow[] => parse(readFileSync(csv, 'utf8'), { columns: true });

/** Every browser row agrees with the fp32 cpu reference as a Node row must, on the bytes the cpu row was fed. */
function expectAgreement(rows: CsvRow[], runtimes: string[]) {
  for (const r of rows) expect(r.status, `${r.runtime} b${r.batch}: ${r.error}`).toBe('ok');
  for (const batch of new Set(rows.map((r) => r.batch))) {
    const cpu = rows.find((r) => r.runtime === 'cpu' && r.batch === batch)!;
    for (const runtime of runtimes) {
      const r = rows.find((x) => x.runtime === runtime && x.batch === batch)!;
      expect(r.input_sha256, `${runtime} b${batch}`).toBe(cpu.input_sha256);
      expect(Number(r.close_fraction), `${runtime} b${batch}: max_abs_diff ${r.max_abs_diff}`).toBe(1);
      expect(Number(r.close_atol)).toBe(DEFAULT_TOLERANCE.atol);
      if (!runtime.startsWith('browser-')) continue;
      expect(r.browser).toMatch(/^chromium \d+\./);
      expect(r.cross_origin_isolated).toBe('true');
      expect(r.simd).toBe('true');
      expect(Number(r.timer_resolution_us)).toBeGreaterThan(0);
      expect(Number(r.runtime_init_ms)).toBeGreaterThan(0);
    }
  }
}

describe('browser runtimes from the CLI', () => {
  it('a zoo model on cpu, wasm, browser-wasm and browser-webgpu: same input bytes, reference outputs, browser rows in the HTML report', () => {
    const csv = join(dir, 'zoo.csv');
    const r = melbench('bench', 'dws-resnet', '--runtimes', 'cpu,wasm,browser-wasm,browser-webgpu', '--batch', '1,2', ...QUICK, '-o', csv);
    expect(r.code, r.stderr).toBe(0);
    const rows = rowsOf(csv);
    expect(rows.map((x) => `${x.runtime} ${x.batch}`).sort()).toEqual(['browser-wasm 1', 'browser-wasm 2', 'browser-webgpu 1', 'browser-webgpu 2', 'cpu 1', 'cpu 2', 'wasm 1', 'wasm 2']);
    expectAgreement(rows, ['wasm', 'browser-wasm', 'browser-webgpu']);
    const gpu = rows.filter((x) => x.runtime === 'browser-webgpu');
    for (const x of gpu) {
      expect(x.provider).toBe('webgpu');
      expect(x.adapter_vendor).not.toBe('');
      // no GPU here: SwiftShader, flagged so no one reads its latency as a speed
      if (/swiftshader/i.test(x.device)) expect(x.software_adapter).toBe('true');
    }
    // one browser per runtime for the whole sweep: only the first job of a runtime pays its start
    expect(r.stderr.match(/browser-wasm: chromium \S+ started/g)).toHaveLength(1);
    const html = readFileSync(join(dir, 'zoo', 'index.html'), 'utf8');
    expect(html).toContain('browser-wasm');
    expect(html).toContain('browser-webgpu');
  });

  it('a multi-input user model (float audio, float state, int64 scalar) on browser-wasm and browser-webgpu', () => {
    const vad = onnxFixture('silero-like-vad');
    const path = writeFixture(join(dir, 'models'), vad);
    const csv = join(dir, 'vad.csv');
    const r = melbench('bench', path, ...vad.benchFlags!, '--runtimes', 'cpu,browser-wasm,browser-webgpu', ...QUICK, '--no-report', '-o', csv);
    expect(r.code, r.stderr).toBe(0);
    const rows = rowsOf(csv);
    expect(rows).toHaveLength(3);
    expect(rows[0].input_shape).toMatch(/sr=\[\]/);
    expectAgreement(rows, ['browser-wasm', 'browser-webgpu']);
  });

  it('an isolated page runs ORT-web on the threads asked; one served without COOP/COEP runs one, and compare flags the pair (exit 1)', () => {
    const iso = join(dir, 'iso.csv');
    const plain = join(dir, 'plain.csv');
    const common = ['bench', 'resnet', '--runtimes', 'browser-wasm', '--threads', '2', ...QUICK, '--no-report'];
    const a = melbench(...common, '-o', iso);
    expect(a.code, a.stderr).toBe(0);
    const b = melbench(...common, '--no-cross-origin-isolation', '-o', plain);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stderr).toMatch(/not cross-origin isolated/);
    const [x] = rowsOf(iso);
    const [y] = rowsOf(plain);
    for (const row of [x, y]) expect(row.status, row.error).toBe('ok');
    expect(x.cross_origin_isolated).toBe('true');
    expect(Number(x.threads_used)).toBe(2);
    expect(y.cross_origin_isolated).toBe('false');
    expect(Number(y.threads_used)).toBe(1);
    // the HR-time spec's coarsening: a page that is not isolated gets a far coarser clock
    expect(Number(y.timer_resolution_us)).toBeGreaterThanOrEqual(10 * Number(x.timer_resolution_us));
    const c = melbench('compare', iso, plain);
    expect(c.code, c.stdout + c.stderr).toBe(1);
    expect(c.stdout + c.stderr).toMatch(/threads_used 2 -> 1, cross_origin_isolated true -> false/);
  });

  it('browser-webnn says why it cannot run, naming the Chromium version and the flag tried; a missing --browser is unavailable too', () => {
    const csv = join(dir, 'webnn.csv');
    const r = melbench('bench', 'dws-resnet', '--runtimes', 'browser-webnn', ...QUICK, '--no-report', '-o', csv);
    expect(r.code, r.stderr).toBe(0);
    const [row] = rowsOf(csv);
    if (row.status === 'unavailable') expect(row.error).toMatch(/chromium \d+\.\d+\.\d+\.\d+ with --enable-features=WebMachineLearningNeuralNetwork/);
    else expect(row.status, row.error).toBe('ok');

    const missing = join(dir, 'missing.csv');
    const m = melbench('bench', 'dws-resnet', '--runtimes', 'browser-wasm', '--browser', join(dir, 'no-such-chrome'), ...QUICK, '--no-report', '-o', missing);
    expect(m.code, m.stderr).toBe(0);
    const [none] = rowsOf(missing);
    expect(none.status).toBe('unavailable');
    expect(none.error).toBe(`browser not found at ${join(dir, 'no-such-chrome')} (--browser takes the path of a Chromium or Chrome executable)`);
  });

  it('compare --models refuses a browser runtime with one line saying what to do instead (exit 2)', () => {
    const r = melbench('compare', '--models', 'dws-resnet', 'resnet', '--runtimes', 'browser-wasm');
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')[0]).toMatch(/cannot run browser-wasm: bench each model with --runtimes browser-wasm, then compare/);
  });

  it('SIGINT during a browser run: exit 130, the page server no longer listens, the browser is gone', async () => {
    const child = spawn(process.execPath, [BIN, 'bench', 'resnet', '--runtimes', 'browser-wasm', '--samples', '1000000', '--warmup', '0', '--no-report', '-o', join(dir, 'sigint.csv')], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const port = await portPrinted(child, child.stderr, /page at http:\/\/127\.0\.0\.1:(\d+)\//);
    const browsers = childrenOf(child.pid!, /chrom/i);
    expect(browsers.length).toBeGreaterThan(0);
    expect(await connectResult(port)).toBe('connected');
    await new Promise((r) => setTimeout(r, 1500)); // into the page's measurement
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(await connectResult(port)).toBe('ECONNREFUSED');
    const deadline = Date.now() + 10_000;
    while (browsers.some((pid) => alive(pid)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(browsers.filter((pid) => alive(pid))).toEqual([]);
  });
});
