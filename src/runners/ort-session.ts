/**
 * A `Session` over an onnxruntime InferenceSession, from either package: onnxruntime-node and
 * onnxruntime-web share onnxruntime-common's session and Tensor, so running, profiling and
 * closing are written once here. A subclass says only where its package leaves the profile
 * (ORT-node: a file; ORT-web: lines on stdout) and how to stop collecting it.
 */
import { invariant } from '../errors.ts';
import type { Feeds, HostTensor, NodeProfile, Session } from './contract.ts';
import { parseOrtProfile } from './profile.ts';
import { fromOrtOutputs, type OrtTensorCtor, type OrtTensorLike, toOrtFeeds } from './tensors.ts';

/** The part of onnxruntime-common's InferenceSession that melbench uses. */
export interface OrtInferenceSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, OrtTensorLike>): Promise<Record<string, OrtTensorLike>>;
  endProfiling(): void;
  release(): Promise<void>;
}

export abstract class OrtSession implements Session {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  private readonly wrapped = new WeakMap<HostTensor, OrtTensorLike>();
  private profiled: NodeProfile[] | undefined;

  constructor(
    private readonly session: OrtInferenceSession,
    private readonly Tensor: OrtTensorCtor,
  ) {
    this.inputNames = session.inputNames;
    this.outputNames = session.outputNames;
  }

  /** True while the session records a profile that `profile()` has not yet read. */
  protected abstract get profiling(): boolean;
  /** The recorded trace (a JSON array of Chrome trace events), read after `endProfiling()`; stops collecting. */
  protected abstract readProfile(): Promise<string>;
  /** Stops collecting and drops whatever was collected; called once the session is released. */
  protected abstract dropProfile(): Promise<void>;

  async run(feeds: Feeds): Promise<Record<string, HostTensor>> {
    return fromOrtOutputs(await this.session.run(toOrtFeeds(this.Tensor, feeds, this.wrapped)));
  }

  async profile(): Promise<NodeProfile[]> {
    if (this.profiled) return this.profiled;
    invariant(this.profiling, 'profile() needs a session opened with { profile: true }');
    this.session.endProfiling();
    this.profiled = parseOrtProfile(await this.readProfile());
    return this.profiled;
  }

  async close(): Promise<void> {
    // NOTE: release first: ORT-node writes an unfinished profile when its session is released,
    // and that file must land in the folder the subclass then removes.
    try {
      await this.session.release();
    } finally {
      await this.dropProfile();
    }
  }
}

/** Trace events that ORT-web prints and someone else collects (ort-web.ts from stdout, a page from its console). */
export interface CollectedTrace {
  /** The events so far, each one valid JSON. */
  events: string[];
  /** Hands on an event still being read. */
  flush(): void;
  /** Stops collecting into `events`. */
  stop(): void;
}

/** An ORT-web session: its profile is the trace its collector gathered while the session was open. */
export class CollectedTraceSession extends OrtSession {
  constructor(
    session: OrtInferenceSession,
    Tensor: OrtTensorCtor,
    private trace: CollectedTrace | undefined,
  ) {
    super(session, Tensor);
  }

  protected get profiling(): boolean {
    return this.trace !== undefined;
  }

  protected async readProfile(): Promise<string> {
    this.trace!.flush();
    const json = `[${this.trace!.events.join(',')}]`;
    await this.dropProfile();
    return json;
  }

  protected async dropProfile(): Promise<void> {
    this.trace?.stop();
    this.trace = undefined;
  }
}
