/**
 * Every runtime that is available here runs the tiny CNN and agrees with the cpu reference.
 *
 * Tolerance: max |out - ref| <= 1e-4 * max |ref|. All runtimes compute in fp32 but accumulate in
 * different orders (im2col vs direct conv, tree vs serial reductions, fused Conv+Relu): each sum
 * of K terms may differ by about K * 2^-24 relative; the longest reduction here is the 320-term
 * average pool, so about 2e-5, and 1e-4 leaves margin while still catching any real bug (a wrong
 * layout or a dropped bias moves outputs by 1e-2 or more).
 *
 * Jobs run where a sweep runs them (runJob): Node runtimes in a child process, which gives WebGPU
 * the Vulkan settings it needs, browser runtimes in a page of headless Chromium. A runtime is
 * skipped only when it is unavailable here, with the reason in the test's title.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchResult } from '../../src/runners/isolate.ts';
import { availableAt, releaseRuntimes, runJob } from '../../src/runners/run-job.ts';
import { getRunner, RUNTIMES, type HostTensor } from '../../src/runners/runner.ts';
import { QUICK_TIMING } from '../../src/runners/timing.ts';
import { relMaxDiff, TINY_CNN, tinyCnnWithEmptyBias, tinyInput } from './helpers.ts';

const TOLERANCE = 1e-4;
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const BATCHES = [1, 3];
/**
 * ORT-web's WebGPU on SwiftShader pays 30-70 s of shader JIT on its first run here (2 cores,
 * measured: a single mapAsync waiting on SwiftShader), and again for each new batch shape; one
 * batch proves it, with room for a loaded CI machine.
 */
const SLOW: Partial<Record<string, { batches: number[]; timeoutMs: number }>> = { 'webgpu-web': { batches: [1], timeoutMs: 400_000 } };
const feedsFor = (batch: number) => ({ x: tinyInput(batch) });

const availability = Object.fromEntries(await Promise.all(RUNTIMES.map(async (r) => [r, await availableAt(r, { isolate: true }, 60_000)] as const)));

afterAll(() => releaseRuntimes());

let reference: HostTensor[];
beforeAll(async () => {
  const session = await getRunner('cpu').open(TINY_CNN);
  reference = [];
  for (const b of BATCHES) reference.push((await session.run(feedsFor(b))).probs);
  await session.close();
});

describe.each(RUNTIMES)('runtime %s', (name) => {
  const a = availability[name];

  it('answers available() with its provider and version, never throwing', () => {
    expect(a.runtime).toBe(name);
    expect(a.provider).toBe(getRunner(name).provider);
    expect(a.version).toMatch(/^\d+\.\d+\.\d+/);
    if (!a.ok) expect(a.reason).toBeTruthy();
  });

  const title = `runs the tiny CNN within ${TOLERANCE} of cpu${a.ok ? '' : ` (skipped: ${name} unavailable: ${a.reason})`}`;
  const { batches, timeoutMs } = SLOW[name] ?? { batches: BATCHES, timeoutMs: 170_000 };
  it.skipIf(!a.ok)(title, async () => {
    const rows: BatchResult[] = await runJob({
      runtime: name,
      modelBytes: TINY_CNN,
      batches: batches.map((batch) => ({ batch, feeds: feedsFor(batch) })),
      open: {},
      timing: QUICK_TIMING,
      timeoutMs,
    }, { isolate: true });
    expect(rows.map((r) => r.batch)).toEqual(batches);
    for (const [i, row] of rows.entries()) {
      expect(row.status, row.error).toBe('ok');
      const probs = row.outputs!.probs;
      expect(probs.dims).toEqual([batches[i], 4]);
      expect(relMaxDiff(probs, reference[BATCHES.indexOf(batches[i])])).toBeLessThanOrEqual(TOLERANCE);
      expect(row.fallbackNodes).toBe(0);
      expect(row.timing!.samples).toBeGreaterThanOrEqual(QUICK_TIMING.minSamples);
    }
  }, timeoutMs + 20_000);
});

describe.each(['webgpu-web', 'browser-webgpu'] as const)('%s and empty optional inputs', (name) => {
  const a = availability[name];
  it.skipIf(!a.ok)(`runs a Conv whose bias is named '' like cpu${a.ok ? '' : ` (skipped: ${name} unavailable: ${a.reason})`}`, async () => {
    const model = tinyCnnWithEmptyBias();
    const cpu = await getRunner('cpu').open(model);
    const expected = (await cpu.run(feedsFor(1))).probs;
    await cpu.close();
    const [row] = await runJob({ runtime: name, modelBytes: model, batches: [{ batch: 1, feeds: feedsFor(1) }], open: {}, timing: QUICK_TIMING, timeoutMs: 400_000 }, { isolate: true });
    expect(row.status, row.error).toBe('ok');
    expect(relMaxDiff(row.outputs!.probs, expected)).toBeLessThanOrEqual(TOLERANCE);
    // Without its bias the Conv computes something else: the model really changed.
    expect(relMaxDiff(expected, reference[0])).toBeGreaterThan(1e-3);
  }, 420_000);
});

describe('WebGPU on this machine', () => {
  const icd = existsSync(SWIFTSHADER_ICD) || Boolean(process.env.VK_ICD_FILENAMES || process.env.VK_DRIVER_FILES);
  it.skipIf(!icd)(`finds an adapter for the three WebGPU runtimes where chromium (SwiftShader) or a Vulkan ICD is installed${icd ? '' : ` (skipped: no ${SWIFTSHADER_ICD} and neither VK_ICD_FILENAMES nor VK_DRIVER_FILES set)`}`, () => {
    for (const r of ['webgpu', 'webgpu-web', 'browser-webgpu'] as const) {
      expect(availability[r].ok, availability[r].reason).toBe(true);
      expect(availability[r].device).toBeTruthy();
    }
  });
});
