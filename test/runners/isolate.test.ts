import { describe, expect, it } from 'vitest';
import { runInProcess, runIsolated, type MeasureJob } from '../../src/runners/isolate.ts';
import { QUICK_TIMING } from '../../src/runners/timing.ts';
import { NOT_ONNX, TINY_CNN, tinyInput } from './helpers.ts';

function job(over: Partial<MeasureJob> = {}): MeasureJob {
  return {
    runtime: 'cpu',
    modelBytes: TINY_CNN,
    batches: [1, 4].map((batch) => ({ batch, feeds: { x: tinyInput(batch) } })),
    open: { threads: 1 },
    timing: QUICK_TIMING,
    timeoutMs: 60_000,
    ...over,
  };
}

describe('runIsolated', () => {
  it('measures every batch in a child and returns typed outputs identical to in-process ones', async () => {
    const [isolated, local] = [await runIsolated(job()), await runInProcess(job())];
    expect(isolated.map((r) => [r.batch, r.status])).toEqual([[1, 'ok'], [4, 'ok']]);
    for (const [i, r] of isolated.entries()) {
      expect(r.outputs?.probs.data).toBeInstanceOf(Float32Array);
      expect(r.outputs?.probs.dims).toEqual([r.batch, 4]);
      expect([...r.outputs!.probs.data]).toEqual([...local[i].outputs!.probs.data]);
      expect(r.timing!.samples).toBeGreaterThanOrEqual(QUICK_TIMING.minSamples);
      expect(r.fallbackNodes).toBe(0);
      expect(r.sessionCreateMs).toBeGreaterThan(0);
      expect(r.availability.ok).toBe(true);
    }
  });

  it.each([
    ['abort', 'SIGABRT'],
    ['segfault', 'SIGSEGV'],
    ['exit', 'code 3'],
  ] as const)('turns a worker that dies by %s into crashed rows naming %s', async (how, says) => {
    const rows = await runIsolated(job({ crashForTest: how }));
    expect(rows.map((r) => r.status)).toEqual(['crashed', 'crashed']);
    expect(rows[0].error).toContain(says);
  });

  it('kills a hung worker and reports timeout', async () => {
    const t0 = performance.now();
    const rows = await runIsolated(job({ crashForTest: 'hang', timeoutMs: 8_000 }));
    expect(rows.map((r) => r.status)).toEqual(['timeout', 'timeout']);
    expect(rows[0].error).toMatch(/8000 ms/);
    expect(performance.now() - t0).toBeLessThan(30_000);
  });

  it('reports bytes that are not ONNX as an error of one line, in both modes', async () => {
    for (const rows of [await runIsolated(job({ modelBytes: NOT_ONNX })), await runInProcess(job({ modelBytes: NOT_ONNX }))]) {
      expect(rows.map((r) => r.status)).toEqual(['error', 'error']);
      expect(rows[0].error).toMatch(/protobuf|parse|model/i);
      expect(rows[0].error).not.toContain('\n');
    }
  });

  it('reports an op the runtime does not know as unsupported', async () => {
    const rows = await runInProcess(job({ modelBytes: renameOp(TINY_CNN, 'Relu', 'Relq') }));
    expect(rows.map((r) => r.status)).toEqual(['unsupported', 'unsupported']);
    expect(rows[0].error).toMatch(/Relq/);
  });
});

/** Renames a NodeProto.op_type (field 4, tag 0x22) to a name of the same length. */
function renameOp(model: Uint8Array, from: string, to: string): Uint8Array {
  const text = Buffer.from(model).toString('latin1');
  const field = `\x22${String.fromCharCode(from.length)}`;
  expect(to.length).toBe(from.length);
  expect(text).toContain(field + from);
  return new Uint8Array(Buffer.from(text.replace(field + from, field + to), 'latin1'));
}
