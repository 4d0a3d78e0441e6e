import { describe, expect, it } from 'vitest';
import { countFallbackNodes, parseOrtProfile } from '../../src/runners/profile.ts';
import { getRunner } from '../../src/runners/runner.ts';
import { TINY_CNN, tinyInput } from './helpers.ts';

const event = (name: string, op: string, provider: string, dur: number) => ({ cat: 'Node', name: `${name}_kernel_time`, dur, args: { op_name: op, provider } });

describe('parseOrtProfile and countFallbackNodes', () => {
  const trace = JSON.stringify([
    { cat: 'Session', name: 'model_run', dur: 100, args: {} },
    event('conv', 'Conv', 'WebGpuExecutionProvider', 10),
    event('conv', 'Conv', 'WebGpuExecutionProvider', 30),
    { cat: 'Node', name: 'conv_fence_before', dur: 1, args: { op_name: 'Conv' } },
    event('shape', 'Shape', 'CPUExecutionProvider', 2),
    event('copy', 'MemcpyToHost', 'CPUExecutionProvider', 5),
  ]);

  it('averages kernel times per node and ignores session and fence events', () => {
    const nodes = parseOrtProfile(trace);
    expect(nodes).toHaveLength(3);
    expect(nodes.find((n) => n.name === 'conv')).toEqual({ name: 'conv', opType: 'Conv', provider: 'WebGpuExecutionProvider', meanUs: 20, calls: 2 });
  });

  it('counts nodes off the requested provider, not device copies', () => {
    const nodes = parseOrtProfile(trace);
    expect(countFallbackNodes(nodes, 'webgpu')).toBe(1);
    expect(countFallbackNodes(nodes, 'cpu')).toBe(1);
    expect(countFallbackNodes([], 'webgpu')).toBeNull();
    expect(countFallbackNodes(null, 'webgpu')).toBeNull();
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
    expect(nodes.every((n) => n.provider === 'CPUExecutionProvider' && n.calls === 3 && n.meanUs >= 0)).toBe(true);
    expect(countFallbackNodes(nodes, name)).toBe(0);
  });

  it('refuses profile() on a session opened without profiling', async () => {
    const session = await getRunner(name).open(TINY_CNN);
    await expect(session.profile()).rejects.toThrow(/profile: true/);
    await session.close();
  });
});
