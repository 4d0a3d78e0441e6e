/**
 * Training throughput (samples/s) of melbench's TrainSession against PyTorch on CPU, same
 * architecture, batch, input size, optimizer (SGD momentum 0.9, weight decay 1e-4) and intra-op
 * thread count, in one run on one machine.
 *
 *   npx tsx benchmarks/train-speed.ts [--model resnet] [--batch 32] [--steps 10] [--rounds 3]
 *                                     [--threads <cores, at most 2>] [--warmup 2]
 *
 * Both sides train the zoo model preceded by input standardisation on fixed random [B, 1, 64, 126]
 * clips. PyTorch is benchmarks/torch/resnet_peer.py --speed --serve, started once and kept
 * waiting on stdin, so rounds alternate melbench / PyTorch / melbench / PyTorch... (A/B) with
 * only one side running at a time; machine drift hits both alike. A round is `--steps` steps
 * after a warm-up; each side's figure is the median of its rounds' samples/s.
 * Target: melbench / PyTorch >= 1.0. Without /usr/bin/python3 or torch, the PyTorch side prints
 * "PyTorch peer unavailable: <reason>" and melbench's figure still comes out (exit 0).
 */
import { cpus } from 'node:os';
import { Command, InvalidArgumentError } from 'commander';
import { errorLine, EXIT, UserError } from '../src/errors.ts';
import { getZooEntry } from '../src/graph/zoo/index.ts';
import { Rng } from '../src/rng.ts';
import { withInputNormalization } from '../src/train/normalize.ts';
import { TrainSession } from '../src/train/session.ts';
import { probeTorch, startPeer, type PeerProcess } from './torch/peer.ts';

const TARGET = 1.0;
const PEER_MODELS = ['resnet', 'dws-resnet'];

const positive = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive integer`);
  return n;
};
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function main(): Promise<void> {
  const o = new Command('train-speed')
    .option('--model <name>', `zoo model (PyTorch peer: ${PEER_MODELS.join(', ')})`, 'resnet')
    .option('--batch <n>', 'batch size', positive('--batch'), 32)
    .option('--input <C,M,T>', 'one clip', '1,64,126')
    .option('--classes <n>', 'classes', positive('--classes'), 12)
    .option('--steps <n>', 'training steps per round', positive('--steps'), 10)
    .option('--rounds <n>', 'rounds of each side, interleaved', positive('--rounds'), 3)
    .option('--warmup <n>', 'untimed steps before the first round', positive('--warmup'), 2)
    .option('--threads <n>', 'intra-op threads for both sides', positive('--threads'), Math.min(2, cpus().length))
    .parse()
    .opts<{ model: string; batch: number; input: string; classes: number; steps: number; rounds: number; warmup: number; threads: number }>();
  const input = o.input.split(',').map(Number);
  if (input.length !== 3 || input.some((d) => !Number.isInteger(d) || d <= 0)) throw new UserError('--input is C,M,T, e.g. 1,64,126', EXIT.usage);
  const [c, m, t] = input;
  const B = o.batch;
  const K = o.classes;

  // melbench: the zoo model with in-model standardisation (mean 0, std 1 on this data), as trainRun builds it.
  const graph = withInputNormalization(getZooEntry(o.model).build({ channels: c, mels: m, frames: t, classes: K, seed: 1 }), 0, 1);
  const session = await TrainSession.create(graph, {
    batch: B,
    input,
    optimizer: { kind: 'sgd', momentum: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-4 },
    l1Gamma: 0,
    runtime: 'cpu',
    threads: o.threads,
  });
  const rng = new Rng(7);
  const x = Float32Array.from({ length: B * c * m * t }, () => rng.normal());
  const labels = new Float32Array(B * K);
  for (let i = 0; i < B; i++) labels[i * K + rng.int(K)] = 1;
  const w = new Float32Array(B).fill(1);
  const lr = 0.01;
  for (let i = 0; i < o.warmup; i++) await session.step(x, labels, w, lr);
  const melbenchRound = async () => {
    const t0 = performance.now();
    for (let i = 0; i < o.steps; i++) await session.step(x, labels, w, lr);
    const ms = (performance.now() - t0) / o.steps;
    return { samplesPerS: (B * 1000) / ms, stepMs: ms };
  };

  // PyTorch: the peer, kept waiting between rounds.
  let peer: PeerProcess | undefined;
  let unavailable: string | undefined;
  let torchVersion = '';
  if (!PEER_MODELS.includes(o.model)) unavailable = `no PyTorch peer for '${o.model}' (it has ${PEER_MODELS.join(', ')})`;
  else {
    const p = probeTorch();
    if (!p.ok) unavailable = p.reason;
    else {
      torchVersion = p.version;
      try {
        peer = await startPeer(['--speed', '--serve', '--model', o.model, '--batch', String(B), '--input', input.join(','), '--classes', String(K), '--threads', String(o.threads), '--warmup', String(o.warmup)]);
      } catch (e) {
        unavailable = errorLine(e);
      }
    }
  }
  const torchRound = async () => {
    const r = await peer!.request(String(o.steps));
    return { samplesPerS: r.samples_per_s as number, stepMs: r.step_ms as number, threads: r.threads as number };
  };

  const rows: { round: number; side: string; samplesPerS: number; stepMs: number }[] = [];
  try {
    for (let r = 1; r <= o.rounds; r++) {
      rows.push({ round: r, side: 'melbench', ...(await melbenchRound()) });
      if (peer) {
        const tr = await torchRound();
        if (tr.threads !== o.threads) throw new Error(`PyTorch peer runs ${tr.threads} threads, asked for ${o.threads}`);
        rows.push({ round: r, side: 'pytorch', samplesPerS: tr.samplesPerS, stepMs: tr.stepMs });
      }
    }
  } finally {
    await session.close();
    await peer?.close();
  }

  console.log(`training throughput: ${o.model}, batch ${B}, input [${input}], ${K} classes, SGD momentum 0.9 wd 1e-4, ${o.threads} thread(s) each`);
  console.log(`machine: ${cpus()[0]?.model.trim() ?? 'unknown cpu'} x${cpus().length}; ${o.rounds} rounds x ${o.steps} steps, alternating melbench / PyTorch`);
  console.log('');
  console.log('round  side       samples/s   step ms');
  for (const r of rows) console.log(`${String(r.round).padStart(5)}  ${r.side.padEnd(9)} ${r.samplesPerS.toFixed(1).padStart(10)} ${r.stepMs.toFixed(1).padStart(9)}`);
  const mel = median(rows.filter((r) => r.side === 'melbench').map((r) => r.samplesPerS));
  console.log('');
  console.log(`melbench (onnxruntime-node cpu): ${mel.toFixed(1)} samples/s (median of rounds)`);
  if (!peer) {
    console.log(`PyTorch peer unavailable: ${unavailable}`);
    return;
  }
  const tor = median(rows.filter((r) => r.side === 'pytorch').map((r) => r.samplesPerS));
  const perRound = rows.filter((r) => r.side === 'melbench').map((r, i) => r.samplesPerS / rows.filter((q) => q.side === 'pytorch')[i].samplesPerS);
  console.log(`PyTorch ${torchVersion} (cpu): ${tor.toFixed(1)} samples/s (median of rounds)`);
  console.log(`ratio melbench/PyTorch: ${(mel / tor).toFixed(3)} (per round ${perRound.map((v) => v.toFixed(3)).join(', ')})`);
  console.log(`${mel / tor >= TARGET ? 'PASS' : 'FAIL'}: target melbench/PyTorch >= ${TARGET}`);
}

main().catch((e) => {
  process.stderr.write(`train-speed: ${e instanceof UserError ? '' : 'internal error: '}${errorLine(e)}\n`);
  process.exitCode = e instanceof UserError ? e.exitCode : EXIT.internal;
});
