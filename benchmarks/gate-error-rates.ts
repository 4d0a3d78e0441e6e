/**
 * How often does `melbench compare` cry wolf, and how small a slowdown does it catch? On this
 * machine, with the interleaved A/B mode exactly as `compare --models` runs it (a child process
 * per pair, both sessions in it, ABBA rounds), a model is compared with itself `--pairs` times:
 * - slowdown 0: the same config against itself; every flag is a false positive (target: ≤ 1 in 20);
 * - slowdown s > 0: B spins after each run for s times that run's duration (the worker's
 *   test-only `slowdownForTest`), a planted slowdown of exactly s; every flag is a true positive
 *   (target: ≥ 19 in 20 at s = 10%, and find the smallest s caught 19 times in 20, target ≤ 5%).
 * Each pair's samples are judged by the gate at the default 5% threshold and at 3% and 2% thresholds
 * (same samples, no extra runs), so the table shows what lowering the threshold buys and costs.
 *
 *   npx tsx benchmarks/gate-error-rates.ts [--model test/data/tiny-cnn.onnx] [--input-shape 1x16x20]
 *       [--runtime cpu] [--threads 1] [--pairs 20] [--rounds 120] [--runs-per-round 10]
 *       [--slowdowns 0,0.02,0.03,0.05,0.07,0.1] [--stored [--sessions 5] | --isolate]
 * --stored times A then B back to back, no interleaving, as two stored runs (`bench` twice, then
 * `compare a.csv b.csv`): each side is `--sessions` sessions one after another, each opened and
 * warmed up on its own, sharing the side's rounds x runs-per-round timed runs. It judges them as
 * `compare` judges two stored runs: sessions as the unit when there are several, and also (column
 * "one-session test") as if each side were one session, the test that cannot see session bias.
 * NOTE: sessions here share one process; `bench --sessions` opens each in its own child process.
 */
import { Command, InvalidArgumentError } from 'commander';
import { errorLine, UserError } from '../src/errors.ts';
import { loadavg } from 'node:os';
import { compareLatency, DEFAULT_GATE, type GateConfig, type SampleLayout } from '../src/report/compare.ts';
import { AB_DEFAULTS } from '../src/commands/compare.ts';
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
  ['3%', { ...DEFAULT_GATE, latency: 0.03 }],
  ['2%', { ...DEFAULT_GATE, latency: 0.02 }],
];

/**
 * What one stored run's samples are: `sessions` sessions one after another, each opened, warmed
 * up, then timed back to back; the side's rounds x runsPerRound runs shared between them.
 */
async function storedRun(runner: Runner, side: AbSide, plan: AbPlan, slow: number, sessions: number): Promise<{ samples: number[]; sizes: number[] }> {
  const total = plan.rounds * plan.runsPerRound;
  const sizes = Array.from({ length: sessions }, (_, i) => Math.floor(total / sessions) + (i < total % sessions ? 1 : 0));
  const samples: number[] = [];
  for (const k of sizes) samples.push(...(await storedSession(runner, side, plan, slow, k)));
  return { samples, sizes };
}

async function storedSession(runner: Runner, side: AbSide, plan: AbPlan, slow: number, runs: number): Promise<number[]> {
  const session = await runner.open(side.bytes, plan.threads > 0 ? { threads: plan.threads } : {});
  const out: number[] = [];
  try {
    for (let i = 0; i < plan.warmup + plan.runsPerRound; i++) await session.run(side.feeds);
    for (let i = 0; i < runs; i++) {
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
    .option('--rounds <n>', 'ABBA blocks per side (compare --models default)', positive('--rounds'), AB_DEFAULTS.rounds)
    .option('--runs-per-round <n>', 'timed runs per block (compare --models default)', positive('--runs-per-round'), AB_DEFAULTS.runsPerRound)
    .option('--stored', 'instead of interleaving, time A then B back to back, one session each (as two stored runs are), and judge them as `compare a.csv b.csv` does')
    .option('--sessions <n>', 'with --stored: sessions per side, one after another (as `bench --sessions N`)', positive('--sessions'), 5)
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
  process.stdout.write(`gate error rates: ${o.model} on ${runtime}, ${o.threads} thread(s), ${o.stored ? `stored-run style (A then B, not interleaved, ${o.sessions} session(s) per side)` : o.isolate ? 'interleaved, a child process per pair' : 'interleaved, in process'}, ${o.pairs} pairs per slowdown, ${o.stored ? `${o.rounds * o.runsPerRound} timed runs per side` : `${o.rounds} ABBA rounds x ${o.runsPerRound} runs per side`}\n`);
  const t0 = performance.now();
  const flagged = new Map<string, number[]>();
  const ratios = new Map<number, number[]>();
  const blindFlags = new Map<number, number>();
  for (const s of o.slowdowns as number[]) {
    const counts = GATES.map(() => 0);
    let blind = 0;
    const rs: number[] = [];
    for (let p = 0; p < o.pairs; p++) {
      const job = { runtime, a: { bytes: m.bytes, feeds }, b: { bytes: m.bytes, feeds }, threads: o.threads, rounds: o.rounds, runsPerRound: o.runsPerRound, warmup: 20, ...(s > 0 ? { slowdownForTest: s } : {}) };
      let layout: SampleLayout = { roundSize: o.runsPerRound };
      let r: { status: string; error?: string; a: number[]; b: number[] };
      if (o.stored) {
        const a = await storedRun(runner, job.a, job, 0, o.sessions);
        const b = await storedRun(runner, job.b, job, s, o.sessions);
        r = { status: 'ok', error: '', a: a.samples, b: b.samples };
        layout = o.sessions > 1 ? { baseSessions: a.sizes, curSessions: b.sizes } : {};
        // The same samples judged as one session per side: what the gate did before sessions.
        if (compareLatency(r.a, r.b, { ...DEFAULT_GATE, seed: p + 1 }).verdict === 'regression') blind++;
      } else r = o.isolate ? await runInterleaved(job, 120_000) : { status: 'ok', error: '', ...(await abRounds(runner, availability, job.a, job.b, job)) };
      if (r.status !== 'ok') throw new UserError(`pair ${p} at slowdown ${s}: ${r.status}: ${r.error}`);
      GATES.forEach(([, gate], i) => {
        const l = compareLatency(r.a, r.b, { ...gate, seed: p + 1 }, layout);
        if (l.verdict === 'regression') counts[i]++;
        if (i === 0) rs.push(l.ratio);
      });
    }
    GATES.forEach(([name], i) => flagged.set(`${name}|${s}`, [...(flagged.get(`${name}|${s}`) ?? []), counts[i]]));
    ratios.set(s, rs.sort((a, b) => a - b));
    if (o.stored && o.sessions > 1) blindFlags.set(s, blind);
    process.stdout.write(`  slowdown ${(s * 100).toFixed(0)}% [load ${loadavg()[0].toFixed(1)}]: flagged ${GATES.map(([name], i) => `${counts[i]}/${o.pairs} at ${name}`).join(', ')}${o.stored && o.sessions > 1 ? `, ${blind}/${o.pairs} by the one-session test at 5%` : ''}; observed ratio median ${rs[rs.length >> 1].toFixed(3)} (min ${rs[0].toFixed(3)}, max ${rs[rs.length - 1].toFixed(3)})\n`);
  }
  const blindCol = blindFlags.size > 0;
  process.stdout.write('\n| planted slowdown | ' + GATES.map(([n]) => `flagged, threshold ${n}`).join(' | ') + (blindCol ? ' | one-session test, 5%' : '') + ' | observed ratio, median [min, max] |\n|---|' + GATES.map(() => '---|').join('') + (blindCol ? '---|' : '') + '---|\n');
  for (const s of o.slowdowns as number[]) {
    const rs = ratios.get(s)!;
    process.stdout.write(`| ${(s * 100).toFixed(0)}% | ${GATES.map(([n]) => `${flagged.get(`${n}|${s}`)![0]}/${o.pairs}`).join(' | ')}${blindCol ? ` | ${blindFlags.get(s)}/${o.pairs}` : ''} | ${rs[rs.length >> 1].toFixed(3)} [${rs[0].toFixed(3)}, ${rs[rs.length - 1].toFixed(3)}] |\n`);
  }
  const need = Math.ceil(o.pairs * 0.95);
  for (const [name] of GATES) {
    const fp = flagged.get(`${name}|0`)?.[0];
    const caught = (o.slowdowns as number[]).filter((s) => s > 0 && flagged.get(`${name}|${s}`)![0] >= need);
    process.stdout.write(`threshold ${name}: false positives ${fp ?? '-'}/${o.pairs}; smallest slowdown flagged >= ${need}/${o.pairs}: ${caught.length ? `${(Math.min(...caught) * 100).toFixed(0)}%` : 'none tried'}\n`);
  }
  process.stdout.write(`total ${((performance.now() - t0) / 1000).toFixed(0)} s; load average at the end ${loadavg().map((x) => x.toFixed(1)).join(' ')}\n`);
}

main().catch((e) => {
  process.stderr.write(`gate-error-rates: ${errorLine(e)}\n`);
  process.exit(e instanceof UserError ? e.exitCode : 70);
});
