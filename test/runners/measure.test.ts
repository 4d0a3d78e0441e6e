/**
 * measure(): one-off costs kept apart from the model's own. The runtime's initialisation
 * (ORT-web instantiating its WebAssembly on the first session of a process) lands in
 * runtimeInitMs of the first job only; a second job in the same process finds it done.
 */
import { describe, expect, it } from 'vitest';
import { getRunner } from '../../src/runners/runner.ts';
import { measure, type BatchResult, type MeasureJob } from '../../src/runners/measure.ts';
import { QUICK_TIMING } from '../../src/runners/timing.ts';
import { TINY_CNN, tinyInput } from './helpers.ts';

const job = (over: Partial<MeasureJob> = {}): MeasureJob => ({
  runtime: 'wasm',
  modelBytes: TINY_CNN,
  batches: [{ batch: 2, feeds: { x: tinyInput(2) } }],
  open: {},
  timing: QUICK_TIMING,
  timeoutMs: 0,
  ...over,
});

async function rows(j: MeasureJob): Promise<BatchResult[]> {
  const out: BatchResult[] = [];
  await measure(getRunner(j.runtime), j, (r) => out.push(r));
  return out;
}

describe('measure', () => {
  it("charges the runtime's initialisation to the first job of a process, not to its session", async () => {
    const [first] = await rows(job());
    const [second] = await rows(job());
    for (const r of [first, second]) {
      expect(r.status, r.error).toBe('ok');
      expect(r.runtimeInitMs).toBeGreaterThan(0);
      expect(r.sessionCreateMs).toBeGreaterThan(0);
    }
    // Instantiating ORT-web's ~10 MB of WebAssembly takes hundreds of ms; the probe model alone, a few.
    expect(first.runtimeInitMs!).toBeGreaterThan(3 * second.runtimeInitMs!);
  });

  it("gives per-node profiles with profile: true, and its fallback count is the row's", async () => {
    const [r] = await rows(job({ runtime: 'cpu', profile: true }));
    expect(r.status, r.error).toBe('ok');
    expect(r.nodes!.length).toBeGreaterThanOrEqual(4);
    // The first run and up to 10 more: each node's time is over the runs after the first.
    expect(r.nodes!.every((n) => n.calls >= 2 && n.calls <= 11 && n.meanUs > 0)).toBe(true);
    expect(r.fallbackNodes).toBe(0);
    const [plain] = await rows(job({ runtime: 'cpu' }));
    expect(plain.nodes).toBeUndefined();
    expect(plain.fallbackNodes).toBe(0);
  });
});
