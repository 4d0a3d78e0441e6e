import { afterEach, describe, expect, it, vi } from 'vitest';
import { printAblation } from '../../src/commands/ablate.ts';
import { makeRow } from '../../src/report/columns.ts';

const row = (variant: string, runtime: string, p50: number, extra: Parameters<typeof makeRow>[0] = {}) =>
  makeRow({ model: 'dcase-baseline', variant, runtime, batch: 1, status: 'ok', model_bytes: 493_000, gzip_bytes: 457_000, nonzero_params: 122_623, macs: 42_800_000, macro_f1: 0.8718, agreement_fp32: 1, p50_ms: p50, ...extra });

function printed(rows: ReturnType<typeof makeRow>[]): string {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
  try {
    printAblation(rows);
  } finally {
    spy.mockRestore();
  }
  return out;
}

describe('the ablation table', () => {
  afterEach(() => vi.unstubAllEnvs());

  const rows = [
    row('fp32', 'cpu', 0.72),
    row('channels-l1-0.5-ft4', 'cpu', 0.245),
    row('qdq-u8s8-pc-minmax', 'wasm', 0, { status: 'error', p50_ms: null, error: 'building the variant failed: quantizeStatic refused node conv1 (Conv): no calibration range for its input' }),
  ];

  it.each([80, 100])('fits %i columns, with the long reason below the table', (width) => {
    vi.stubEnv('COLUMNS', String(width));
    const text = printed(rows);
    for (const line of text.split('\n')) expect(line.length, line).toBeLessThanOrEqual(width);
    expect(text).toContain('channels-l1-0.5-ft4');
    expect(text).toContain('[1]');
    expect(text.replace(/\s+/g, ' ')).toContain('no calibration range for its input');
  });

  it('names a single model above the table, and gives several their own column', () => {
    vi.stubEnv('COLUMNS', '100');
    expect(printed(rows).split('\n')[0]).toBe('model: dcase-baseline');
    const two = printed([...rows, { ...row('fp32', 'cpu', 1.5), model: 'resnet' }]);
    expect(two.split('\n')[0]).not.toContain('model:');
    expect(two).toContain('resnet');
    for (const line of two.split('\n')) expect(line.length, line).toBeLessThanOrEqual(100);
  });

  it('keeps p50 relative to the fp32 row of the same runtime', () => {
    vi.stubEnv('COLUMNS', '200');
    const line = printed(rows).split('\n').find((l) => l.includes('channels-l1-0.5-ft4'))!;
    expect(line).toContain((0.245 / 0.72).toFixed(2));
  });
});
