/**
 * The environment fingerprint written beside every result: enough to tell two machines or two
 * installs apart (CPU and the instruction sets its kernels pick, cores, memory, OS, Node, both ORT
 * packages, the WebGPU adapter, the harness's own commit), and nothing that identifies a person
 * (no host name, no user, no paths).
 *
 * CPU flags: the ones that change which kernels ORT (MLAS) and V8's WebAssembly SIMD run: AVX2
 * and FMA (the x86-64 baseline of fast kernels), AVX-512 (wider GEMM/conv), VNNI (int8 dot
 * products without the int16 saturation of VPMADDUBSW), AMX (tile int8/bf16), and on Arm
 * NEON/asimddp/i8mm/sve. Read from /proc/cpuinfo, so empty off Linux.
 *
 * TEST-ONLY: `MELBENCH_TEST_CPU_MODEL` and `MELBENCH_TEST_KERNEL` replace the CPU model and the
 * kernel release (`os.release()`), so that tests can prove that no output or assertion depends on
 * how long these strings are on the machine that runs them (test/runners/doctor.test.ts,
 * .ci/widths). Read here and nowhere else; never set them outside tests.
 */
import { packageRoot } from '../package-root.ts';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, cpus, platform, release, totalmem } from 'node:os';
import { resolve } from 'node:path';

export interface EnvironmentInfo {
  cpu: string;
  /** Kernel-relevant CPU flags present, space-separated, in KERNEL_FLAGS order ('' when unknown). */
  cpuFlags: string;
  cores: number;
  totalMemGiB: number;
  os: string;
  node: string;
  ortNode: string;
  ortWeb: string;
  /** `git rev-parse HEAD` of the harness's checkout, '-dirty' when tracked files differ; '' when not a git checkout. */
  gitCommit: string;
  adapter?: string;
}


export const KERNEL_FLAGS = [
  'sse4_2',
  'avx',
  'avx2',
  'fma',
  'f16c',
  'avx512f',
  'avx512bw',
  'avx512vl',
  'avx512_vnni',
  'avx_vnni',
  'avx512_bf16',
  'avx512_fp16',
  'amx_tile',
  'amx_int8',
  'amx_bf16',
  'asimd',
  'asimddp',
  'i8mm',
  'bf16',
  'sve',
] as const;

const require = createRequire(import.meta.url);
/** The harness's root: two levels above this file (src/runners). */
const HARNESS_ROOT = packageRoot();

/** A package's version from its package.json, or 'missing' when it is not installed. */
export function packageVersion(name: string): string {
  try {
    // NOTE: resolved through the main entry: onnxruntime-web's exports map hides package.json.
    const main = require.resolve(name);
    const root = main.slice(0, main.lastIndexOf(`/node_modules/${name}/`) + `/node_modules/${name}/`.length);
    return (JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { version: string }).version;
  } catch {
    return 'missing';
  }
}

/** The kernel-relevant flags of the first processor in a /proc/cpuinfo text ('flags' on x86, 'Features' on Arm). */
export function kernelFlags(cpuinfo: string): string {
  const line = /^(?:flags|Features)\s*:\s*(.*)$/m.exec(cpuinfo);
  if (!line) return '';
  const have = new Set(line[1].trim().split(/\s+/));
  return KERNEL_FLAGS.filter((f) => have.has(f)).join(' ');
}

function readCpuinfo(): string {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return '';
  }
}

function git(args: string[], cwd: string, timeoutMs: number): Promise<{ ok: boolean; out: string }> {
  return new Promise((done) => {
    execFile('git', args, { cwd, timeout: timeoutMs, windowsHide: true }, (e, stdout) => done({ ok: !e, out: String(stdout).trim() }));
  });
}

/**
 * The commit of the git checkout at `root`, or '' when `root` is not the top of one (e.g. melbench
 * installed under another project's node_modules, whose HEAD says nothing about melbench), when
 * git is missing, or when git takes longer than `timeoutMs`.
 */
export async function gitCommit(root = HARNESS_ROOT, timeoutMs = 2000): Promise<string> {
  const top = await git(['rev-parse', '--show-toplevel'], root, timeoutMs);
  if (!top.ok || resolve(top.out) !== resolve(root)) return '';
  const head = await git(['rev-parse', 'HEAD'], root, timeoutMs);
  if (!head.ok || !/^[0-9a-f]{40}$/.test(head.out)) return '';
  // NOTE: `diff --quiet` exits 1 when tracked files differ from HEAD (untracked files do not count).
  const clean = await git(['diff', '--quiet', 'HEAD', '--'], root, timeoutMs);
  return clean.ok ? head.out : `${head.out}-dirty`;
}

/** The CPU model as the OS names it (`MELBENCH_TEST_CPU_MODEL` in tests, see the header). */
export function cpuModel(env: NodeJS.ProcessEnv = process.env): string {
  return env.MELBENCH_TEST_CPU_MODEL || (cpus()[0]?.model.trim() ?? 'unknown');
}

/** `<platform> <kernel release> <arch>` (the release from `MELBENCH_TEST_KERNEL` in tests, see the header). */
export function osName(env: NodeJS.ProcessEnv = process.env): string {
  return `${platform()} ${env.MELBENCH_TEST_KERNEL || release()} ${arch()}`;
}

let commit: Promise<string> | undefined;

export async function environmentInfo(adapter?: string): Promise<EnvironmentInfo> {
  const list = cpus();
  commit ??= gitCommit();
  return {
    cpu: cpuModel(),
    cpuFlags: kernelFlags(readCpuinfo()),
    cores: list.length,
    totalMemGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: osName(),
    node: process.versions.node,
    ortNode: packageVersion('onnxruntime-node'),
    ortWeb: packageVersion('onnxruntime-web'),
    gitCommit: await commit,
    ...(adapter ? { adapter } : {}),
  };
}


/** The fingerprint's parts, in order: "AMD EPYC x2 (avx2 fma)", "23.4 GiB", "linux ... x64", "node 20.20.2", "ort-node 1.30.0", "ort-web 1.30.0"[, adapter][, "melbench <commit>"]. */
export function fingerprintParts(env: EnvironmentInfo): string[] {
  const parts = [`${env.cpu} x${env.cores}${env.cpuFlags ? ` (${env.cpuFlags})` : ''}`, `${env.totalMemGiB} GiB`, env.os, `node ${env.node}`, `ort-node ${env.ortNode}`, `ort-web ${env.ortWeb}`];
  if (env.adapter) parts.push(env.adapter);
  if (env.gitCommit) parts.push(`melbench ${env.gitCommit.slice(0, 12)}${env.gitCommit.endsWith('-dirty') ? '-dirty' : ''}`);
  return parts;
}

/** One line for CSV cells: the parts joined by ", ". */
export function fingerprint(env: EnvironmentInfo): string {
  return fingerprintParts(env).join(', ');
}
