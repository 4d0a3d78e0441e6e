/**
 * Seeded mutations of valid ONNX models for the import fuzz (test/fuzz/import.test.ts), in two
 * families:
 * - wire level, on the protobuf bytes (test/fuzz/protobuf-wire.ts): truncation, bit flips (in tags
 *   and length prefixes, or anywhere), a length prefix set to a lie, a tag's field number or wire
 *   type changed, sibling fields swapped, duplicated or dropped (with the enclosing lengths fixed,
 *   so the result still parses as protobuf and the change reaches the importer's logic);
 * - structural, through the decoded ModelProto, in the main graph or any subgraph (If/Loop
 *   bodies): dims (initializers, inputs, outputs, value_info) and element types set to extremes,
 *   ops renamed, nodes dropped, inputs rewired (cycles included), attributes given another type or
 *   an extreme value or a graph, opsets and IR versions set to extremes, initializers made
 *   external with escaping or missing locations, raw data cut, sparse initializers that disagree
 *   with their dims.
 * Each returns the bytes and a one-line description; a case replays from its seed alone.
 */
import onnxProto from 'onnx-proto';
import { Rng } from '../../src/rng.ts';
import { bitFlips, type Mutant, truncate } from './mutate.ts';
import { allFields, encodeVarint, parseFields, splice, type WireField } from './protobuf-wire.ts';

const { onnx } = onnxProto;
type ModelProto = ReturnType<typeof onnx.ModelProto.decode>;
type IGraph = onnxProto.onnx.IGraphProto;

export interface FuzzSource {
  name: string;
  bytes: Uint8Array;
  /** The wire tree of `bytes`, parsed once. */
  fields: WireField[];
  all: WireField[];
  lenFields: WireField[];
  parents: WireField[];
}

export function fuzzSource(name: string, bytes: Uint8Array): FuzzSource {
  const fields = parseFields(bytes);
  if (!fields) throw new Error(`fuzz source ${name} does not parse as protobuf`);
  const all = allFields(fields);
  return {
    name,
    bytes,
    fields,
    all,
    lenFields: all.filter((f) => f.wireType === 2),
    // The top-level message counts as a parent too (a synthetic field spanning the bytes).
    parents: [{ fieldNumber: 0, wireType: 2, start: 0, tagEnd: 0, valueStart: 0, end: bytes.length, depth: -1, children: fields }, ...all.filter((f) => f.children && f.children.length >= 2)],
  };
}

export const EXTREME_INTS = [0, -1, 1, 2, 3, 7, 255, 2 ** 31 - 1, -(2 ** 31), 2 ** 32, 2 ** 40, 2 ** 53 - 1];
const OPS = ['Conv', 'Relu', 'Gemm', 'Softmax', 'MaxPool', 'Add', 'Reshape', 'BatchNormalization', 'If', 'Loop', 'Scan', 'LSTM', 'GRU', 'Constant', 'Shape', 'Gather', 'QuantizeLinear', 'NoSuchOp', ''];
const DOMAINS = ['', 'ai.onnx', 'com.microsoft', 'ai.onnx.ml', 'com.example', 'x'.repeat(300)];
/**
 * External-data locations, relative to the model's directory as the import worker lays it out:
 * `<tmp>/model/` holds the fixtures' side files (external-data.bin) and `link-out.bin`, a symlink to
 * `<tmp>/outside.bin`, which exists outside the model's directory.
 */
export const MODEL_DIR = 'model';
export const OUTSIDE_FILE = 'outside.bin';
export const SYMLINK_OUT = 'link-out.bin';
/** Locations that leave the model's directory: the importer must refuse every one, file or not. */
export const ESCAPING_LOCATIONS = [`../${OUTSIDE_FILE}`, SYMLINK_OUT, `sub/../../${OUTSIDE_FILE}`, '../../etc/passwd', '/etc/passwd', `/tmp/${OUTSIDE_FILE}`];
const LOCATIONS = [...ESCAPING_LOCATIONS, 'external-data.bin', 'missing.bin', '', '.', 'a\u0000b', 'sub/../external-data.bin'];
const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[rng.int(xs.length)];

const copy = (b: Uint8Array): Uint8Array => new Uint8Array(b);

// ---- wire level ----------------------------------------------------------------------------------

/** 1 to 4 bit flips in the tags and length prefixes of random fields. */
function flipStructure(s: FuzzSource, rng: Rng): Mutant {
  const b = copy(s.bytes);
  const at: number[] = [];
  for (let k = 1 + rng.int(4); k > 0; k--) {
    const f = pick(rng, s.all);
    const i = f.start + rng.int(f.valueStart - f.start);
    b[i] ^= 1 << rng.int(8);
    at.push(i);
  }
  return { bytes: b, what: `bit flips in tags/lengths at ${at.join(', ')}` };
}

/** Truncation at a field boundary (start, payload start or one byte short of the end). */
function truncateAtField(s: FuzzSource, rng: Rng): Mutant {
  const f = pick(rng, s.all);
  const n = pick(rng, [f.start, f.tagEnd, f.valueStart, Math.max(0, f.end - 1)]);
  return { bytes: copy(s.bytes.subarray(0, n)), what: `truncated at a field boundary, ${n} of ${s.bytes.length} bytes (field ${f.fieldNumber} depth ${f.depth})` };
}

/** A LEN field's length prefix set to a lie; half the time the enclosing lengths are fixed. */
function lengthLie(s: FuzzSource, rng: Rng): Mutant {
  const f = pick(rng, s.lenFields);
  const len = f.end - f.valueStart;
  const v = pick(rng, [0, Math.max(0, len - 1), len + 1, len * 2 + 1, 2 ** 31 - 1, 2 ** 32 + len, 2 ** 53 - 1, rng.int(s.bytes.length + 1)]);
  const fix = rng.next() < 0.5;
  return { bytes: splice(s.bytes, s.fields, f.tagEnd, f.valueStart, encodeVarint(v), fix), what: `length of field ${f.fieldNumber} (depth ${f.depth}, at ${f.tagEnd}) ${len} -> ${v}${fix ? ', parents fixed' : ''}` };
}

/** A tag rewritten: another field number (same wire type) or another wire type. */
function retag(s: FuzzSource, rng: Rng): Mutant {
  const f = pick(rng, s.all);
  const toNumber = rng.next() < 0.7;
  const fieldNumber = toNumber ? 1 + rng.int(24) : f.fieldNumber;
  const wireType = toNumber ? f.wireType : rng.int(8);
  const bytes = splice(s.bytes, s.fields, f.start, f.tagEnd, encodeVarint(fieldNumber * 8 + wireType), true);
  return { bytes, what: `tag of field ${f.fieldNumber}/${f.wireType} (depth ${f.depth}, at ${f.start}) -> ${fieldNumber}/${wireType}` };
}

/** Two sibling fields swapped, one duplicated, or one dropped (enclosing lengths fixed). */
function siblings(s: FuzzSource, rng: Rng): Mutant {
  const p = pick(rng, s.parents);
  const kids = p.children!;
  const i = rng.int(kids.length);
  const a = kids[i];
  const op = kids.length < 2 ? 1 + rng.int(2) : rng.int(3);
  if (op === 0) {
    let j = rng.int(kids.length - 1);
    if (j >= i) j++;
    const [x, y] = i < j ? [a, kids[j]] : [kids[j], a];
    // x before y: [x][between][y] -> [y][between][x]; same total size.
    const b = copy(s.bytes);
    const out = new Uint8Array(b.length);
    out.set(b.subarray(0, x.start), 0);
    let at = x.start;
    out.set(b.subarray(y.start, y.end), at);
    at += y.end - y.start;
    out.set(b.subarray(x.end, y.start), at);
    at += y.start - x.end;
    out.set(b.subarray(x.start, x.end), at);
    at += x.end - x.start;
    out.set(b.subarray(y.end), at);
    return { bytes: out, what: `sibling fields ${x.fieldNumber} and ${y.fieldNumber} swapped (depth ${x.depth}, at ${x.start}, ${y.start})` };
  }
  if (op === 1) {
    const field = s.bytes.subarray(a.start, a.end);
    const twice = new Uint8Array(field.length * 2);
    twice.set(field, 0);
    twice.set(field, field.length);
    return { bytes: splice(s.bytes, s.fields, a.start, a.end, twice, true), what: `field ${a.fieldNumber} duplicated (depth ${a.depth}, at ${a.start})` };
  }
  return { bytes: splice(s.bytes, s.fields, a.start, a.end, new Uint8Array(0), true), what: `field ${a.fieldNumber} dropped (depth ${a.depth}, at ${a.start})` };
}

// ---- structural ----------------------------------------------------------------------------------

/** The main graph and every subgraph (graph and graphs attributes), depth first. */
function graphsOf(g: IGraph): IGraph[] {
  const out: IGraph[] = [g];
  for (const n of g.node ?? [])
    for (const a of n.attribute ?? []) {
      if (a.g) out.push(...graphsOf(a.g));
      for (const sg of a.graphs ?? []) out.push(...graphsOf(sg));
    }
  return out;
}

/** NOTE: a copy, since a graph holding itself as an attribute would never finish encoding. */
const cloneGraph = (g: IGraph): IGraph => onnx.GraphProto.decode(onnx.GraphProto.encode(g).finish());

function extremeDim(rng: Rng): onnxProto.onnx.TensorShapeProto.IDimension {
  const r = rng.next();
  if (r < 0.15) return { dimParam: pick(rng, ['T', 'batch', '', 'x'.repeat(200)]) };
  if (r < 0.2) return {};
  return { dimValue: pick(rng, EXTREME_INTS) as never };
}

/** The structural mutations' names, in the order of mutateProto's cases. */
export const STRUCTURAL = ['initializer dims', 'value type/dims', 'initializer dtype', 'op/domain', 'node dropped', 'input rewired', 'attribute', 'opset/IR version', 'external data', 'tensor data', 'sparse initializer', 'graph I/O'] as const;

function mutateProto(m: ModelProto, rng: Rng, which: number, flags: { escapes?: boolean }): string {
  const graphs = graphsOf(m.graph!);
  const gi = rng.int(graphs.length);
  const g = graphs[gi];
  const where = gi === 0 ? 'main graph' : `subgraph ${gi} '${g.name}'`;
  const nodes = (g.node ??= []);
  const inits = (g.initializer ??= []);
  const values = [...(g.input ?? []), ...(g.output ?? []), ...(g.valueInfo ?? [])];
  switch (which) {
    case 0: {
      if (!inits.length) return `${where}: no initializer`;
      const t = pick(rng, inits);
      const dims = (t.dims ??= []);
      const r = rng.next();
      if (r < 0.2) dims.push(pick(rng, EXTREME_INTS) as never);
      else if (r < 0.3 && dims.length) dims.pop();
      else if (dims.length) dims[rng.int(dims.length)] = pick(rng, EXTREME_INTS) as never;
      return `${where}: initializer ${t.name} dims [${dims.join(',')}]`;
    }
    case 1: {
      if (!values.length) return `${where}: no value info`;
      const v = pick(rng, values);
      const tt = v.type?.tensorType;
      if (!tt) {
        v.type = rng.next() < 0.5 ? {} : { sequenceType: { elemType: { tensorType: { elemType: 1 } } } };
        return `${where}: value ${v.name} type replaced`;
      }
      if (rng.next() < 0.3) {
        tt.elemType = rng.int(24);
        return `${where}: value ${v.name} elemType ${tt.elemType}`;
      }
      if (rng.next() < 0.15) {
        tt.shape = null;
        return `${where}: value ${v.name} shape removed`;
      }
      const dims = ((tt.shape ??= {}).dim ??= []);
      if (!dims.length || rng.next() < 0.2) dims.push(extremeDim(rng));
      else dims[rng.int(dims.length)] = extremeDim(rng);
      return `${where}: value ${v.name} dims ${JSON.stringify(dims)}`;
    }
    case 2: {
      if (!inits.length) return `${where}: no initializer`;
      const t = pick(rng, inits);
      t.dataType = rng.int(24);
      return `${where}: initializer ${t.name} dataType ${t.dataType}`;
    }
    case 3: {
      if (!nodes.length) return `${where}: no node`;
      const n = pick(rng, nodes);
      const was = n.opType;
      if (rng.next() < 0.3) {
        n.domain = pick(rng, DOMAINS);
        return `${where}: node ${n.name} (${was}) domain '${n.domain.slice(0, 20)}'`;
      }
      n.opType = pick(rng, OPS);
      return `${where}: node ${n.name} op ${was} -> '${n.opType}'`;
    }
    case 4: {
      if (!nodes.length) return `${where}: no node`;
      const i = rng.int(nodes.length);
      const [n] = nodes.splice(i, 1);
      return `${where}: node ${i} (${n.opType}) dropped`;
    }
    case 5: {
      if (!nodes.length) return `${where}: no node`;
      const n = pick(rng, nodes);
      const ins = (n.input ??= []);
      const j = rng.int(ins.length + 1);
      // NOTE: its own output makes a one-node cycle; a later node's output a longer one.
      const to = pick(rng, ['', 'nowhere', ...(n.output ?? []), ...nodes.flatMap((x) => x.output ?? []), ...inits.map((t) => t.name ?? '')]);
      ins[j] = to;
      return `${where}: node ${n.name} (${n.opType}) input ${j} -> '${to}'`;
    }
    case 6: {
      const withAttr = nodes.filter((n) => n.attribute && n.attribute.length);
      if (!withAttr.length) return `${where}: no attribute`;
      const n = pick(rng, withAttr);
      const a = pick(rng, n.attribute!);
      const r = rng.next();
      if (r < 0.35) {
        a.type = rng.int(16);
        return `${where}: node ${n.name} attribute ${a.name} type -> ${a.type}`;
      }
      if (r < 0.5) {
        // A graph where a number was, or a copy of the whole model graph as a branch.
        a.g = rng.next() < 0.5 ? cloneGraph(m.graph!) : {};
        if (rng.next() < 0.5) a.type = onnx.AttributeProto.AttributeType.GRAPH;
        return `${where}: node ${n.name} attribute ${a.name} g set`;
      }
      if (r < 0.6) {
        a.graphs = [cloneGraph(g), {}];
        a.type = onnx.AttributeProto.AttributeType.GRAPHS;
        return `${where}: node ${n.name} attribute ${a.name} graphs set`;
      }
      const v = pick(rng, EXTREME_INTS);
      if (a.ints && a.ints.length) a.ints[rng.int(a.ints.length)] = v as never;
      else if (a.t) (a.t.dims ??= []).push(v as never);
      else a.i = v as never;
      return `${where}: node ${n.name} attribute ${a.name} = ${v}`;
    }
    case 7: {
      const r = rng.next();
      if (r < 0.3) {
        m.irVersion = pick(rng, [0, -1, 1, 2, 3, 10, 11, 99, 2 ** 40]) as never;
        return `irVersion ${m.irVersion}`;
      }
      const imports = (m.opsetImport ??= []);
      if (r < 0.45) {
        imports.push({ domain: pick(rng, DOMAINS), version: pick(rng, EXTREME_INTS) as never });
        return 'opset import added';
      }
      if (r < 0.55) {
        m.opsetImport = [];
        return 'opset imports removed';
      }
      const op = pick(rng, imports);
      op.version = pick(rng, [0, -1, 1, 6, 7, 21, 22, 99, 2 ** 31 - 1, 2 ** 40]) as never;
      return `opset ${op.domain || 'ai.onnx'} = ${op.version}`;
    }
    case 8: {
      if (!inits.length) return `${where}: no initializer`;
      const t = pick(rng, inits);
      t.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
      t.rawData = rng.next() < 0.7 ? null : t.rawData;
      const location = pick(rng, LOCATIONS);
      flags.escapes = ESCAPING_LOCATIONS.includes(location);
      t.externalData = [{ key: 'location', value: location }];
      if (rng.next() < 0.5) t.externalData.push({ key: 'offset', value: String(pick(rng, [0, 0, 0, ...EXTREME_INTS])) });
      if (rng.next() < 0.5) t.externalData.push({ key: 'length', value: pick(rng, [String(pick(rng, EXTREME_INTS)), 'abc', '-5', '1e9']) });
      return `${where}: initializer ${t.name} external at '${t.externalData[0].value}'`;
    }
    case 9: {
      if (!inits.length) return `${where}: no initializer`;
      const t = pick(rng, inits);
      if (t.rawData && t.rawData.length) {
        t.rawData = rng.next() < 0.7 ? t.rawData.subarray(0, rng.int(t.rawData.length)) : new Uint8Array(t.rawData.length + 1 + rng.int(8));
        return `${where}: initializer ${t.name} raw data ${t.rawData.length} bytes`;
      }
      t.floatData = Array.from({ length: rng.int(5) }, () => rng.normal());
      t.int64Data = rng.next() < 0.5 ? [pick(rng, EXTREME_INTS) as never] : [];
      return `${where}: initializer ${t.name} typed data replaced`;
    }
    case 10: {
      // A sparse initializer whose indices and values disagree with its dims.
      const n = 1 + rng.int(4);
      (g.sparseInitializer ??= []).push({
        dims: [pick(rng, EXTREME_INTS) as never, 2],
        values: { name: pick(rng, ['sparse', ...inits.map((t) => t.name ?? '')]), dataType: 1, dims: [n], floatData: Array.from({ length: n }, () => 1) },
        indices: { name: 'sparse_idx', dataType: 7, dims: [pick(rng, [n, n + 1, 0])], int64Data: Array.from({ length: n }, () => pick(rng, EXTREME_INTS) as never) },
      });
      return `${where}: sparse initializer added`;
    }
    default: {
      const outs = (g.output ??= []);
      const r = rng.next();
      if (r < 0.3 && outs.length) outs.push(outs[0]);
      else if (r < 0.6 && outs.length) outs.splice(rng.int(outs.length), 1);
      else if (r < 0.8) (g.input ??= []).push({ name: pick(rng, ['', 'extra', ...inits.map((t) => t.name ?? '')]), type: { tensorType: { elemType: pick(rng, [1, 7, 9, 16, 0]), shape: { dim: [extremeDim(rng)] } } } });
      else g.name = pick(rng, ['', 'x'.repeat(10_000)]);
      return `${where}: graph inputs/outputs/name changed`;
    }
  }
}

export interface FuzzMutant extends Mutant {
  /** The mutation's family, for counting outcomes by family. */
  family: string;
  /** An initializer now points outside the model's directory: importing it would be a safety bug. */
  escapes?: boolean;
}

/** One seeded mutation of a source model: half wire level, half structural. */
export function mutateModel(s: FuzzSource, rng: Rng): FuzzMutant {
  switch (rng.int(10)) {
    case 0:
      return { family: 'truncation', ...(rng.next() < 0.5 ? truncate(s.bytes, rng) : truncateAtField(s, rng)) };
    case 1:
      return { family: 'bit flips', ...(rng.next() < 0.5 ? bitFlips(s.bytes, rng, 256) : flipStructure(s, rng)) };
    case 2:
      return { family: 'length prefix', ...lengthLie(s, rng) };
    case 3:
      return { family: 'tag', ...retag(s, rng) };
    case 4:
      return { family: 'sibling fields', ...siblings(s, rng) };
    default: {
      const m = onnx.ModelProto.decode(s.bytes);
      const which = rng.int(STRUCTURAL.length);
      const flags: { escapes?: boolean } = {};
      const what = mutateProto(m, rng, which, flags);
      return { family: STRUCTURAL[which], bytes: onnx.ModelProto.encode(m).finish(), what, ...flags };
    }
  }
}
