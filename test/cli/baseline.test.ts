import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli.ts';
import { EXIT } from '../../src/errors.ts';

async function melbench(...args: string[]) {
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
  try {
    return { code: await main(args), stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
    process.exitCode = undefined;
  }
}

describe('melbench baseline', () => {
  it('run never overwrites: an existing --out is refused in one line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'melbench-baseline-'));
    const p = join(dir, 'current.csv');
    writeFileSync(p, 'keep me\n');
    const r = await melbench('baseline', 'run', '-o', p);
    expect(r.code).toBe(EXIT.output);
    expect(r.stderr.trim().split('\n')).toEqual([`melbench: error: ${p} exists; choose a new path (nothing is overwritten)`]);
    expect(readFileSync(p, 'utf8')).toBe('keep me\n');
  });

  it('the committed baseline is a report compare accepts, against itself with no regression', async () => {
    const base = new URL('../../reports/baselines/quick.csv', import.meta.url).pathname;
    const r = await melbench('compare', base, base);
    expect(r.code, r.stderr).toBe(EXIT.ok);
  });
});
