/**
 * bin/melbench.mjs runs the compiled bundle (dist/, built by bin/build.mjs when missing or stale)
 * and, with MELBENCH_TSX=1, the TypeScript sources: both give the same answers, and the bundle's
 * workers (isolation) run from dist/ with no loader.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module without types
import { isFresh } from '../../bin/build.mjs';

const run = (args: string[], env: Record<string, string> = {}) => spawnSync(process.execPath, ['bin/melbench.mjs', ...args], { encoding: 'utf8', env: { ...process.env, COLUMNS: '120', ...env } });

describe('bin/melbench.mjs', () => {
  it('builds dist/ when needed, and the bundle answers as the sources do', () => {
    const compiled = run(['models', '--json']);
    expect(compiled.status, compiled.stderr).toBe(0);
    expect(isFresh()).toBe(true);
    const sources = run(['models', '--json'], { MELBENCH_TSX: '1' });
    expect(sources.status, sources.stderr).toBe(0);
    expect(JSON.parse(compiled.stdout)).toEqual(JSON.parse(sources.stdout));
    const rows = JSON.parse(compiled.stdout) as { name: string; params: number; weight_bytes: number }[];
    // resnet50: 23.5 M float32 parameters, counted from shapes
    expect(rows.find((r) => r.name === 'resnet50')).toMatchObject({ params: 23_522_250 });
  }, 120_000);

  it('the bundle measures in its own worker process (dist/isolate-worker.mjs)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'melbench-launcher-'));
    const r = run(['bench', 'dws-resnet', '--runtimes', 'cpu', '--samples', '3', '--warmup', '1', '--time-ms', '0', '--no-report', '-o', join(dir, 'r.csv')]);
    expect(r.status, r.stderr).toBe(0);
    const rows = parse(readFileSync(join(dir, 'r.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows.map((x) => x.status)).toEqual(['ok']);
  }, 120_000);
});
