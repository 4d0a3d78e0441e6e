/**
 * A real full disk mid-sweep: a 12 KiB tmpfs holds the report and its samples log. The sweep
 * must stop with exit 5 and a message naming the file, leaving a CSV and a JSONL that parse and
 * agree row for row (before: exit 70 "internal error: ENOSPC" and a cut-off JSONL line).
 * Needs root and a kernel that lets this process mount tmpfs; elsewhere the test is skipped with
 * the reason (test/report/append-line.test.ts covers the same with a write hook everywhere).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.ts';
import { readReport } from '../../src/report/csv.ts';

const BIN = new URL('../../bin/melbench.mjs', import.meta.url).pathname;

let mnt = '';
let refused = '';

beforeAll(() => {
  mnt = mkdtempSync(join(tmpdir(), 'melbench-tmpfs-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=12k', 'tmpfs', mnt], { encoding: 'utf8' });
  if (r.error || r.status !== 0) refused = (r.error?.message ?? r.stderr.trim()) || `mount exited ${r.status}`;
});

afterAll(() => {
  if (!refused) spawnSync('umount', [mnt]);
  rmdirSync(mnt);
});

describe('a full file system mid-sweep', () => {
  it('exits 5 naming the file; the CSV and the JSONL parse and agree row for row', (ctx) => {
    if (refused) ctx.skip(`cannot mount a tmpfs here: ${refused}`);
    const csvPath = join(mnt, 'r.csv');
    const jsonlPath = join(mnt, 'r.samples.jsonl');
    const r = spawnSync(
      process.execPath,
      [BIN, 'bench', '--models', 'dws-resnet', '--runtimes', 'cpu', '--batch', '1,2,3,4,5,6,7,8', '--samples', '400', '--time-ms', '0', '--warmup', '1', '-o', csvPath],
      { encoding: 'utf8', timeout: 300_000 },
    );
    expect(r.status, r.stderr).toBe(EXIT.output);
    expect(r.stderr).toMatch(/^melbench: error: cannot write the (samples log|report) .*r\.(samples\.jsonl|csv): ENOSPC \(no space left on the device\)/m);
    expect(r.stderr).not.toMatch(/internal error/);
    const rows = readReport(csvPath);
    const jsonl = readFileSync(jsonlPath, 'utf8');
    expect(jsonl.endsWith('\n')).toBe(true);
    const recs = jsonl.trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThan(8);
    expect(rows.map((x) => x.batch)).toEqual(recs.map((x) => String(x.batch)));
    expect(rows.every((x) => x.status === 'ok')).toBe(true);
  });
});
