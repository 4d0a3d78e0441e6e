/**
 * A measurement job: one model on one runtime, at several batch sizes, giving one result per
 * batch with a status instead of an exception, so a sweep always completes.
 *
 * One session serves every batch of a job (as an application would keep it): each row reports
 * that session's creation time. The session is opened with profiling on, and profiling is ended
 * right after the first run: ORT stops recording then, so the provider of every node is known
 * (hence the fallback count) while warm-up and timed runs carry no profiling cost.
 */
import { errorLine } from '../errors.ts';
import { countFallbackNodes } from './profile.ts';
import { getRunner, type Availability, type Feeds, type HostTensor, type OpenOptions, type RowStatus, type RuntimeName, type Session } from './runner.ts';
import { timed, timeSession, type Timing, type TimingConfig } from './timing.ts';

export interface MeasureJob {
  runtime: RuntimeName;
  modelBytes: Uint8Array;
  batches: { batch: number; feeds: Feeds }[];
  open: OpenOptions;
  timing: TimingConfig;
  /** Used instead of `timing` when the adapter is software (SwiftShader): correctness, not speed. */
  softwareTiming?: TimingConfig;
  /** For runIsolated: the longest a child may go without finishing a batch (session creation included). */
  timeoutMs: number;
  /** Test-only: make the isolated worker die ('abort', 'segfault', 'exit') or hang ('hang') before measuring. */
  crashForTest?: 'abort' | 'segfault' | 'exit' | 'hang';
}

export interface BatchResult {
  batch: number;
  status: RowStatus;
  /** First line of the failure, for the CSV `error` column. */
  error?: string;
  availability: Availability;
  sessionCreateMs: number;
  timing?: Timing;
  /** The first run's outputs, for diffs against the CPU reference. */
  outputs?: Record<string, HostTensor>;
  /** Nodes that ran on another provider than the runtime's; null when the profile cannot tell. */
  fallbackNodes: number | null;
}

/**
 * ORT's words for "this EP or build cannot run this model" (missing kernel, type, opset), as
 * opposed to a broken model or a bug.
 */
const UNSUPPORTED = /NOT_IMPLEMENTED|No Op registered|not implemented|Could not find an implementation|unsupported|not supported|does not support|is not a registered|opset .* (?:is )?(?:under|not)|no kernel/i;

export function classifyFailure(e: unknown): { status: RowStatus; error: string } {
  const error = errorLine(e);
  return { status: UNSUPPORTED.test(error) ? 'unsupported' : 'error', error };
}

/** Runs a job in this process, calling `emit` as each batch finishes. */
export async function measure(job: MeasureJob, emit: (row: BatchResult) => void): Promise<void> {
  const runner = getRunner(job.runtime);
  const availability = await runner.available();
  const rowsFrom = (start: number, status: RowStatus, error: string, sessionCreateMs = 0) => {
    for (const { batch } of job.batches.slice(start)) emit({ batch, status, error, availability, sessionCreateMs, fallbackNodes: null });
  };
  if (!availability.ok) return rowsFrom(0, 'unavailable', availability.reason ?? `${job.runtime} unavailable`);

  let session: Session;
  let sessionCreateMs: number;
  try {
    const opened = await timed(() => runner.open(job.modelBytes, { ...job.open, profile: true }));
    session = opened.value;
    sessionCreateMs = opened.ms;
  } catch (e) {
    const { status, error } = classifyFailure(e);
    return rowsFrom(0, status, error);
  }

  const timing = availability.software && job.softwareTiming ? job.softwareTiming : job.timing;
  let fallbackNodes: number | null = null;
  let profiled = false;
  try {
    for (const { batch, feeds } of job.batches) {
      let outputs: Record<string, HostTensor> | undefined;
      try {
        const measured = await timeSession(session, feeds, timing, async (first) => {
          outputs = first;
          if (!profiled) {
            profiled = true;
            fallbackNodes = await session.profile().then(
              (nodes) => countFallbackNodes(nodes, runner.provider),
              () => null,
            );
          }
        });
        emit({ batch, status: 'ok', availability, sessionCreateMs, timing: measured, outputs, fallbackNodes });
      } catch (e) {
        const { status, error } = classifyFailure(e);
        emit({ batch, status, error, availability, sessionCreateMs, ...(outputs ? { outputs } : {}), fallbackNodes });
      }
    }
  } finally {
    await session.close();
  }
}
