/**
 * Hostile inputs to the CI gate (`melbench compare base.csv cur.csv`): runs that would let a gate
 * pass without judging. Each case fails on the gate as it was before issue 24 (exit 0), and each
 * asserts the exit code and the one line that says why.
 */
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.ts';
import { writeRun } from '../fixtures/fake-run.ts';
import { melbenchInProcess } from '../cli/run-in-process.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'melbench-hostile-gate-'));
const compare = (base: string, cur: string, ...flags: string[]) => melbenchInProcess('compare', base, cur, '--no-report', ...flags);

/** One error line on stderr, nothing on stdout. */
function expectOneLine(r: { code: number; stdout: string; stderr: string }, code: number, pattern: RegExp) {
  expect(r.code, r.stderr).toBe(code);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^melbench: error: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.stdout).toBe('');
}

describe('the gate cannot pass without judging', () => {
  it('every candidate cell unavailable: nothing comparable, exit 2', async () => {
    const dir = tmp();
    const base = writeRun(dir, 'base', [{ runtime: 'cpu' }, { runtime: 'wasm' }], 1);
    const cur = writeRun(dir, 'cur', [
      { runtime: 'cpu', status: 'unavailable', error: 'runtime not installed' },
      { runtime: 'wasm', status: 'unavailable', error: 'runtime not installed' },
    ], 2);
    expectOneLine(await compare(base, cur), EXIT.usage, /nothing to compare: no cell of .*base\.csv has a comparable cell in .*cur\.csv/);
  });

  it('one candidate cell unavailable or absent: exit 1, counted as missing; --allow-missing passes', async () => {
    const dir = tmp();
    const base = writeRun(dir, 'base', [{ runtime: 'cpu' }, { runtime: 'wasm' }, { runtime: 'webgpu' }], 1);
    const cur = writeRun(dir, 'cur', [{ runtime: 'cpu' }, { runtime: 'wasm', status: 'unavailable', error: 'no wasm here' }], 2);
    const r = await compare(base, cur);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^0 regression\(s\), \*\*2 missing\*\*, 0 incomparable, 0 improvement\(s\), 1 unchanged, 0 new\.$/m);
    expect(r.stdout).toMatch(/status ok -> unavailable: no wasm here/);
    expect(r.stdout).toMatch(/status ok -> absent from current/);
    expect((await compare(base, cur, '--allow-missing')).code).toBe(EXIT.ok);
  });

  it('a candidate on a software adapter where the baseline was hardware: not comparable, exit 1', async () => {
    const dir = tmp();
    const base = writeRun(dir, 'base', [{ runtime: 'cpu' }, { runtime: 'webgpu' }], 1);
    const cur = writeRun(dir, 'cur', [{ runtime: 'cpu' }, { runtime: 'webgpu', software: true, median: 3 }], 2);
    const r = await compare(base, cur);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/\*\*1 incomparable\*\*/);
    expect(r.stdout).toMatch(/### Not comparable\n/);
    expect(r.stdout).toMatch(/not comparable: measured on hardware in the baseline and on a software adapter in current/);
  });

  it('schema 99 in every row: refused, naming both versions', async () => {
    const dir = tmp();
    const base = writeRun(dir, 'base', [{ runtime: 'cpu' }], 1);
    const cur = writeRun(dir, 'cur', [{ runtime: 'cpu' }], 2);
    const lines = readFileSync(cur, 'utf8').split('\n');
    writeFileSync(cur, [lines[0], ...lines.slice(1).map((l) => (l ? l.replace(/^\d+,/, '99,') : l))].join('\n'));
    expectOneLine(await compare(base, cur), EXIT.usage, /cur\.csv:2: schema '99' is not one this melbench reads \(1 to \d+\)/);
  });

  it('a hand-edited header (schema -> schemaX, p50_ms -> p50_us, samples -> n): refused', async () => {
    const dir = tmp();
    const base = writeRun(dir, 'base', [{ runtime: 'cpu' }], 1);
    const cur = writeRun(dir, 'cur', [{ runtime: 'cpu' }], 2);
    const text = readFileSync(cur, 'utf8');
    const [header, ...rest] = text.split('\n');
    writeFileSync(cur, [header.replace(/^schema,/, 'schemaX,').replace(',samples,', ',n,'), ...rest].join('\n'));
    expectOneLine(await compare(base, cur), EXIT.usage, /cur\.csv:1: not a melbench report of a known schema: no column schema, samples/);
  });

  it('every sample 0 ms: refused, naming the cell', async () => {
    const dir = tmp();
    const base = writeRun(dir, 'base', [{ runtime: 'cpu' }], 1);
    const cur = writeRun(dir, 'cur', [{ runtime: 'cpu', samples: Array(100).fill(0) }], 2);
    expectOneLine(await compare(base, cur), EXIT.usage, /cur\.samples\.jsonl:1: cell resnet fp32 cpu 1: sample 0 is 0; latencies must be finite and > 0 ms/);
  });

  it('model_bytes blank on the candidate: the summary says size was not judged', async () => {
    const dir = tmp();
    const base = writeRun(dir, 'base', [{ runtime: 'cpu' }], 1);
    const cur = writeRun(dir, 'cur', [{ runtime: 'cpu', bytes: null }], 2);
    const r = await compare(base, cur);
    expect(r.code, r.stderr).toBe(EXIT.ok);
    expect(r.stdout).toMatch(/^> model_bytes not judged in 1 cell\(s\) \(blank in current\)\.$/m);
  });

  it('a model named like a formula (=, +, -, @) compares, exit 0', async () => {
    const dir = tmp();
    const cells = ['=cmd', '+x', '-y', '@z'].map((model) => ({ model, runtime: 'cpu' }));
    const base = writeRun(dir, 'base', cells, 1);
    const cur = writeRun(dir, 'cur', cells, 2);
    // the writer defused them on disk
    expect(readFileSync(cur, 'utf8')).toContain("'=cmd");
    const r = await compare(base, cur, '--json');
    expect(r.code, r.stderr).toBe(EXIT.ok);
    const json = JSON.parse(r.stdout) as { summary: Record<string, number>; cells: { key: { model: string } }[] };
    expect(json.summary.unchanged).toBe(4);
    expect(json.cells.map((c) => c.key.model).sort()).toEqual(['+x', '-y', '=cmd', '@z']);
  });

  it('HTML in a model name is text in the Markdown, and cannot open an element', async () => {
    const dir = tmp();
    const model = '<img src=x onerror=alert(1)><details open>';
    const base = writeRun(dir, 'base', [{ model, runtime: 'cpu' }], 1);
    const cur = writeRun(dir, 'cur', [{ model, runtime: 'cpu', median: 2 }], 2);
    const r = await compare(base, cur);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).not.toMatch(/<img|<details/);
    expect(r.stdout).toContain('&lt;img src=x onerror=alert(1)&gt;&lt;details open&gt;');
  });
});
