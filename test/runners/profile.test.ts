import { describe, expect, it } from 'vitest';
import { countFallbackNodes, isFallbackNode, parseOrtProfile } from '../../src/runners/profile.ts';
import { getRunner } from '../../src/runners/runner.ts';
import { TINY_CNN, tinyInput } from './helpers.ts';

const event = (name: string, op: string, provider: string, dur: number, ts?: number) => ({ cat: 'Node', name: `${name}_kernel_time`, dur, ...(ts !== undefined ? { ts } : {}), args: { op_name: op, provider } });
const run = (ts: number, dur: number) => ({ cat: 'Session', name: 'model_run', ts, dur, args: {} });

describe('parseOrtProfile and countFallbackNodes', () => {
  const trace = JSON.stringify([
    { cat: 'Session', name: 'model_run', dur: 100, args: {} },
    event('conv', 'Conv', 'WebGpuExecutionProvider', 10),
    event('conv', 'Conv', 'WebGpuExecutionProvider', 30),
    { cat: 'Node', name: 'conv_fence_before', dur: 1, args: { op_name: 'Conv' } },
    event('shape', 'Shape', 'CPUExecutionProvider', 2),
    event('copy', 'MemcpyToHost', 'CPUExecutionProvider', 5),
  ]);

  it('ignores session and fence events; without run spans, each call is a run and the first is left out', () => {
    const nodes = parseOrtProfile(trace);
    expect(nodes).toHaveLength(3);
    expect(nodes.find((n) => n.name === 'conv')).toEqual({ name: 'conv', opType: 'Conv', provider: 'WebGpuExecutionProvider', meanUs: 30, calls: 2 });
    expect(nodes.find((n) => n.name === 'shape')).toMatchObject({ meanUs: 2, calls: 1 });
  });

  it('times each node per run (model_run spans), summing calls within a run and leaving out the first run', () => {
    const spans = JSON.stringify([
      run(100, 50),
      event('conv', 'Conv', 'CPUExecutionProvider', 40, 110),
      event('body', 'Add', 'CPUExecutionProvider', 5, 120),
      run(200, 50),
      event('conv', 'Conv', 'CPUExecutionProvider', 10, 210),
      event('body', 'Add', 'CPUExecutionProvider', 2, 220),
      event('body', 'Add', 'CPUExecutionProvider', 3, 230),
      run(300, 50),
      event('conv', 'Conv', 'CPUExecutionProvider', 14, 310),
      event('body', 'Add', 'CPUExecutionProvider', 1, 320),
      event('body', 'Add', 'CPUExecutionProvider', 1, 330),
    ]);
    const nodes = parseOrtProfile(spans);
    // conv: runs 2 and 3 -> (10 + 14) / 2; body (twice per run, as in a Loop): (2 + 3 + 1 + 1) / 2.
    expect(nodes.find((n) => n.name === 'conv')).toMatchObject({ meanUs: 12, calls: 3 });
    expect(nodes.find((n) => n.name === 'body')).toMatchObject({ meanUs: 3.5, calls: 5 });
  });

  it('counts nodes off the requested provider, not device copies', () => {
    const nodes = parseOrtProfile(trace);
    expect(countFallbackNodes(nodes, 'webgpu')).toBe(1);
    expect(countFallbackNodes(nodes, 'cpu')).toBe(1);
    expect(countFallbackNodes([], 'webgpu')).toBeNull();
    expect(countFallbackNodes(null, 'webgpu')).toBeNull();
    expect(nodes.filter((n) => isFallbackNode(n, 'webgpu')).map((n) => n.name)).toEqual(['shape']);
  });
});

describe.each(['cpu', 'wasm'] as const)('Session.profile on %s', (name) => {
  it('lists every node of the tiny CNN with its provider, and none falls back', async () => {
    const session = await getRunner(name).open(TINY_CNN, { profile: true });
    for (let i = 0; i < 3; i++) await session.run({ x: tinyInput(2) });
    const nodes = await session.profile();
    await session.close();
    const ops = nodes.map((n) => n.opType);
    for (const op of ['GlobalAveragePool', 'Gemm', 'Softmax']) expect(ops).toContain(op);
    expect(ops.some((o) => /Conv/.test(o))).toBe(true);
    expect(nodes.every((n) => n.provider === 'CPUExecutionProvider' && n.calls === 3 && n.meanUs > 0)).toBe(true);
    expect(countFallbackNodes(nodes, name)).toBe(0);
  });

  it('refuses profile() on a session opened without profiling', async () => {
    const session = await getRunner(name).open(TINY_CNN);
    await expect(session.profile()).rejects.toThrow(/profile: true/);
    await session.close();
  });
});
