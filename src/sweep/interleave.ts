/**
 * Interleaved A/B: times two models on one runtime in the same process and the same minutes, in
 * alternating blocks (ABBA order: A B, B A, A B, ...), so that what the machine does meanwhile
 * (another job, thermal or frequency drift) lands on both sides alike. This is how a CI job on a
 * shared runner compares base and head without trusting a baseline measured on another machine.
 *
 * The rounds themselves are ab-rounds.ts (a fresh session per block). Each runtime gets its own
 * child process (src/sweep/interleave-worker.ts, started like src/runners/isolate.ts starts its
 * worker): a runtime that aborts, hangs or throws costs its own cells, not the comparison. Each side's samples are pooled over the rounds and go through the
 * same gate as stored runs (src/report/compare.ts).
 */
import { fork } from 'node:child_process';
import { track } from '../runners/children.ts';
import { workerEntry } from '../runners/worker-entry.ts';
import { errorLine } from '../errors.ts';
import { type CellData, type CellKey, type CellResult, compareCell, type GateConfig } from '../report/compare.ts';
import { EXIT, UserError } from '../errors.ts';
import type { Availability, RowStatus, RuntimeName } from '../runners/runner.ts';
import { gpuChildEnv } from '../runners/vulkan-env.ts';
import type { AbPlan, AbSide } from './ab-rounds.ts';
import { batchInputs } from './model-feeds.ts';
import type { BenchModel } from './models.ts';

export interface InterleaveJob extends AbPlan {
  runtime: RuntimeName;
  a: AbSide;
  b: AbSide;
  /** Test-only: the worker aborts (a native crash) or spins forever (a hang) before measuring. */
  crashForTest?: 'abort' | 'hang';
}

export type InterleaveReply =
  | { kind: 'result'; status: RowStatus; error?: string; availability?: Availability; a: number[]; b: number[]; order: string }
  | { kind: 'fatal'; error: string };

export type InterleaveResult = Omit<Extract<InterleaveReply, { kind: 'result' }>, 'kind'>;

const WORKER = workerEntry('sweep/interleave-worker.ts');

/** Runs one job in a child process; never throws for what happens there. */
export function runInterleaved(job: InterleaveJob, timeoutMs: number): Promise<InterleaveResult> {
  return new Promise((resolve) => {
    let settled = false;
    let stderr = '';
    const child = track(
      fork(WORKER.path, [], {
        execArgv: WORKER.execArgv,
        serialization: 'advanced',
        env: gpuChildEnv(process.env),
        stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
      }),
    );
    const finish = (r: InterleaveResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const failed = (status: RowStatus, error: string): InterleaveResult => ({ status, error, a: [], b: [], order: '' });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(failed('timeout', `no result within ${timeoutMs} ms; worker killed`));
    }, timeoutMs);
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    child.on('message', (m: InterleaveReply) => {
      const { kind, ...rest } = m;
      finish(kind === 'result' ? (rest as InterleaveResult) : failed('error', m.error));
      child.disconnect();
    });
    child.on('error', (e) => finish(failed('crashed', `worker failed to start: ${errorLine(e)}`)));
    child.on('exit', (code, signal) => {
      const last = stderr.split('\n').map((l) => l.trim()).filter(Boolean).pop();
      finish(failed('crashed', `worker ${signal ? `killed by ${signal}` : `exited with code ${code}`}${last ? `: ${last}` : ''}`));
    });
    child.send(job);
  });
}

export interface AbOptions {
  runtimes: RuntimeName[];
  batches: number[];
  threads: number;
  rounds: number;
  runsPerRound: number;
  warmup: number;
  timeoutMs: number;
  slowdownForTest?: number;
  /** Test-only: make the child of this runtime abort or hang. */
  crashForTest?: { runtime: RuntimeName; how: 'abort' | 'hang' };
  onResult?(runtime: RuntimeName, batch: number, r: InterleaveResult): void;
}

export interface AbCell {
  base: CellData;
  cur: CellData;
  result: CellResult;
  order: string;
}

/** One side of a pair: the model's bytes, its feeds at this batch and its external data. */
const sideOf = (m: BenchModel, feeds: AbSide['feeds']): AbSide => ({ bytes: m.bytes, feeds, ...(m.externalData ? { externalData: m.externalData } : {}) });

/**
 * A (the baseline) against B (the candidate) on every runtime and batch. A pair whose child
 * fails cannot say which model broke it, so it counts as a regression of B (status
 * crashed/timeout/error/unsupported) unless the runtime is merely unavailable here.
 */
export async function compareInterleaved(a: BenchModel, b: BenchModel, o: AbOptions, gate: GateConfig): Promise<AbCell[]> {
  const out: AbCell[] = [];
  const model = a.name === b.name ? a.name : `${a.name}→${b.name}`;
  const variant = a.variant === b.variant ? a.variant : `${a.variant}→${b.variant}`;
  const preset = a.preset.name === b.preset.name ? a.preset.name : `${a.preset.name}→${b.preset.name}`;
  // NOTE: `--dim batch=N` fixes a model's batch (model-feeds.ts): both sides must then be timed at the same N.
  const [aIn, bIn] = [batchInputs(a, o.batches), batchInputs(b, o.batches)];
  const pairs = aIn.map((x, i) => {
    if (x.batch !== bIn[i].batch) throw new UserError(`--models: ${a.name} is fed batch ${x.batch} and ${b.name} batch ${bIn[i].batch}; fix the batch of both alike (--dim <batch dim>=N names it in each model)`, EXIT.usage);
    return { batch: x.batch, a: x.feeds, b: bIn[i].feeds };
  });
  for (const runtime of o.runtimes) {
    for (const { batch, a: aFeeds, b: bFeeds } of pairs) {
      const job: InterleaveJob = {
        runtime,
        a: sideOf(a, aFeeds),
        b: sideOf(b, bFeeds),
        threads: runtime === 'wasm' ? 0 : o.threads,
        rounds: o.rounds,
        runsPerRound: o.runsPerRound,
        warmup: o.warmup,
        ...(o.slowdownForTest ? { slowdownForTest: o.slowdownForTest } : {}),
        ...(o.crashForTest?.runtime === runtime ? { crashForTest: o.crashForTest.how } : {}),
      };
      const r = await runInterleaved(job, o.timeoutMs);
      o.onResult?.(runtime, batch, r);
      const key: CellKey = { model, variant, runtime, batch: String(batch), threads: String(runtime === 'wasm' ? 1 : o.threads), preset };
      const software = r.availability?.software ?? false;
      const error = r.error ? { error: r.error } : {};
      // NOTE: A is the reference by construction: a failed or unavailable pair reads as ok -> <status>.
      const rounds = r.status === 'ok' && !software ? { roundSize: o.runsPerRound } : {};
      const base: CellData = { key, status: 'ok', software, modelBytes: a.bytes.length, ...rounds, ...(r.status === 'ok' ? { samples: r.a } : {}) };
      const cur: CellData = { key, status: r.status, software, modelBytes: b.bytes.length, ...rounds, ...error, ...(r.status === 'ok' ? { samples: r.b } : {}) };
      out.push({ base, cur, result: compareCell(base, cur, gate), order: r.order });
    }
  }
  return out;
}
