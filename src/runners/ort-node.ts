/**
 * Sessions on onnxruntime-node, shared by the 'cpu' and 'webgpu' runtimes (same package, one
 * execution provider each).
 *
 * Profiling: ORT-node can only write its profile to a file, named `<prefix>_<timestamp>.json`,
 * when `endProfiling()` is called. Each profiled session gets a private temporary folder as
 * prefix, read back and removed by `profile()`, so concurrent sessions never mix files.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InferenceSession } from 'onnxruntime-node';
import { parseOrtProfile } from './profile.ts';
import type { Feeds, HostTensor, NodeProfile, OpenOptions, Session } from './contract.ts';
import { fromOrtOutputs, toOrtFeeds, type OrtTensorCtor, type OrtTensorLike } from './tensors.ts';

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

class OrtNodeSession implements Session {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  private readonly wrapped = new WeakMap<HostTensor, OrtTensorLike>();
  private profiled: NodeProfile[] | undefined;

  constructor(
    private readonly session: InferenceSession,
    private readonly Tensor: OrtTensorCtor,
    private profileDir: string | undefined,
  ) {
    this.inputNames = session.inputNames;
    this.outputNames = session.outputNames;
  }

  async run(feeds: Feeds): Promise<Record<string, HostTensor>> {
    const out = await this.session.run(toOrtFeeds(this.Tensor, feeds, this.wrapped) as unknown as InferenceSession.FeedsType);
    return fromOrtOutputs(out as unknown as Record<string, OrtTensorLike>);
  }

  async profile(): Promise<NodeProfile[]> {
    if (this.profiled) return this.profiled;
    if (!this.profileDir) throw new Error('profile() needs a session opened with { profile: true }');
    this.session.endProfiling();
    const files = (await readdir(this.profileDir)).filter((f) => f.endsWith('.json'));
    if (files.length === 0) throw new Error(`onnxruntime-node wrote no profile in ${this.profileDir}`);
    this.profiled = parseOrtProfile(await readFile(join(this.profileDir, files[0]), 'utf8'));
    await rm(this.profileDir, { recursive: true, force: true });
    this.profileDir = undefined;
    return this.profiled;
  }

  async close(): Promise<void> {
    await this.session.release();
    if (this.profileDir) await rm(this.profileDir, { recursive: true, force: true });
    this.profileDir = undefined;
  }
}
