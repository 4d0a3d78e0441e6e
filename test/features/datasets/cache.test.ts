import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../src/features/datasets/cache.ts';
import { loadDataset, SPLITS } from '../../../src/features/datasets/index.ts';

const cacheDir = mkdtempSync(join(tmpdir(), 'melbench-cache-'));
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

const small = { preset: 'default', seed: 4, cacheDir, progress: false, alerts: { perClass: { train: 3, val: 1, test: 1 } } } as const;

describe('feature cache', () => {
  it('writes on the first load and reads the same bytes, faster, on the second', async () => {
    let t = performance.now();
    const a = await loadDataset('alerts', small);
    const first = performance.now() - t;
    expect(a.cache.hit).toBe(false);
    expect(existsSync(`${a.cache.path}.f32`) && existsSync(`${a.cache.path}.json`)).toBe(true);
    expect(a.cache.path.startsWith(join(cacheDir, 'features'))).toBe(true);
    t = performance.now();
    const b = await loadDataset('alerts', small);
    const second = performance.now() - t;
    expect(b.cache.hit).toBe(true);
    expect(b.cache.path).toBe(a.cache.path);
    expect(second).toBeLessThan(first / 3);
    for (const s of SPLITS) {
      expect(b.splits[s].dims).toEqual(a.splits[s].dims);
      expect(Buffer.from(b.splits[s].x.buffer, b.splits[s].x.byteOffset, b.splits[s].x.byteLength)).toEqual(
        Buffer.from(a.splits[s].x.buffer, a.splits[s].x.byteOffset, a.splits[s].x.byteLength),
      );
      expect(Array.from(b.splits[s].y)).toEqual(Array.from(a.splits[s].y));
      expect(b.splits[s].sources).toEqual(a.splits[s].sources);
    }
    expect(a.splits.train.x.length).toBe(36 * 64 * 126);
  });

  it('keys entries by seed and parameters, and balances after the cache', async () => {
    const c = await loadDataset('alerts', { ...small, seed: 5 });
    const a = await loadDataset('alerts', small);
    expect(c.cache.path).not.toBe(a.cache.path);
    const u = await loadDataset('alerts', { ...small, balance: 'undersample' });
    expect(u.cache.hit).toBe(true);
    expect(u.splits.train.y.length).toBe(36);
    expect(Array.from(u.classWeights)).toEqual(new Array(12).fill(1));
  });

  it('hashes canonical JSON, whatever the key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 3 }], c: 2 } })).toBe('{"a":{"c":2,"d":[1,{"e":3,"f":2}]},"b":1}');
  });
});
