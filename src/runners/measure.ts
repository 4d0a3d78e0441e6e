/**
 * A measurement job: one model on one runtime, at several batch sizes, giving one result per
 * batch with a status instead of an exception, so a sweep always completes.
 *
 * One-off costs are kept apart:
 * - `runtimeInitMs`: the runtime's own initialisation, paid once per process: its availability
 *   check, then a one-node model (probe-model.ts) opened, run once and closed on the same runner
 *   (ORT-web compiles its WebAssembly there; its WebGPU build sets up the device). 0-ish when the
 *   process already did it (runInProcess after another job).
 * - `sessionCreateMs`: creating the model's own session from bytes, after that.
 * - `firstRunMs` (in the timing): the model's first run; then warm-up and steady-state samples.
 *
 * One session serves every batch of a job (as an application would keep it): each row reports
 * that session's creation time. That session is never profiled: the provider of every node (hence
 * the fallback count) comes from a second, profiled session opened after the first batch's timed
 * runs and run once. NOTE: a session opened with profiling and ended after its first run ran
 * 3-4% slower on cpu than an unprofiled one (resnet, q10 of 600 runs, two pairs), so timing one
 * is not a bare loop. On a software adapter (SwiftShader), where speed is never a claim and a new
 * session recompiles every shader (30-100 s), the timed session's first run is profiled instead.
 *
 * With `profile`, each batch gets a per-node profile from such a second session, run 1 + up to 10
 * times (2 on a software adapter, at most ~1 s), each node's time averaged over the runs after the
 * first. Its fallback count is the row's, so the two agree.
 */
import { errorLine } from '../errors.ts';
import type { AdapterDetails } from './adapter-info.ts';
import type { Availability, Feeds, HostTensor, NodeProfile, OpenOptions, Runner, RowStatus, RuntimeName, Session, Validity } from './contract.ts';
import { PROBE_INPUT, probeModel } from './probe-model.ts';
import { countFallbackNodes } from './profile.ts';
import { timerResolutionUs } from './timer-resolution.ts';
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
  /** Also give each batch a per-node profile (`BatchResult.nodes`), from a separate profiled session. */
  profile?: boolean;
  /** Test-only: make the isolated worker die ('abort', 'segfault', 'exit') or hang ('hang') before measuring. */
  crashForTest?: 'abort' | 'segfault' | 'exit' | 'hang';
}

export interface BatchResult {
  batch: number;
  status: RowStatus;
  /** First line of the failure, for the CSV `error` column. */
  error?: string;
  availability: Availability;
  /** The runtime's one-off initialisation in this process (see the module comment); absent when not measured. */
  runtimeInitMs?: number;
  sessionCreateMs: number;
  timing?: Timing;
  /** The first run's outputs, for diffs against the CPU reference. */
  outputs?: Record<string, HostTensor>;
  /** Nodes that ran on another provider than the runtime's; null when the profile cannot tell. */
  fallbackNodes: number | null;
  /** With `job.profile`: every node, its provider and its time per run. */
  nodes?: NodeProfile[];
  /** The WebGPU adapter's details, for webgpu runtimes. */
  adapter?: AdapterDetails;
  /** What was in force while timing (threads, SIMD, isolation, clock); absent when nothing ran. */
  validity?: Validity;
  /** Browser runtimes: sha256 of the feeds as the page received them (feed-digest.ts), checked against what Node sent. */
  receivedSha256?: string;
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

/** Opens, runs once and closes the one-node probe model: what any session on this runner pays first. */
async function initialiseRuntime(runner: Runner): Promise<void> {
  const probe = await runner.open(probeModel());
  try {
    await probe.run({ x: { type: 'float32', data: PROBE_INPUT, dims: [PROBE_INPUT.length] } });
  } finally {
    await probe.close();
  }
}

const PROFILE_RUNS = 10;
const PROFILE_RUNS_SOFTWARE = 2;
const PROFILE_TIME_MS = 1000;

/** A per-node profile of `feeds` on a fresh profiled session: the first run, then up to `most` steady runs. */
async function profileNodes(runner: Runner, job: MeasureJob, feeds: Feeds, most: number): Promise<NodeProfile[]> {
  const session = await runner.open(job.modelBytes, { ...job.open, profile: true });
  try {
    await session.run(feeds);
    const start = performance.now();
    for (let i = 0; i < most && (i === 0 || performance.now() - start < PROFILE_TIME_MS); i++) await session.run(feeds);
    return await session.profile();
  } finally {
    await session.close();
  }
}

/**
 * Runs a job on `runner` in this process (or page), calling `emit` as each batch finishes. The
 * runner is passed in, not looked up, so that a browser page runs this same code on its own runner.
 */
export async function measure(runner: Runner, job: MeasureJob, emit: (row: BatchResult) => void): Promise<void> {
  let availability!: Availability;
  let initFailed = false;
  const init = await timed(async () => {
    availability = await runner.available();
    if (!availability.ok) return;
    // NOTE: a probe failure is left to the model's own session to report, with the model's error.
    await initialiseRuntime(runner).catch(() => (initFailed = true));
  });
  const runtimeInitMs = initFailed ? undefined : init.ms;
  const rowsFrom = (start: number, status: RowStatus, error: string, sessionCreateMs = 0) => {
    for (const { batch } of job.batches.slice(start)) emit({ batch, status, error, availability, sessionCreateMs, fallbackNodes: null });
  };
  if (!availability.ok) return rowsFrom(0, 'unavailable', availability.reason ?? `${job.runtime} unavailable`);
  const adapter = await runner.adapter?.().catch(() => undefined);
  const clockUs = timerResolutionUs();
  const validity: Validity = { timerResolutionUs: clockUs, ...(await runner.inForce?.().catch(() => ({}))) };
  const common = { availability, validity, ...(runtimeInitMs !== undefined ? { runtimeInitMs } : {}), ...(adapter ? { adapter } : {}) };

  const software = availability.software === true;
  const profileTimed = software && !job.profile;
  let session: Session;
  let sessionCreateMs: number;
  try {
    const opened = await timed(() => runner.open(job.modelBytes, { ...job.open, profile: profileTimed }));
    session = opened.value;
    sessionCreateMs = opened.ms;
  } catch (e) {
    const { status, error } = classifyFailure(e);
    for (const { batch } of job.batches) emit({ batch, status, error, ...common, sessionCreateMs: 0, fallbackNodes: null });
    return;
  }

  const timing = software && job.softwareTiming ? job.softwareTiming : job.timing;
  let fallbackNodes: number | null = null;
  let profiled = false;
  try {
    for (const { batch, feeds } of job.batches) {
      let outputs: Record<string, HostTensor> | undefined;
      try {
        const measured = await timeSession(
          session,
          feeds,
          timing,
          async (first) => {
            outputs = first;
            if (profileTimed && !profiled) {
              profiled = true;
              fallbackNodes = await session.profile().then(
                (nodes) => countFallbackNodes(nodes, runner.provider),
                () => null,
              );
            }
          },
          clockUs / 1000,
        );
        const nodes = job.profile ? await profileNodes(runner, job, feeds, software ? PROFILE_RUNS_SOFTWARE : PROFILE_RUNS) : undefined;
        if (!nodes && !profiled) {
          profiled = true;
          fallbackNodes = await profileNodes(runner, job, feeds, 0).then(
            (n) => countFallbackNodes(n, runner.provider),
            () => null,
          );
        }
        const fallback = nodes ? countFallbackNodes(nodes, runner.provider) : fallbackNodes;
        emit({ batch, status: 'ok', ...common, sessionCreateMs, timing: measured, outputs, fallbackNodes: fallback, ...(nodes ? { nodes } : {}) });
      } catch (e) {
        const { status, error } = classifyFailure(e);
        emit({ batch, status, error, ...common, sessionCreateMs, ...(outputs ? { outputs } : {}), fallbackNodes });
      }
    }
  } finally {
    await session.close();
  }
}
