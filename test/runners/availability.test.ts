/**
 * A WebGPU runtime with no adapter answers ok:false with a reason and never throws. The missing
 * adapter is made real, not mocked: a child process whose Vulkan loader is pointed at an ICD file
 * that does not exist.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InternalError } from '../../src/errors.ts';
import { getRunner, isRuntimeName, RUNTIMES } from '../../src/runners/runner.ts';

const RUNNER = pathToFileURL(fileURLToPath(new URL('../../src/runners/runner.ts', import.meta.url))).href;
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

function availabilityInChild(runtime: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string }> {
  const script = `const { getRunner } = await import(${JSON.stringify(RUNNER)}); process.stdout.write(JSON.stringify(await getRunner(${JSON.stringify(runtime)}).available()));`;
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', TSX, '--input-type=module', '-e', script], { env, timeout: 60_000 }, (error, stdout) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout });
    });
  });
}

describe('getRunner', () => {
  it('returns each runtime under its name', () => {
    for (const name of RUNTIMES) expect(getRunner(name).name).toBe(name);
    expect(isRuntimeName('wasm')).toBe(true);
    expect(isRuntimeName('cuda')).toBe(false);
  });

  it('rejects an unknown name as a bug (the CLI checks names first), listing the valid ones', () => {
    expect(() => getRunner('cuda')).toThrow(InternalError);
    expect(() => getRunner('cuda')).toThrow(/cpu, wasm, webgpu, webgpu-web/);
  });
});

describe.each(['webgpu', 'webgpu-web'])('%s without any adapter', (runtime) => {
  it('answers ok:false with a plain reason and does not throw', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, VK_ICD_FILENAMES: '/nonexistent/no_icd.json' };
    delete env.VK_DRIVER_FILES;
    const { code, stdout } = await availabilityInChild(runtime, env);
    expect(code).toBe(0);
    const a = JSON.parse(stdout);
    expect(a).toMatchObject({ ok: false, runtime, provider: 'webgpu' });
    expect(a.reason).toMatch(/no WebGPU adapter/);
    expect(a.reason).toMatch(/No supported adapters/i);
    expect(a.reason).not.toContain('\n');
  });
});

describe.each(['cpu', 'wasm'] as const)('%s availability', (runtime) => {
  it('is ok here, with a version and a device', async () => {
    const a = await getRunner(runtime).available();
    expect(a).toMatchObject({ ok: true, runtime, software: false });
    expect(a.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(a.device).toBeTruthy();
  });
});
