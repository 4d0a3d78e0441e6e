/**
 * Correctness reference for melbench's training: the same model trained by melbench (train(), as
 * trainRun builds it) and by PyTorch (benchmarks/torch/resnet_peer.py --train) on the same
 * features, with the same optimizer, learning rate, schedule and batch size; per-epoch validation
 * macro-F1 side by side, then test macro-F1 at each side's best validation epoch.
 *
 *   npx tsx benchmarks/train-vs-torch.ts [--model resnet] [--epochs 5] [--lr 3e-3]
 *        [--optimizer adamw] [--weight-decay 1e-4] [--schedule cosine] [--batch 32] [--seed 0]
 *        [--dataset alerts] [--preset default] [--dataset-seed 0] [--independent] [--show-steps 8]
 *
 * By default PyTorch starts from melbench's initial weights (the inference graph's initializers,
 * in graph order) and sees the same batches in the same order (trainer.ts shuffles epoch e with
 * Rng(seed * 7919 + e); no mixup, no SpecAugment, no class weights), so the two loss
 * trajectories should agree step by step until float rounding makes them drift apart; the first
 * steps' losses are printed side by side. --independent lets PyTorch draw its own init and order
 * instead (then only the F1 curves are comparable). Both use the machine's default threads and
 * run one after the other. A default run (5 epochs) takes about 5 minutes on 2 cores.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { errorLine, EXIT, UserError } from '../src/errors.ts';
import { loadDataset } from '../src/features/datasets/index.ts';
import { getZooEntry } from '../src/graph/zoo/index.ts';
import { Rng } from '../src/rng.ts';
import { featureStats, withInputNormalization } from '../src/train/normalize.ts';
import { defaultTrainOptions } from '../src/train/run.ts';
import { parseSchedule } from '../src/train/schedule.ts';
import { type TrainOptions, train } from '../src/train/trainer.ts';
import type { OptimizerKind } from '../src/train/training-graph.ts';
import { probeTorch, runPeer } from './torch/peer.ts';

const PEER_MODELS = ['resnet', 'dws-resnet'];

const num = (name: string, check: (n: number) => boolean, what: string) => (v: string) => {
  const n = Number(v);
  if (!check(n)) throw new InvalidArgumentError(`${name} must be ${what}`);
  return n;
};
const posInt = (name: string) => num(name, (n) => Number.isInteger(n) && n > 0, 'a positive integer');
const f = (v: number | undefined, d = 3) => (v === undefined || Number.isNaN(v) ? '-' : v.toFixed(d));

interface PeerEpoch {
  epoch: number;
  loss: number;
  val_macro_f1: number;
  test_macro_f1: number;
  seconds: number;
  step_losses?: number[];
}

async function main(): Promise<void> {
  const o = new Command('train-vs-torch')
    .option('--model <name>', `zoo model (${PEER_MODELS.join(', ')})`, 'resnet')
    .option('--epochs <n>', 'epochs', posInt('--epochs'), 5)
    .option('--batch <n>', 'batch size', posInt('--batch'), 32)
    .option('--lr <x>', 'peak learning rate', num('--lr', (n) => n > 0, 'positive'), 3e-3)
    .option('--optimizer <kind>', 'adamw, adam or sgd', 'adamw')
    .option('--momentum <x>', 'SGD momentum / Adam beta1', num('--momentum', (n) => n >= 0 && n < 1, 'in [0, 1)'), 0.9)
    .option('--weight-decay <x>', 'weight decay', num('--weight-decay', (n) => n >= 0, 'non-negative'), 1e-4)
    .option('--schedule <kind>', 'constant, cosine, step or sigmoid', 'cosine')
    .option('--seed <n>', 'training seed (init and batch order)', num('--seed', Number.isInteger, 'an integer'), 0)
    .option('--dataset <spec>', 'dataset', 'alerts')
    .option('--preset <name>', 'feature preset', 'default')
    .option('--dataset-seed <n>', 'dataset seed', num('--dataset-seed', Number.isInteger, 'an integer'), 0)
    .option('--independent', 'PyTorch draws its own init and batch order')
    .option('--show-steps <n>', 'first steps whose losses are printed side by side', num('--show-steps', (n) => Number.isInteger(n) && n >= 0, 'a non-negative integer'), 8)
    .parse()
    .opts<{
      model: string;
      epochs: number;
      batch: number;
      lr: number;
      optimizer: string;
      momentum: number;
      weightDecay: number;
      schedule: string;
      seed: number;
      dataset: string;
      preset: string;
      datasetSeed: number;
      independent?: boolean;
      showSteps: number;
    }>();
  if (!['adamw', 'adam', 'sgd'].includes(o.optimizer)) throw new UserError(`--optimizer must be adamw, adam or sgd (got '${o.optimizer}')`, EXIT.usage);
  const base = defaultTrainOptions();
  // Plain training on both sides: no mixup, SpecAugment or class weights to reproduce in PyTorch.
  const options: TrainOptions = defaultTrainOptions({
    epochs: o.epochs,
    batch: o.batch,
    seed: o.seed,
    lr: o.lr,
    schedule: parseSchedule(o.schedule),
    optimizer: { ...base.optimizer, kind: o.optimizer as OptimizerKind, momentum: o.momentum, weightDecay: o.weightDecay },
  });

  const data = await loadDataset(o.dataset, { preset: o.preset, seed: o.datasetSeed });
  const { train: tr, val, test } = data.splits;
  const [c, m, t] = tr.dims;
  const k = data.classes.length;
  const stats = featureStats(tr.x);
  // As trainRun builds it: the zoo model for the features' shape, seeded with the training seed.
  const model = withInputNormalization(getZooEntry(o.model).build({ channels: c, mels: m, frames: t, classes: k, seed: o.seed }), stats.mean, stats.std);
  const stepsPerEpoch = Math.floor(tr.y.length / o.batch);
  console.log(`${o.model} on ${o.dataset}/${o.preset} (dataset seed ${o.datasetSeed}): train ${tr.y.length}, val ${val.y.length}, test ${test.y.length} clips of [${tr.dims}], ${k} classes`);
  console.log(
    `both: ${o.epochs} epochs x ${stepsPerEpoch} steps, batch ${o.batch}, ${o.optimizer} lr ${o.lr} (${o.schedule}, per step) momentum/beta1 ${o.momentum} wd ${o.weightDecay}, no mixup/SpecAugment, seed ${o.seed}; ` +
      (o.independent ? 'independent init and batch order' : "PyTorch starts from melbench's initial weights and sees the same batch order"),
  );

  // The PyTorch side's inputs: features, labels, standardisation, and (shared) init and order.
  const probe = PEER_MODELS.includes(o.model) ? probeTorch() : ({ ok: false, reason: `no PyTorch peer for '${o.model}' (it has ${PEER_MODELS.join(', ')})` } as const);
  const dir = mkdtempSync(join(tmpdir(), 'melbench-vs-torch-'));
  const peerEpochs: PeerEpoch[] = [];
  let peerError: string | undefined = probe.ok ? undefined : probe.reason;
  let peerSeconds = 0;
  const melSteps: number[] = [];
  try {
    if (probe.ok) {
      const featuresFile = join(dir, 'features.f32');
      const all = new Float32Array(tr.x.length + val.x.length + test.x.length);
      all.set(tr.x, 0);
      all.set(val.x, tr.x.length);
      all.set(test.x, tr.x.length + val.x.length);
      writeFileSync(featuresFile, new Uint8Array(all.buffer));
      const meta: Record<string, unknown> = {
        dims: tr.dims,
        classes: data.classes,
        labels: { train: [...tr.y], val: [...val.y], test: [...test.y] },
        mean: stats.mean,
        std: stats.std,
      };
      if (!o.independent) {
        const inputConsts = new Set(model.nodes.filter((n) => n.opType === 'Sub' || n.opType === 'Div').flatMap((n) => n.inputs.slice(1)));
        const tensors = model.initializers.filter((x) => !inputConsts.has(x.name));
        const initFile = join(dir, 'init.f32');
        const flat = new Float32Array(tensors.reduce((a, x) => a + x.data.length, 0));
        let off = 0;
        for (const x of tensors) {
          flat.set(x.data as Float32Array, off);
          off += x.data.length;
        }
        writeFileSync(initFile, new Uint8Array(flat.buffer));
        meta.init = { file: initFile, tensors: tensors.map((x) => ({ name: x.name, dims: x.dims })) };
        // trainer.ts's batch order: epoch e shuffles the training rows with Rng(seed * 7919 + e).
        meta.orders = Array.from({ length: o.epochs }, (_, e) => new Rng(o.seed * 7919 + e).shuffle([...Array(tr.y.length).keys()]));
      }
      const metaFile = join(dir, 'meta.json');
      writeFileSync(metaFile, JSON.stringify(meta));
      const args = ['--train', '--model', o.model, '--features', featuresFile, '--meta', metaFile, '--epochs', String(o.epochs), '--batch', String(o.batch)];
      args.push('--lr', String(o.lr), '--optimizer', o.optimizer, '--momentum', String(o.momentum), '--weight-decay', String(o.weightDecay));
      args.push('--schedule', o.schedule, '--seed', String(o.seed), '--step-losses');
      const t0 = performance.now();
      try {
        await runPeer(args, (rec) => {
          const e = rec as unknown as PeerEpoch;
          peerEpochs.push(e);
          console.log(`  pytorch  epoch ${e.epoch}: loss ${f(e.loss, 4)} val F1 ${f(e.val_macro_f1)} (${e.seconds.toFixed(0)} s)`);
        });
      } catch (e) {
        peerError = errorLine(e);
      }
      peerSeconds = (performance.now() - t0) / 1000;
    }

    const result = await train(model, data, options, {
      onStep: (_e, _s, _n, loss) => melSteps.push(loss),
      onEpoch: (_s, r) => console.log(`  melbench epoch ${r.epoch}: loss ${f(r.loss, 4)} val F1 ${f(r.valMacroF1)} (${r.seconds.toFixed(0)} s)`),
    });

    // ---- report ---------------------------------------------------------------------------------
    console.log('');
    if (peerError) console.log(`PyTorch peer unavailable: ${peerError}`);
    const peerSteps = peerEpochs.flatMap((e) => e.step_losses ?? []);
    if (!o.independent && peerSteps.length && o.showSteps > 0) {
      console.log(`per-step training loss on identical batches (first ${Math.min(o.showSteps, melSteps.length)} steps):`);
      console.log('  step    melbench     pytorch    |diff|');
      for (let i = 0; i < Math.min(o.showSteps, melSteps.length, peerSteps.length); i++) {
        console.log(`  ${String(i + 1).padStart(4)}  ${melSteps[i].toFixed(5).padStart(10)}  ${peerSteps[i].toFixed(5).padStart(10)}  ${Math.abs(melSteps[i] - peerSteps[i]).toExponential(1).padStart(8)}`);
      }
      const n = Math.min(melSteps.length, peerSteps.length);
      let worst = 0;
      let sum = 0;
      for (let i = 0; i < n; i++) {
        const d = Math.abs(melSteps[i] - peerSteps[i]);
        sum += d;
        if (d > Math.abs(melSteps[worst] - peerSteps[worst])) worst = i;
      }
      const dw = Math.abs(melSteps[worst] - peerSteps[worst]);
      console.log(`  all ${n} steps: mean |diff| ${(sum / n).toExponential(1)}, max ${dw.toExponential(1)} at step ${worst + 1} (${melSteps[worst].toFixed(4)} vs ${peerSteps[worst].toFixed(4)})`);
      console.log('');
    }
    console.log('epoch   melbench loss  val F1   |  pytorch loss  val F1');
    for (let e = 0; e < o.epochs; e++) {
      const mh = result.history[e];
      const ph = peerEpochs[e];
      console.log(`${String(e + 1).padStart(5)}   ${f(mh?.loss, 4).padStart(13)}  ${f(mh?.valMacroF1).padStart(6)}   |  ${f(ph?.loss, 4).padStart(12)}  ${f(ph?.val_macro_f1).padStart(6)}`);
    }
    console.log('');
    console.log(`melbench: best val F1 ${f(result.val.macroF1)} at epoch ${result.bestEpoch}, test macro-F1 ${f(result.test.macroF1)} (train ${result.trainSeconds.toFixed(0)} s)`);
    if (peerEpochs.length) {
      // The same selection as trainer.ts: the first epoch with the highest validation macro-F1.
      const best = peerEpochs.reduce((b, e) => (e.val_macro_f1 > b.val_macro_f1 ? e : b));
      const last = peerEpochs.at(-1)!;
      console.log(`PyTorch:  best val F1 ${f(best.val_macro_f1)} at epoch ${best.epoch}, test macro-F1 ${f(best.test_macro_f1)} (last epoch ${f(last.test_macro_f1)}; run ${peerSeconds.toFixed(0)} s)`);
      console.log(`val F1 gap (melbench - PyTorch) at the best epochs: ${(result.val.macroF1 - best.val_macro_f1).toFixed(3)}; test: ${(result.test.macroF1 - best.test_macro_f1).toFixed(3)}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`train-vs-torch: ${e instanceof UserError ? '' : 'internal error: '}${errorLine(e)}\n`);
  process.exitCode = e instanceof UserError ? e.exitCode : EXIT.internal;
});
