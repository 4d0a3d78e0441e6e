/**
 * Reports at the end of every run: `bench` on a trained model writes its confusion sidecar (the
 * matrix the row's macro-F1 came from) and the HTML page with a confusion chart, and prints its
 * path; `compare` writes the current run's page with its compare section; `--no-report` writes none.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readConfusion } from '../../src/report/confusion-log.ts';
import { readReport } from '../../src/report/csv.ts';
import { metricsFrom } from '../../src/train/metrics.ts';

const BIN = new URL('../../bin/melbench.mjs', import.meta.url).pathname;
const melbench = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 240_000 });

describe('reports at the end of a run', () => {
  it('bench --dataset: confusion matrix in the sidecar and the page; compare adds its section', () => {
    const dir = mkdtempSync(join(tmpdir(), 'melbench-report-'));
    const csv = join(dir, 'run.csv');
    const r = melbench('bench', '--models', 'dws-resnet', '--dataset', 'alerts', '--train-epochs', '1', '--runtimes', 'cpu', '--warmup', '0', '--samples', '5', '-o', csv);
    expect(r.status, r.stderr).toBe(0);
    const page = join(dir, 'run', 'index.html');
    expect(r.stdout).toContain(`html: ${page}\n`);

    const [row] = readReport(csv);
    const confusion = readConfusion(join(dir, 'run.confusion.jsonl'));
    expect(confusion).toHaveLength(1);
    expect(confusion[0]).toMatchObject({ model: 'dws-resnet', variant: row.variant, runtime: 'cpu' });
    // The matrix is the one the row was scored from: same macro-F1, one count per test clip.
    expect(metricsFrom(confusion[0].matrix).macroF1).toBeCloseTo(Number(row.macro_f1), 5);
    expect(confusion[0].matrix.flat().reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    const html = readFileSync(page, 'utf8');
    expect(html).toMatch(/<section id="confusion"[\s\S]*?<svg/);

    // A current run whose model grew 10%: a size regression, flagged with both sides' samples.
    const cur = join(dir, 'cur.csv');
    const text = readFileSync(csv, 'utf8');
    const header = text.split('\n')[0].split(',');
    const lines = text.trimEnd().split('\n');
    const cells = lines[1].split(',');
    const i = header.indexOf('model_bytes');
    cells[i] = String(Math.round(Number(cells[i]) * 1.1));
    writeFileSync(cur, `${lines[0]}\n${cells.join(',')}\n`);
    copyFileSync(join(dir, 'run.samples.jsonl'), join(dir, 'cur.samples.jsonl'));
    const c = melbench('compare', csv, cur);
    expect(c.status, c.stderr).toBe(1);
    // Under reports/compare/ of the working directory, never beside the inputs (a baseline's folder is committed).
    const comparePage = join('reports', 'compare', 'cur', 'index.html');
    expect(c.stderr).toContain(`melbench: html report: ${comparePage}\n`);
    const ch = readFileSync(comparePage, 'utf8');
    expect(ch).toMatch(/<section id="compare"[\s\S]*1 flagged cell/);
    expect(ch).toMatch(/model_bytes|size/);
    expect(ch).toMatch(/id="compare-samples"|compare-samples[\s\S]*<svg/);

    const none = melbench('compare', csv, cur, '--no-report', '--json');
    expect(none.status).toBe(1);
    expect(none.stderr).not.toContain('html report');
    expect(JSON.parse(none.stdout).summary.regression).toBe(1);
    const quiet = join(dir, 'quiet.csv');
    const q = melbench('bench', '--models', 'dws-resnet', '--runtimes', 'cpu', '--warmup', '0', '--samples', '1', '--no-report', '-o', quiet);
    expect(q.status, q.stderr).toBe(0);
    expect(q.stdout).not.toContain('html:');
    expect(existsSync(join(dir, 'quiet'))).toBe(false);
  }, 300_000);
});
