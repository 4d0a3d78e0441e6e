/**
 * `melbench explain <model@runtime> <model@runtime>`: where two runs part ways. Each side's model
 * is copied with every intermediate float value exposed as an output (explain/instrument.ts), run
 * once on its runtime (where a sweep runs it: a child process, or a browser page) on the same
 * input bytes as `bench` (the same feed flags and hash), and the tensors both return are compared
 * in the graph's order (explain/divergence.ts). It prints the per-tensor error table and names the
 * first node whose output leaves the tolerance while everything it read was within it, with the
 * provider that ran it on each side (from ORT's profile of the copy), its attributes and shapes.
 *
 * One model on two runtimes, or two models whose values have the same names (a model and a copy
 * with one weight changed); mapping a compressed variant's tensors to its float model's is not
 * built yet (see docs/limitations.md).
 */
import { EXIT, UserError } from '../errors.ts';
import { type Divergence, findDivergence, type TensorError } from '../explain/divergence.ts';
import { exposeIntermediates } from '../explain/instrument.ts';
import { tensorMap } from '../explain/tensor-map.ts';
import { joinProfiles } from '../explain/time-join.ts';
import { nodeProviders } from '../explain/node-providers.ts';
import { toOnnx } from '../export/onnx.ts';
import type { Attr, Graph } from '../graph/ir.ts';
import { fitTable, terminalWidth, wrapText } from '../report/terminal-table.ts';
import { DEFAULT_TOLERANCE, type Tolerance } from '../runners/output-diff.ts';
import type { MeasureJob } from '../runners/measure.ts';
import { releaseRuntimes, runJob } from '../runners/run-job.ts';
import { ONE_RUN } from '../runners/timing.ts';
import type { Feeds, HostTensor, NodeProfile, RuntimeName } from '../runners/runner.ts';
import { batchInputs } from '../sweep/model-feeds.ts';
import { type BenchModel, prepareModels } from '../sweep/models.ts';
import type { RegisterCommand } from './command.ts';
import { addFeedOptions, type FeedFlagOptions, resolveFeedFlags } from './feed-flags.ts';
import { checkedRuntimes, nonNegativeInt, nonNegativeNumber, positiveInt } from './options.ts';

interface ExplainOptions extends FeedFlagOptions {
  preset?: string;
  classes: number;
  seed: number;
  atol: number;
  rtol: number;
  timeoutS: number;
  json?: boolean;
  time?: boolean;
}

interface Side {
  spec: string;
  model: string;
  runtime: RuntimeName;
}

function parseSide(spec: string): Side {
  const at = spec.lastIndexOf('@');
  if (at <= 0 || at === spec.length - 1) throw new UserError(`'${spec}': give each side as <model>@<runtime>, e.g. resnet@cpu or model.onnx@wasm`);
  return { spec, model: spec.slice(0, at), runtime: checkedRuntimes([spec.slice(at + 1)])[0] };
}


/** One run of `modelBytes` on the side's runtime, for its outputs (and with `profile`, its per-node profile). */
function oneRunJob(side: Side, m: BenchModel, modelBytes: Uint8Array, feeds: Feeds, timeoutMs: number, profile: boolean): MeasureJob {
  return { runtime: side.runtime, modelBytes, batches: [{ batch: 1, feeds }], open: m.externalData ? { externalData: m.externalData } : {}, timing: ONE_RUN, timeoutMs, ...(profile ? { profile: true } : {}) };
}

interface SideRun {
  outputs: Record<string, HostTensor>;
  /** Node name -> the execution provider that ran it in the copy, from ORT's profile. */
  providers: Map<string, string>;
  /** Set when the runtime could not run the instrumented copy and only the model's outputs were compared. */
  fallback?: string;
}

async function runSide(side: Side, m: BenchModel, g: Graph, feeds: Feeds, timeoutMs: number): Promise<SideRun> {
  const job = (modelBytes: Uint8Array, profile: boolean) => oneRunJob(side, m, modelBytes, feeds, timeoutMs, profile);
  const [row] = await runJob(job(toOnnx(exposeIntermediates(g).graph), true), { isolate: true });
  if (row.status === 'ok' && row.outputs) return { outputs: row.outputs, providers: nodeProviders(g.nodes.map((n) => n.name), row.nodes ?? []) };
  const [plain] = await runJob(job(m.bytes, false), { isolate: true });
  if (plain.status !== 'ok' || !plain.outputs) throw new UserError(`${side.spec}: ${side.runtime} cannot run ${side.model} (${plain.status}: ${plain.error ?? 'no outputs'})`, EXIT.badModel);
  return { outputs: plain.outputs, providers: new Map(), fallback: `${side.runtime} cannot run the copy with every tensor exposed (${row.status}: ${row.error ?? 'no outputs'}): only the model's outputs are compared` };
}

/** The signature both sides must share: input names, types and shapes as fed. */
function inputSignature(feeds: Record<string, HostTensor>): string {
  return Object.entries(feeds)
    .map(([n, t]) => `${n}: ${t.type}[${t.dims.join(', ')}]`)
    .join('; ');
}

function attrText(a: Attr): string | undefined {
  if (a.kind === 'int' || a.kind === 'float' || a.kind === 'string') return String(a.value);
  if (a.kind === 'ints' || a.kind === 'floats') return `[${a.value.join(', ')}]`;
  return undefined;
}

const num = (x: number, digits = 3) => (Number.isFinite(x) ? x.toPrecision(digits) : x > 0 ? 'inf' : '-inf');

function tableText(d: Divergence, width: number): string {
  const rows = d.tensors.map((t: TensorError) => [t.node || '(input)', t.opType, t.tensor, num(t.maxAbs), num(t.snrDb), num(t.snrLostDb), num(t.relError), t.within ? 'yes' : 'no', t === d.first?.outputs[0] ? '<- first' : '']);
  return fitTable(
    [{ head: 'node', wrap: true }, { head: 'op', drop: 4 }, { head: 'tensor', wrap: true, drop: 5 }, { head: 'max |Δ|' }, { head: 'SNR dB' }, { head: 'lost dB', drop: 2 }, { head: 'rel err', drop: 3 }, { head: 'within' }, { head: '', drop: 1 }],
    rows,
    width,
  );
}

/** The nodes that lose the most SNR themselves (their output's SNR below their inputs'), worst first. */
export function worstLayers(d: Divergence, most = 5): TensorError[] {
  return d.tensors.filter((t) => t.node && t.snrLostDb > 0 && Number.isFinite(t.snrLostDb)).sort((x, y) => y.snrLostDb - x.snrLostDb).slice(0, most);
}

function worstText(d: Divergence, layerB: (t: TensorError) => string, b: Side): string {
  const worst = worstLayers(d);
  if (!worst.length || d.tensors.every((t) => t.within)) return '';
  const name = (t: TensorError) => (layerB(t) === t.node ? `${t.node} (${t.opType})` : layerB(t));
  return `layers of ${b.spec} that lose the most SNR (input SNR - output SNR): ${worst.map((t) => `${name(t)} ${num(t.snrLostDb)} dB`).join(', ')}\n`;
}

function firstText(d: Divergence, a: Side, b: Side, ra: SideRun, rb: SideRun, g: Graph, tol: Tolerance): string {
  const compared = `${d.tensors.length} tensor(s) compared at atol ${tol.atol}, rtol ${tol.rtol}`;
  if (!d.first) {
    const off = d.tensors.filter((t) => !t.within);
    if (!off.length) return `no divergent node: every compared tensor of ${b.spec} is within the tolerance of ${a.spec} (${compared})\n`;
    const inputs = off.filter((t) => !t.node);
    const where = inputs.length ? `the input ${inputs.map((t) => `${t.tensor} (SNR ${num(t.snrDb)} dB)`).join(', ')} already differs on ${b.spec} (a variant that quantizes its input)` : `${off[0].tensor} is the first tensor off`;
    return `no node is the first to leave the tolerance: ${where}; ${off.length} tensor(s) off (${compared})\n`;
  }
  const n = d.first.node;
  const weights = new Map(g.initializers.map((t) => [t.name, t.dims]));
  const shapeOf = (name: string) => (ra.outputs[name]?.dims ?? weights.get(name) ?? []).join('x') || 'scalar';
  const attrs = Object.entries(n.attrs).flatMap(([k, v]) => {
    const t = attrText(v);
    return t === undefined ? [] : [`${k}=${t}`];
  });
  const worst = d.first.outputs[0];
  const lines = [
    `first divergent node: ${n.name} (${n.opType}): its output ${worst.tensor} is off by up to ${num(worst.maxAbs)} (SNR ${num(worst.snrDb)} dB) while every activation it reads is within the tolerance (${compared})`,
    `  providers: ${a.spec} ${ra.providers.get(n.name) ?? 'unknown'}, ${b.spec} ${rb.providers.get(n.name) ?? 'unknown'}`,
    `  inputs: ${n.inputs.filter(Boolean).map((i) => `${i} [${shapeOf(i)}]`).join(', ')}; outputs: ${n.outputs.filter(Boolean).map((o) => `${o} [${shapeOf(o)}]`).join(', ')}`,
    ...(attrs.length ? [`  attributes: ${attrs.join(', ')}`] : []),
    ...(d.first.weightsDiffer.length ? [`  weights that differ between the two models: ${d.first.weightsDiffer.join(', ')}`] : []),
    ...(d.first.unmatchedInputs.length ? [`  not compared: ${d.first.unmatchedInputs.join(', ')} (no tensor of that name on ${b.spec}: a pass folded or renamed it)`] : []),
  ];
  return `${lines.join('\n')}\n`;
}

/** The profiled runs of one side's own model (not the instrumented copy): per-kernel mean times. */
async function profileSide(side: Side, m: BenchModel, feeds: Feeds, timeoutMs: number): Promise<NodeProfile[]> {
  const [row] = await runJob(oneRunJob(side, m, m.bytes, feeds, timeoutMs, true), { isolate: true });
  if (row.status !== 'ok' || !row.nodes?.length) throw new UserError(`${side.spec}: no per-node profile (${row.status}${row.error ? `: ${row.error}` : ''})`, EXIT.badModel);
  return row.nodes;
}

const us = (x: number) => (x >= 100 ? x.toFixed(0) : x.toPrecision(3));

/** `explain --time`: the two profiles joined (explain/time-join.ts), the layers that cost b the most first. */
async function explainTime(a: Side, b: Side, ma: BenchModel, mb: BenchModel, feeds: Feeds, o: ExplainOptions): Promise<void> {
  let pa: NodeProfile[];
  let pb: NodeProfile[];
  try {
    pa = await profileSide(a, ma, feeds, o.timeoutS * 1000);
    pb = await profileSide(b, mb, feeds, o.timeoutS * 1000);
  } finally {
    await releaseRuntimes();
  }
  const j = joinProfiles(ma.graph!, mb.graph!, pa, pb);
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ a: a.spec, b: b.spec, ...j }, null, 2)}\n`);
    return;
  }
  const width = terminalWidth();
  const rows = j.layers.map((l) => [l.layer, l.opA === l.opB ? l.opA : `${l.opA || '-'} -> ${l.opB || '-'}`, us(l.usA), us(l.usB), l.usA > 0 ? `${(l.usB / l.usA).toFixed(2)}x` : '']);
  process.stdout.write(fitProse(`per-node time per run on ${a.spec} (a) and ${b.spec} (b), microseconds, the layers that cost b the most first (ORT's profile: ${pa.length} and ${pb.length} kernels)\n`, width));
  process.stdout.write(fitTable([{ head: 'layer', wrap: true }, { head: 'op', drop: 1, wrap: true }, { head: 'a us' }, { head: 'b us' }, { head: 'b/a' }], rows, width));
  const list = (xs: { name: string; opType: string; us: number }[]) => xs.map((x) => `${x.name} (${x.opType}) ${us(x.us)} us`).join(', ');
  const addedUs = j.added.reduce((t, x) => t + x.us, 0);
  const lines = [
    `total: a ${us(j.totalA)} us, b ${us(j.totalB)} us per run (b/a ${(j.totalB / j.totalA).toFixed(2)}x)`,
    j.added.length ? `added by b (${us(addedUs)} us, ${((100 * addedUs) / j.totalB).toFixed(0)}% of b): ${list(j.added)}` : 'added by b: nothing',
    ...(j.dropped.length ? [`run by a only: ${list(j.dropped)}`] : []),
  ];
  process.stdout.write(fitProse(`${lines.join('\n')}\n`, width));
}

/** Each line word-wrapped to `width`, its continuation lines indented two spaces more than it is. */
function fitProse(text: string, width: number): string {
  return text
    .split('\n')
    .map((line) => {
      if (!line) return line;
      const indent = ' '.repeat(line.length - line.trimStart().length);
      const [head, ...rest] = wrapText(line.trim(), width - indent.length);
      const more = wrapText(rest.join(' '), width - indent.length - 2).map((l) => `${indent}  ${l}`);
      return [`${indent}${head}`, ...more].join('\n');
    })
    .join('\n');
}

export const register: RegisterCommand = (program) => {
  const cmd = program
    .command('explain')
    .description('find the first node where two runs part ways: <model>@<runtime> <model>@<runtime> (zoo names or .onnx files)')
    .argument('<a>', 'the reference side, e.g. resnet@cpu')
    .argument('<b>', 'the side compared with it, e.g. resnet@webgpu-web')
    .option('--preset <name>', "features preset (default: each model's own)")
    .option('--classes <n>', 'classes of zoo models', positiveInt('--classes'), 10)
    .option('--seed <n>', 'weight initialisation seed of zoo models', nonNegativeInt('--seed'), 1)
    .option('--atol <x>', 'absolute tolerance per element', nonNegativeNumber('--atol'), DEFAULT_TOLERANCE.atol)
    .option('--rtol <x>', 'relative tolerance per element (numpy.allclose)', nonNegativeNumber('--rtol'), DEFAULT_TOLERANCE.rtol)
    .option('--timeout-s <n>', 'give up on one side after this long', positiveInt('--timeout-s'), 600)
    .option('--time', "why b is not faster: both models' per-node profiles on their runtimes, joined by the float node each of b's nodes stands for, and what b added")
    .option('--json', 'print JSON instead of tables');
  addFeedOptions(cmd).action(async (aSpec: string, bSpec: string, o: ExplainOptions) => {
    const a = parseSide(aSpec);
    const b = parseSide(bSpec);
    const { feed, features } = await resolveFeedFlags(o, o.preset);
    const same = a.model === b.model;
    const models = prepareModels({ models: same ? [a.model] : [a.model, b.model], preset: o.preset, features, classes: o.classes, seed: o.seed, ...(feed ? { feed } : {}) });
    const [ma, mb] = [models[0], models[same ? 0 : 1]];
    for (const [side, m] of [[a, ma], [b, mb]] as const) {
      if (!m.graph) throw new UserError(`${side.spec}: melbench cannot read ${side.model}'s graph (${m.costNote ?? 'an op it does not model'}), so it cannot expose its tensors`, EXIT.badModel);
    }
    const [ia] = batchInputs(ma, [1]);
    const [ib] = batchInputs(mb, [1]);
    if (ia.sha256 !== ib.sha256) {
      throw new UserError(`${a.spec} and ${b.spec} take different inputs (${inputSignature(ia.feeds)} vs ${inputSignature(ib.feeds)}): explain compares two runs on the same input bytes`);
    }
    if (o.time) return explainTime(a, b, ma, mb, ia.feeds, o);
    const tol = { atol: o.atol, rtol: o.rtol };
    const timeoutMs = o.timeoutS * 1000;
    let ra: SideRun;
    let rb: SideRun;
    try {
      ra = await runSide(a, ma, ma.graph!, ia.feeds, timeoutMs);
      rb = await runSide(b, mb, mb.graph!, ia.feeds, timeoutMs);
    } finally {
      await releaseRuntimes();
    }
    // NOTE: b's tensors keyed by the a-tensor they stand for (a quantized variant's dequantized values: tensor-map.ts).
    const map = same ? undefined : tensorMap(ma.graph!, mb.graph!);
    // NOTE: the graph inputs are compared too: both sides were fed the same bytes, but a quantized variant re-quantizes its input.
    const bAll = { ...ia.feeds, ...rb.outputs };
    const bByA = map ? Object.fromEntries([...map.toB].flatMap(([na, nb]) => (bAll[nb] ? [[na, bAll[nb]]] : []))) : bAll;
    const d = findDivergence(ma.graph!, { ...ia.feeds, ...ra.outputs }, bByA, tol, same ? undefined : mb.graph);
    /** b's node for a's tensor: the one that computes it there (a quantized Conv with its folded BN and Relu). */
    const layerB = (t: TensorError) => map?.producers.get(t.tensor) ?? t.node;
    rb.providers = new Map(d.tensors.map((t) => [t.node, rb.providers.get(layerB(t)) ?? '']).filter(([, p]) => p) as [string, string][]);
    const notes = [ra.fallback && `${a.spec}: ${ra.fallback}`, rb.fallback && `${b.spec}: ${rb.fallback}`].filter(Boolean) as string[];
    if (o.json) {
      const first = d.first ? { node: d.first.node.name, opType: d.first.node.opType, outputs: d.first.outputs, weightsDiffer: d.first.weightsDiffer, unmatchedInputs: d.first.unmatchedInputs, providers: { a: ra.providers.get(d.first.node.name) ?? null, b: rb.providers.get(d.first.node.name) ?? null } } : null;
      const tensors = d.tensors.map((t) => ({ ...t, layerB: layerB(t), providers: { a: ra.providers.get(t.node) ?? null, b: rb.providers.get(t.node) ?? null } }));
      const worst = worstLayers(d).map((t) => ({ node: t.node, layerB: layerB(t), snrLostDb: t.snrLostDb }));
      process.stdout.write(`${JSON.stringify({ a: a.spec, b: b.spec, inputSha256: ia.sha256, tolerance: tol, notes, tensors, first, worstLayers: worst }, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2)}\n`);
      return;
    }
    for (const n of notes) process.stderr.write(`melbench: note: ${n}\n`);
    const width = terminalWidth();
    process.stdout.write(fitProse(`${a.spec} vs ${b.spec}, input sha256 ${ia.sha256.slice(0, 16)}…\n`, width));
    process.stdout.write(tableText(d, width));
    process.stdout.write(fitProse(firstText(d, a, b, ra, rb, ma.graph!, tol) + worstText(d, layerB, b), width));
  });
};
