import { describe, expect, it } from 'vitest';
import { missionRuntimes } from '../../src/ablate/mission-runtimes.ts';
import type { Availability } from '../../src/runners/runner.ts';

const webgpu = (a: Partial<Availability>): Availability => ({ ok: true, runtime: 'webgpu', provider: 'webgpu', version: '1.30.0', ...a });

describe('the main job’s runtimes', () => {
  it('adds both WebGPU runtimes when the adapter is real hardware', () => {
    const r = missionRuntimes(webgpu({ device: 'nvidia / hopper / NVIDIA H200', software: false }));
    expect(r.runtimes).toEqual(['cpu', 'wasm', 'webgpu', 'webgpu-web']);
    expect(r.note).toBeUndefined();
  });

  it('leaves them out on a software adapter, saying so and how to add them', () => {
    const r = missionRuntimes(webgpu({ device: 'google / swiftshader / SwiftShader Device (Subzero)', software: true }));
    expect(r.runtimes).toEqual(['cpu', 'wasm']);
    expect(r.note).toContain('software');
    expect(r.note).toContain('SwiftShader Device');
    expect(r.note).toContain('--runtimes cpu,wasm,webgpu,webgpu-web');
  });

  it('leaves them out with no adapter, with the availability reason', () => {
    const r = missionRuntimes(webgpu({ ok: false, reason: 'no WebGPU adapter (No supported adapters); apt-get install chromium' }));
    expect(r.runtimes).toEqual(['cpu', 'wasm']);
    expect(r.note).toContain('No supported adapters');
    expect(r.note).toContain('--runtimes cpu,wasm,webgpu,webgpu-web');
  });
});
