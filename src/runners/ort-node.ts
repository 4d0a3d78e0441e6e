/**
 * Sessions on onnxruntime-node, shared by the 'cpu' and 'webgpu' runtimes (same package, one
 * execution provider each).
 *
 * Profiling: ORT-node can only write its profile to a file, named `<prefix>_<timestamp>.json`,
 * when `endProfiling()` is called. Each profiled session gets a private temporary folder as
 * prefix, read back and removed by `profile()`, so concurrent sessions never mix files.
 * Running, profiling and closing are ort-session.ts's; this file says where the profile is.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InferenceSession } from 'onnxruntime-node';
import type { OpenOptions, Session } from './contract.ts';
import { type OrtInferenceSession, OrtSession } from './ort-session.ts';
import type { OrtTensorCtor } from './tensors.ts';

export type OrtNode = typeof import('onnxruntime-node');

let loaded: Promise<OrtNode> | undefined;

export function loadOrtNode(): Promise<OrtNode> {
  // NOTE: onnxruntime-node is CommonJS; under ESM its exports arrive on `default`.
  loaded ??= import('onnxruntime-node').then((m) => ((m as { default?: OrtNode }).default ?? m) as OrtNode);
  return loaded;
}

export function ortNodeVersion(ort: OrtNode): string {
  return ort.env.versions?.node ?? ort.env.versions?.common ?? 'unknown';
}

export async function openOrtNode(model: Uint8Array, provider: 'cpu' | 'webgpu', options: OpenOptions = {}): Promise<Session> {
  const ort = await loadOrtNode();
  const profileDir = options.profile ? await mkdtemp(join(tmpdir(), 'melbench-prof-')) : undefined;
  const sessionOptions: InferenceSession.SessionOptions = {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
    ...(options.threads !== undefined ? { intraOpNumThreads: options.threads } : {}),
    ...(profileDir ? { enableProfiling: true, profileFilePrefix: join(profileDir, 'ort') } : {}),
    ...(options.externalData ? { externalData: options.externalData } : {}),
  };
  let session: InferenceSession;
  try {
    session = await ort.InferenceSession.create(model, sessionOptions);
  } catch (e) {
    if (profileDir) await rm(profileDir, { recursive: true, force: true });
    throw e;
  }
  return new OrtNodeSession(session, ort.Tensor as unknown as OrtTensorCtor, profileDir);
}

class OrtNodeSession extends OrtSession {
  constructor(
    session: InferenceSession,
    Tensor: OrtTensorCtor,
    private profileDir: string | undefined,
  ) {
    super(session as unknown as OrtInferenceSession, Tensor);
  }

  protected get profiling(): boolean {
    return this.profileDir !== undefined;
  }

  protected async readProfile(): Promise<string> {
    const dir = this.profileDir!;
    const files = (await readdir(dir)).filter((f) => f.endsWith('.json'));
    if (files.length === 0) throw new Error(`onnxruntime-node wrote no profile in ${dir}`);
    const json = await readFile(join(dir, files[0]), 'utf8');
    await this.dropProfile();
    return json;
  }

  protected async dropProfile(): Promise<void> {
    if (this.profileDir) await rm(this.profileDir, { recursive: true, force: true });
    this.profileDir = undefined;
  }
}
