/**
 * The parent side of the import fuzz: runs cases [0, cases) in a child process
 * (test/fuzz/import-worker.ts) and watches it. A case ends as an imported graph or a `UserError`
 * with its exit code; it fails as:
 * - `thrown`: anything else thrown by `fromOnnx` (TypeError, RangeError, a plain Error...);
 * - `escaped`: a model with external data outside its directory imported instead of being refused;
 * - `slow`: a case that took more than `slowMs`;
 * - `hang`: no reply for `hangMs` (the child is killed and restarted after that case);
 * - `crash`: the child died (abort, out of memory, a native fault) during the case; restarted after it.
 * A child process, not a worker thread, so that a synchronous infinite loop or a crash in the
 * importer is caught and attributed to its case.
 */
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Rng } from '../../src/rng.ts';
import { fuzzSource, mutateModel } from './import-mutate.ts';
import { importFuzzSources } from './import-sources.ts';

export type Plant = 'hang' | 'crash' | 'throw';

export interface ImportFuzzRequest {
  seed: number;
  from: number;
  to: number;
  /** A case slower than this also sends its description. */
  slowMs: number;
  plants?: Record<number, Plant>;
  /** Mutate only the fixtures (quick to build), not the zoo and pass outputs. */
  fixturesOnly?: boolean;
}

export type ImportFuzzReply =
  | { kind: 'sources'; names: string[] }
  | { kind: 'case'; k: number; source: string; family: string; escapes?: boolean; outcome: string; ms: number; what?: string; message?: string }
  | { kind: 'done' };

/** Case k's own seed: any case replays alone. */
export const caseSeed = (seed: number, k: number): number => seed * 1_000_003 + k;

// NOTE: the child's entry, never imported here: it listens for its request as soon as it loads.
const WORKER = fileURLToPath(new URL('./import-worker.ts', import.meta.url));
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export interface ImportFuzzOptions {
  seed: number;
  cases: number;
  slowMs: number;
  hangMs: number;
  plants?: Record<number, Plant>;
  fixturesOnly?: boolean;
  /** Child restarts allowed after hangs and crashes before the run gives up. */
  maxRestarts?: number;
}

export interface ImportFuzzFailure {
  k: number;
  kind: 'thrown' | 'escaped' | 'slow' | 'hang' | 'crash';
  detail: string;
}

export interface ImportFuzzResult {
  sources: string[];
  outcomes: Map<string, number>;
  /** Outcomes of the cases whose external data pointed outside the model's directory. */
  escaping: Map<string, number>;
  /** Outcome counts per mutation family. */
  byFamily: Map<string, Map<string, number>>;
  /** The first case of each outcome class: "case k source: mutation -> message". */
  examples: Map<string, string>;
  failures: ImportFuzzFailure[];
  slowestMs: number;
  seconds: number;
}

/** The description of case k's mutation, rebuilt here (for a case whose child died before saying). */
function describeCase(seed: number, k: number, fixturesOnly = false): { family: string; text: string } {
  const sources = importFuzzSources(fixturesOnly);
  const s = sources[k % sources.length];
  const m = mutateModel(fuzzSource(s.name, s.bytes), new Rng(caseSeed(seed, k)));
  return { family: m.family, text: `${s.name}: ${m.what}` };
}

type ChildEnd = { kind: 'done' } | { kind: 'hang' | 'crash'; detail: string };

function runChild(req: ImportFuzzRequest, hangMs: number, onReply: (r: ImportFuzzReply) => void): Promise<ChildEnd> {
  return new Promise((resolve) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    let stderr = '';
    const child = fork(WORKER, [], { execArgv: ['--import', TSX_LOADER], serialization: 'advanced', stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
    child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    const finish = (end: ChildEnd) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(end);
    };
    const arm = (ms: number) => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        child.kill('SIGKILL');
        finish({ kind: 'hang', detail: `no reply within ${ms} ms; child killed` });
      }, ms);
    };
    child.on('message', (r: ImportFuzzReply) => {
      if (r.kind === 'done') {
        finish({ kind: 'done' });
        child.disconnect();
        return;
      }
      onReply(r);
      arm(hangMs);
    });
    child.on('exit', (code, signal) => {
      const last = stderr.split('\n').map((l) => l.trim()).filter(Boolean).pop();
      finish({ kind: 'crash', detail: `child ${signal ? `killed by ${signal}` : `exited with code ${code}`}${last ? `: ${last}` : ''}` });
    });
    // NOTE: the first reply waits for the sources to be built (zoo exports, passes): a longer bound.
    arm(Math.max(hangMs, 60_000));
    child.send(req);
  });
}

export async function runImportFuzz(o: ImportFuzzOptions): Promise<ImportFuzzResult> {
  const start = performance.now();
  const outcomes = new Map<string, number>();
  const examples = new Map<string, string>();
  const failures: ImportFuzzFailure[] = [];
  let sources: string[] = [];
  let slowestMs = 0;
  let next = 0;
  let restarts = 0;
  const byFamily = new Map<string, Map<string, number>>();
  const escaping = new Map<string, number>();
  const count = (outcome: string, family?: string) => {
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    if (!family) return;
    const f = byFamily.get(family) ?? byFamily.set(family, new Map()).get(family)!;
    f.set(outcome, (f.get(outcome) ?? 0) + 1);
  };
  while (next < o.cases) {
    let last = next - 1;
    const end = await runChild({ seed: o.seed, from: next, to: o.cases, slowMs: o.slowMs, plants: o.plants, fixturesOnly: o.fixturesOnly }, o.hangMs, (r) => {
      if (r.kind === 'sources') {
        sources = r.names;
        return;
      }
      if (r.kind !== 'case') return;
      last = r.k;
      count(r.outcome, r.family);
      if (r.escapes) escaping.set(r.outcome, (escaping.get(r.outcome) ?? 0) + 1);
      slowestMs = Math.max(slowestMs, r.ms);
      const id = `case ${r.k} ${r.source}: ${r.what ?? '?'}`;
      if (r.what && !examples.has(r.outcome)) examples.set(r.outcome, `${id} -> ${r.message ?? 'imported'}`);
      if (r.outcome.startsWith('thrown')) failures.push({ k: r.k, kind: 'thrown', detail: `${id}: ${r.outcome}: ${r.message}` });
      if (r.outcome === 'escaped') failures.push({ k: r.k, kind: 'escaped', detail: `${id}: imported, though its external data lies outside the model's directory` });
      if (r.ms > o.slowMs) failures.push({ k: r.k, kind: 'slow', detail: `${id}: ${r.ms.toFixed(0)} ms > ${o.slowMs} ms` });
    });
    if (end.kind === 'done') break;
    const k = last + 1;
    const d = describeCase(o.seed, k, o.fixturesOnly);
    count(end.kind, d.family);
    failures.push({ k, kind: end.kind, detail: `case ${k} ${d.text}: ${end.detail}` });
    next = k + 1;
    if (++restarts > (o.maxRestarts ?? 20)) {
      failures.push({ k: next, kind: end.kind, detail: `gave up after ${restarts} restarts; cases from ${next} not run` });
      break;
    }
  }
  return { sources, outcomes, escaping, byFamily, examples, failures, slowestMs, seconds: (performance.now() - start) / 1000 };
}
