/**
 * ONNX external data: tensors whose bytes live in a file beside the model
 * (TensorProto.data_location = EXTERNAL, external_data { location, offset, length }).
 *
 * Before it reads anything, `resolveExternalData` checks each location: relative, no '..'
 * segment, no NUL, and, once symlinks are resolved (realpath), inside the model's directory.
 * It then checks the dims (within MAX_TENSOR_BYTES), that offset and length lie inside the file,
 * and that length equals dims x element size, and only then reads exactly those bytes into
 * raw_data. Each refusal is one UserError line naming the model, the tensor and the file (exit 3).
 * Export always writes data inline (raw_data): a model read with external data is written whole.
 */
import { closeSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import onnxProto from 'onnx-proto';
import { EXIT, UserError } from '../errors.ts';
import { DTYPES, isNumericDType } from '../graph/dtype.ts';
import { checkedNumel, dtypeFrom, toNum } from './onnx-tensor.ts';

const { onnx } = onnxProto;
const EXTERNAL = onnx.TensorProto.DataLocation.EXTERNAL;

/** Every TensorProto of a model that can hold data: initializers, attributes, at any subgraph depth. */
function* tensorsOf(g: onnxProto.onnx.IGraphProto | null | undefined): Generator<onnxProto.onnx.ITensorProto> {
  if (!g) return;
  yield* g.initializer ?? [];
  for (const s of g.sparseInitializer ?? []) yield* [s.values, s.indices].filter((t): t is onnxProto.onnx.ITensorProto => !!t);
  for (const n of g.node ?? []) yield* tensorsOfNodes([n]);
}

function* tensorsOfNodes(nodes: onnxProto.onnx.INodeProto[]): Generator<onnxProto.onnx.ITensorProto> {
  for (const n of nodes)
    for (const a of n.attribute ?? []) {
      if (a.t) yield a.t;
      yield* a.tensors ?? [];
      for (const s of [a.sparseTensor, ...(a.sparseTensors ?? [])]) if (s) yield* [s.values, s.indices].filter((t): t is onnxProto.onnx.ITensorProto => !!t);
      yield* tensorsOf(a.g);
      for (const g of a.graphs ?? []) yield* tensorsOf(g);
    }
}

/** Whether a model has any tensor stored outside its bytes. */
export function hasExternalData(m: onnxProto.onnx.IModelProto): boolean {
  for (const t of allTensors(m)) if (t.dataLocation === EXTERNAL) return true;
  return false;
}

function* allTensors(m: onnxProto.onnx.IModelProto): Generator<onnxProto.onnx.ITensorProto> {
  yield* tensorsOf(m.graph);
  for (const f of m.functions ?? []) yield* tensorsOfNodes(f.node ?? []);
}

/** The external-data locations of every tensor of `m` (initializers, Constant and other attribute tensors, subgraphs, functions), each once. */
export function externalLocations(m: onnxProto.onnx.IModelProto): string[] {
  const out = new Set<string>();
  for (const t of allTensors(m)) if (t.dataLocation === EXTERNAL) out.add((t.externalData ?? []).find((e) => e.key === 'location')?.value ?? '');
  return [...out];
}

/** The reason a location may not be read, or undefined when it is a plain relative path. */
function badLocation(loc: string): string | undefined {
  if (!loc) return 'is empty';
  if (loc.includes('\0')) return 'contains a NUL character';
  if (isAbsolute(loc) || /^[a-zA-Z]:/.test(loc) || loc.startsWith('\\')) return 'is an absolute path';
  if (loc.split(/[\\/]/).includes('..')) return "contains '..'";
  return undefined;
}

function nonNegInt(s: string | undefined, what: string, fail: (why: string) => never): number | undefined {
  if (s === undefined) return undefined;
  if (!/^\d+$/.test(s) || !Number.isSafeInteger(Number(s))) fail(`has ${what} '${s}', not a non-negative integer`);
  return Number(s);
}

/**
 * Replaces the external data of every tensor of `m` by the bytes it names, read from `dir` (the
 * model's directory). Without `dir` (a model given as bytes), external data is an error.
 */
export function resolveExternalData(m: onnxProto.onnx.IModelProto, dir: string | undefined, source: string): void {
  let realDir: string | undefined;
  for (const t of allTensors(m)) {
    if (t.dataLocation !== EXTERNAL) continue;
    const kv = new Map((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? undefined]));
    const loc = kv.get('location') ?? '';
    const fail = (why: string): never => {
      throw new UserError(`${source}: tensor '${t.name ?? ''}': external data file '${loc}' ${why}`, EXIT.badInput);
    };
    const bad = badLocation(loc);
    if (bad) fail(`${bad}; melbench reads external data only from files inside the model's directory`);
    if (dir === undefined) fail('cannot be read: the model was given as bytes, not as a file path');
    const dtype = dtypeFrom(t.dataType, `${source}: tensor '${t.name ?? ''}'`);
    if (!isNumericDType(dtype)) fail('holds string data, which ONNX does not allow outside the model');
    const bytesPer = DTYPES[dtype as Exclude<typeof dtype, 'string'>].bytes;
    const n = checkedNumel((t.dims ?? []).map(toNum), bytesPer, `${source}: tensor '${t.name ?? ''}'`);
    const expected = n * bytesPer;
    const offset = nonNegInt(kv.get('offset'), 'offset', fail) ?? 0;
    const length = nonNegInt(kv.get('length'), 'length', fail);
    let realFile: string;
    try {
      realDir ??= realpathSync(dir!);
      realFile = realpathSync(join(realDir, loc));
    } catch {
      return fail('does not exist');
    }
    const rel = relative(realDir, realFile);
    if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) fail("resolves (through a symlink) outside the model's directory");
    const st = statSync(realFile);
    if (!st.isFile()) fail('is not a regular file');
    if (offset > st.size) fail(`has offset ${offset} past its end (${st.size} bytes)`);
    const len = length ?? st.size - offset;
    if (offset + len > st.size) fail(`is ${st.size} bytes, too short for offset ${offset} + length ${len}`);
    if (len !== expected) fail(`gives ${len} bytes for dims [${(t.dims ?? []).map(toNum)}] of ${dtype} (${expected} expected)`);
    const buf = new Uint8Array(len);
    const fd = openSync(realFile, 'r');
    try {
      let got = 0;
      while (got < len) {
        const k = readSync(fd, buf, got, len - got, offset + got);
        if (k === 0) fail(`ended after ${got} of ${len} bytes`);
        got += k;
      }
    } finally {
      closeSync(fd);
    }
    t.rawData = buf;
    t.dataLocation = onnx.TensorProto.DataLocation.DEFAULT;
    t.externalData = [];
  }
}
