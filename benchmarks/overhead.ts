/**
 * The harness's own overhead: median latency that `timeSession` (tinybench) reports, against a
 * bare `for` loop of `await session.run(feeds)` timed with performance.now, on one session and
 * one prebuilt input. Rounds alternate harness/bare (A/B/A/B...) with the same sample count, so
 * drift (thermal, other processes) hits both alike. Target: harness/bare <= 1.03.
 *
 *   npx tsx benchmarks/overhead.ts [--model test/data/tiny-cnn.onnx] [--input-shape 1x1x16x20]
 *                                  [--runtime cpu] [--rounds 8] [--samples 300] [--threads 1]
 */
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { errorLine, EXIT, UserError } from '../src/errors.ts';
import { getRunner } from '../src/runners/runner.ts';
import { makeTensor } from '../src/runners/tensors.ts';
import { quantile, timeSession } from '../src/runners/timing.ts';

const TARGET = 1.03;

const positive = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive integer`);
  return n;
};

const shape = (v: string) => {
  const dims = v.split(/[x,]/).map(Number);
  if (dims.length === 0 || dims.some((d) => !Number.isInteger(d) || d <= 0)) throw new InvalidArgumentError('--input-shape is dims joined by x, e.g. 1x1x64x126');
  return dims;
};

const median = (xs: number[]) => quantile([...xs].sort((a, b) => a - b), 0.5);

async function main(): Promise<void> {
  const o = new Command('overhead')
    .option('--model <path>', 'ONNX model file', 'test/data/tiny-cnn.onnx')
    .option('--input-shape <dims>', 'float32 input shape, e.g. 1x1x64x126', shape, [1, 1, 16, 20])
    .option('--runtime <name>', 'runtime to time', 'cpu')
    .option('--rounds <n>', 'rounds of each kind, interleaved', positive('--rounds'), 8)
    .option('--samples <n>', 'runs per round', positive('--samples'), 300)
    .option('--threads <n>', 'intra-op threads', positive('--threads'), 1)
    .parse()
    .opts<{ model: string; inputShape: number[]; runtime: string; rounds: number; samples: number; threads: number }>();

  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(o.model));
  } catch (e) {
    throw new UserError(`cannot read model ${o.model}: ${errorLine(e)}; pass --model <path.onnx>`, EXIT.badInput);
  }
  const runner = getRunner(o.runtime);
  const a = await runner.available();
  if (!a.ok) throw new UserError(`${o.runtime} unavailable: ${a.reason}`, EXIT.usage);
  const session = await runner.open(bytes, { threads: o.threads });
  const feeds = { [session.inputNames[0]]: makeTensor('float32', o.inputShape, (i) => Math.sin(i)) };
  for (let i = 0; i < 50; i++) await session.run(feeds);

  const harness: number[] = [];
  const bare: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < o.rounds; r++) {
    const t = await timeSession(session, feeds, { warmupIterations: 0, warmupTimeMs: 0, minSamples: o.samples, minTimeMs: 0 });
    const round: number[] = [];
    for (let i = 0; i < t.samples; i++) {
      const t0 = performance.now();
      await session.run(feeds);
      round.push(performance.now() - t0);
    }
    harness.push(...t.samplesMs);
    bare.push(...round);
    ratios.push(t.p50Ms / median(round));
  }
  await session.close();

  const ratio = median(harness) / median(bare);
  console.log(`model ${o.model}, input ${o.inputShape.join('x')}, runtime ${o.runtime} (${a.device}), ${o.rounds} rounds x ${o.samples} samples each`);
  console.log(`median latency: harness ${median(harness).toFixed(4)} ms, bare loop ${median(bare).toFixed(4)} ms`);
  console.log(`harness/bare: ${ratio.toFixed(4)} pooled, per-round median ${median(ratios).toFixed(4)} (min ${Math.min(...ratios).toFixed(4)}, max ${Math.max(...ratios).toFixed(4)})`);
  console.log(`${ratio <= TARGET ? 'PASS' : 'FAIL'}: target harness/bare <= ${TARGET}`);
}

main().catch((e) => {
  process.stderr.write(`overhead: ${e instanceof UserError ? '' : 'internal error: '}${errorLine(e)}\n`);
  process.exitCode = e instanceof UserError ? e.exitCode : EXIT.internal;
});
