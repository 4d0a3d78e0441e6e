/**
 * A training session: the training-step graph opened on a runtime, plus the tensors it carries
 * from step to step (parameters, optimizer state, BN running statistics), kept in host memory
 * and fed back each step. `inferenceGraph()` writes them back into the inference graph.
 */
import { UserError } from '../errors.ts';
import { describeNode, type Graph, type Tensor } from '../graph/ir.ts';
import { getOp, traitsOf } from '../graph/ops/index.ts';
import { toOnnx } from '../export/onnx.ts';
import { getRunner, type Feeds, type RuntimeName, type Session } from '../runners/runner.ts';
import { buildTrainingGraph, type OptimizerConfig, type TrainingGraph } from './training-graph.ts';

export interface TrainSessionOptions {
  batch: number;
  /** [C, M, T] of one clip. */
  input: number[];
  optimizer: OptimizerConfig;
  l1Gamma: number;
  runtime: RuntimeName;
  threads?: number;
}

/**
 * What a runtime cannot run in a training graph, refused before any work: onnxruntime 1.30's
 * WebGPU EP (native and web) computes none of the extra outputs that training adds for a gradient
 * (an op's `trainingOutputs` trait): it has no MaxPool `Indices` output ("The Indices output is
 * not supported yet"), and the MaxPool gradient routes dY through those indices, as PyTorch does.
 */
function checkRuntimeCanTrain(inference: Graph, runtime: RuntimeName): void {
  if (!runtime.startsWith('webgpu')) return;
  for (const n of inference.nodes) {
    const extra = traitsOf(n).trainingOutputs;
    if (extra === undefined || extra <= 1) continue;
    const output = getOp(n.opType, n.domain).outputs[extra - 1].replace(/\?$/, '');
    throw new UserError(
      `--train-runtime ${runtime} is unavailable for '${inference.name}': onnxruntime's WebGPU provider has no ${n.opType} ${output} output, which the gradient of ${describeNode(n)} needs; train on cpu (the default)`,
    );
  }
}

const f32 = (data: Float32Array, dims: number[]) => ({ type: 'float32' as const, data, dims });

export class TrainSession {
  /** Optimizer steps taken (Adam's t). */
  steps = 0;

  private constructor(
    readonly inference: Graph,
    readonly tg: TrainingGraph,
    private readonly session: Session,
    readonly state: Map<string, Float32Array>,
    private readonly o: TrainSessionOptions,
  ) {}

  static async create(inference: Graph, o: TrainSessionOptions): Promise<TrainSession> {
    checkRuntimeCanTrain(inference, o.runtime);
    const tg = buildTrainingGraph(inference, { batch: o.batch, input: o.input, optimizer: o.optimizer, l1Gamma: o.l1Gamma });
    const session = await getRunner(o.runtime).open(toOnnx(tg.graph), o.threads ? { threads: o.threads } : {});
    const inits = new Map(inference.initializers.map((t) => [t.name, t]));
    const state = new Map<string, Float32Array>();
    for (const s of tg.state) {
      state.set(s.name, 'from' in s.init ? Float32Array.from(inits.get(s.init.from)!.data as Float32Array) : new Float32Array(s.init.zeros.reduce((a, d) => a * d, 1)));
    }
    return new TrainSession(inference, tg, session, state, o);
  }

  private dims(name: string): number[] {
    return this.tg.graph.inputs.find((v) => v.name === name)!.shape as number[];
  }

  /** One optimizer step on a batch; returns the batch loss (before the update). */
  async step(x: Float32Array, labels: Float32Array, weights: Float32Array, lr: number): Promise<number> {
    this.steps++;
    const { batch } = this.o;
    const feeds: Feeds = {
      [this.tg.inputName]: f32(x, [batch, ...this.o.input]),
      labels: f32(labels, [batch, labels.length / batch]),
      sample_weight: f32(weights, [batch]),
      lr: f32(Float32Array.of(lr), []),
    };
    const opt = this.o.optimizer;
    if (opt.kind !== 'sgd') {
      const c1 = 1 - opt.momentum ** this.steps;
      const c2 = 1 - opt.beta2 ** this.steps;
      feeds.lr_t = f32(Float32Array.of((lr * Math.sqrt(c2)) / c1), []);
      feeds.eps_t = f32(Float32Array.of(opt.eps * Math.sqrt(c2)), []);
    }
    for (const [name, data] of this.state) feeds[name] = f32(data, this.dims(name));
    const out = await this.session.run(feeds);
    const loss = (out.loss.data as Float32Array)[0];
    if (Number.isFinite(loss)) for (const name of this.state.keys()) this.state.set(name, out[`${name}.next`].data as Float32Array);
    return loss;
  }

  /** The inference graph with the current parameters and running statistics. */
  inferenceGraph(state: ReadonlyMap<string, Float32Array> = this.state): Graph {
    const initializers: Tensor[] = this.inference.initializers.map((t) => {
      const v = state.get(t.name);
      return v ? { ...t, data: Float32Array.from(v) } : t;
    });
    return { ...this.inference, initializers };
  }

  snapshot(): Map<string, Float32Array> {
    return new Map([...this.state].map(([k, v]) => [k, Float32Array.from(v)]));
  }

  restore(state: ReadonlyMap<string, Float32Array>, steps: number): void {
    for (const [k, v] of state) this.state.set(k, Float32Array.from(v));
    this.steps = steps;
  }

  async close(): Promise<void> {
    await this.session.close();
  }
}
