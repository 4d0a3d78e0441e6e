/**
 * onnxruntime-web in a real browser against the Node runtimes, and the harness's browser rows
 * against a plain loop in a page. For each model at batch 1, `--rounds` rounds, the order of the
 * configurations rotated each round, each measured as `bench` measures it at its defaults (steady
 * warm-up, at least 50 samples and 1 s; Node runtimes in a fresh child, browser ones in a fresh page
 * of the one headless Chromium all browser configurations share):
 * - cpu: onnxruntime-node, ORT's default threads;
 * - wasm: onnxruntime-web in Node (1 thread);
 * - browser-wasm x1, x2: onnxruntime-web in a cross-origin isolated page with `numThreads` 1 and 2;
 * - plain x1, x2: a plain `await session.run()` loop in a fresh page, after a warm-up of at least
 *   20 runs and 5 s, median of at least 200 runs and 1 s: what a page's own code would time.
 * Prints each configuration's median p50 over the rounds (and every round's), its ratio to cpu, the
 * threads in force, and harness/plain at 1 and 2 threads, the median of the per-round ratios (target <= 1.03, as
 * benchmarks/harness-vs-bare.ts's: the harness adds nothing to what a page would measure).
 * NOTE: on a 2-core machine, "2 threads" is every core: ORT's pool and the page's main thread
 * share them with the browser's other processes, Node and the OS, and a round at 2 threads is
 * bimodal there (5 or 15 ms for resnet, harness and plain loop alike): read the rounds.
 *
 *   npx tsx benchmarks/browser-threads.ts [--models resnet,dcase-baseline] [--rounds 5]
 */
import { Command } from 'commander';
import { closeBrowsers, plainLoopInBrowser } from '../src/runners/browser/run-in-browser.ts';
import type { BatchResult, MeasureJob } from '../src/runners/measure.ts';
import { runJob } from '../src/runners/run-job.ts';
import type { RuntimeName } from '../src/runners/runner.ts';
import { DEFAULT_TIMING, quantile } from '../src/runners/timing.ts';
import { makeBatch } from '../src/sweep/inputs.ts';
import { prepareModel } from '../src/sweep/models.ts';

const TARGET = 1.03;
const median = (xs: number[]) => quantile([...xs].sort((a, b) => a - b), 0.5);

interface Config {
  label: string;
  runtime: RuntimeName;
  threads?: number;
  plain?: boolean;
}

// NOTE: each harness configuration just before its plain loop, so that rotation keeps the pair side by side.
const CONFIGS: Config[] = [
  { label: 'cpu', runtime: 'cpu' },
  { label: 'wasm (node)', runtime: 'wasm' },
  { label: 'browser-wasm x1', runtime: 'browser-wasm', threads: 1 },
  { label: 'plain page loop x1', runtime: 'browser-wasm', threads: 1, plain: true },
  { label: 'browser-wasm x2', runtime: 'browser-wasm', threads: 2 },
  { label: 'plain page loop x2', runtime: 'browser-wasm', threads: 2, plain: true },
];

const program = new Command()
  .option('--models <names>', 'zoo models', (v) => v.split(','), ['resnet', 'dcase-baseline'])
  .option('--rounds <n>', 'rounds per model', (v) => Number.parseInt(v, 10), 5)
  .parse();
const o = program.opts<{ models: string[]; rounds: number }>();

async function measureOnce(c: Config, job: MeasureJob): Promise<{ p50: number; threads: string }> {
  const j = { ...job, runtime: c.runtime, open: c.threads ? { threads: c.threads } : {} };
  if (c.plain) return { p50: await plainLoopInBrowser(j, { warmupRuns: 20, warmupMs: 5000, runs: 200, runsMs: 1000 }), threads: String(c.threads) };
  const [row]: BatchResult[] = await runJob(j, { isolate: true });
  if (row.status !== 'ok' || !row.timing) throw new Error(`${c.label}: ${row.status}: ${row.error}`);
  return { p50: row.timing.p50Ms, threads: row.validity?.threadsUsed !== undefined ? String(row.validity.threadsUsed) : 'ORT default' };
}

try {
  console.log(`${new Date().toISOString()}  rounds ${o.rounds}, batch 1, bench's default timing`);
  for (const name of o.models) {
    const m = prepareModel({ spec: name, classes: 10, seed: 1 });
    const job: MeasureJob = { runtime: 'cpu', modelBytes: m.bytes, batches: [{ batch: 1, feeds: { [m.graph.inputs[0].name]: makeBatch(m.features, 1) } }], open: {}, timing: DEFAULT_TIMING, timeoutMs: 600_000 };
    const p50s = new Map<string, number[]>(CONFIGS.map((c) => [c.label, []]));
    const threads = new Map<string, string>();
    for (let round = 0; round < o.rounds; round++) {
      for (let k = 0; k < CONFIGS.length; k++) {
        const c = CONFIGS[(k + round) % CONFIGS.length];
        const r = await measureOnce(c, job);
        p50s.get(c.label)!.push(r.p50);
        threads.set(c.label, r.threads);
      }
    }
    const cpu = median(p50s.get('cpu')!);
    console.log(`\n${name} (batch 1)`);
    console.log(`${'configuration'.padEnd(20)} ${'p50 ms'.padStart(9)} ${'/ cpu'.padStart(7)}  threads_used  rounds' p50s`);
    for (const c of CONFIGS) {
      const xs = p50s.get(c.label)!;
      console.log(`${c.label.padEnd(20)} ${median(xs).toFixed(3).padStart(9)} ${(median(xs) / cpu).toFixed(2).padStart(7)}  ${threads.get(c.label)!.padEnd(12)}  ${xs.map((x) => x.toFixed(3)).join(' ')}`);
    }
    for (const x of ['x1', 'x2']) {
      // NOTE: per round (the two measured one after the other), then the median: a round's load hits both sides.
      const plain = p50s.get(`plain page loop ${x}`)!;
      const ratios = p50s.get(`browser-wasm ${x}`)!.map((h, i) => h / plain[i]);
      const ratio = median(ratios);
      console.log(`harness / plain page loop (browser-wasm ${x}): ${ratio.toFixed(3)} (target <= ${TARGET}: ${ratio <= TARGET ? 'met' : 'NOT met'}; rounds ${ratios.map((r) => r.toFixed(2)).join(' ')})`);
    }
  }
} finally {
  await closeBrowsers();
}
