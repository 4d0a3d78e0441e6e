/**
 * How often does `melbench compare` cry wolf, and how small a slowdown does it catch? On this
 * machine, with the interleaved A/B mode exactly as `compare --models` runs it (a child process
 * per pair, both sessions in it, ABBA rounds), a model is compared with itself `--pairs` times:
 * - slowdown 0: the same config against itself; every flag is a false positive (target: ≤ 1 in 20);
 * - slowdown s > 0: B spins after each run for s times that run's duration (the worker's
 *   test-only `slowdownForTest`), a planted slowdown of exactly s; every flag is a true positive
 *   (target: ≥ 19 in 20 at s = 10%, and find the smallest s caught 19 times in 20, target ≤ 5%).
 * Each pair's samples are judged by the gate at the default 5% threshold and at a 2% threshold
 * (same samples, no extra runs), so the table shows what lowering the threshold buys and costs.
 *
 *   npx tsx benchmarks/gate-error-rates.ts [--model test/data/tiny-cnn.onnx] [--input-shape 1x16x20]
 *       [--runtime cpu] [--threads 1] [--pairs 20] [--rounds 20] [--runs-per-round 20]
 *       [--slowdowns 0,0.02,0.03,0.05,0.07,0.1] [--stored | --isolate]
 * --stored times A then B back to back (one session each, no interleaving) and judges them
 * sample by sample, as `compare a.csv b.csv` judges two stored runs.
 */
import { Command, InvalidArgumentError } from 'commander';
import { errorLine, UserError } from '../src/errors.ts';
import { compareLatency, DEFAULT_GATE, type GateConfig } from '../src/report/compare.ts';
import { checkedRuntimes } from '../src/commands/options.ts';
import { getRunner, type Runner } from '../src/runners/runner.ts';
import { type AbPlan, type AbSide, abRounds } from '../src/sweep/ab-rounds.ts';
import { runInterleaved } from '../src/sweep/interleave.ts';
import { encode } from '../src/sweep/io-codec.ts';
import { makeBatch } from '../src/sweep/inputs.ts';
import { prepareModel } from '../src/sweep/models.ts';
import { Rng } from '../src/rng.ts';

const positive = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive integer`);
  return n;
};
const dims = (v: string) => v.split(/[x,]/).map(Number);
const fractions = (v: string) => v.split(',').map(Number);

const GATES: [string, GateConfig][] = [
  ['5% (default)', DEFAULT_GATE],
  ['2%', { ...DEFAULT_GATE, latency: 0.02 }],
];

/** One session, warmed up, then every run back to back: what one stored run's samples are. */
async function storedRun(runner: Runner, side: AbSide, plan: AbPlan, slow: number): Promise<number[]> {
  const session = await runner.open(side.bytes, plan.threads > 0 ? { threads: plan.threads } : {});
  const out: number[] = [];
  try {
    for (let i = 0; i < plan.warmup + plan.runsPerRound; i++) await session.run(side.feeds);
    for (let i = 0; i < plan.rounds * plan.runsPerRound; i++) {
      const t0 = performance.now();
      await session.run(side.feeds);
      if (slow > 0) {
        const until = t0 + (performance.now() - t0) * (1 + slow);
        while (performance.now() < until);
      }
      out.push(performance.now() - t0);
    }
  } finally {
    await session.close();
  }
  return out;
}

async function main(): Promise<void> {
  const o = new Command('gate-error-rates')
    .option('--model <spec>', 'zoo name or .onnx file', 'test/data/tiny-cnn.onnx')
    .option('--input-shape <dims>', 'features C x M x T for a .onnx model (zoo models use their preset)', dims, [1, 16, 20])
    .option('--runtime <name>', 'runtime', 'cpu')
    .option('--threads <n>', 'intra-op threads', positive('--threads'), 1)
    .option('--pairs <n>', 'A/B comparisons per slowdown', positive('--pairs'), 20)
    .option('--rounds <n>', 'ABBA blocks per side (compare --models default)', positive('--rounds'), 20)
    .option('--runs-per-round <n>', 'timed runs per block (compare --models default)', positive('--runs-per-round'), 20)
    .option('--stored', 'instead of interleaving, time A then B back to back, one session each (as two stored runs are), and judge them as `compare a.csv b.csv` does')
    .option('--isolate', 'a child process per pair, as `compare --models` does (slower: about 5 s of process start per pair here)')
    .option('--slowdowns <list>', 'planted slowdowns of B, fractions', fractions, [0, 0.02, 0.03, 0.05, 0.07, 0.1])
    .parse(process.argv)
    .opts();
  const [runtime] = checkedRuntimes([o.runtime]);
  const runner = getRunner(runtime);
  const availability = await runner.available();
  if (!availability.ok) throw new UserError(`${runtime} unavailable: ${availability.reason}`);
  const rng = new Rng(7);
  const features = o.model.endsWith('.onnx')
    ? { data: Float32Array.from({ length: o.inputShape.reduce((a: number, b: number) => a * b, 1) }, () => rng.normal()), dims: o.inputShape }
    : undefined;
  const m = prepareModel({ spec: o.model, features, classes: 10, seed: 1 });
  const feeds = { [m.graph.inputs[0].name]: encode(makeBatch(m.features, 1), m.io.input) };
  process.stdout.write(`gate error rates: ${o.model} on ${runtime}, ${o.threads} thread(s), ${o.stored ? 'stored-run style (A then B, not interleaved)' : o.isolate ? 'interleaved, a child process per pair' : 'interleaved, in process'}, ${o.pairs} interleaved A/B pairs per slowdown, ${o.rounds} ABBA rounds x ${o.runsPerRound} runs per side\n`);
  const t0 = performance.now();
  const flagged = new Map<string, number[]>();
  const ratios = new Map<number, number[]>();
  for (const s of o.slowdowns as number[]) {
    const counts = GATES.map(() => 0);
    const rs: number[] = [];
    for (let p = 0; p < o.pairs; p++) {
      const job = { runtime, a: { bytes: m.bytes, feeds }, b: { bytes: m.bytes, feeds }, threads: o.threads, rounds: o.rounds, runsPerRound: o.runsPerRound, warmup: 20, ...(s > 0 ? { slowdownForTest: s } : {}) };
      const r = o.stored
        ? { status: 'ok', error: '', a: await storedRun(runner, job.a, job, 0), b: await storedRun(runner, job.b, job, s) }
        : o.isolate
          ? await runInterleaved(job, 120_000)
          : { status: 'ok', error: '', ...(await abRounds(runner, availability, job.a, job.b, job)) };
      if (r.status !== 'ok') throw new UserError(`pair ${p} at slowdown ${s}: ${r.status}: ${r.error}`);
      GATES.forEach(([, gate], i) => {
        const l = compareLatency(r.a, r.b, { ...gate, seed: p + 1 }, o.stored ? undefined : o.runsPerRound);
        if (l.verdict === 'regression') counts[i]++;
        if (i === 0) rs.push(l.ratio);
      });
    }
    GATES.forEach(([name], i) => flagged.set(`${name}|${s}`, [...(flagged.get(`${name}|${s}`) ?? []), counts[i]]));
    ratios.set(s, rs.sort((a, b) => a - b));
    process.stdout.write(`  slowdown ${(s * 100).toFixed(0)}%: flagged ${GATES.map(([name], i) => `${counts[i]}/${o.pairs} at ${name}`).join(', ')}; observed ratio median ${rs[rs.length >> 1].toFixed(3)} (min ${rs[0].toFixed(3)}, max ${rs[rs.length - 1].toFixed(3)})\n`);
  }
  process.stdout.write('\n| planted slowdown | ' + GATES.map(([n]) => `flagged, threshold ${n}`).join(' | ') + ' | observed ratio, median [min, max] |\n|---|' + GATES.map(() => '---|').join('') + '---|\n');
  for (const s of o.slowdowns as number[]) {
    const rs = ratios.get(s)!;
    process.stdout.write(`| ${(s * 100).toFixed(0)}% | ${GATES.map(([n]) => `${flagged.get(`${n}|${s}`)![0]}/${o.pairs}`).join(' | ')} | ${rs[rs.length >> 1].toFixed(3)} [${rs[0].toFixed(3)}, ${rs[rs.length - 1].toFixed(3)}] |\n`);
  }
  const need = Math.ceil(o.pairs * 0.95);
  for (const [name] of GATES) {
    const fp = flagged.get(`${name}|0`)?.[0];
    const caught = (o.slowdowns as number[]).filter((s) => s > 0 && flagged.get(`${name}|${s}`)![0] >= need);
    process.stdout.write(`threshold ${name}: false positives ${fp ?? '-'}/${o.pairs}; smallest slowdown flagged >= ${need}/${o.pairs}: ${caught.length ? `${(Math.min(...caught) * 100).toFixed(0)}%` : 'none tried'}\n`);
  }
  process.stdout.write(`total ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
}

main().catch((e) => {
  process.stderr.write(`gate-error-rates: ${errorLine(e)}\n`);
  process.exit(e instanceof UserError ? e.exitCode : 70);
});
