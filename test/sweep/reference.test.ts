/**
 * The fp32 reference runs isolated like the timed runs: its outputs are the same bits as an
 * in-process run, and a crash or hang there costs that model's rows (crashed / timeout, "reference
 * run: ...") while the next model is still measured.
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeBatch } from '../../src/sweep/inputs.ts';
import { referenceRun } from '../../src/sweep/reference.ts';
import { prepareModels } from '../../src/sweep/models.ts';
import { runSweep } from '../../src/sweep/sweep.ts';
import { sweepConfig, tempSinks } from './sweep-fixtures.ts';

const TINY = new URL('../data/tiny-cnn.onnx', import.meta.url).pathname;

/** Two copies of tiny-cnn, named first and second, in a fresh folder. */
function twoModels() {
  const sinks = tempSinks();
  const paths = ['first', 'second'].map((n) => join(sinks.dir, `${n}.onnx`));
  for (const p of paths) copyFileSync(TINY, p);
  return { sinks, paths };
}

describe('the reference run', () => {
  it('isolated, it gives bit-identical outputs to an in-process run', async () => {
    const cfg = sweepConfig([TINY], { batches: [1, 3] });
    const [m] = prepareModels(cfg);
    const inputs = cfg.batches.map((batch) => {
      const feeds = { [m.graph!.inputs[0].name]: makeBatch(m.features, batch) };
      return { batch, feeds, floatFeeds: feeds };
    });
    const here = await referenceRun(m, inputs, { isolate: false, timeoutMs: 0 });
    const child = await referenceRun(m, inputs, { isolate: true, timeoutMs: 60_000 });
    expect(here.failure).toBeUndefined();
    expect(child.failure).toBeUndefined();
    expect([...child.outputs.keys()]).toEqual([1, 3]);
    for (const batch of [1, 3]) {
      const a = here.outputs.get(batch)!.probs;
      const b = child.outputs.get(batch)!.probs;
      expect(b.dims).toEqual([batch, 4]);
      expect(Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength).equals(Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength))).toBe(true);
    }
  }, 60_000);

  it('a crash in the reference gives crashed rows for that model, and the next model is measured', async () => {
    const { sinks, paths } = twoModels();
    const cfg = sweepConfig(paths, { isolate: true, referenceCrashForTest: { model: 'first', how: 'segfault' } });
    const rows = await runSweep(cfg, prepareModels(cfg), sinks);
    expect(rows.map((r) => `${r.model} b${r.batch} ${r.status}`)).toEqual(['first b1 crashed', 'first b2 crashed', 'second b1 ok', 'second b2 ok']);
    for (const r of rows.filter((x) => x.model === 'first')) expect(r.error).toMatch(/^reference run: worker killed by SIGSEGV/);
    for (const r of rows.filter((x) => x.model === 'second')) expect([r.agreement_fp32, r.max_abs_diff]).toEqual([1, 0]);
  }, 120_000);

  it('a hang in the reference gives timeout rows after the sweep timeout', async () => {
    const { sinks, paths } = twoModels();
    const cfg = sweepConfig(paths.slice(0, 1), { isolate: true, timeoutMs: 8_000, batches: [1], referenceCrashForTest: { model: 'first', how: 'hang' } });
    const rows = await runSweep(cfg, prepareModels(cfg), sinks);
    expect(rows.map((r) => [r.status, r.error])).toEqual([['timeout', 'reference run: no result within 8000 ms; worker killed']]);
  }, 120_000);
});
