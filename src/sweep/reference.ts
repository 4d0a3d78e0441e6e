/**
 * The fp32 cpu reference of a model: its outputs on each batch, untimed, which every row of that
 * model is compared against. For a compressed variant that is its uncompressed model, fed the
 * float32 features.
 *
 * It runs like the timed runs: in a child process with the sweep's timeout when the sweep
 * isolates, so that a crash or hang there (a 6 GB batch, a runtime that aborts) costs that
 * model's rows, not the sweep. The outputs cross IPC as structured clones: bit-identical to an
 * in-process run.
 */
import { type BatchResult, type MeasureJob, runInProcess, runIsolated } from '../runners/isolate.ts';
import type { Feeds, HostTensor } from '../runners/runner.ts';
import { ONE_RUN } from '../runners/timing.ts';
import { decodeOutputs } from './io-codec.ts';
import { type BenchModel, firstOutputName } from './models.ts';

export interface ReferenceBatch {
  batch: number;
  /** What the model itself is fed (encoded for int8/float16 inputs). */
  feeds: Feeds;
  /** The float32 features, fed to a compressed variant's uncompressed reference. */
  floatFeeds: Feeds;
}

export interface Reference {
  /** Decoded outputs per batch, for the batches whose reference run finished. */
  outputs: Map<number, Record<string, HostTensor>>;
  /** Set when the reference child crashed or hung: every row of the model then takes this status. */
  failure?: { status: 'crashed' | 'timeout'; error: string };
}

export interface ReferenceOptions {
  isolate: boolean;
  timeoutMs: number;
  /** Test-only: make the isolated reference child die or hang. */
  crashForTest?: MeasureJob['crashForTest'];
}


export async function referenceRun(m: BenchModel, inputs: readonly ReferenceBatch[], o: ReferenceOptions): Promise<Reference> {
  const job: MeasureJob = {
    runtime: 'cpu',
    modelBytes: m.reference?.bytes ?? m.bytes,
    batches: inputs.map(({ batch, feeds, floatFeeds }) => ({ batch, feeds: m.reference ? floatFeeds : feeds })),
    open: m.externalData && !m.reference ? { externalData: m.externalData } : {},
    timing: ONE_RUN,
    timeoutMs: o.timeoutMs,
    ...(o.crashForTest ? { crashForTest: o.crashForTest } : {}),
  };
  const results: BatchResult[] = o.isolate ? await runIsolated(job) : await runInProcess(job);
  const outputs = new Map<number, Record<string, HostTensor>>();
  results.forEach((r, i) => {
    if (r.outputs) outputs.set(inputs[i].batch, m.reference ? r.outputs : decodeOutputs(r.outputs, firstOutputName(m), m.io.output));
  });
  // NOTE: an `error` or `unsupported` reference batch only leaves its agreement empty (the timed
  // run of the same model says what failed); a dead or silent child is what costs the rows.
  const dead = results.find((r) => r.status === 'crashed' || r.status === 'timeout');
  return dead ? { outputs, failure: { status: dead.status as 'crashed' | 'timeout', error: `reference run: ${dead.error ?? dead.status}` } } : { outputs };
}
