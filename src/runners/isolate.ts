/**
 * Measurement in a child process, so that a runtime that aborts, segfaults or hangs costs one
 * row, not the sweep. The child is src/runners/isolate-worker.ts run through tsx; jobs and
 * results cross IPC with the 'advanced' (structured clone) serialization, which keeps typed
 * arrays typed and copies them once.
 *
 * The parent never throws for what happens in the child: rows the child finished are kept, and
 * the batches it did not finish get `crashed` (with the signal or exit code) or `timeout`.
 * `timeoutMs` bounds each stretch without a finished batch: session creation plus the first
 * batch, then each further batch. The child inherits the environment plus, for WebGPU, the
 * Vulkan settings of vulkan-env.ts (SwiftShader, and chromium's Vulkan loader if the system has
 * none), which only a new process can receive.
 */
import { fork } from 'node:child_process';
import { track } from './children.ts';
import { workerEntry } from './worker-entry.ts';
import { errorLine } from '../errors.ts';
import { measure, type BatchResult, type MeasureJob } from './measure.ts';
import { getRunner, type Availability, type RowStatus } from './runner.ts';
import { gpuChildEnv } from './vulkan-env.ts';

export type { BatchResult, MeasureJob } from './measure.ts';

export type WorkerRequest = { kind: 'measure'; job: MeasureJob } | { kind: 'available'; runtime: MeasureJob['runtime'] };
export type WorkerReply = { kind: 'row'; row: BatchResult } | { kind: 'availability'; availability: Availability } | { kind: 'done' } | { kind: 'fatal'; error: string };

const WORKER = workerEntry('runners/isolate-worker.ts');

/** Runs `job` in this process: no fork cost, no protection. `crashForTest` is not honoured here. */
export async function runInProcess(job: MeasureJob): Promise<BatchResult[]> {
  const rows: BatchResult[] = [];
  try {
    await measure(getRunner(job.runtime), job, (row) => rows.push(row));
  } catch (e) {
    fillMissing(job, rows, 'error', errorLine(e), await safeAvailability(job));
  }
  return rows;
}

export async function runIsolated(job: MeasureJob): Promise<BatchResult[]> {
  const rows: BatchResult[] = [];
  const outcome = await talkToWorker({ kind: 'measure', job }, job.timeoutMs, (reply) => {
    if (reply.kind === 'row') rows.push(reply.row);
  });
  if (outcome.status !== 'ok') {
    const availability = rows[0]?.availability ?? placeholderAvailability(job.runtime);
    fillMissing(job, rows, outcome.status, outcome.error, availability);
  }
  return rows;
}

/** A runtime's availability as a fresh child process sees it (with the Vulkan settings applied). */
export async function availableIsolated(runtime: MeasureJob['runtime'], timeoutMs = 60_000): Promise<Availability> {
  let availability: Availability | undefined;
  const outcome = await talkToWorker({ kind: 'available', runtime }, timeoutMs, (reply) => {
    if (reply.kind === 'availability') availability = reply.availability;
  });
  return availability ?? { ...placeholderAvailability(runtime), reason: `availability check ${outcome.status}: ${outcome.error}` };
}

type Outcome = { status: 'ok'; error?: undefined } | { status: RowStatus; error: string };

function talkToWorker(request: WorkerRequest, timeoutMs: number, onReply: (reply: WorkerReply) => void): Promise<Outcome> {
  return new Promise((resolve) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    let fatal: string | undefined;
    const child = track(fork(WORKER.path, [], {
      execArgv: WORKER.execArgv,
      serialization: 'advanced',
      env: gpuChildEnv(process.env),
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    }));
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    const finish = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        child.kill('SIGKILL');
        finish({ status: 'timeout', error: `no result within ${timeoutMs} ms; worker killed` });
      }, timeoutMs);
    };
    child.on('message', (reply: WorkerReply) => {
      if (reply.kind === 'done') {
        child.disconnect();
        finish({ status: 'ok' });
        return;
      }
      if (reply.kind === 'fatal') fatal = reply.error;
      else onReply(reply);
      arm();
    });
    child.on('error', (e) => finish({ status: 'crashed', error: `worker failed to start: ${errorLine(e)}` }));
    child.on('exit', (code, signal) => {
      if (fatal) return finish({ status: 'error', error: fatal });
      const last = stderr.split('\n').map((l) => l.trim()).filter(Boolean).pop();
      const how = signal ? `killed by ${signal}` : `exited with code ${code}`;
      finish({ status: 'crashed', error: `worker ${how}${last ? `: ${last}` : ''}` });
    });
    arm();
    child.send(request);
  });
}

function placeholderAvailability(runtime: MeasureJob['runtime']): Availability {
  const provider = getRunner(runtime).provider;
  return { ok: false, runtime, provider, version: 'unknown' };
}

async function safeAvailability(job: MeasureJob): Promise<Availability> {
  try {
    return await getRunner(job.runtime).available();
  } catch {
    return placeholderAvailability(job.runtime);
  }
}

/** Rows arrive in the job's batch order, so the batches without a row are the last ones. */
function fillMissing(job: MeasureJob, rows: BatchResult[], status: RowStatus, error: string, availability: Availability): void {
  for (const { batch } of job.batches.slice(rows.length)) rows.push({ batch, status, error, availability, sessionCreateMs: 0, fallbackNodes: null });
}
