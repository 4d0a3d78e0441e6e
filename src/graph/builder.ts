/**
 * The model DSL. A zoo entry reads like its paper's figure:
 *
 * @example
 *   const b = new ModelBuilder('tiny', { seed: 1 });
 *   const x = b.input('mel', ['N', 1, 64, 'T']);
 *   let h = b.relu(b.batchNorm(b.conv(x, { filters: 16, kernel: 3 })));
 *   h = b.dense(b.flatten(b.globalAvgPool(h)), 10);
 *   b.output(b.softmax(h, { name: 'probs' }));
 *   const graph = b.build();
 *
 * Every call adds ONNX nodes to the graph and infers their output types at once, so an
 * impossible shape fails at the line that builds it, naming the node.
 */
import { invariant, ShapeError } from '../errors.ts';
import { Rng } from '../rng.ts';
import { inferNode } from './infer.ts';
import { type InitKind, initWeights } from './init.ts';
import { describeNode, type DType, type Graph, type Node, type Shape, type Tensor, trimOptionalInputs, type Value, type ValueInfo, type ValueType } from './ir.ts';
import { type AttrValues, toAttrs } from './ops/attrs.ts';
import { getOp } from './ops/index.ts';
import type { Emitter } from './ops/op.ts';

export type { Value };

export interface ConvOptions {
  filters: number;
  kernel: number | [number, number];
  stride?: number | [number, number];
  /** 'same' pads k//2 on each side (PyTorch's padding=k//2); 'valid' pads nothing. */
  pad?: 'same' | 'valid' | number | [number, number];
  dilation?: number;
  /** groups = input channels gives a depthwise convolution. */
  groups?: number;
  bias?: boolean;
  init?: InitKind;
  name?: string;
}

export interface PoolOptions {
  kernel: number | [number, number];
  stride?: number | [number, number];
  pad?: number | [number, number];
  name?: string;
}

const pair = (v: number | [number, number]): [number, number] => (typeof v === 'number' ? [v, v] : v);

export class ModelBuilder implements Emitter {
  private readonly nodes: Node[] = [];
  private readonly initializers: Tensor[] = [];
  private readonly inputs: ValueInfo[] = [];
  private readonly outputs: ValueInfo[] = [];
  private readonly types = new Map<string, ValueType>();
  private readonly constants = new Map<string, Tensor>();
  private readonly used = new Set<string>();
  private readonly scopes: string[] = [];
  private readonly rng: Rng;
  readonly metadata: Record<string, string> = {};

  constructor(
    readonly name: string,
    /** `initialise: false`: parameters are zeros, no random draws (for shapes and counts only). */
    private readonly options: { seed?: number; opset?: number; initialise?: boolean } = {},
  ) {
    this.rng = new Rng(options.seed ?? 0);
  }

  /**
   * A builder holding an existing graph, to extend it: autodiff appends backward nodes, the
   * trainer turns parameters into inputs. Names already used stay reserved.
   */
  static fromGraph(g: Graph, options: { seed?: number } = {}): ModelBuilder {
    const b = new ModelBuilder(g.name, { seed: options.seed, opset: g.opset });
    Object.assign(b.metadata, g.metadata);
    for (const v of g.inputs) {
      b.inputs.push(v);
      b.types.set(v.name, { dtype: v.dtype, shape: v.shape });
      b.used.add(v.name);
    }
    for (const t of g.initializers) {
      b.initializers.push(t);
      b.constants.set(t.name, t);
      b.types.set(t.name, { dtype: t.dtype, shape: t.dims });
      b.used.add(t.name);
    }
    for (const v of [...g.valueInfo, ...g.outputs]) b.types.set(v.name, { dtype: v.dtype, shape: v.shape });
    for (const n of g.nodes) {
      b.nodes.push(n);
      b.used.add(n.name);
      n.outputs.forEach((o) => b.used.add(o));
    }
    b.outputs.push(...g.outputs);
    return b;
  }

  /** The nodes so far, in order. */
  get graphNodes(): readonly Node[] {
    return this.nodes;
  }

  /** A value already in the graph, by name. */
  value(name: string): Value {
    const t = this.types.get(name);
    invariant(t, () => `no value named '${name}' in graph '${this.name}'`);
    return { name, ...t };
  }

  /** The initializer behind a value, if it is one. */
  constantOf(name: string): Tensor | undefined {
    return this.constants.get(name);
  }

  /** Turns an initializer into a graph input of the same name and type (parameters fed at run time). */
  promoteToInput(name: string): Value {
    const i = this.initializers.findIndex((t) => t.name === name);
    invariant(i >= 0, () => `'${name}' is not an initializer of graph '${this.name}'`);
    const [t] = this.initializers.splice(i, 1);
    this.constants.delete(name);
    const v = { name, dtype: t.dtype, shape: t.dims };
    this.inputs.push(v);
    return v;
  }

  clearOutputs(): void {
    this.outputs.length = 0;
  }

  /** A float32 (or other dtype) scalar constant. */
  scalar(value: number, dtype: 'float32' | 'int64' = 'float32'): Value {
    const data = dtype === 'int64' ? BigInt64Array.from([BigInt(value)]) : Float32Array.from([value]);
    return this.constant('const', dtype, [], data);
  }

  /** A 1-D int64 constant: axes, shapes, split sizes. */
  int64s(values: readonly number[], base = 'const'): Value {
    return this.constant(base, 'int64', [values.length], BigInt64Array.from(values.map(BigInt)));
  }

  /** Runs `fn` with `name/` prefixed to every node and parameter it creates. */
  scope<T>(name: string, fn: () => T): T {
    this.scopes.push(name);
    try {
      return fn();
    } finally {
      this.scopes.pop();
    }
  }

  /** A unique name under the current scope. */
  uniqueName(base: string): string {
    const full = [...this.scopes, base].join('/');
    let name = full;
    for (let i = 1; this.used.has(name); i++) name = `${full}_${i}`;
    this.used.add(name);
    return name;
  }

  input(name: string, shape: Shape, dtype: DType = 'float32'): Value {
    if (this.used.has(name)) throw new ShapeError(`input name '${name}' is already used`);
    this.used.add(name);
    const v = { name, dtype, shape };
    this.inputs.push(v);
    this.types.set(name, v);
    return v;
  }

  output(v: Value): void {
    this.outputs.push({ name: v.name, dtype: v.dtype, shape: v.shape });
  }

  /** Adds an initializer holding `data`. */
  constant(base: string, dtype: DType, dims: number[], data: Tensor['data']): Value {
    const name = this.uniqueName(base);
    const t: Tensor = { name, dtype, dims, data };
    this.initializers.push(t);
    this.constants.set(name, t);
    this.types.set(name, { dtype, shape: dims });
    return { name, dtype, shape: dims };
  }

  /** A float32 parameter initialised deterministically from the builder's seed. */
  param(base: string, dims: number[], init: InitKind, fanIn = 1, fanOut = 1): Value {
    const data = this.options.initialise === false ? new Float32Array(dims.reduce((a, d) => a * d, 1)) : initWeights(this.rng, init, dims, fanIn, fanOut);
    return this.constant(base, 'float32', dims, data);
  }

  /**
   * Adds one node of any registered op and returns its outputs, already typed. Attributes are
   * plain values, tagged by the op's schema.
   *
   * @example
   *   const [y, indices] = b.op('MaxPool', [x], { kernel_shape: [2, 2], strides: [2, 2] }, { outputs: 2 });
   */
  op(opType: string, inputs: (Value | undefined)[], attrs: AttrValues = {}, opts: { name?: string; outputs?: number } = {}): Value[] {
    const name = this.uniqueName(opts.name ?? opType.toLowerCase());
    return this.addNode(opType, '', inputs, toAttrs(getOp(opType).attrs, attrs, describeNode({ opType, name })), name, opts.outputs);
  }

  /** Adds a node with the op, domain and attributes of `node` on new inputs (training copies forward nodes). */
  copy(node: Node, inputs: (Value | undefined)[], opts: { name?: string; outputs?: number } = {}): Value[] {
    return this.addNode(node.opType, node.domain, inputs, node.attrs, this.uniqueName(opts.name ?? node.name), opts.outputs ?? node.outputs.length);
  }

  private addNode(opType: string, domain: string, inputs: (Value | undefined)[], attrs: Node['attrs'], name: string, nOut = 1): Value[] {
    const outputs = nOut === 1 ? [name] : Array.from({ length: nOut }, (_, i) => `${name}:${i}`);
    const node: Node = { name, opType, domain, inputs: trimOptionalInputs(inputs.map((v) => v?.name ?? '')), outputs, attrs };
    const types = inferNode(node, this.types, this.constants);
    this.nodes.push(node);
    return outputs.map((o, i) => {
      this.types.set(o, types[i]);
      return { name: o, ...types[i] };
    });
  }

  /** Adds one single-output node of any registered op. */
  apply(opType: string, inputs: (Value | undefined)[], attrs: AttrValues = {}, name?: string): Value {
    return this.op(opType, inputs, attrs, { name })[0];
  }

  // ---- layers -------------------------------------------------------------------------------

  /** 2-D convolution, weights [filters, C/groups, kH, kW], He-initialised. */
  conv(x: Value, o: ConvOptions): Value {
    const [kh, kw] = pair(o.kernel);
    const [sh, sw] = pair(o.stride ?? 1);
    const groups = o.groups ?? 1;
    const c = x.shape[1];
    if (typeof c !== 'number') throw new ShapeError(`conv '${o.name ?? 'conv'}': input channels must be known, got ${c}`);
    if (c % groups !== 0) throw new ShapeError(`conv '${o.name ?? 'conv'}': ${c} input channels do not divide into ${groups} groups`);
    const [ph, pw] = o.pad === 'valid' ? [0, 0] : o.pad === 'same' || o.pad === undefined ? [kh >> 1, kw >> 1] : pair(o.pad);
    const nodeName = o.name ?? 'conv';
    const fanIn = (c / groups) * kh * kw;
    const w = this.param(`${nodeName}.weight`, [o.filters, c / groups, kh, kw], o.init ?? 'he', fanIn, (o.filters / groups) * kh * kw);
    const b = o.bias === false ? undefined : this.param(`${nodeName}.bias`, [o.filters], 'zeros');
    const d = o.dilation ?? 1;
    return this.apply(
      'Conv',
      [x, w, b],
      { kernel_shape: [kh, kw], strides: [sh, sw], pads: [ph, pw, ph, pw], dilations: [d, d], group: groups },
      nodeName,
    );
  }

  /** Inference-form batch norm with gamma=1, beta=0, running mean 0 and variance 1. */
  batchNorm(x: Value, o: { epsilon?: number; name?: string } = {}): Value {
    const c = x.shape[1];
    if (typeof c !== 'number') throw new ShapeError(`batchNorm: channels must be known, got ${c}`);
    const n = o.name ?? 'bn';
    const params = [
      this.param(`${n}.weight`, [c], 'ones'),
      this.param(`${n}.bias`, [c], 'zeros'),
      this.param(`${n}.running_mean`, [c], 'zeros'),
      this.param(`${n}.running_var`, [c], 'ones'),
    ];
    return this.apply('BatchNormalization', [x, ...params], { epsilon: o.epsilon ?? 1e-5 }, n);
  }

  relu(x: Value, name?: string): Value {
    return this.apply('Relu', [x], {}, name);
  }

  /** ReLU6 = Clip(x, 0, 6), MobileNet v2's activation (seed 000's BIR blocks). */
  relu6(x: Value, name?: string): Value {
    const lo = this.constant('relu6.min', 'float32', [], new Float32Array([0]));
    const hi = this.constant('relu6.max', 'float32', [], new Float32Array([6]));
    return this.apply('Clip', [x, lo, hi], {}, name ?? 'relu6');
  }

  leakyRelu(x: Value, alpha = 0.01, name?: string): Value {
    return this.apply('LeakyRelu', [x], { alpha }, name);
  }

  add(a: Value, b: Value, name?: string): Value {
    return this.apply('Add', [a, b], {}, name);
  }

  maxPool(x: Value, o: PoolOptions): Value {
    return this.apply('MaxPool', [x], this.poolAttrs(o), o.name);
  }

  avgPool(x: Value, o: PoolOptions): Value {
    return this.apply('AveragePool', [x], this.poolAttrs(o), o.name);
  }

  globalAvgPool(x: Value, name?: string): Value {
    return this.apply('GlobalAveragePool', [x], {}, name);
  }

  globalMaxPool(x: Value, name?: string): Value {
    return this.apply('GlobalMaxPool', [x], {}, name);
  }

  flatten(x: Value, axis = 1, name?: string): Value {
    return this.apply('Flatten', [x], { axis }, name);
  }

  reshape(x: Value, shape: number[], name?: string): Value {
    const s = this.constant(`${name ?? 'reshape'}.shape`, 'int64', [shape.length], BigInt64Array.from(shape.map(BigInt)));
    return this.apply('Reshape', [x, s], {}, name);
  }

  concat(xs: Value[], axis: number, name?: string): Value {
    return this.apply('Concat', xs, { axis }, name);
  }

  /** Fully connected layer (PyTorch Linear): Y = X W^T + b with W [units, in], as Gemm(transB=1). */
  dense(x: Value, units: number, o: { bias?: boolean; init?: InitKind; name?: string } = {}): Value {
    if (x.shape.length !== 2) throw new ShapeError(`dense '${o.name ?? 'dense'}': input must be [N, features], got rank ${x.shape.length}; flatten first`);
    const inF = x.shape[1];
    if (typeof inF !== 'number') throw new ShapeError(`dense '${o.name ?? 'dense'}': input features must be known, got '${inF}'; pool globally first`);
    const n = o.name ?? 'dense';
    const w = this.param(`${n}.weight`, [units, inF], o.init ?? 'glorot', inF, units);
    const b = o.bias === false ? undefined : this.param(`${n}.bias`, [units], 'zeros');
    return this.apply('Gemm', [x, w, b], { transB: 1 }, n);
  }

  softmax(x: Value, o: { axis?: number; name?: string } = {}): Value {
    return this.apply('Softmax', [x], { axis: o.axis ?? -1 }, o.name);
  }

  private poolAttrs(o: PoolOptions): AttrValues {
    const [kh, kw] = pair(o.kernel);
    const [sh, sw] = pair(o.stride ?? o.kernel);
    const [ph, pw] = pair(o.pad ?? 0);
    return { kernel_shape: [kh, kw], strides: [sh, sw], pads: [ph, pw, ph, pw] };
  }

  build(): Graph {
    if (!this.outputs.length) throw new ShapeError(`model '${this.name}' has no outputs`);
    const outputNames = new Set(this.outputs.map((o) => o.name));
    const valueInfo = this.nodes.flatMap((n) => n.outputs).filter((o) => !outputNames.has(o)).map((o) => ({ name: o, ...this.types.get(o)! }));
    return {
      name: this.name,
      inputs: [...this.inputs],
      outputs: [...this.outputs],
      initializers: [...this.initializers],
      nodes: [...this.nodes],
      valueInfo,
      opset: this.options.opset ?? 17,
      metadata: { ...this.metadata },
    };
  }
}
