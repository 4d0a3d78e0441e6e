/**
 * `melbench doctor`. Nothing here depends on the terminal width or on the length of this
 * machine's kernel, CPU or host strings: the text form is checked against the width it was given
 * (every width from 60 to 200 on a synthetic machine with long strings, and the real command at
 * whatever COLUMNS the run has), its content against the JSON form, and the real command runs with
 * the TEST-ONLY long CPU and kernel strings of src/runners/environment.ts.
 */
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { doctorText, register } from '../../src/commands/doctor.ts';
import { terminalWidth } from '../../src/report/terminal-table.ts';
import { type EnvironmentInfo, fingerprint, fingerprintParts } from '../../src/runners/environment.ts';
import { type Availability, RUNTIMES } from '../../src/runners/runner.ts';

async function doctor(args: string[]): Promise<string> {
  const out: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
  const program = new Command('melbench').exitOverride();
  register(program);
  await program.parseAsync(['doctor', ...args], { from: 'user' });
  vi.restoreAllMocks();
  return out.join('');
}

/** The environment lines of doctor's text, joined back into one line (continuation indents dropped). */
function environmentLine(text: string): string {
  const lines = text.trimEnd().split('\n');
  const first = lines.findIndex((l) => l.startsWith('environment:'));
  expect(first, text).toBeGreaterThanOrEqual(0);
  return lines.slice(first).map((l) => l.trim()).join(' ');
}

const longestWord = (s: string) => Math.max(...s.split(/\s+/).map((w) => w.length));

// Longer than any real one, with a kernel release token of 47 characters (cloud kernels run to 30).
const LONG_CPU = 'Intel(R) Xeon(R) Platinum 8480+ Sapphire Rapids Engineering Sample @ 2.00GHz';
const LONG_KERNEL = '6.8.0-1234567-custom-cloud-vendor-build-preempt';

const machine: EnvironmentInfo = {
  cpu: LONG_CPU,
  cpuFlags: 'sse4_2 avx avx2 fma f16c avx512f avx512bw avx512vl avx512_vnni avx512_bf16 amx_tile amx_int8',
  cores: 112,
  totalMemGiB: 1007.6,
  os: `linux ${LONG_KERNEL} x64`,
  node: '20.20.2',
  ortNode: '1.30.0',
  ortWeb: '1.30.0',
  gitCommit: '0123456789abcdef0123456789abcdef01234567-dirty',
  adapter: 'google / swiftshader / swiftshader-device-subzero- / SwiftShader driver 5.0.0',
};
const runtimes: Availability[] = [
  { runtime: 'cpu', provider: 'cpu', ok: true, version: '1.30.0', device: LONG_CPU, software: false },
  { runtime: 'wasm', provider: 'wasm', ok: true, version: '1.30.0', device: 'WebAssembly SIMD, 1 thread', software: false },
  { runtime: 'webgpu', provider: 'webgpu', ok: true, version: '1.30.0', device: machine.adapter, software: true },
  { runtime: 'webgpu-web', provider: 'webgpu', ok: false, version: '1.30.0', software: false, reason: 'no WebGPU adapter (Dawn: No supported adapters); Vulkan drivers from VK_ICD_FILENAMES=/tmp/x/missing-icd.json' },
  { runtime: 'browser-wasm', provider: 'wasm', ok: true, version: '1.30.0', device: 'WebAssembly SIMD, 2 threads asked', software: false },
  { runtime: 'browser-webgpu', provider: 'webgpu', ok: true, version: '1.30.0', device: 'google / swiftshader', software: true },
  { runtime: 'browser-webnn', provider: 'webnn', ok: false, version: '1.30.0', software: false, reason: "navigator.ml.createContext() failed in chromium 156.0.8078.129 with --enable-features=WebMachineLearningNeuralNetwork: NotSupportedError: Failed to execute 'createContext' on 'ML': WebNN is not supported on this platform." },
];

describe('doctor text', () => {
  it('fits every width from 60 to 200 and breaks the fingerprint only between its parts', () => {
    for (let width = 60; width <= 200; width += 3) {
      const text = doctorText(runtimes, machine, width);
      const lines = text.trimEnd().split('\n');
      for (const l of lines) expect([...l].length, `width ${width}:\n${text}`).toBeLessThanOrEqual(width);
      for (const r of RUNTIMES) expect(text).toContain(r);
      // Every part short enough for a line is whole on one line: "node 20.20.2" never splits.
      for (const part of fingerprintParts(machine)) {
        if (part.length + 3 > width) continue;
        expect(lines.some((l) => l.includes(part)), `width ${width}: '${part}' split:\n${text}`).toBe(true);
      }
      // No word of this machine is longer than a line at 60, so nothing is cut: the text is the fingerprint.
      expect(longestWord(fingerprint(machine)) + 2).toBeLessThanOrEqual(60);
      expect(environmentLine(text)).toBe(`environment: ${fingerprint(machine)}`);
    }
  });

  it('keeps the whole fingerprint on one line when the width allows it', () => {
    const text = doctorText(runtimes, machine, 1000);
    expect(text).toContain(`\nenvironment: ${fingerprint(machine)}\n`);
  });
});

describe('melbench doctor', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  it('prints a row per runtime and the fingerprint at this run\'s width, with long CPU and kernel strings; JSON: cpu and wasm available', async () => {
    vi.stubEnv('MELBENCH_TEST_CPU_MODEL', LONG_CPU);
    vi.stubEnv('MELBENCH_TEST_KERNEL', LONG_KERNEL);
    const width = terminalWidth();
    const [text, json] = [await doctor([]), JSON.parse(await doctor(['--json'])) as { runtimes: Availability[]; environment: EnvironmentInfo }];
    for (const r of RUNTIMES) expect(text).toContain(r);
    for (const l of text.trimEnd().split('\n')) expect([...l].length, `COLUMNS=${process.env.COLUMNS}:\n${text}`).toBeLessThanOrEqual(width);
    // The strings reached both the fingerprint and the cpu runtime's probe (a child process).
    expect(json.environment.cpu).toBe(LONG_CPU);
    expect(json.environment.os).toContain(LONG_KERNEL);
    expect(json.runtimes.find((r) => r.runtime === 'cpu')!.device).toBe(LONG_CPU);
    expect(json.environment.node).toBe(process.versions.node);
    expect(json.environment.cores).toBeGreaterThan(0);
    expect(json.runtimes.map((r) => r.runtime)).toEqual([...RUNTIMES]);
    expect(json.runtimes.filter((r) => r.ok).map((r) => r.runtime)).toEqual(expect.arrayContaining(['cpu', 'wasm']));
    const node = `node ${process.versions.node}`;
    if (node.length + 3 <= width) expect(text.split('\n').some((l) => l.includes(node)), text).toBe(true);
    // Nothing is cut when no word of the fingerprint is longer than a continuation line.
    if (longestWord(fingerprint(json.environment)) + 2 <= width) expect(environmentLine(text)).toBe(`environment: ${fingerprint(json.environment)}`);
  }, 120_000);
});
