import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { adapterDetails } from '../../src/runners/adapter-info.ts';
import { environmentInfo, fingerprint, gitCommit, kernelFlags, packageVersion } from '../../src/runners/environment.ts';

const installed = (name: string) => (JSON.parse(readFileSync(new URL(`../../node_modules/${name}/package.json`, import.meta.url), 'utf8')) as { version: string }).version;
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('environmentInfo', () => {
  it('names the machine, Node and both ORT packages as installed', async () => {
    const env = await environmentInfo('google / swiftshader');
    expect(env.cpu.length).toBeGreaterThan(0);
    expect(env.cores).toBeGreaterThan(0);
    expect(env.totalMemGiB).toBeGreaterThan(0);
    expect(env.node).toBe(process.versions.node);
    expect(env.ortNode).toBe(installed('onnxruntime-node'));
    expect(env.ortWeb).toBe(installed('onnxruntime-web'));
    expect(env.adapter).toBe('google / swiftshader');
    if (process.platform === 'linux') expect(env.cpuFlags).toBe(kernelFlags(readFileSync('/proc/cpuinfo', 'utf8')));
    expect(fingerprint(env)).toContain(`ort-web ${env.ortWeb}`);
    expect(fingerprint(env)).toContain('google / swiftshader');
  });

  it('says missing for a package that is not installed', () => {
    expect(packageVersion('no-such-package-melbench')).toBe('missing');
  });
});

describe('kernelFlags', () => {
  it('keeps the flags that pick kernels, in a fixed order, from x86 and Arm cpuinfo', () => {
    const x86 = 'processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu sse4_2 avx512_vnni avx2 fma avx f16c avx512f amx_tile hypervisor\n\nprocessor\t: 1\nflags\t\t: fpu\n';
    expect(kernelFlags(x86)).toBe('sse4_2 avx avx2 fma f16c avx512f avx512_vnni amx_tile');
    expect(kernelFlags('processor\t: 0\nFeatures\t: fp asimd evtstrm aes asimddp i8mm sve\n')).toBe('asimd asimddp i8mm sve');
    expect(kernelFlags('no flags here')).toBe('');
  });
});

describe('gitCommit', () => {
  it("is this checkout's HEAD, marked -dirty when tracked files differ", async () => {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, encoding: 'utf8' }).trim() !== '';
    expect(await gitCommit(ROOT)).toBe(dirty ? `${head}-dirty` : head);
  });

  it('is empty outside a git checkout, and inside someone else\'s (melbench under node_modules)', async () => {
    expect(await gitCommit(mkdtempSync(join(tmpdir(), 'melbench-nogit-')))).toBe('');
    expect(await gitCommit(join(ROOT, 'src'))).toBe('');
  });
});

describe('adapterDetails', () => {
  it("takes Dawn's vendor, architecture and description (the driver)", () => {
    expect(adapterDetails({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA: 580.65.06' }, false)).toEqual({ vendor: 'nvidia', architecture: 'hopper', driver: 'NVIDIA: 580.65.06', software: false });
  });
});
